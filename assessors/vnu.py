"""The Nu HTML Checker (vnu.jar) run offline: one JVM checks a page's HTML and its stylesheets together.

LOSI #208/#209 fail on any error from the W3C validators; vnu is the W3C markup validator's engine and
also checks CSS (its "CSS: ..." messages, from stylesheets and from <style> elements).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VNU = ROOT / "vendor" / "vnu.jar"
MAX_MESSAGES = 50  # per document, in probes.json
TIMEOUT_SECONDS = 180


class VnuUnavailable(RuntimeError):
    pass


@dataclass
class Document:
    url: str  # where it came from (for the report)
    kind: str  # "html" | "css"
    content: bytes


def vnu_path() -> Path:
    return Path(os.environ.get("LOSI_VNU") or DEFAULT_VNU)


def vnu_version() -> str:
    try:
        with zipfile.ZipFile(vnu_path()) as jar:
            manifest = jar.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ""
    for line in manifest.splitlines():
        if line.startswith("Implementation-Version:"):
            return line.split(":", 1)[1].strip()
    return ""


def _java() -> str:
    java = shutil.which("java")
    if not java:
        raise VnuUnavailable("java is not installed (apt-get install default-jre-headless)")
    if not vnu_path().is_file():
        raise VnuUnavailable(f"vnu.jar not found at {vnu_path()} (run `make setup`, or set LOSI_VNU)")
    return java


def is_css_message(message: dict[str, Any], kind: str) -> bool:
    return kind == "css" or str(message.get("message", "")).startswith("CSS:")


def validate(documents: list[Document], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """Check all documents in one vnu run. Raises VnuUnavailable when java or the jar is missing.

    Returns {"vnu_version", "documents": [{url, kind, errors, css_errors, warnings, messages}],
    "html_errors", "css_errors"}; HTML errors exclude the CSS errors vnu finds inside <style>.
    """
    java = _java()
    with tempfile.TemporaryDirectory(prefix="losi-vnu-") as tmp:
        paths: dict[str, Document] = {}
        for i, doc in enumerate(documents):
            path = Path(tmp) / f"doc{i}.{'css' if doc.kind == 'css' else 'html'}"
            path.write_bytes(doc.content)
            paths[path.resolve().as_uri()] = doc
        cmd = [java, "-Xss4m", "-jar", str(vnu_path()), "--format", "json", "--exit-zero-always",
               "--also-check-css", *[str(Path(tmp) / Path(u).name) for u in paths]]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise VnuUnavailable(f"vnu did not finish in {timeout:.0f} s") from exc
        try:
            report = json.loads(proc.stderr.decode("utf-8", "replace") or "{}")
        except json.JSONDecodeError as exc:
            tail = proc.stderr.decode("utf-8", "replace")[-300:]
            raise VnuUnavailable(f"vnu output was not JSON: {tail}") from exc
    per_doc: dict[str, dict[str, Any]] = {
        uri: {"url": d.url, "kind": d.kind, "errors": 0, "css_errors": 0, "warnings": 0, "messages": []}
        for uri, d in paths.items()
    }
    for msg in report.get("messages", []):
        uri = _normalise_uri(str(msg.get("url", "")))
        entry = per_doc.get(uri)
        if entry is None:
            continue
        is_error = msg.get("type") == "error" or msg.get("subType") == "fatal"
        if msg.get("type") == "non-document-error":
            is_error = True
        css = is_css_message(msg, entry["kind"])
        if is_error:
            if css:
                entry["css_errors"] += 1
            else:
                entry["errors"] += 1
        elif msg.get("subType") == "warning":
            entry["warnings"] += 1
        if len(entry["messages"]) < MAX_MESSAGES and (is_error or msg.get("subType") == "warning"):
            entry["messages"].append(
                {
                    "type": "error" if is_error else "warning",
                    "css": css,
                    "line": msg.get("lastLine"),
                    "column": msg.get("firstColumn") or msg.get("lastColumn"),
                    "message": str(msg.get("message", ""))[:500],
                    "extract": str(msg.get("extract", ""))[:300],
                }
            )
    docs = list(per_doc.values())
    return {
        "vnu_version": report.get("version") or vnu_version(),
        "documents": docs,
        "html_errors": sum(d["errors"] for d in docs if d["kind"] == "html"),
        "css_errors": sum(d["css_errors"] + (d["errors"] if d["kind"] == "css" else 0) for d in docs),
    }


def _normalise_uri(uri: str) -> str:
    # vnu reports "file:/tmp/x"; Path.as_uri() gives "file:///tmp/x".
    if uri.startswith("file:") and not uri.startswith("file://"):
        return "file://" + uri[len("file:"):]
    return uri
