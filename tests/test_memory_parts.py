"""bench.memory_parts counts each object once, under the first part that reaches it, through lists, dicts,
slots and instance dicts; and a folder that is not a crawled portal is refused with a message, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.memory_parts import main, size_of
from losi.models import Heading, Link
from losi.text_spool import TextSpool


def test_an_object_two_parts_reach_is_counted_once_under_the_first() -> None:
    url = "https://example.gov/" + "x" * 200
    shared = Link(url=url, text="Contacts")
    first, second = [shared, Heading(level=1, text="Contacts " * 20)], {"menu": (shared,)}
    seen: set[int] = set()
    counted_first = size_of(first, seen)
    assert counted_first >= sys.getsizeof(first) + sys.getsizeof(shared) + sys.getsizeof(url)  # through slots
    counted_second = size_of(second, seen)
    menu = second["menu"]
    assert counted_second == sys.getsizeof(second) + sys.getsizeof("menu") + sys.getsizeof(menu)  # not the link
    assert size_of(first, seen) == 0  # all of it counted already


def test_an_instance_dict_is_followed(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path)  # a plain class: its fields are in its __dict__
    payload = "p" * 10_000
    spool.payload = payload  # type: ignore[attr-defined]
    assert size_of(spool, set()) >= sys.getsizeof(payload)


def test_a_folder_that_is_not_a_crawled_portal_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([str(tmp_path)])
    assert stopped.value.code == 2
    assert "not a crawled portal's folder" in capsys.readouterr().err
