"""The classes of error seen on real government sites (issue 11), each on a small unit site in tests/sites/real-*.

Every site is parsed page by page as the crawl would (tests.test_assess_rules.build_site) and judged through
the engine, so the notes it adds (dead links, filler) are part of what is checked. A site marked as completely
crawled is one where nothing else could be found: weak candidates end as not_met there, not needs_review.
"""

from __future__ import annotations

import pytest

from assessors.engine import assess_indicator
from assessors.registry import load_all_rules
from assessors.signals import signals_for
from assessors.site import Site
from indicators.lexicon import Lexicon
from losi.models import Finding, PortalConfig, Verdict
from tests.test_assess_rules import HOME, build_site, ind


def read(name: str, languages: tuple[str, ...], complete: bool = True) -> Site:
    site = build_site(name, languages)
    site.crawl_complete = complete
    return site


def judge(site: Site, rule: str, concepts: tuple[str, ...], **params: object) -> Finding:
    load_all_rules()
    return assess_indicator(site, ind(rule, concepts, **params), signals_for(site))


def page(site: Site, name: str):
    return next(p for p in site.pages if p.url.endswith(name))


# --------------------------------------------------------------------------- links that go nowhere


@pytest.fixture(scope="module")
def dead() -> Site:
    return read("real-dead", ("uz",))


def test_dead_links_are_kept_apart_with_the_reason(dead: Site) -> None:
    home = dead.home
    reasons = {link.text: link.dead for link in home.dead_links}
    assert reasons["Elektron petitsiyalar"] == "a '#' link"
    assert reasons["Onlayn so'rovnoma"] == "a javascript: link"
    assert reasons["Ochiq ma'lumotlar"].startswith("a jump to a missing anchor")
    assert "Русский" in reasons and "English" in reasons
    assert not any(link.text == "Elektron petitsiyalar" for link in home.links)
    # a jump to a section the page has is a real link: the contact section of a one-page site
    assert any(link.text == "Bog'lanish" for link in home.links)


def test_a_dead_menu_item_is_not_the_feature_and_the_reviewer_is_told(dead: Site) -> None:
    f = judge(dead, "participation-tool", ("petition",))
    assert f.verdict is Verdict.NOT_MET, f
    assert "lead nowhere" in f.explanation and "Elektron petitsiyalar" in f.explanation
    assert f.evidence and f.evidence[0].note.startswith("link leads nowhere")


def test_a_language_switcher_that_goes_nowhere_is_no_language_version(dead: Site) -> None:
    f = judge(dead, "other-language", ())
    assert f.verdict is Verdict.NOT_MET, f


def test_useful_link_tiles_pointing_to_hash_are_not_agency_links(dead: Site) -> None:
    assert judge(dead, "agency-links", ("agency-links",)).verdict is Verdict.NOT_MET


def test_a_jump_to_the_contact_section_of_a_one_page_site_counts(dead: Site) -> None:
    f = judge(dead, "contact-details", ("contact",))
    assert f.verdict is Verdict.MET, f


# --------------------------------------------------------------------------- forms that cannot send


@pytest.fixture(scope="module")
def forms() -> Site:
    return read("real-forms", ("en",))


def test_forms_that_cannot_send_are_rejected_with_the_reason(forms: Site) -> None:
    reasons = {f.selector: f.rejected for f in page(forms, "feedback.html").forms}
    assert list(reasons.values()) == [
        "its fields have no name, so nothing typed into them is sent",
        "it sends to the static page it is on, which cannot receive it",
        "it has no submit button",
        "it opens the visitor's mail program instead of sending to the portal",
    ]
    works = page(forms, "contact.html").forms[0]
    assert works.sendable and works.fields[0].name == "name"


def test_a_feedback_page_whose_forms_send_nothing_is_not_a_feedback_form(forms: Site) -> None:
    without_working_form = Site(forms.portal, [p for p in forms.pages if not p.url.endswith("contact.html")])
    without_working_form.crawl_complete = True
    f = judge(without_working_form, "feedback-form", ("feedback", "complaint"))
    assert f.verdict is Verdict.NOT_MET, f
    assert "a form was rejected" in f.explanation


def test_the_form_that_sends_is_the_evidence(forms: Site) -> None:
    f = judge(forms, "contact-details", ("contact",))
    assert f.verdict is Verdict.MET, f
    assert any(e.url == HOME + "contact.html" and e.note == "message form" for e in f.evidence)


# --------------------------------------------------------------------------- template filler


@pytest.fixture(scope="module")
def filler() -> Site:
    return read("real-filler", ("uz",))


