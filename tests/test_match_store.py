"""MatchStore: the concept matches a portal's texts hold, packed for long texts, given back as they were."""

from __future__ import annotations

import pickle

from assessors.match_store import MatchStore
from assessors.signals import TEXT_SCAN_CHARS, get_lexicon
from assessors.site import LONG_TEXT, ConceptIndex, text_key
from losi.text_spool import TextSpool

BODY = ("Primăria municipiului publică deciziile consiliului local, bugetul și procesele-verbale. "
        "Contacte: telefonul de încredere, e-mail. Servicii online: plata taxelor locale. ")  # fmt: skip


def _matched(texts: list[str]) -> dict[tuple[str, str], list]:
    lexicon = get_lexicon()
    return lexicon.index(texts, list(lexicon.concepts))


def test_matches_come_back_as_they_went_in_short_and_long() -> None:
    long_text = (BODY * 40)[:TEXT_SCAN_CHARS]
    short_text = "Contacte și program de lucru"
    assert len(long_text) >= LONG_TEXT > len(short_text)
    found = {**_matched([long_text]), **_matched([short_text])}
    assert sum(len(m) for (_, text), m in found.items() if text == long_text) > 50
    store = MatchStore()
    for (concept, text), matches in found.items():
        store[concept, text_key(text)] = matches
    assert len(store) == sum(1 for matches in found.values() if matches)
    for (concept, text), matches in found.items():
        assert store.get((concept, text_key(text)), []) == matches
        assert ((concept, text_key(text)) in store) == bool(matches)
    assert store.get(("no-such-concept", text_key(long_text)), []) == []
    assert dict(store.items()) == {(c, text_key(t)): m for (c, t), m in found.items() if m}


def test_a_short_text_is_one_record_for_every_concept_and_none_is_not_held() -> None:
    """A page's own title or heading is a text no other page has: its matches, for every concept it names, are one
    record of bytes (not a list of TermMatch objects a concept), and come back equal to what went in."""
    store = MatchStore()
    label = "Contacte și program de lucru"
    found = _matched([label])
    named = {concept: matches for (concept, _), matches in found.items() if matches}
    assert len(named) >= 2 and sum(len(m) for m in named.values()) > len(named)
    for (concept, text), matches in found.items():
        store[concept, text] = matches
    assert {concept: store[concept, label] for concept in named} == named
    assert list(store._records) == [label] and isinstance(store._records[label], bytes)
    del store[next(iter(named)), label]
    assert len(store) == len(named) - 1
    store["contact", "nothing here"] = []
    assert ("contact", "nothing here") not in store and "nothing here" not in store._records


def test_take_over_keeps_only_what_is_wanted_and_empties_the_other() -> None:
    texts = [(BODY * 40)[:TEXT_SCAN_CHARS], (BODY * 30 + " 2")[:TEXT_SCAN_CHARS]]
    found = _matched(texts[:1]) | _matched(texts[1:])
    handed = MatchStore()
    for (concept, text), matches in found.items():
        handed[concept, text_key(text)] = matches
    wanted_key = text_key(texts[0])
    expected = {key: handed[key] for key in handed if key[1] == wanted_key and key[0] != "contact"}
    assert expected and len(expected) < len(handed)

    empty = MatchStore()
    empty.take_over(handed, lambda concept, key: key == wanted_key and concept != "contact")
    assert dict(empty.items()) == expected and len(handed) == 0

    handed = MatchStore()
    for (concept, text), matches in found.items():
        handed[concept, text_key(text)] = matches
    holding = MatchStore()
    holding["contact", "Contacte"] = _matched(["Contacte"])["contact", "Contacte"]
    holding.take_over(handed, lambda concept, key: key == wanted_key and concept != "contact")
    assert dict(holding.items()) == {**expected, ("contact", "Contacte"): holding["contact", "Contacte"]}
    assert len(handed) == 0


def test_a_long_texts_concepts_are_replaced_and_removed_one_by_one() -> None:
    text = (BODY * 40)[:TEXT_SCAN_CHARS]
    key = text_key(text)
    found = {concept: matches for (concept, _), matches in _matched([text]).items() if matches}
    assert len(found) >= 3
    store = MatchStore()
    for concept, matches in found.items():
        store[concept, key] = matches
    first, second, *rest = found
    store[first, key] = found[first][:1]  # replaced: fewer matches
    del store[second, key]
    store[rest[0], key] = []  # none: not held
    assert store.get((first, key)) == found[first][:1]
    assert (second, key) not in store and (rest[0], key) not in store
    assert {c: store[c, key] for c in rest[1:]} == {c: found[c] for c in rest[1:]}
    assert sorted(store) == sorted((c, key) for c in [first, *rest[1:]])
    for concept in [first, *rest[1:]]:
        del store[concept, key]
    assert not store and len(store) == 0


