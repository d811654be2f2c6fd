"""What the parse processes send (crawler.shared_parts): the same page documents and concept matches as a
plain pickle, each repeated part sent once per process and held once, and never a part taken for another
when a chunk is lost on the way."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from assessors.signals import new_site_for_page_index, page_index
from assessors.site import ConceptIndex
from crawler.parse import parse_page
from crawler.scope import Scope
from crawler.shared_parts import NO_LINKS, PartNumbers, PartsPickler, PartsTable, SharedParts, part_key
from losi.models import PageDoc, PartRuns, held

FIXTURES = Path(__file__).parent / "fixtures" / "portals"
SCOPE = Scope(domains=["example.gov"])


def _chunks(portal: str, size: int = 4) -> list[list[tuple[PageDoc, object]]]:
    """Real pages of one bundled portal, parsed with their concept index, in chunks as a process sends them."""
    new_site_for_page_index()
    results = []
    for number, path in enumerate(sorted((FIXTURES / portal).glob("*.html"))):
        url = f"https://www.example.gov/{portal}/{path.name}"
        fetched_at = f"2026-12-07T09:00:0{number // 5}Z"  # a crawl fetches a few pages a second
        doc = parse_page(path.read_bytes(), url=url, final_url=url, status=200, content_type="text/html", scope=SCOPE,
                         fetched_at=fetched_at)  # fmt: skip
        assert doc is not None
        results.append((doc, page_index(doc)))
    assert len(results) >= 3 * size, portal
    return [results[i : i + size] for i in range(0, len(results), size)]


def _received(chunks: list, shared: SharedParts) -> list:
    """The chunks as the assessing process holds them: sent by one process, read with its table, and each
    document's strings, lists and runs made one object (SharedParts.share_texts)."""
    numbers, table = PartNumbers(), PartsTable(shared)
    return [[(shared.share_texts(doc), index) for doc, index in table.loads(PartsPickler.dumps(chunk, numbers))]
            for chunk in chunks]  # fmt: skip


def _links(chunks: list) -> list:
    return [link for chunk in chunks for doc, _ in chunk for link in doc.links]


def test_what_a_process_sends_reads_back_equal_with_repeated_parts_held_once() -> None:
    chunks = _chunks("chisinau-ro")
    numbers = PartNumbers()
    sent = [PartsPickler.dumps(chunk, numbers) for chunk in chunks]
    table = PartsTable(SharedParts())
    got = [table.loads(data) for data in sent]
    assert got == chunks  # documents and concept matches alike

    links = _links(got)
    distinct = {id(link) for link in links}
    assert len(distinct) == len({part_key(link) for link in links}), "one object for each distinct link"
    assert len(distinct) < len(links) / 2, "the template's links are one object on every page"
    # a later chunk carries the template's parts as numbers: far smaller than the same chunk pickled whole
    assert len(sent[-1]) < 0.7 * len(pickle.dumps(chunks[-1], protocol=pickle.HIGHEST_PROTOCOL))


def test_parts_from_two_processes_are_one_object() -> None:
    chunks = _chunks("chisinau-ro")
    shared = SharedParts()
    first, second = PartsTable(shared), PartsTable(shared)  # each process numbers its own parts
    a = first.loads(PartsPickler.dumps(chunks[0], PartNumbers()))
    b = second.loads(PartsPickler.dumps(chunks[1], PartNumbers()))
    menu_a = {link.url: link for doc, _ in a for link in doc.links}
    common = [link for doc, _ in b for link in doc.links if link.url in menu_a and link == menu_a[link.url]]
    assert len(common) >= 10
    assert all(link is menu_a[link.url] for link in common)


def test_a_process_that_forgets_what_it_sent_sends_it_again_under_a_new_number() -> None:
    chunks = _chunks("chisinau-ro")
    numbers = PartNumbers(most=40)  # fewer than one page's links: it forgets within every chunk
    table = PartsTable(SharedParts())
    got = [table.loads(PartsPickler.dumps(chunk, numbers)) for chunk in chunks]
    assert got == chunks
    assert len(numbers.by_key) <= 40
    links = _links(got)
    assert len({id(link) for link in links}) == len({part_key(link) for link in links}), "still held once"


def test_after_a_lost_chunk_a_part_is_refused_never_mistaken() -> None:
    chunks = _chunks("chisinau-ro")
    numbers = PartNumbers()
    sent = [PartsPickler.dumps(chunk, numbers) for chunk in chunks]
    table = PartsTable(SharedParts())
    assert table.loads(sent[0]) == chunks[0]
    # sent[1] never arrives; what came after is read right or refused, never read with the wrong parts
    refused = 0
    for data, chunk in zip(sent[2:], chunks[2:], strict=True):
        try:
            assert table.loads(data) == chunk
        except KeyError:
            refused += 1
    assert refused >= 1, "the template parts first sent with the lost chunk are referred to later"