def test_filler_is_dropped_from_the_page_and_recorded(filler: Site) -> None:
    home = filler.home
    assert "Card title" not in home.text and "Lorem" not in home.text
    assert any(s.startswith("template text 'card title'") for s in home.filler)
    assert any(s.startswith("lorem ipsum") for s in home.filler)
    assert "Qo'shtepa tumani hokimligi" in home.text


def test_placeholder_contact_details_are_not_contact_details(filler: Site) -> None:
    f = judge(filler, "contact-details", ("contact",))
    assert f.verdict is Verdict.NOT_MET, f


def test_a_news_page_of_lorem_ipsum_is_no_news_section(filler: Site) -> None:
    f = judge(filler, "news-section", ("news",))
    assert f.verdict is Verdict.NOT_MET, f
    assert "never mention it" in f.explanation or "template filler" in f.explanation


def test_a_template_declaring_english_does_not_make_the_uzbek_text_a_second_language(filler: Site) -> None:
    assert judge(filler, "other-language", ()).verdict is Verdict.NOT_MET


@pytest.mark.parametrize("languages", [("uz",), ()], ids=["configured", "found"])
def test_pages_taken_for_another_language_on_letters_alone_are_no_language_version(languages: tuple[str, ...]) -> None:
    # a gallery's captions, a tag cloud and an archive in Uzbek Cyrillic, without the letters only Uzbek has: the
    # detector takes them for Russian, but no Russian word is on them and they declare Uzbek. They outnumber the
    # two pages of Uzbek prose, and still are not the portal's language when none is configured.
    site = read("real-guessed-language", languages)
    assert {page(site, name).lang_detected for name in ("galereya.html", "teglar.html", "arxiv.html")} == {"ru"}
    f = judge(site, "other-language", ())
    assert f.verdict is Verdict.NOT_MET, f
    assert f.details["guessed_only"] == {"ru": 3}


def test_russian_pages_under_a_template_declaring_uzbek_are_a_second_language() -> None:
    site = read("real-undeclared-russian", ("uz",))
    assert {page(site, name).lang_declared for name in ("novosti.html", "spravki.html")} == {"uz"}
    f = judge(site, "other-language", ())
    assert f.verdict is Verdict.MET, f
    russian = {page(site, name).url_key for name in ("novosti.html", "spravki.html")}
    assert "ru" in f.explanation and {e.url for e in f.evidence} == russian


# --------------------------------------------------------------------------- links that promise, pages that do not


@pytest.fixture(scope="module")
def misleading() -> Site:
    return read("real-misleading", ("uz",))


def test_a_menu_item_leading_to_a_page_not_about_it_proves_nothing(misleading: Site) -> None:
    for concepts in (("environment",), ("employment",)):
        f = judge(misleading, "concept-page", concepts)
        assert f.verdict is Verdict.NOT_MET, f
        assert "never mention it" in f.explanation and "yangiliklar.html" in f.explanation


def test_an_empty_page_under_a_real_title_is_not_open_data(misleading: Site) -> None:
    assert judge(misleading, "open-data", ("open-data",)).verdict is Verdict.NOT_MET


# --------------------------------------------------------------------------- negative statements


@pytest.fixture(scope="module")
def negative() -> Site:
    return read("real-negative", ("ru",))


def test_under_construction_vetoes_the_page(negative: Site) -> None:
    f = judge(negative, "concept-page", ("open-data",))
    assert f.verdict is Verdict.NOT_MET, f
    assert "находится в разработке" in f.evidence[0].note


def test_only_in_person_vetoes_the_online_service(negative: Site) -> None:
    f = judge(negative, "online-service", ("birth-certificate", "apply-online"))
    assert f.verdict is Verdict.NOT_MET, f
    assert "только при личном обращении" in f.explanation


def test_only_in_person_is_said_of_one_service_not_of_its_neighbour(negative: Site) -> None:
    water = judge(negative, "online-service", ("water-payment", "pay-online"))
    power = judge(negative, "online-service", ("electricity-gas-payment", "pay-online"))
    assert water.verdict is Verdict.MET, water
    assert power.verdict is not Verdict.MET, power


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("uz", "Bu bo'lim to'ldirilmoqda"),
        ("ru", "Раздел находится в разработке"),
        ("ro", "Pagină în construcție"),
        ("ka", "გვერდი მუშავდება"),
        ("kk", "Бөлім әзірленуде"),
        ("en", "Coming soon"),
    ],
)
def test_negative_statements_in_the_lexicon_languages(lang: str, text: str) -> None:
    assert Lexicon.load(None).find("unavailable", text, [lang]), (lang, text)


