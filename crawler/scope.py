"""What the crawler may follow: the portal's domains; never private or loopback addresses unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

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
            elif host == domain or host.endswith("." + domain):
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
