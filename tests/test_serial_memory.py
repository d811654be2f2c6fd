"""A process that assesses portal after portal (a serial `losi run`, a worker's pool process) keeps nothing of
the portals it is done with: their pages, the rules' view of them and the portal caches all go."""

from __future__ import annotations

import gc
from pathlib import Path

from assessors.signals import SiteSignals, host
from bench.sitegen import generate_site
from losi.localserve import LocalServer
from losi.models import Limits, PageDoc, Politeness, PortalConfig
from losi.pipeline import RunOptions, run_assessment
from losi.portal_cache import forget_portal, portal_cache, portal_entries


def _alive(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def test_forget_portal_empties_every_portal_cache() -> None:
    calls: list[str] = []

    @portal_cache(16)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert shout("a") == shout("a") == "A" and calls == ["a"]  # cached
    assert host("https://www.example.org/a") == "example.org" and portal_entries() >= 2
    forget_portal()
    assert portal_entries() == 0 and shout.cache_info().currsize == 0
    assert shout("a") == "A" and calls == ["a", "a"]  # asked again after it was forgotten


def test_portals_assessed_one_after_the_other_leave_nothing_behind(tmp_path: Path) -> None:
    pages_before, signals_before = _alive(PageDoc), _alive(SiteSignals)
    portals, servers = [], []
    try:
        for number in range(2):
            root = tmp_path / f"site{number}"
            server = LocalServer(generate_site(root, pages=40, base_url="http://127.0.0.1/"))
            servers.append(server)
            generate_site(root, pages=40, base_url=server.url)
            portals.append(PortalConfig(
                id=f"serial-{number}", home_url=server.url, allow_private=True, languages=["en"], render="never",
                politeness=Politeness(delay=0, concurrency_per_host=4), limits=Limits(max_pages=40, max_seconds=120),
            ))  # fmt: skip
        options = RunOptions(out_dir=tmp_path / "reports", data_dir=tmp_path / "data", probes=False,
                             formats=("csv",), progress=lambda line: None)  # fmt: skip
        outcome = run_assessment(portals, options)
    finally:
        for server in servers:
            server.close()
    assert [p.status for p in outcome.portals] == ["assessed", "assessed"]
    assert min(p.pages for p in outcome.portals) >= 30
    # before, the rules' view of each site was kept in a table of the signals module, and it held the site
    assert _alive(SiteSignals) == signals_before
    assert _alive(PageDoc) == pages_before
    assert portal_entries() == 0
