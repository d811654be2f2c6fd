"""The private-address guard: what the crawler and the browser probes may fetch.

The portal's domains (and its linked service portals) are in scope; private or loopback addresses never are,
unless the configuration allows them, and then only the hosts the user named. The crawler (spider, scope
middleware, rendering), the browser probes and the other engines all decide through this module.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from losi.hosts import in_domain
from losi.models import PortalConfig


def url_problem(url: str) -> str | None:
    """None when url is an absolute http(s) URL with a host, else what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        return "is empty"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http(s) URL"
    if not parts.hostname:
        return f"{url!r} has no host name"
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return f"{url!r} has an invalid port"
    return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def netloc_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:  # a malformed port: no netloc can match it
        return ""
    return f"{host}:{port}" if port else host


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str:
    """The home page's domain without a leading www. (tashkent.uz, my.gov.uz stays my.gov.uz)."""
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=4096)
def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and other non-public addresses (resolving names once)."""
    if not host:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    candidates: list[str] = []
    if is_ip(host):
        candidates.append(host)
    else:
        try:
            candidates.extend(info[4][0] for info in socket.getaddrinfo(host, None))
        except OSError:
            return False  # unresolvable: the download fails later with a clear DNS error
    for addr in candidates:
        ip = ipaddress.ip_address(addr.split("%")[0])
        if not ip.is_global:
            return True
    return False


@dataclass
class Scope:
    """The crawl scope of one portal.

    A domain entry covers that host and its subdomains. An IP address entry (tests, intranets) is matched
    with its port, so two portals served on 127.0.0.1 at different ports are different portals.
    """

    domains: list[str] = field(default_factory=list)
    allow_private: bool = False

    @classmethod
    def for_portal(cls, portal: PortalConfig) -> Scope:
        domains = [d.lower().strip() for d in portal.domains if d.strip()]
        if not domains:
            host = host_of(portal.home_url)
            domains = [
                netloc_of(portal.home_url) if is_ip(host) or host == "localhost" else registrable_domain(host)
            ]
        return cls(domains=domains, allow_private=portal.allow_private)

    def is_internal(self, url: str) -> bool:
        host = host_of(url)
        netloc = netloc_of(url)
        for domain in self.domains:
            if ":" in domain or is_ip(domain) or domain == "localhost":
                if netloc == domain or host == domain:
                    return True
            elif in_domain(host, domain):
                return True
        return False

    def may_fetch(self, url: str) -> bool:
        """In scope, http(s), and not a private address unless the configuration allows it."""
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        if not self.is_internal(url):
            return False
        return self.allow_private or not is_private_host(host_of(url))

    def may_fetch_outside(self, url: str) -> bool:
        """For one-hop checks of external links (e.g. a service on the national portal)."""
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        return self.allow_private or not is_private_host(host_of(url))


def linked_scope(portal: PortalConfig) -> Scope:
    """The hosts of the linked service portals, matched like the crawl scope (subdomains; IPs with port)."""
    domains: list[str] = []
    for entry in portal.linked_portals:
        entry = entry.strip().lower()
        if not entry:
            continue
        url = entry if "://" in entry else f"http://{entry}"
        host = host_of(url)
        domains.append(netloc_of(url) if is_ip(host) or host == "localhost" else host)
    return Scope(domains=domains, allow_private=portal.allow_private)


def scope_refusal(scope: Scope, linked: Scope, url: str, outside: bool = False) -> str | None:
    """Why the crawler may not fetch url ("outside_scope", "private_address"), or None.

    outside=True: a one-hop fetch of a linked service portal's page."""
    if outside:
        if linked.is_internal(url) and scope.may_fetch_outside(url):
            return None
        return "outside_scope" if not linked.is_internal(url) else "private_address"
    if scope.may_fetch(url):
        return None
    try:
        internal = scope.is_internal(url)
    except ValueError:  # malformed port or host
        internal = False
    if internal and urlsplit(url).scheme in ("http", "https"):
        return "private_address"
    return "outside_scope"


def blocked_address(url: str, private_allowed: Any = None) -> bool:
    """True when url is on a private or loopback address the user did not name.

    private_allowed (a Scope, or None) holds the private hosts the user asked for (the portal itself on
    127.0.0.1:PORT, say); a crawled page may not reach any other private address (another local port, the
    cloud metadata address, the intranet).
    """
    if not url.startswith(("http:", "https:", "ws:", "wss:")) or not is_private_host(host_of(url)):
        return False
    if private_allowed is None:
        return True
    try:
        return not private_allowed.is_internal(url)
    except ValueError:  # a malformed host or port
        return True


def private_allowed(portal: PortalConfig) -> Scope | None:
    """The private hosts a browser may reach: only the portal's own (and its linked portals'), if allowed."""
    if not portal.allow_private:
        return None
    own = Scope.for_portal(portal)
    return Scope(domains=[*own.domains, *linked_scope(portal).domains], allow_private=True)
