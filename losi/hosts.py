"""Whether a host belongs to a domain: the one test that the crawler's scope, the lexicons and the rules share.

A host belongs to a domain when it is the domain or a host below it: "m.facebook.com" and "facebook.com" belong
to "facebook.com"; "notfacebook.com" does not. The test compares the names as given: where a caller's data or
URLs may differ in case or carry "www.", the caller says so (`bare_host`).
"""

from __future__ import annotations

from collections.abc import Iterable


def bare_host(host: str) -> str:
    """A host as the domain lists write it: lower case, without "www."."""
    return host.lower().removeprefix("www.")


def in_domain(host: str, domain: str) -> bool:
    """The host is the domain or a host below it."""
    return host == domain or host.endswith("." + domain)


def first_domain_of(host: str, domains: Iterable[str]) -> str | None:
    """The first of `domains` that the host belongs to."""
    return next((domain for domain in domains if in_domain(host, domain)), None)


def host_and_domains_above(host: str) -> list[str]:
    """"m.facebook.com" -> ["m.facebook.com", "facebook.com", "com"]: every domain the host belongs to, for a
    lookup in a table of domains (for a domain d that is not empty, `in_domain(host, d)` exactly when d is in this
    list)."""
    above = []
    while host:
        above.append(host)
        host = host.partition(".")[2]
    return above
