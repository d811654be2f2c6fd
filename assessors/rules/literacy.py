"""E-government literacy rules: privacy policy, social media, login, chat, help line."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from assessors.registry import rule
from assessors.rules.common import (
    candidate_urls,
    concepts_or_error,
    decide_by_candidates,
    describe,
    met,
    not_met,
    review,
    undecided,
    worth_a_look,
)
from assessors.signals import (
    CHROME_REGIONS,
    PHONE_RE,
    REVIEW_SCORE,
    host,
    is_web_url,
    load_data,
    page_controls,
    signals_for,
)
from assessors.site import Site
from indicators.catalog import Indicator
from losi.hosts import first_domain_of, host_and_domains_above
from losi.models import Evidence, Finding, Region, Verdict
from losi.portal_cache import portal_cache

NEAR_CHARS = 150  # a phone number this close to a help-line term belongs to it


# --------------------------------------------------------------------------- privacy policy (#234)


@rule(
    "privacy-policy",
    "A privacy / personal-data statement is linked from the home page or a footer.",
    "Links on the home page (any region) or in any footer whose text or URL names the concept. met with "
    "high confidence when the target page's title/headings are about it too; met with lower confidence when "
    "the target was not crawled; needs_review when the target page is about something else or the only "
    "candidate is a page nobody links to from the home page or footer.",
)
def privacy_policy(site: Site, indicator: Indicator) -> Finding:
    rid = "privacy-policy"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = sig.candidates_any(concepts)
    urls = candidate_urls(cands)
    home = site.home
    for c in cands:
        linked = [h for h in c.hits if h.signal in ("anchor", "link-url")]
        prominent = [
            h for h in linked
            if (home is not None and h.evidence.url == home.url_key)
            or "footer" in h.evidence.note or _in_footer(site, h.evidence.url, h.evidence.selector)
        ]  # fmt: skip
        if not prominent:
            continue
        about = c.signals & {"title", "heading"}
        if about:
            return met(indicator, rid, f"privacy statement {c.url} linked from the home page or footer",
                       c.evidence(), 0.95, urls, {"score": c.score})  # fmt: skip
        if c.page is None and any(h.signal == "anchor" for h in prominent):
            return met(indicator, rid, f"link to a privacy statement {c.url} (target not crawled)",
                       c.evidence(), 0.65, urls, {"score": c.score})  # fmt: skip
    if cands and cands[0].score >= REVIEW_SCORE:
        return undecided(site, indicator, rid, f"privacy candidate not linked from home/footer or not about it: "
                         f"{describe(cands[0])}", urls, cands[0].evidence(), sig.looked_for(concepts),
                         worth_a_look=worth_a_look(sig, cands[0]))  # fmt: skip
    return not_met(indicator, rid, "no privacy statement linked from the home page or footer",
                   [*sig.looked_for(concepts), "home page links, footer links"], candidates=urls)  # fmt: skip


def _in_footer(site: Site, page_url: str, selector: str) -> bool:
    page = site.page(page_url)
    if page is None:
        return False
    return any(lk.selector == selector and lk.region == Region.FOOTER.value for lk in page.links)


# --------------------------------------------------------------------------- social media (#273)


def social_platform(url: str) -> tuple[str, bool] | None:
    """(platform, is_share_button) for a social-network URL, else None: the first platform in social.yaml
    with a domain that is the URL's host or a domain above it. Asked about every link of every page: decided
    by the URL's host (each host once), and only a social network's URLs are read further."""
    if (platform := _platform_of_host(host(url))) is None or not is_web_url(url):
        return None
    return platform, _is_share_button(url)


@portal_cache(1 << 12)  # a portal links to a few thousand hosts
def _platform_of_host(hostname: str) -> str | None:
    """The platform of social.yaml on this host (signals.host: lower case, no "www.") or a host above it."""
    by_domain = _platform_by_domain()
    found = [by_domain[domain] for domain in host_and_domains_above(hostname) if domain in by_domain]
    return min(found)[1] if found else None


@portal_cache(1 << 12)  # a portal's links to social networks: its own profiles, share buttons on every page
def _is_share_button(url: str) -> bool:
    share_paths = load_data("social.yaml").get("share_paths") or []
    return any(urlsplit(url).path.lower().startswith(p.lower()) for p in share_paths)


@lru_cache(maxsize=1)
def _platform_by_domain() -> dict[str, tuple[int, str]]:
    """Each domain of social.yaml -> (its platform's place in the file, the platform), the first that names it."""
    platforms = load_data("social.yaml").get("platforms") or {}
    by_domain: dict[str, tuple[int, str]] = {}
    for place, (platform, domains) in enumerate(platforms.items()):
        for domain in domains:
            by_domain.setdefault(domain, (place, platform))
    return by_domain


@rule(
    "social-media",
    "The portal links to the city's social-network accounts.",
    "Links (and embedded iframes) to the platforms in assessors/data/social.yaml. Profile links on the home "
    "page give high confidence; links elsewhere or only share buttons give less.",
)
def social_media(site: Site, indicator: Indicator) -> Finding:
    rid = "social-media"
    profiles: dict[str, Evidence] = {}
    shares: dict[str, Evidence] = {}
    on_home = False
    for page, link in site.all_links():
        hit = social_platform(link.url)
        if not hit:
            continue
        platform, share = hit
        bucket = shares if share else profiles
        if platform not in bucket:
            bucket[platform] = Evidence(page.url_key, link.selector, link.label or link.url,
                                        note=f"{platform}: {link.url}")  # fmt: skip
            on_home = on_home or (not share and page is site.home)
    for page in site.pages[:50]:
        for src in page.iframes:
            hit = social_platform(src)
            if hit and hit[0] not in profiles:
                profiles[hit[0]] = Evidence(page.url_key, f"iframe[src='{src}']", src, note=f"embedded {hit[0]}")
    if profiles:
        conf = 0.95 if on_home else 0.85
        return met(indicator, rid, f"links to {', '.join(profiles)}", list(profiles.values())[:6], conf,
                   details={"platforms": sorted(profiles), "share_buttons": sorted(shares)})  # fmt: skip
    if shares:
        return met(indicator, rid, f"share buttons for {', '.join(shares)}", list(shares.values())[:4], 0.6,
                   details={"share_buttons": sorted(shares)})  # fmt: skip
    domains = [d for ds in (load_data("social.yaml").get("platforms") or {}).values() for d in ds]
    return not_met(indicator, rid, "no links to social networks", [f"links to: {', '.join(domains)}"])


# --------------------------------------------------------------------------- login (#245)


@rule(
    "login",
    "Users can log in (e-ID, username/password) for personalised services.",
    "A form with a password field, or a link whose text/URL names the login concept (e.g. to a national "
    "e-ID); met with higher confidence for a password form.",
)
def login(site: Site, indicator: Indicator) -> Finding:
    rid = "login"
    for page in site.pages:
        for form in page.forms:
            if form.sendable and any(f.type == "password" for f in form.fields):
                ev = Evidence(page.url_key, form.selector, form.submit_text or "login form", note="password form")
                return met(indicator, rid, f"login form on {page.url_key}", [ev], 0.9)
    return decide_by_candidates(signals_for(site), indicator, rid, concepts_or_error(indicator), "login")


@rule(
    "own-data",
    "Users can see or change the data the city holds on them (behind a login).",
    "Needs a login: where the portal has one (the login rule), a person signs in and checks (needs_review); a "
    "portal without any login, read completely, has no own data to show (not_met).",
)
def own_data(site: Site, indicator: Indicator) -> Finding:
    rid = "own-data"
    account = login(site, indicator)
    if account.verdict == Verdict.MET:
        return review(indicator, rid, f"sign in and look for the data the city holds: {account.explanation}",
                      account.candidates, account.evidence, account.looked_for, confidence=0.3)  # fmt: skip
    return undecided(site, indicator, rid, "the portal has no login, so no personal data can be seen or changed",
                     account.candidates, account.evidence, account.looked_for)  # fmt: skip


# --------------------------------------------------------------------------- chat (#270a, #270b)


def _widgets(site: Site, kind: str) -> list[Evidence]:
    domains = load_data("widgets.yaml").get(kind) or []
    found: list[Evidence] = []
    for page in site.pages[:30]:
        for src in [*page.scripts, *page.iframes]:
            d = first_domain_of(host(src), domains)
            if d:
                found.append(Evidence(page.url_key, f"script[src='{src}']", src, note=f"{kind} widget: {d}"))
        if found:
            break
    return found


def _messenger_name(url: str) -> str | None:
    """The account a messenger chat link opens ("t.me/cityhall_bot" -> "cityhall_bot"), or None."""
    if _is_messenger_host(host(url)) and is_web_url(url):
        return urlsplit(url).path.strip("/").split("/")[0].lower()
    return None


@portal_cache(1 << 12)  # a portal links to a few thousand hosts
def _is_messenger_host(hostname: str) -> bool:
    """A messenger's chat host (widgets.yaml), or a host below one; `hostname` as signals.host gives it."""
    messenger_hosts = load_data("widgets.yaml").get("messenger_chat_hosts") or []
    return first_domain_of(hostname, messenger_hosts) is not None


def _messenger_links(site: Site, bots: bool) -> list[Evidence]:
    suffix = str(load_data("widgets.yaml").get("bot_name_suffix") or "\0")
    out: list[Evidence] = []
    for page, link in site.all_links():
        name = _messenger_name(link.url)
        if name and name.endswith(suffix) == bots:
            out.append(Evidence(page.url_key, link.selector, link.label or link.url, note=f"chat: {link.url}"))
    return out


def _named_controls(site: Site, concepts: tuple[str, ...]) -> list[Evidence]:
    """Rendered buttons / aria-labels that name the concept (a chat launcher whose script is first-party)."""
    sig = signals_for(site)
    found: list[Evidence] = []
    for page, controls in page_controls(site):
        for control in controls:
            if any(sig.find(c, control.label) for c in concepts):
                found.append(Evidence(page.url_key, control.selector, control.label, note="chat launcher button"))
        if found:
            break
    return found


def _chat(site: Site, indicator: Indicator, rid: str, kind: str, bots: bool) -> Finding:
    widgets = _widgets(site, kind)
    if widgets:
        return met(indicator, rid, f"{kind} widget on the portal", widgets[:3], 0.8)
    links = _messenger_links(site, bots)
    if bots and links:
        return met(indicator, rid, "link to a messenger bot", links[:3], 0.7)
    if bots and (controls := _named_controls(site, concepts_or_error(indicator))):
        return met(indicator, rid, f"a rendered button opens a {kind}: {controls[0].snippet}", controls[:3], 0.7)
    finding = decide_by_candidates(signals_for(site), indicator, rid, concepts_or_error(indicator), kind)
    if finding.verdict.value == "met" or links:  # words alone do not prove a working chat
        cands = finding.candidates or [e.url for e in links]
        return review(indicator, rid, finding.explanation if finding.verdict.value == "met" else
                      "messenger links that may reach staff", cands, [*finding.evidence, *links[:2]])  # fmt: skip
    finding.looked_for = [*finding.looked_for, f"{kind} widget scripts (assessors/data/widgets.yaml)"]
    return finding


@rule(
    "live-chat",
    "Real-time chat with staff (web chat, messenger).",
    "Live-chat widget scripts from assessors/data/widgets.yaml (met); messenger links or a page about the "
    "concept (needs_review).",
)
def live_chat(site: Site, indicator: Indicator) -> Finding:
    return _chat(site, indicator, "live-chat", "live_chat", bots=False)


@rule(
    "chatbot",
    "An automated chatbot / virtual assistant on the portal.",
    "Chatbot widget scripts from assessors/data/widgets.yaml or links to a messenger bot (met); a page "
    "about the concept (needs_review).",
)
def chatbot(site: Site, indicator: Indicator) -> Finding:
    return _chat(site, indicator, "chatbot", "chatbot", bots=True)


# --------------------------------------------------------------------------- help line (#288)


@rule(
    "helpdesk-phone",
    "A phone number for people who have trouble with the online services.",
    "The help-line concept named within 150 characters of a phone number (home page first, then candidate "
    "pages), or a help-line page with a phone number.",
)
def helpdesk_phone(site: Site, indicator: Indicator) -> Finding:
    rid = "helpdesk-phone"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = sig.candidates_any(concepts)
    pages = [p for p in [site.home, *(c.page for c in cands[:10])] if p is not None]
    for page in pages:
        text = page.text
        for concept in concepts[:1]:  # the help line itself; the other concepts (contacts) only find pages
            for m in sig.text_matches(concept, page):
                window = text[max(0, m.start - NEAR_CHARS) : m.end + NEAR_CHARS]
                if phone := PHONE_RE.search(window):
                    ev = Evidence(page.url_key, "body", window.strip(), note=f"{m.text} … {phone.group().strip()}")
                    return met(indicator, rid, f"help line with a phone number on {page.url_key}", [ev], 0.85,
                               candidate_urls(cands))  # fmt: skip
        for link in page.links:
            named = link.url.startswith("tel:") and any(sig.find(c, link.label) for c in concepts[:1])
            if named and link.region in CHROME_REGIONS | {"main"}:
                ev = Evidence(page.url_key, link.selector, link.label, note=link.url)
                return met(indicator, rid, "help-line phone link", [ev], 0.85, candidate_urls(cands))
    if cands and cands[0].score >= REVIEW_SCORE:
        return undecided(site, indicator, rid, f"help-line candidate without a phone number: {describe(cands[0])}",
                         candidate_urls(cands), cands[0].evidence())  # fmt: skip
    return not_met(indicator, rid, "no help-line phone number found",
                   [*sig.looked_for(concepts), "phone numbers near those terms"])  # fmt: skip
