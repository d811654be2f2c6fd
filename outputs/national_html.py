"""The national (OSI) parts of a portal's section in the HTML report: the survey's scores beside the published
indices, the sector × item-family matrix and the bundle's sites."""

from __future__ import annotations

from outputs.collect import PortalReport, RunReport
from outputs.national import bundle_sites, matrix, portal_survey


def _e(value: object) -> str:
    from outputs.html_report import e

    return e(value)


def survey_block(portal: PortalReport) -> str:
    survey = portal_survey(portal)
    if survey is None:
        return ""
    rows = [f"<tr><td>{_e(s.code)} — {_e(s.name)}</td><td>{s.share:.4f}</td><td>{s.met}/{s.total}</td>"
            f"<td>{s.weight:g}</td><td>{s.pending}</td></tr>" for s in survey.subindices]  # fmt: skip
    layers = "".join(f"<tr><td>{_e(s.name)}</td><td>{s.met}</td><td>{s.total}</td><td>{s.pending}</td></tr>"
                     for s in survey.epi_layers)  # fmt: skip
    outside = "".join(f"<li>{_e(s.code)} ({_e(s.name)}): {s.share:.4f} ({s.met}/{s.total})</li>"
                      for s in survey.outside)  # fmt: skip
    published = "".join(
        f"<tr><td>Published {year} (UN)</td><td>{pub.osi if pub.osi is not None else '-'}</td>"
        f"<td>{pub.epi if pub.epi is not None else '-'}</td></tr>"
        for year, pub in sorted(survey.published.items(), reverse=True)
    )
    if not published:
        published = f'<tr><td colspan="3" class="muted">no published index held for {_e(portal.info.get("country"))}'
        published += "</td></tr>"
    doubts = "".join(f"<li>{_e(d)}</li>" for d in survey.doubts)
    return (
        "<h3>Scores as the survey computes them</h3>"
        "<table><tr><th>Subindex</th><th>Share</th><th>Met</th><th>Weight</th><th>Undecided (count 0)</th></tr>"
        + "".join(rows) + "</table>"
        "<table><tr><th>E-Participation layer</th><th>Raw points</th><th>Items</th><th>Undecided</th></tr>"
        + layers + f"<tr><th>EPI raw points</th><th>{survey.epi_points}</th><th>{survey.epi_max_points}</th>"
        "<th></th></tr></table>"
        "<table><tr><th></th><th>OSI</th><th>EPI</th></tr>"
        f"<tr><td><b>This assessment (estimate)</b></td><td><b>{survey.estimated_osi:.4f}</b></td>"
        f"<td><b>{survey.estimated_epi:.4f}</b></td></tr>{published}</table>"
        f'<p class="note">The OSI and EPI of this assessment are <b>estimates</b>: {survey.pending} OSI item(s) still '
        "wait for a person and count 0 until decided, and the survey's weights and reference values are not "
        f"published.</p><ul class=\"muted\">{doubts}</ul>"
        + (f"<p class=\"muted\">Not part of the OSI:</p><ul>{outside}</ul>" if outside else "")
    )  # fmt: skip


def matrix_block(portal: PortalReport) -> str:
    from outputs.html_report import anchor, badge

    national = portal.catalog.national
    if not national.sectors or not national.families:
        return ""
    cells = matrix(portal)
    head = "".join(f"<th>{_e(f.name)}</th>" for f in national.families)
    rows = []
    for sector in national.sectors:
        tds = []
        for fam in national.families:
            item = cells.get((sector.code, fam.code))
            if item is None:
                tds.append("<td></td>")
                continue
            target = f"#{anchor(portal.portal_id)}-{_e(item.indicator)}"
            tds.append(f'<td><a href="{target}">#{_e(item.indicator)}</a> {badge(item.verdict.value)}</td>')
        rows.append(f"<tr><th>{_e(sector.name)}</th>{''.join(tds)}</tr>")
    return (f"<h3>Sectors × item families</h3><table><tr><th>Sector</th>{head}</tr>{''.join(rows)}</table>"
            '<p class="muted">Each sector item is decided from that sector\'s ministry site or a page of the other '
            "sites about the sector, never from another sector's pages.</p>")  # fmt: skip


def sites_block(report: RunReport, portal: PortalReport) -> str:
    from outputs.html_report import link

    sites = bundle_sites(report, portal)
    if not sites:
        return ""
    rows = "".join(
        f"<tr><td>{_e(s.get('id'))}</td><td>{_e(', '.join(s.get('roles') or []))}</td>"
        f"<td>{_e(', '.join(s.get('sectors') or []))}</td><td>{link(s.get('url'))}</td>"
        f"<td>{'yes' if s.get('reached') else '<b>no</b>'}</td><td>{_e(s.get('pages'))}</td>"
        f"<td>{_e(s.get('reason') or '')}</td></tr>"
        for s in sites
    )
    return ("<h3>Sites of the bundle</h3><table><tr><th>Site</th><th>Roles</th><th>Sectors</th><th>URL</th>"
            f"<th>Reached</th><th>Pages</th><th>Note</th></tr>{rows}</table>")  # fmt: skip


def national_section(report: RunReport, portal: PortalReport) -> str:
    """Everything national for one portal ("" for a portal without a national catalog)."""
    if not portal.catalog.national.sectors:
        return ""
    return survey_block(portal) + sites_block(report, portal) + matrix_block(portal)