def test_matches_past_65535_characters_are_packed_wide_beside_narrow_ones() -> None:
    text = BODY * 500  # longer than any searched text: a store holds what it is given
    key = text_key(text)
    found = {concept: matches for (concept, _), matches in _matched([text]).items() if matches}
    far = {c for c, matches in found.items() if matches[-1].end > 0xFFFF}
    assert far and len(text) > 0xFFFF
    near = {c: matches[:2] for c, matches in found.items()}  # the first two of each: narrow
    store = MatchStore()
    for concept, matches in near.items():
        store[concept, key] = matches
    narrow_size = len(store._records[key])
    for concept in far:
        store[concept, key] = found[concept]
    assert {c: store[c, key] for c in found} == {**near, **{c: found[c] for c in far}}
    assert len(store._records[key]) > narrow_size + 8 * sum(len(found[c]) - 2 for c in far)  # 16 bytes a match


def test_settled_records_go_to_the_spool_and_come_back_as_they_went_in(tmp_path) -> None:
    texts = [(BODY * 40)[:TEXT_SCAN_CHARS], (BODY * 30 + " 2")[:TEXT_SCAN_CHARS]]
    found = _matched(texts)
    spool = TextSpool(tmp_path)
    store, kept = MatchStore(spool), MatchStore()
    for (concept, text), matches in found.items():
        store[concept, text_key(text)] = kept[concept, text_key(text)] = matches
    store.settle([text_key(texts[0]), "a short text: its matches stay objects"])
    assert spool.size > 0 and store._records[text_key(texts[0])].__class__ is int  # where it is, not the record
    assert isinstance(store._records[text_key(texts[1])], bytes)  # not settled: held
    assert dict(store.items()) == dict(kept.items()) and len(store) == len(kept)

    store["contact", text_key(texts[0])] = []  # a settled text filed again is held again, as it is now
    del kept["contact", text_key(texts[0])]
    assert dict(store.items()) == dict(kept.items())
    store.settle([text_key(texts[0])])
    travelled = pickle.loads(pickle.dumps(store))  # its records travel, not places in this process's file
    assert travelled._spool is None and dict(travelled.items()) == dict(kept.items())


def test_items_read_each_settled_record_once(tmp_path) -> None:
    texts = [(BODY * 40)[:TEXT_SCAN_CHARS], (BODY * 30 + " 2")[:TEXT_SCAN_CHARS], "Contacte și program de lucru"]
    found = _matched(texts)
    spool = TextSpool(tmp_path)
    store = MatchStore(spool)
    for (concept, text), matches in found.items():
        store[concept, text_key(text)] = matches
    store.settle(text_key(text) for text in texts)
    reads: list[int] = []
    read_bytes = spool.read_bytes
    spool.read_bytes = lambda place: reads.append(place) or read_bytes(place)  # type: ignore[method-assign]
    wanted = {text_key(texts[0]), text_key(texts[2])}
    got = dict(store.items_of(wanted))
    assert len(reads) == 1  # the one long text asked for, once, whatever the number of its concepts
    expected = {(c, text_key(t)): m for (c, t), m in found.items() if m and text_key(t) in wanted}
    assert got == expected and len({c for c, _ in got}) > 3
    reads.clear()
    every = dict(store.items())
    assert len(reads) == 2  # each long text's record once
    assert every == {(c, text_key(t)): m for (c, t), m in found.items() if m} and len(every) == len(store)


def test_merged_indexes_hold_each_text_once_with_the_matches_of_the_first_that_had_it(tmp_path) -> None:
    texts = [(BODY * 40)[:TEXT_SCAN_CHARS], (BODY * 30 + " 2")[:TEXT_SCAN_CHARS], "Contacte"]
    found = _matched(texts)
    first, second = ConceptIndex(matches=MatchStore(TextSpool(tmp_path))), ConceptIndex()
    first.add(texts[:2], {key: m for key, m in found.items() if key[1] in texts[:2]})
    second.add(texts[1:], {key: m for key, m in found.items() if key[1] in texts[1:]})
    whole = ConceptIndex.merged([first, second])
    assert whole.texts == {text_key(text) for text in texts}
    assert dict(whole.matches.items()) == {(c, text_key(t)): m for (c, t), m in found.items() if m}
