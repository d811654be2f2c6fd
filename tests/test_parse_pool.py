"""Parsing on every core (crawler.parse_pool): the same page documents as one process, in crawl order;
repeated template parts held once; the pool's processes never outlive the parse, even when one dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assessors import signals
from assessors.signals import SiteSignals, get_lexicon, page_batches, page_index
from assessors.site import LONG_TEXT, ConceptIndex, Site, text_key
from crawler.captures import Capture
from crawler.parse_pool import parse_captures
from crawler.scope import Scope
from indicators.lexicon import BATCH_SEP
from losi.models import PortalConfig
from losi.procs import descendants

FIXTURES = Path(__file__).parent / "fixtures" / "portals"
BASE = "https://www.example.gov"


def _captures() -> list[Capture]:
    """Every page of the bundled portal fixtures (real portal layouts), as captures of one crawl."""
    pages = sorted(FIXTURES.glob("*/*.html"))
    assert len(pages) > 100
    return [_capture(f"{BASE}/{page.parent.name}/{page.name}", page.read_bytes()) for page in pages]


def _capture(url: str, body: bytes) -> Capture:
    return Capture(url=url, final_url=url, status=200, content_type="text/html", depth=1, rendered=False,
                   fetched_at="", screenshot="", outside=False, body=body)  # fmt: skip


SCOPE = Scope(domains=["example.gov"])


def _documents(workers: int) -> list[tuple[str, dict | None]]:
    parsed = parse_captures(_captures(), SCOPE, expected=10_000, workers=workers)
    return [(capture.url, None if doc is None else asdict(doc)) for capture, doc, _ in parsed]


def test_a_pool_of_processes_gives_the_page_documents_of_one_process_in_crawl_order() -> None:
    one = _documents(workers=1)
    pooled = _documents(workers=2)
    assert [url for url, _ in pooled] == [url for url, _ in one]
    assert pooled == one
    assert sum(doc is not None and len(doc["links"]) > 5 for _, doc in one) > 100  # real pages, not empty ones
    _wait_for_no_children()


def test_work_on_each_page_is_done_where_it_is_parsed() -> None:
    """The concept index of each page (assessors.signals.page_index) comes back with its document: every
    concept's matches in the texts matched are the same from the pool as from this process (a link label
    repeated by the template is matched once per process, in batches: which labels are matched where
    differs)."""
    signals.new_site_for_page_index()
    one = _merged(parse_captures(_captures(), SCOPE, expected=10_000, workers=1, also=page_index))
    signals.new_site_for_page_index()
    pooled = _merged(parse_captures(_captures(), SCOPE, expected=10_000, workers=2, also=page_index))
    both = one.keys() & pooled.keys()
    pages = [doc for _, doc, _ in parse_captures(_captures(), SCOPE, 10_000, workers=1) if doc is not None]
    page_texts = {t for doc in pages for batch in page_batches(doc) for t in batch if t and BATCH_SEP not in t}
    assert len(page_texts) > 200 and page_texts <= both  # titles, headings and texts: link labels come in batches
    assert {text: one[text] for text in both} == {text: pooled[text] for text in both}
    found = {concept for matches in one.values() for concept in matches}
    assert {"contact", "budget", "apply-online"} <= found, sorted(found)[:20]


def _merged(parsed: Iterator[tuple]) -> dict[str, dict[str, list]]:
    """text -> concept -> its matches, over every page."""
    out: dict[str, dict[str, list]] = {}
    for _, _, (texts, memo, _urls) in parsed:
        for text in texts:
            out.setdefault(text, {})
        for (concept, text), matches in memo.items():
            out[text][concept] = matches
    return out


def test_the_urls_of_pages_and_links_are_matched_where_they_are_parsed() -> None:
    """page_index hands over the concepts of each page's URL and its links' URLs (each once per process), as
    the lexicon matches them; SiteSignals takes them over instead of matching them again."""
    lexicon = get_lexicon()
    signals.new_site_for_page_index()
    parsed = list(parse_captures(_captures(), SCOPE, expected=10_000, workers=2, also=page_index))
    index = ConceptIndex()
    for _, _, handed in parsed:
        if handed is not None:
            index.add(*handed)
    docs = [doc for _, doc, _ in parsed if doc is not None]
    urls = {url for doc in docs for url in [doc.url_key, *(link.url for link in doc.links)]}
    assert len(urls) > 200 and urls <= index.urls.keys()
    assert all(index.urls[url] == lexicon.url_matches(url) for url in urls)
    assert sum(bool(concepts) for concepts in index.urls.values()) > 20  # URLs that name concepts ("/contact")

    url = next(url for url in urls if index.urls[url])
    handed = index.urls[url]
    site = Site(portal=PortalConfig(id="x", home_url=docs[0].url), pages=docs, concept_index=index)
    assert SiteSignals(site).url_concepts(url) is handed  # taken over, not matched again
    assert site.concept_index.urls == {}  # held once, by the signals


def test_links_repeated_by_the_template_are_one_object() -> None:
    docs = [doc for _, doc, _ in parse_captures(_captures(), SCOPE, expected=10_000, workers=2) if doc is not None]
    chisinau = [doc for doc in docs if "/chisinau-ro/" in doc.url]
    first, second = chisinau[0], chisinau[1]
    shared = [link for link in second.links if any(link is other for other in first.links)]
    assert len(shared) >= 10, "the menu and footer links of two pages of one template are held once"
    assert all(link == next(o for o in first.links if o is link) for link in shared)
    own = {link.url for link in second.links} - {link.url for link in first.links}
    assert own, "each page still has its own links"


def test_stopping_early_ends_the_pool() -> None:
    parsed = parse_captures(_captures(), SCOPE, expected=10_000, workers=2)
    next(parsed)
    assert _children(), "the pool should be running"
    parsed.close()
    _wait_for_no_children()


def test_a_parse_process_that_dies_costs_only_time() -> None:
    """A worker killed mid-parse (the out-of-memory killer) breaks the pool: its pages and the rest are parsed
    in this process, and the result is the same."""
    expected = _documents(workers=1)
    parsed = parse_captures(_captures(), SCOPE, expected=10_000, workers=2)
    got = [next(parsed)]
    workers = _children()
    assert workers, "the pool should be running"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    got.extend(parsed)
    assert [(c.url, None if d is None else asdict(d)) for c, d, _ in got] == expected
    _wait_for_no_children()


def test_few_pages_or_one_worker_are_parsed_in_this_process() -> None:
    parsed = parse_captures(_captures()[:20], SCOPE, expected=20, workers=2)
    next(parsed)
    assert not _children()
    parsed.close()


def _children() -> list[int]:
    """Live parse processes: the children of the forkserver (which multiprocessing keeps for the next pool)."""
    out = []
    for pid in descendants(os.getpid()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
            parent_cmdline = Path(f"/proc/{stat[1]}/cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if stat[0] != "Z" and b"forkserver" in parent_cmdline:
            out.append(pid)
    return out


def _wait_for_no_children() -> None:
    """Processes told to stop end after the pages they hold: wait for that (a generous guard, not a timing)."""
    for _ in range(600):
        if not _children():
            return
        time.sleep(0.1)
    raise AssertionError(f"the parse processes {_children()} outlived the parse")


def _parse_in(queue: Any) -> None:
    parsed = parse_captures(_captures(), SCOPE, expected=10_000, workers=2)
    queue.put(sum(doc is not None for _, doc, _ in parsed))


def test_a_process_that_may_not_start_a_pool_parses_in_itself() -> None:
    """A daemonic process (a pool's worker elsewhere) may not have children: it parses the pages itself."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_parse_in, args=(queue,), daemon=True)
    process.start()
    try:
        parsed = queue.get(timeout=600)
    finally:
        process.join(60)
    assert parsed == sum(doc is not None for _, doc in _documents(workers=1))
    assert process.exitcode == 0


def test_a_text_repeated_on_many_pages_is_handed_over_once() -> None:
    """A template's headings and menu labels repeat on every page: a process matches and sends each text
    once per site, and again for the next site."""
    handed: list[str] = []
    for _ in range(2):  # two sites in one process
        signals.new_site_for_page_index()
        site = [t for _, _, index in parse_captures(_captures(), SCOPE, 10_000, workers=1, also=page_index)
                if index is not None for t in index[0]]  # fmt: skip
        assert len(site) == len(set(site)) > 500
        handed.extend(site)
    pages = [doc for _, doc, _ in parse_captures(_captures(), SCOPE, 10_000, workers=1) if doc is not None]
    repeated = [t for t, n in Counter(link.label for doc in pages for link in doc.links).items() if n > 1]
    times = Counter(handed)
    assert sum(times[t] == 2 for t in repeated) >= 10, (len(repeated), [times[t] for t in repeated][:20])
    assert max(times.values()) == 2


def test_a_long_pages_searched_text_is_filed_under_its_digest() -> None:
    """The first TEXT_SCAN_CHARS of a long page's text are matched where the page is parsed; the concept index
    files their matches under a digest (text_key), so holding the matches does not hold the text, and the
    signals find them by the page's key: the matches of the text itself."""
    paragraph = "<p>Primăria municipiului publică deciziile consiliului și procesele-verbale ale ședințelor. {}</p>"
    body = "".join(paragraph.format(i) for i in range(800))
    long_pages = [_capture(f"{BASE}/minutes/{i}.html", f"<html><body><main><h1>Ședința {i}</h1>{body}</main>"
                           f"</body></html>".encode()) for i in range(6)]  # fmt: skip
    signals.new_site_for_page_index()
    parsed = list(parse_captures([*_captures(), *long_pages], SCOPE, expected=10_000, workers=2, also=page_index))
    index = ConceptIndex()
    for _, _, handed in parsed:
        if handed is not None:
            index.add(*handed)
    docs = [doc for _, doc, _ in parsed if doc is not None]
    long_docs = [doc for doc in docs if len(doc.text) > signals.TEXT_SCAN_CHARS]
    assert len(long_docs) == len(long_pages)
    assert not any(isinstance(text, str) and len(text) >= LONG_TEXT for text in index.texts)
    keys = {text_key(doc.text[: signals.TEXT_SCAN_CHARS]) for doc in long_docs}
    assert all(isinstance(key, bytes) for key in keys) and keys <= index.texts
    sig = SiteSignals(Site(portal=PortalConfig(id="x", home_url=docs[0].url), pages=docs, concept_index=index))
    sig.index_pages()
    lexicon = get_lexicon()
    for doc in long_docs:
        searched = doc.text[: signals.TEXT_SCAN_CHARS]
        for concept in ("official-city", "minutes", "decision-outcome", "contact"):
            assert sig.text_matches(concept, doc) == lexicon.find(concept, searched)
    assert all(sig.text_matches("minutes", doc) for doc in long_docs)
