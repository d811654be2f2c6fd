"""Caches of what one portal's pages say (its URLs, hosts, template blocks, texts), emptied when the portal is done.

A template's links and blocks repeat on every page, so the functions that look at them are cached; but a process
that assesses portal after portal (a serial `losi run`, a worker's pool process) would keep every portal's
entries, up to each cache's size. `forget_portal` empties them all; `losi.pipeline.assess_portal` calls it when a
portal is finished.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

R = TypeVar("R")

_CACHES: list[_lru_cache_wrapper[Any]] = []


def portal_cache(maxsize: int) -> Callable[[Callable[..., R]], _lru_cache_wrapper[R]]:
    """functools.lru_cache(maxsize), emptied by forget_portal."""

    def cached(function: Callable[..., R]) -> _lru_cache_wrapper[R]:
        wrapper = lru_cache(maxsize=maxsize)(function)
        _CACHES.append(wrapper)
        return wrapper

    return cached


def forget_portal() -> None:
    """Empty every portal cache: the portal they were filled for is done."""
    for wrapper in _CACHES:
        wrapper.cache_clear()


def portal_entries() -> int:
    """How many entries the portal caches hold now."""
    return sum(wrapper.cache_info().currsize for wrapper in _CACHES)
