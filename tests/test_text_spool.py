"""Page texts kept in a file while a portal is assessed (losi.text_spool): the pages read the same, the
findings are the same, and the memory the texts took is not held."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace
from pathlib import Path

from assessors.engine import assess_site
from assessors.signals import SiteSignals, searched_text
from assessors.site import LONG_TEXT, ConceptIndex, text_key
from crawler.runner import crawl_portal
from indicators.catalog import load_catalog
from losi.layout import PortalFiles
from losi.models import Control, PageDoc, copy_page, parts_are_spooled, spool_parts, spool_text, text_is_spooled
from losi.pipeline import load_site
from losi.text_spool import TextSpool
from tests.test_crawl import portal_for

FIXTURES = Path(__file__).parent / "fixtures" / "portals"


def test_a_spooled_text_reads_back_as_it_went_in_and_travels_as_text(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path)
    texts = ["Hokimiyat — Давлат хизматлари " * 40, "broken markup \ud800 kept", "", "x"]
    pages = [PageDoc(url=f"https://city.example/{i}", final_url="", status=200, title="t", text=t)
             for i, t in enumerate(texts)]  # fmt: skip
    kept = copy.deepcopy(pages)
    for page in pages:
        spool_text(page, spool.keep)
    assert all(text_is_spooled(p) for p in pages) and not any(text_is_spooled(p) for p in kept)
    assert [p.text for p in pages] == texts and pages == kept
    assert list(tmp_path.iterdir()) == []  # the spool's file has no name: a dead run leaves nothing behind
    assert spool.size == sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)

    travelled = pickle.loads(pickle.dumps(pages))  # to another process: the text itself, not a place in a file
    assert travelled == kept and not any(text_is_spooled(p) for p in travelled)
    assert replace(pages[0], title="other").text == texts[0]
    copied = copy_page(pages[0], title="other")  # a view of a page (a bundle's sector): its text stays in the file
    assert text_is_spooled(copied) and copied.text == texts[0] and copied.title == "other"
    assert copy_page(kept[0], links=[]).text == texts[0]
    pages[1].text = "changed"
    assert pages[1].text == "changed" and not text_is_spooled(pages[1])


def test_a_pages_seldom_read_parts_read_back_from_one_record_and_travel_as_values(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path)
    page = PageDoc(url="https://city.example/", final_url="", status=200, title="Hokimiyat",
                   controls=[Control(selector="button.chat", label="Онлайн чат")],
                   scripts=["https://cdn.example/a.js"], iframes=["https://maps.example/embed"],
                   meta={"viewport": "width=device-width"}, filler=["placeholder: Lorem ipsum"],
                   emails=["info@city.example"], notices=["demo data"])  # fmt: skip
    kept = copy.deepcopy(page)
    spool_parts(page, spool.keep_values)
    assert parts_are_spooled(page) and not parts_are_spooled(kept)
    assert page == kept and page.controls == kept.controls and page.meta == {"viewport": "width=device-width"}
    written = spool.size
    spool_parts(page, spool.keep_values)  # spooled once only
    assert spool.size == written

    travelled = pickle.loads(pickle.dumps(page))
    assert travelled == kept and not parts_are_spooled(travelled)
    copied = copy_page(page, title="other")  # a view of a page: its parts stay in the file, nothing read
    assert parts_are_spooled(copied) and copied.emails == ["info@city.example"] and copied.title == "other"
    page.scripts = []  # a field set again holds what it is given; the others still read from the record
    assert page.scripts == [] and page.iframes == ["https://maps.example/embed"] and page.notices == ["demo data"]


def test_a_loaded_portal_keeps_its_long_texts_in_a_file_and_is_assessed_the_same(serve, tmp_path: Path) -> None:
    """load_site keeps each long text in the spool and files its concept matches under a digest; the findings
    are those of the same pages held in memory with every concept matched again by the signals."""
    server = serve(FIXTURES / "chisinau-ro")
    files = PortalFiles(tmp_path / "run")
    files.root.mkdir()
    portal = portal_for(server.url, languages=["ro"])
    assert crawl_portal(portal, files).pages > 10
    site = load_site(portal, files)
    spooled = [p for p in site.pages if text_is_spooled(p)]
    assert len(spooled) >= 5 and all(len(p.text) >= LONG_TEXT for p in spooled)
    assert not any(isinstance(t, str) and len(t) >= LONG_TEXT for t in site.concept_index.texts)
    assert all(site.text_keys[p.url_key] == text_key(searched_text(p)) for p in site.pages)
    assert all(parts_are_spooled(p) for p in site.pages)

    in_memory = pickle.loads(pickle.dumps(site))  # the texts themselves, nothing handed over or keyed
    in_memory.concept_index, in_memory.text_keys = ConceptIndex(), {}
    assert not any(text_is_spooled(p) or parts_are_spooled(p) for p in in_memory.pages)
    assert [p.text for p in in_memory.pages] == [p.text for p in site.pages]

    catalog = load_catalog(portal.framework)
    spooled_findings = [f.to_dict() for f in assess_site(site, catalog)]
    assert spooled_findings == [f.to_dict() for f in assess_site(in_memory, catalog)]
    assert sum(f["verdict"] == "met" for f in spooled_findings) > 10


def test_the_signals_find_a_pages_matches_without_reading_its_text(tmp_path: Path) -> None:
    """A page whose searched text was matched (its key in the index) is looked up by its key: its text is not
    read back from the spool; a page not matched yet is read and matched once."""
    from assessors.signals import get_lexicon
    from assessors.site import Site
    from losi.models import PortalConfig

    lexicon = get_lexicon()
    body = "Primăria municipiului publică deciziile consiliului local și bugetul. " * 20
    pages = [PageDoc(url=f"https://city.example/{i}", final_url="", status=200, text=f"{i} {body}") for i in range(3)]
    index = ConceptIndex()
    for page in pages[:2]:  # what page_index hands over for the first two
        searched = searched_text(page)
        index.add([searched], lexicon.index([searched], list(lexicon.concepts)))
    expected = {p.url: {c: lexicon.find(c, p.text) for c in lexicon.concepts} for p in pages}
    spool = TextSpool(tmp_path)
    reads: list[int] = []
    counting = lambda text: _Counted(spool.keep(text), reads)  # noqa: E731
    for page in pages:
        spool_text(page, counting)
    site = Site(portal=PortalConfig(id="x", home_url=pages[0].url), pages=pages, concept_index=index,
                text_keys={p.url: text_key(searched_text(p)) for p in pages[:2]})  # fmt: skip
    reads.clear()
    sig = SiteSignals(site)
    sig.index_pages()
    assert len(reads) == 1  # the third page's text: not matched where it was parsed
    got = {p.url: {c: sig.text_matches(c, p) for c in lexicon.concepts} for p in pages}
    assert len(reads) == 1 and got == expected
    assert any(got[pages[0].url].values())


class _Counted:
    """A SpooledText that counts its reads."""

    def __init__(self, held, reads: list[int]) -> None:
        self.held, self.reads = held, reads

    def read(self) -> str:
        self.reads.append(1)
        return self.held.read()


def test_a_folder_that_cannot_be_written_leaves_the_texts_in_the_temporary_folder(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path / "gone")  # a run folder removed (or read-only) while its crawl is assessed
    assert spool.keep("Давлат хизматлари").read() == "Давлат хизматлари"