def test_a_reader_without_a_table_refuses_what_a_process_sent() -> None:
    chunks = _chunks("chisinau-ro")
    with pytest.raises(RuntimeError, match="PartsTable"):
        pickle.loads(PartsPickler.dumps(chunks[0], PartNumbers()))


def test_what_pages_repeat_besides_parts_is_held_once() -> None:
    """Each pickle brings its own copies of strings: the template's forms and meta tags, dates, fetch times (script
    URLs), the lists of headings, dates and forms that pages repeat, the words concepts matched, the URLs, texts
    and selectors links share and the concepts URLs match are made one object again (what the assessing process
    does with each document, SharedParts.share_texts, and with each page's concept matches, ConceptIndex.add)."""
    chunks = _chunks("chisinau-ro")
    got = _received(chunks, SharedParts())
    assert got == chunks
    docs = [doc for chunk in got for doc, _ in chunk]

    forms = [form for doc in docs for form in doc.forms]
    assert forms and all(form is next(f for f in forms if f == form) for form in forms)
    assert len({id(f) for f in forms}) < len(forms), "the template's search form is one object"
    metas = [doc.meta for doc in docs if doc.meta]
    assert all(meta is next(m for m in metas if m == meta) for meta in metas)
    repeated = 0
    for lists in ([doc.headings for doc in docs], [doc.dates for doc in docs], [doc.forms for doc in docs]):
        assert all(same is next(other for other in lists if other == same) for same in lists)
        repeated += len(lists) - len({id(same) for same in lists})
    assert repeated, "pages with the same headings, dates or forms hold one list"
    index = ConceptIndex()  # what load_site does with what page_index matched
    for chunk in got:
        for _, handed in chunk:
            index.add(*handed)
    for values in (
        [date for doc in docs for date in doc.dates],
        [doc.content_type for doc in docs],
        [doc.lang_detected for doc in docs],
        [doc.fetched_at for doc in docs],
        [match.text for found in index.matches.values() for match in found],
        [s for link in {id(lk): lk for lk in _links(got)}.values() for s in (link.url, link.text, link.selector)],
    ):
        assert len({id(v) for v in values}) == len(set(values)) < len(values)
    concept_sets = [concepts for concepts in index.urls.values() if concepts]  # what each URL's patterns matched
    assert len({id(c) for c in concept_sets}) == len({tuple(c.items()) for c in concept_sets}) < len(concept_sets)
    not_redirected = [doc for doc in docs if doc.final_url == doc.url]
    assert not_redirected and all(doc.final_url is doc.url for doc in not_redirected)


def test_runs_of_links_that_pages_repeat_are_held_once() -> None:
    """A page holds its links as runs of one region (SharedParts.runs): a template's menu that pages repeat in
    the same order is one tuple for them all; the page's links read the same, in the same order."""
    chunks = _chunks("chisinau-ro")
    shared = SharedParts()
    got = _received(chunks, shared)
    assert got == chunks  # links, dead links and documents read as lists, equal and in order
    docs = [doc for chunk in got for doc, _ in chunk]
    assert all(type(doc.links) is list for doc in docs)
    runs = [held(doc, "links") for doc in docs]
    assert all(type(r) is PartRuns for r in runs)
    tuples = {id(item): item for r in runs for item in r if type(item) is tuple}.values()
    on_most = [item for item in tuples if sum(item is other for r in runs for other in r) >= len(docs) // 2]
    assert on_most, "a template's menu: one run for most pages"
    assert sum(len(r) for r in runs) < sum(len(doc.links) for doc in docs) // 2
    assert shared.runs([]) is NO_LINKS


def test_pages_with_the_same_runs_hold_one_object() -> None:
    """A template's list of documents (a sidebar of regulations) reads the same on most pages: one PartRuns."""
    chunks = _chunks("samarqand-table-uz")
    got = _received(chunks, SharedParts())
    assert got == chunks
    every = [held(doc, name) for chunk in got for doc, _ in chunk for name in ("links", "dead_links", "documents")]
    runs = [r for r in every if r]
    assert all(r is next(other for other in runs if other == r) for r in runs), "equal runs are one object"
    documents = [held(doc, "documents") for chunk in got for doc, _ in chunk if doc.documents]
    assert len({id(r) for r in documents}) < len(documents) / 4


def test_a_part_that_shares_a_hash_with_another_is_never_taken_for_it() -> None:
    """SharedParts files parts under their key's hash: one that collides with a different part stays its own."""
    from losi.models import Link

    shared = SharedParts()
    first, other, equal = Link(url="https://a.example/"), Link(url="https://b.example/"), Link(url="https://a.example/")
    assert shared._one("same hash", first) is first
    assert shared._one("same hash", other) is other  # a collision: its own, not the first
    assert shared._one("same hash", equal) is first  # an equal part: the one held
