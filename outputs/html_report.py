"""One self-contained HTML report (no script, no CDN): opens offline, safe with hostile crawled text.

Every piece of crawled or configured text goes through html.escape; a URL becomes a link only when it
is http(s); screenshots are embedded as data: URIs. A Content-Security-Policy without any script source
is a second line of defence.
"""

from __future__ import annotations

import base64
import io
import re
from functools import cache
from html import escape
from pathlib import Path

import yaml

from losi.layout import portal_files, run_files
from losi.store import Store
from outputs import charts
from outputs.changes import ChangeSummary
from outputs.collect import CatalogSource, PortalReport, ReportError, RunReport
from outputs.history import PortalHistory, portal_history
from outputs.national_html import national_section
from outputs.published import NOT_SAME_MEASURE, published
from outputs.scoring import EffectiveFinding

EFFORT_FILE = Path(__file__).parent / "data" / "effort.yaml"
EFFORT_RANK = {"easy": 0, "moderate": 1, "hard": 2}
FIX_FIRST = 10
THUMB_SIZE = (320, 220)
RAW_EMBED_LIMIT = 250_000  # bytes: without Pillow, embed the screenshot as-is only when it is this small
VERDICT_COLOURS = {
    "met": "#2e7d32",
    "not_met": "#c62828",
    "needs_review": "#f9a825",
    "not_applicable": "#9e9e9e",
    "not_assessed": "#d0d0d0",
}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px;
color:#1f2328}
h1{font-size:1.6em}h2{border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f6f8fa;position:sticky;top:0}
.badge{display:inline-block;padding:1px 6px;border-radius:8px;color:#fff;font-size:12px;white-space:nowrap}
.v-needs_review,.v-not_assessed{color:#1f2328}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:center}
.snippet{color:#57606a;font-size:12px;max-width:420px;overflow-wrap:anywhere}
.url{overflow-wrap:anywhere}
code{font-size:11px;background:#f6f8fa;overflow-wrap:anywhere}
.heat td{width:14px;height:14px;padding:0}.heat th{font-size:11px}
.heat th.portal{writing-mode:vertical-rl;white-space:nowrap;height:160px;max-height:160px;overflow:hidden;
text-overflow:ellipsis;vertical-align:bottom}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;font-size:13px}
.muted{color:#57606a}img.thumb{max-width:240px;border:1px solid #d0d7de}
nav a{margin-right:12px}
"""


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) and has no characters that could break out of an attribute."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s<>\"'`]+$", url):
        return None
    return url


def link(url: object, text: object | None = None, limit: int = 90) -> str:
    label = str(text if text is not None else url or "")
    if len(label) > limit:
        label = label[: limit - 1] + "…"
    href = safe_url(url)
    if href is None:
        return f'<span class="url">{e(label)}</span>'
    return f'<a class="url" href="{e(href)}" rel="noopener noreferrer">{e(label)}</a>'


def badge(verdict: str) -> str:
    colour = VERDICT_COLOURS.get(verdict, "#999")
    return f'<span class="badge v-{e(verdict)}" style="background:{colour}">{e(verdict)}</span>'


def anchor(portal_id: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", portal_id)


@cache
def load_effort(path: Path = EFFORT_FILE) -> tuple[dict[str, str], str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}, "moderate"
    default = str(data.get("default", "moderate"))
    return {str(k): str(v) for k, v in (data.get("effort") or {}).items()}, default


def effort_of(code: str) -> str:
    levels, default = load_effort()
    return levels.get(code, default)


def fix_first(portal: PortalReport, limit: int = FIX_FIRST) -> list[EffectiveFinding]:
    """Catalog indicators not met, cheapest first (effort), decided gaps before undecided ones."""
    codes = {i.code for i in portal.catalog.indicators}
    gaps = [f for f in portal.findings if f.indicator in codes and f.verdict.value not in ("met", "not_applicable")]
    order = {"not_met": 0, "needs_review": 1, "not_assessed": 2}
    gaps.sort(key=lambda f: (EFFORT_RANK.get(effort_of(f.indicator), 1), order.get(f.verdict.value, 3)))
    return gaps[:limit]


# --------------------------------------------------------------------------------------- thumbnails


def _thumbnail(path: Path) -> str | None:
    """A data: URI of a small thumbnail (Pillow), or of the file itself when small; None otherwise."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif raw.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:
        return None  # not an image we wrote: never embed arbitrary files
    try:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as img:
            img = img.convert("RGB")
            img.thumbnail(THUMB_SIZE)
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=70)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except ImportError:
        pass
    except Exception:  # a broken image file is not worth failing the report for
        return None
    if len(raw) > RAW_EMBED_LIMIT:
        return None
    return f"data:{mime};base64," + base64.b64encode(raw).decode("ascii")


def files_of(report: RunReport, store: Store) -> Path | None:
    """Where the run's captures and screenshots are on this machine (None: its data directory is not here)."""
    return run_files(report.run_id, report.run.get("data_dir"), store.data_dir)


def _missing_files_note(report: RunReport, store: Store) -> str:
    if files_of(report, store) is not None:
        return ""
    shots = sum(1 for p in report.portals for page in p.pages if page.get("screenshot"))
    if not shots:
        return ""
    return (f'<p class="note">The data directory of this run ({e(report.run.get("data_dir") or "?")}) is not '
            f"reachable from this machine, so its {shots} screenshot(s) are not shown. Write the report again on a "
            "machine that mounts it (<code>losi report RUN --data-dir PATH</code>).</p>")


class Thumbs:
    """Screenshots of one portal of one run, resolved inside the portal's run folder only."""

    def __init__(self, data_dir: Path | None, run_id: str, portal_id: str) -> None:
        self.root = portal_files(data_dir, run_id, portal_id).root.resolve() if data_dir else None
        self.cache: dict[str, str | None] = {}

    def html(self, relative: str) -> str:
        if not relative:
            return ""
        if self.root is None:
            return f'<span class="muted">screenshot {e(relative)}: not available (data directory not here)</span>'
        if relative not in self.cache:
            path = (self.root / relative).resolve()
            inside = path.is_relative_to(self.root)
            self.cache[relative] = _thumbnail(path) if inside and path.is_file() else None
        uri = self.cache[relative]
        if uri is None:
            return f'<span class="muted">screenshot: {e(relative)}</span>'
        return f'<img class="thumb" alt="screenshot {e(relative)}" src="{uri}">'


# --------------------------------------------------------------------------------------- sections


def _published_block(portal: PortalReport) -> str:
    if portal.level != "national":
        return ""
    country = str(portal.info.get("country") or "")
    rows = []
    for year in (2024, 2022):
        pub = published(country, year)
        if pub:
            rows.append(f"<tr><td>Published OSI {year} (UN)</td><td>{pub.osi:.4f}</td></tr>"
                        f"<tr><td>Published EPI {year} (UN)</td><td>{pub.epi:.4f}</td></tr>")
    if not rows:
        return f'<p class="muted">No published OSI held for country {e(country) or "(none)"}.</p>'
    return (
        "<h3>Published OSI beside this tool's estimate</h3>"
        f"<table><tr><td>Tool estimate: share of {e(portal.catalog.id)} indicators met</td>"
        f"<td>{portal.score.index:.4f}</td></tr>{''.join(rows)}</table>"
        f'<p class="note">{e(NOT_SAME_MEASURE)}</p>'
    )


def _evidence_cell(item: EffectiveFinding, thumbs: Thumbs) -> str:
    f = item.finding
    parts = []
    for ev in f.evidence[:3]:
        part = (f'<span class="muted">[{e(ev.site)}]</span> ' if ev.site else "") + link(ev.url)
        if ev.selector:
            part += f"<br><code>{e(ev.selector)}</code>"
        if ev.snippet:
            part += f'<div class="snippet">{e(ev.snippet[:300])}</div>'
        if ev.screenshot:
            part += "<br>" + thumbs.html(ev.screenshot)
        parts.append(part)
    if len(f.evidence) > 3:
        parts.append(f'<span class="muted">+{len(f.evidence) - 3} more in findings.json</span>')
    if not f.evidence and f.candidates:
        parts.append("candidates: " + ", ".join(link(u) for u in f.candidates[:3]))
    if not f.evidence and f.looked_for:
        parts.append(f'<div class="snippet">looked for: {e("; ".join(f.looked_for)[:300])}</div>')
    return "<br>".join(parts)


def _verdict_cell(item: EffectiveFinding) -> str:
    if not item.review:
        return badge(item.verdict.value)
    r = item.review
    comment = f'<div class="snippet">{e(r.comment)}</div>' if r.comment else ""
    return (f"{badge(item.verdict.value)}<br><span class=\"muted\">reviewer {e(r.reviewer)}; machine said "
            f"{e(item.machine_verdict.value)}</span>{comment}")


def _portal_section(portal: PortalReport, report: RunReport, store: Store, history: PortalHistory | None) -> str:
    s = portal.score
    info = portal.info
    thumbs = Thumbs(files_of(report, store), report.run_id, portal.portal_id)
    crit_items = [(c.criterion, c.score, f"{c.met}/{c.total} {c.band}") for c in s.criteria]
    crit_items.append(("overall", s.index, f"{s.overall.met}/{s.overall.total} {s.band}"))
    counts = ", ".join(f"{k}: {v}" for k, v in s.counts.items() if v)
    home_shot = next((p.get("screenshot") for p in sorted(portal.pages, key=lambda p: p.get("depth") or 0)
                      if p.get("screenshot")), "")
    out = [
        f'<section id="{anchor(portal.portal_id)}"><h2>{e(portal.name)} <span class="muted">'
        f"({e(portal.portal_id)})</span></h2>",
        "<table>",
        f"<tr><th>Home page</th><td>{link(info.get('home_url'))}</td></tr>",
        f"<tr><th>Country / level</th><td>{e(info.get('country'))} / {e(portal.level)}</td></tr>",
        f"<tr><th>Framework</th><td>{e(portal.catalog.id)}</td></tr>",
        f"<tr><th>Index</th><td><b>{s.index:.3f}</b> ({s.overall.met}/{s.overall.total}) — {e(s.band)}</td></tr>",
        f"<tr><th>Verdicts</th><td>{e(counts)}; decided {s.decided}</td></tr>",
        f"<tr><th>Pages crawled</th><td>{e(info.get('pages') or 0)}</td></tr>",
        f"<tr><th>Status</th><td>{e(info.get('status'))} {e(info.get('reason') or '')}</td></tr>",
        f"<tr><th>Assessed</th><td>{e(info.get('assessed_at') or report.run.get('started_at'))}</td></tr>",
        "</table>",
    ]
    if home_shot:
        out.append(f"<p>{thumbs.html(home_shot)}</p>")
    out.append(national_section(report, portal) or _published_block(portal))
    out.append('<div class="charts">' + charts.bars(crit_items)
               + charts.radar([(c.criterion, c.score) for c in s.criteria]) + "</div>")
    if history is not None and len(history.runs) >= 2:
        out.append("<h3>Since the previous run</h3>")
        out.append(charts.trend([(r.started_at[:10] or r.run_id, r.index) for r in history.runs]))
        if history.changes:
            out.append("<ul>" + "".join(
                f"<li><b>{e(i.change)}</b> {e(i.code)} {e(i.name)}: {e(i.verdicts[-2] or '-')} → "
                f"{e(i.latest or '-')}</li>" for i in history.changes) + "</ul>")
        else:
            out.append('<p class="muted">No indicator changed.</p>')
    fixes = fix_first(portal)
    if fixes:
        out.append("<h3>What to fix first</h3><ol>")
        for f in fixes:
            ind = portal.catalog.get(f.indicator)
            out.append(f"<li><b>{e(f.indicator)}</b> {e(ind.name if ind else '')} — effort "
                       f"<b>{e(effort_of(f.indicator))}</b>, {badge(f.verdict.value)} "
                       f'<span class="muted">{e(f.finding.explanation)}</span></li>')
        out.append("</ol>")
    out.append("<h3>Indicators</h3><table><tr><th>Code</th><th>Criterion</th><th>Indicator</th><th>Verdict</th>"
               "<th>Confidence</th><th>Explanation</th><th>Evidence</th></tr>")
    for item in portal.findings:
        ind = portal.catalog.get(item.indicator)
        out.append(
            f'<tr id="{anchor(portal.portal_id)}-{e(item.indicator)}"><td>{e(item.indicator)}</td>'
            f"<td>{e(ind.criterion if ind else '')}</td><td>{e(ind.name if ind else '')}</td>"
            f"<td>{_verdict_cell(item)}</td><td>{item.finding.confidence:.2f}</td>"
            f"<td>{e(item.finding.explanation)}</td><td>{_evidence_cell(item, thumbs)}</td></tr>"
        )
    out.append("</table></section>")
    return "\n".join(out)


def _ranking(report: RunReport) -> str:
    ranked = sorted(report.portals, key=lambda p: -p.score.index)
    rows = []
    for rank, p in enumerate(ranked, start=1):
        bar = charts.bars([("", p.score.index, f"{p.score.index:.3f}")], width=260, label_width=4)
        rows.append(
            f'<tr><td>{rank}</td><td><a href="#{anchor(p.portal_id)}">{e(p.name)}</a></td>'
            f"<td>{e(p.info.get('country'))}</td><td>{e(p.level)}</td><td>{e(p.catalog.id)}</td>"
            f"<td>{p.score.index:.3f}</td><td>{e(p.score.band)}</td><td>{p.score.overall.met}/"
            f"{p.score.overall.total}</td><td>{bar}</td></tr>"
        )
    return ("<h2 id=\"ranking\">Ranking</h2><table><tr><th>#</th><th>Portal</th><th>Country</th><th>Level</th>"
            "<th>Framework</th><th>Index</th><th>Band</th><th>Met</th><th></th></tr>" + "".join(rows) + "</table>")


def _heatmap(report: RunReport) -> str:
    if not report.portals:
        return ""
    codes: dict[str, str] = {}
    for p in report.portals:
        for ind in p.catalog.indicators:
            codes.setdefault(ind.code, ind.name)
    verdicts = {(p.portal_id, f.indicator): f.verdict.value for p in report.portals for f in p.findings}
    head = "".join(f'<th class="portal" title="{e(p.name)}"><a href="#{anchor(p.portal_id)}">{e(p.name)}</a></th>'
                   for p in report.portals)
    rows = []
    for code, name in codes.items():
        cells = []
        for p in report.portals:
            v = verdicts.get((p.portal_id, code), "")
            colour = VERDICT_COLOURS.get(v, "#ffffff")
            cells.append(f'<td style="background:{colour}" title="{e(p.portal_id)} {e(code)}: {e(v or "-")}">'
                         f"</td>")
        rows.append(f"<tr><th>{e(code)}</th><th>{e(name)}</th>{''.join(cells)}</tr>")
    legend = " ".join(badge(v) for v in VERDICT_COLOURS)
    return (f'<h2 id="heatmap">Indicators × portals</h2><p>{legend}</p><table class="heat"><tr><th>Code</th>'
            f"<th>Indicator</th>{head}</tr>{''.join(rows)}</table>")


def _trends(histories: dict[str, PortalHistory]) -> str:
    multi = {pid: h for pid, h in histories.items() if len(h.runs) >= 2}
    if not multi:
        return '<h2 id="trends">Over runs</h2><p class="muted">Only one run per portal in this store so far.</p>'
    rows = []
    for pid, h in multi.items():
        prev, last = h.runs[-2], h.runs[-1]
        lost = sum(i.change == "lost" for i in h.changes)
        gained = sum(i.change == "gained" for i in h.changes)
        line = charts.trend([(r.started_at[:10], r.index) for r in h.runs], 260, 90)
        rows.append(f'<tr><td><a href="#{anchor(pid)}">{e(h.name)}</a></td><td>{len(h.runs)}</td>'
                    f"<td>{prev.index:.3f}</td><td>{last.index:.3f}</td><td>{last.index - prev.index:+.3f}</td>"
                    f"<td>{gained}</td><td>{lost}</td><td>{line}</td></tr>")
    return ('<h2 id="trends">Over runs</h2><table><tr><th>Portal</th><th>Runs</th><th>Previous</th><th>Latest</th>'
            "<th>Change</th><th>Gained</th><th>Lost</th><th>Trend</th></tr>" + "".join(rows) + "</table>")


def _changes_section(changes: ChangeSummary | None) -> str:
    if changes is None:
        return ""
    title = f'<h2 id="changes">Changes since the previous run of list {e(changes.list_name)}</h2>'
    if changes.previous is None:
        return title + '<p class="muted">The first run of this list: nothing to compare with yet.</p>'
    prev = changes.previous
    rows = []
    for p in changes.portals:
        before = "-" if p.previous_score is None else f"{p.previous_score:.3f} {e(p.previous_band)}"
        now = "-" if p.score is None else f"{p.score:.3f} {e(p.band)}"
        delta = "" if p.delta is None else f"{p.delta:+.3f}"
        items = "".join(f"<li><b>{e(i.change)}</b> {e(i.code)} {e(i.name)}: {e(i.previous or '-')} → "
                        f"{e(i.current or '-')}</li>" for i in p.indicators)  # fmt: skip
        rows.append(f"<tr><td>{e(p.name)} <span class=\"muted\">({e(p.portal_id)})</span></td><td>{e(p.change)}</td>"
                    f"<td>{before}</td><td>{now}</td><td>{delta}</td><td>{len(p.of('gained'))}</td>"
                    f"<td>{len(p.of('lost'))}</td><td>{'<ul>' + items + '</ul>' if items else ''}</td></tr>")
    return (title + f'<p>Against run {e(prev["id"])} of {e(prev.get("started_at"))}: {changes.gained} indicator(s) '
            f"gained, {changes.lost} lost (also in changes.csv).</p><table><tr><th>Portal</th><th>Change</th>"
            "<th>Index before</th><th>Index now</th><th>Delta</th><th>Gained</th><th>Lost</th><th>Indicators</th>"
            "</tr>" + "".join(rows) + "</table>")


def render_html(report: RunReport, store: Store, catalogs: CatalogSource | None = None,
                changes: ChangeSummary | None = None) -> str:  # fmt: skip
    histories: dict[str, PortalHistory] = {}
    for p in report.portals:
        try:
            histories[p.portal_id] = portal_history(store, p.portal_id, catalogs)
        except ReportError:
            continue  # an older run's framework has no catalog any more: skip its trend only
    run = report.run
    nav = "".join(f'<a href="#{anchor(p.portal_id)}">{e(p.name)}</a>' for p in report.portals)
    changes_link = '<a href="#changes">Changes</a>' if changes is not None else ""
    body = [
        f"<h1>Portal assessment — run {e(report.run_id)}</h1>",
        f'<p class="muted">Started {e(run.get("started_at"))}, finished {e(run.get("finished_at") or "-")}, '
        f"status {e(run.get('status'))}. Frameworks: {e(', '.join(sorted({p.catalog.id for p in report.portals})))}."
        " Verdicts are the machine's unless a reviewer decided; both are shown.</p>",
        _missing_files_note(report, store),
        f'<nav>{changes_link}<a href="#ranking">Ranking</a><a href="#heatmap">Heat map</a>'
        f'<a href="#trends">Over runs</a>{nav}</nav>',
        _changes_section(changes),
        _ranking(report),
        _heatmap(report),
        _trends(histories),
        *(_portal_section(p, report, store, histories.get(p.portal_id)) for p in report.portals),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Portal assessment {e(report.run_id)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_html(report: RunReport, store: Store, path: Path, catalogs: CatalogSource | None = None,
               changes: ChangeSummary | None = None) -> Path:  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, store, catalogs, changes), encoding="utf-8")
    return path