# --------------------------------------------------------------------------- another administration's pages


@pytest.fixture(scope="module")
def other_admin() -> Site:
    return read("real-other-admin", ("uz",))


def test_the_regions_org_chart_does_not_prove_the_districts(other_admin: Site) -> None:
    f = judge(other_admin, "concept-page", ("org-chart",))
    assert f.verdict is Verdict.NEEDS_REVIEW, f  # at most needs_review, even on a completely read site
    assert "another administration" in f.explanation and "Toshkent viloyati" in f.explanation


def test_the_regions_leaders_are_not_the_districts_heads(other_admin: Site) -> None:
    f = judge(other_admin, "heads-of-departments", ("heads-of-departments", "contact"))
    assert f.verdict is Verdict.NEEDS_REVIEW, f
    assert "another administration" in f.explanation


# --------------------------------------------------------------------------- dates of another item


def test_a_date_of_the_news_list_does_not_date_participatory_budgeting() -> None:
    site = read("real-dates", ("uz",))
    budget = page(site, "budjet.html")
    assert max(budget.dates) > "2026-01-01"  # the page carries recent dates, of other items
    f = judge(site, "participatory-budgeting", ("participatory-budgeting",))
    assert f.verdict is not Verdict.MET, f  # the round it describes is from 2015


# --------------------------------------------------------------------------- one word, two meanings


@pytest.fixture(scope="module")
def polysemy() -> Site:
    return read("real-polysemy", ("ru",))


def test_leadership_is_not_a_user_guide(polysemy: Site) -> None:
    assert judge(polysemy, "concept-page", ("tutorial",)).verdict is Verdict.NOT_MET


def test_a_topic_inside_a_job_title_is_not_that_topics_information(polysemy: Site) -> None:
    for concepts in (("health",), ("education",)):
        f = judge(polysemy, "concept-page", concepts)
        assert f.verdict is not Verdict.MET, f


def test_a_request_is_not_a_survey() -> None:
    lexicon = Lexicon.load(None)
    assert not lexicon.find("poll", "Axborot olish uchun so'rov yuborish", ["uz"])
    assert lexicon.find("poll", "Onlayn so'rovnomada ishtirok eting", ["uz"])
    assert lexicon.find("right-to-information", "Axborot olish uchun so'rov yuborish tartibi", ["uz"])


# --------------------------------------------------------------------------- sparse sites and what a person is told


def test_a_weak_candidate_on_a_completely_read_site_is_not_met_but_a_person_looks_when_the_crawl_stopped() -> None:
    # the only candidate is a heading of the home page's footer ("Foydali havolalar") whose links go nowhere
    whole = judge(read("real-dead", ("uz",)), "concept-page", ("agency-links",))
    partial = judge(read("real-dead", ("uz",), complete=False), "concept-page", ("agency-links",))
    assert whole.verdict is Verdict.NOT_MET, whole
    assert partial.verdict is Verdict.NEEDS_REVIEW, partial


def test_what_was_looked_for_is_listed_in_the_portals_language_first() -> None:
    site = Site(PortalConfig(id="gyumri", home_url="https://gyumri.example.am/", languages=["hy"]), pages=[])
    looked = signals_for(site).looked_for(["org-chart"])
    first_terms = looked[0].split(": ", 1)[1].split(", ")[:2]
    hy_terms = Lexicon.load(None).terms("org-chart", "hy")
    assert first_terms == hy_terms[:2], looked[0]


def test_a_notice_that_the_contact_details_are_illustrative_vetoes_them(negative: Site) -> None:
    assert page(negative, "kontakty.html").notices  # found in the footer, outside the main text
    f = judge(negative, "contact-details", ("contact",))
    assert f.verdict is not Verdict.MET, f


# --------------------------------------------------------------------------- news items under a path of their own


def test_a_news_item_the_crawl_fetched_as_one_is_not_the_thing_it_mentions() -> None:
    # /post/00412-council-session.html: a dated item whose URL names no news; a member asks about "an open data
    # policy". Fetched as a news item (a news list links to its family: crawler.focus), it proves no policy.
    verdicts = {}
    for fetched_as in ("other", "filler:listed-item"):
        site = read("real-post-items", ("en",))
        item = page(site, "00412-council-session.html")
        assert item.dates
        item.fetched_as = fetched_as
        verdicts[fetched_as] = judge(site, "concept-page", ("open-data-policy",), text_terms=1)
    assert verdicts["other"].verdict is Verdict.MET, verdicts  # the near miss: nothing says it is one news item
    assert verdicts["filler:listed-item"].verdict is not Verdict.MET, verdicts
