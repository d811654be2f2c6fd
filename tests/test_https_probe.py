"""The https probe measures the certificate: a self-signed one served on 127.0.0.1 is recorded as invalid
with Chromium's error, and the other probes still look at the page. An unreachable home page gives every
browser probe a clear error, and nothing raises."""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessors.probes import BROWSER_PROBES, run_probes
from assessors.rules.technology import https_valid
from assessors.site import Site
from losi.layout import PortalFiles
from losi.localserve import QuietHandler
from losi.models import Finding, PortalConfig, Verdict
from tests.conftest import requires_browser
from tests.test_tech_support import indicator

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City portal</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>City portal</h1><p>Welcome to the city.</p><img src="logo.png"></main></body></html>"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (no CA Chromium trusts), made now."""
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl CLI is installed")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=losi-test.invalid", "-addext",
                        "subjectAltName=IP:127.0.0.1", "-keyout", str(key_file), "-out", str(cert_file)],
                       check=True, capture_output=True)  # fmt: skip
        return cert_file, key_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "losi-test.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


@pytest.fixture
def https_site(tmp_path: Path) -> Iterator[str]:
    """PAGE served over HTTPS on 127.0.0.1 with a self-signed certificate; yields the home URL."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "index.html").write_text(PAGE, encoding="utf-8")
    cert_file, key_file = self_signed_certificate(tmp_path)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site_dir)))
    httpd.daemon_threads = True
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(url: str, folder: Path) -> dict:
    site = Site(portal=PortalConfig(id="t", home_url=url, allow_private=True), pages=[])
    return run_probes(site, PortalFiles(folder), axe_pages=1)


@pytest.mark.slow
@requires_browser
def test_self_signed_certificate_is_measured_invalid_and_the_other_probes_run(https_site: str, tmp_path: Path) -> None:
    probes = probe(https_site, tmp_path / "out")
    https = probes["https"]
    assert https["scheme"] == "https" and https["status"] == 200, https
    certificate = https["certificate"]
    assert certificate["valid"] is False, certificate
    assert certificate["error"].startswith("net::ERR_CERT_"), certificate  # Chromium's own words
    assert certificate["subjectName"] == "losi-test.invalid", certificate  # the certificate it was shown
    # the page was loaded anyway: the other probes measured it
    assert probes["mobile"]["device_width"] is True, probes["mobile"]
    assert probes["timing"]["requests"] >= 1, probes["timing"]
    (page,) = probes["axe"]["pages"]
    assert "error" not in page and any(v["id"] == "image-alt" for v in page["violations"]), page
    assert probes["browsers"]["engines"]["chromium"]["layout_width"] == 1366, probes["browsers"]
    assert (tmp_path / "out" / "screenshots" / "home-desktop.png").is_file()


@requires_browser
def test_unreachable_home_page_gives_every_browser_probe_an_error(tmp_path: Path) -> None:
    port = closed_port()
    probes = probe(f"http://127.0.0.1:{port}/", tmp_path / "out")  # must not raise
    for name in BROWSER_PROBES:
        result = probes[name]
        if name == "axe":  # axe reports per page
            assert probes["axe"]["pages_checked"] == 0 and all("error" in p for p in result["pages"]), result
            continue
        assert result.get("error"), (name, result)
    for name in ("https", "timing", "browsers", "mobile", "search", "advanced-search"):
        assert "ERR_CONNECTION_REFUSED" in probes[name]["error"], (name, probes[name])
    assert (tmp_path / "out" / "probes.json").is_file()


def _https_finding(probes: dict, url: str) -> Finding:
    site = Site(portal=PortalConfig(id="t", home_url=url, allow_private=True), pages=[], probes=probes)
    return https_valid(site, indicator("074", "https"))


def _spki_sha256(cert_file: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.mark.slow
@requires_browser
def test_https_rule_on_a_refused_and_on_an_accepted_certificate(
    https_site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = _https_finding(probe(https_site, tmp_path / "refused"), https_site)
    assert refused.verdict == Verdict.NOT_MET, refused
    assert "net::ERR_CERT_" in refused.explanation and refused.looked_for
    assert "losi-test.invalid" in refused.evidence[0].snippet  # the certificate it was shown

    pytest.importorskip("cryptography")
    # Chromium's own switch for trusting one key (an intranet portal's internal authority): the same
    # certificate is then accepted, and the rule says met with the certificate as evidence.
    spki = _spki_sha256(tmp_path / "cert.pem")
    monkeypatch.setenv("LOSI_CHROMIUM_ARGS", f"--ignore-certificate-errors-spki-list={spki}")
    probes = probe(https_site, tmp_path / "accepted")
    assert probes["https"]["certificate"]["valid"] is True, probes["https"]
    accepted = _https_finding(probes, https_site)
    assert accepted.verdict == Verdict.MET, accepted
    assert accepted.evidence[0].url == https_site and "losi-test.invalid" in accepted.evidence[0].snippet
    assert "no HSTS" in accepted.explanation


@requires_browser
def test_https_rule_on_plain_http(serve, tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    url = serve(root).url
    finding = _https_finding(probe(url, tmp_path / "out"), url)
    assert finding.verdict == Verdict.NOT_MET and "served over http" in finding.explanation, finding
