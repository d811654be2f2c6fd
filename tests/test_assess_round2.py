"""Second accuracy round: rules against small sites of their own (tests/sites/assess-round2-*).

Each test pairs a page that must count with a near miss that must not: a bare service list vs a catalogue
with per-service details, a poll's closing date vs an announced future activity, a link to a national
agency vs a page about assisted access points, and so on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from assessors.site import Site
from losi.layout import PortalFiles
from losi.models import Verdict
from tests.test_assess_rules import HOME, assert_openable, build_site, check, ind


@pytest.fixture(scope="module")
def uz() -> Site:
    return build_site("assess-round2-uz")


@pytest.fixture(scope="module")
def en() -> Site:
    return build_site("assess-round2-en", ("en",))


# --------------------------------------------------------------------------- #222 service catalogue


def catalogue() -> object:
    return ind("service-catalogue", ("services-catalogue",), details_concept="service-details", detail_terms=2)


def test_catalogue_with_documents_time_and_cost_is_met(en: Site) -> None:
    f = check(en, catalogue())
    assert f.verdict is Verdict.MET, f
    assert_openable(f)
    assert len(f.details["details"]) >= 2


def test_bare_list_of_services_is_only_a_candidate(uz: Site) -> None:
    f = check(uz, catalogue())
    assert f.verdict is Verdict.NEEDS_REVIEW, f
    assert HOME + "xizmatlar.html" in f.candidates
    assert any("service-details" in item for item in f.looked_for)


# --------------------------------------------------------------------------- #277 upcoming participation


def upcoming() -> object:
    return ind("upcoming-participation", ("upcoming", "consultation", "poll", "participatory-budgeting"),
               marker_concept="upcoming")  # fmt: skip


def test_announced_future_season_is_upcoming(uz: Site) -> None:
    f = check(uz, upcoming())
    assert f.verdict is Verdict.MET, f
    assert_openable(f)
    assert "2027-02-15" in f.details["dates"]  # "2027 yil 15 fevraldan": the month keeps its suffix


def test_running_poll_closing_date_is_not_an_announcement(en: Site) -> None:
    f = check(en, upcoming())
    assert f.verdict is Verdict.NEEDS_REVIEW, f
    assert "2027-01-15" in f.details["dates"]
    assert HOME + "poll.html" in f.candidates


# ---------------------------------------------------------------- #272 / #279 tools described on a process page


def test_online_voting_described_on_budget_page(uz: Site) -> None:
    f = check(uz, ind("participation-tool", ("e-voting",), context_concepts=["participatory-budgeting"]))
    assert f.verdict is Verdict.MET, f
    assert f.evidence[0].url == HOME + "ochiq-budjet.html"
    assert "onlayn ovoz berish" in f.evidence[0].snippet


def test_no_context_page_keeps_the_generic_decision(en: Site) -> None:
    f = check(en, ind("participation-tool", ("e-voting",), context_concepts=["participatory-budgeting"]))
    assert f.verdict is Verdict.NOT_MET, f  # the budget page names winners, not online voting


# --------------------------------------------------------------------------- #221 / #225b / #276 concept-page params


def test_winners_on_a_budget_page_are_not_procurement_results(en: Site) -> None:
    plain = check(en, ind("concept-page", ("procurement-result",), text_terms=1))
    assert plain.verdict is Verdict.MET  # the near miss the context guards against
    f = check(en, ind("concept-page", ("procurement-result",), text_terms=1,
                      text_context=["procurement-announcement", "procurement-result"]))  # fmt: skip
    assert f.verdict is not Verdict.MET, f


def test_link_to_a_national_agency_is_not_an_access_point_page(en: Site) -> None:
    plain = check(en, ind("concept-page", ("access-points",), min_score=3.0))
    assert plain.verdict is Verdict.MET
    f = check(en, ind("concept-page", ("access-points",), min_score=3.0, needs_page=True))
    assert f.verdict is Verdict.NEEDS_REVIEW, f
    assert "only a link" in f.explanation


def test_consultations_without_master_plan_are_not_land_use_planning(en: Site) -> None:
    concepts = ("land-use-planning", "consultation")
    f = check(en, ind("concept-page", concepts, require_concepts=list(concepts)))
    assert f.verdict is Verdict.NEEDS_REVIEW, f
    assert "land-use-planning" in f.explanation


# --------------------------------------------------------------------------- #269a online step of a procedure


def test_fee_paid_online_inside_another_procedure(en: Site) -> None:
    f = check(en, ind("online-service", ("fees-payment", "pay-online")))
    assert f.verdict is Verdict.MET, f
    assert f.evidence[0].url == HOME + "permit.html"
    assert "online" in f.evidence[0].snippet


def test_bills_paid_at_banks_are_not_online(en: Site) -> None:
    f = check(en, ind("online-service", ("electricity-gas-payment", "pay-online")))
    assert f.verdict is not Verdict.MET, f


# --------------------------------------------------------------------------- #289 visitor counter


def test_visitor_counter_is_usage_statistics(uz: Site) -> None:
    f = check(uz, ind("usage-statistics", ("usage-statistics",), counter_concept="visit-counter"))
    assert f.verdict is Verdict.MET, f
    assert f.evidence[0].url == HOME and "Jami" in f.evidence[0].snippet
    assert len(f.details["labels"]) >= 2


def test_no_counter_no_statistics(en: Site) -> None:
    f = check(en, ind("usage-statistics", ("usage-statistics",), counter_concept="visit-counter"))
    assert f.verdict is Verdict.NOT_MET, f
    assert any("visit-counter" in item for item in f.looked_for)


# ---------------------------------------------------------------- #270b chat launcher from a first-party script

CHAT_HOME = """<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8"><title>Басты бет</title></head><body>
<main><h1>Басты бет</h1><p>Қош келдіңіз!</p></main>
<div id="ai-chat"><button type="button" class="toggle">ЖИ-көмекші</button>
<form><label>Сұрағыңыз <input name="q"></label><button>Жіберу</button></form></div></body></html>"""


def _write_captures(root: Path, url: str, html: str) -> PortalFiles:
    files = PortalFiles(root)
    root.mkdir(parents=True, exist_ok=True)
    with files.warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        offset = fh.tell()
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=__import__("io").BytesIO(html.encode()),
                                           http_headers=headers)  # fmt: skip
        writer.write_record(record)
    line = {"url": url, "final_url": url, "status": 200, "content_type": "text/html", "depth": 0,
            "rendered": False, "warc_offset": offset}  # fmt: skip
    files.captures.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return files


def _chat_site(tmp_path: Path, html: str) -> Site:
    from crawler.parse import parse_page
    from crawler.scope import Scope
    from losi.models import PortalConfig

    portal = PortalConfig(id="chat", home_url=HOME, languages=["kk"])
    files = _write_captures(tmp_path / "chat", HOME, html)
    page = parse_page(html.encode(), url=HOME, final_url=HOME, status=200, content_type="text/html",
                      scope=Scope.for_portal(portal), fetched_at="2024-03-15T10:00:00Z")  # fmt: skip
    assert page is not None
    return Site(portal=portal, pages=[page], portal_dir=files.root)


def test_rendered_chat_button_is_a_chatbot(tmp_path: Path) -> None:
    f = check(_chat_site(tmp_path, CHAT_HOME), ind("chatbot", ("chatbot",)))
    assert f.verdict is Verdict.MET, f
    assert_openable(f)
    assert f.evidence[0].selector.startswith("#ai-chat") and "ЖИ-көмекші" in f.evidence[0].snippet


def test_plain_form_without_a_named_launcher_is_not_a_chatbot(tmp_path: Path) -> None:
    html = CHAT_HOME.replace("ЖИ-көмекші", "Сұрақ қою")  # "ask a question": not a bot
    f = check(_chat_site(tmp_path, html), ind("chatbot", ("chatbot",)))
    assert f.verdict is not Verdict.MET, f
