"""Auditing the locked dependencies with pip-audit, against a chosen advisory source.

pip-audit asks an OSV service whether each pinned version has advisories. The
public one (api.osv.dev) is not reachable from the team's machines and CI, which
reach only package registries, so the source is chosen with ``BATON_ADVISORIES``:

- unset: the advisories this folder ships (``advisories/``, OSV records): they
  prove the gate (a pin they name fails the audit), not the lock's safety;
- ``osv``: the public OSV service, where the machine reaches it (``make audit``);
- a path: a local copy of the OSV database, a folder of OSV JSON records or the zip
  OSV publishes of them (``PyPI/all.zip``), served to pip-audit by ``LocalOsv``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).parents[2]
SHIPPED = Path(__file__).parent / "advisories"
UV = ROOT / ".tools" / "bin" / "uv"


def _records(source: Path) -> Iterator[dict[str, Any]]:
    if source.is_dir():
        for path in sorted(source.glob("*.json")):
            yield json.loads(path.read_text(encoding="utf-8"))
        return
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if name.endswith(".json"):
                yield json.loads(archive.read(name))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV's rule for an ECOSYSTEM range: affected from each ``introduced`` up to
    the next ``fixed`` (excluded) or ``last_affected`` (included)."""
    affected = False
    for kind, at in sorted(
        ((kind, _version(value)) for event in events for kind, value in event.items()),
        key=lambda pair: pair[1] or Version("0"),
    ):
        if at is None:
            continue
        if kind == "introduced" and at <= version:
            affected = True
        elif (kind == "fixed" and at <= version) or (kind == "last_affected" and at < version):
            affected = False
    return affected


def affects(record: dict[str, Any], package: str, version: str) -> bool:
    """Does the OSV ``record`` name this PyPI ``package`` at ``version``?"""
    parsed = _version(version)
    for affected in record.get("affected", []):
        named = affected.get("package", {})
        if named.get("ecosystem") != "PyPI" or canonicalize_name(named.get("name", "")) != package:
            continue
        if version in affected.get("versions", []):
            return True
        ranges = [r for r in affected.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
        if parsed is not None and any(_in_range(parsed, r["events"]) for r in ranges):
            return True
    return False


class LocalOsv:
    """OSV's query API (``POST /v1/query``) answered from a local copy of its records."""

    def __init__(self, source: Path) -> None:
        self.by_package: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in _records(source):
            if record.get("withdrawn"):
                continue
            names = {
                canonicalize_name(a["package"]["name"])
                for a in record.get("affected", [])
                if a.get("package", {}).get("ecosystem") == "PyPI"
            }
            for name in names:
                self.by_package[name].append(record)

    def query(self, package: str, version: str) -> list[dict[str, Any]]:
        name = canonicalize_name(package)
        return [r for r in self.by_package.get(name, []) if affects(r, name, version)]

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The query URL of this database, served on loopback while the block runs."""
        database = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                asked = json.loads(self.rfile.read(int(self.headers["content-length"])))
                found = database.query(asked["package"]["name"], asked["version"])
                body = json.dumps({"vulns": found} if found else {}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
        finally:
            server.shutdown()
            server.server_close()


@dataclass(frozen=True)
class Audit:
    exit_code: int
    audited: int  # packages pip-audit asked about
    findings: dict[str, list[str]]  # "name==version" -> advisory ids
    output: str


def locked_requirements(into: Path) -> Path:
    """Every package uv.lock pins (all groups, dev tools included), as pip-audit reads them."""
    text = subprocess.run(
        [str(UV), "export", "--frozen", "--no-hashes", "--all-groups", "--no-emit-workspace"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    into.write_text(text, encoding="utf-8")
    return into


def pins(requirements: Path) -> set[str]:
    """The packages a requirements file pins for this interpreter (markers applied)."""
    found = set()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate():
                found.add(canonicalize_name(requirement.name))
    return found


def audit(requirements: Path, *, osv_url: str | None = None) -> Audit:
    """pip-audit over a fully pinned requirements file (no resolving, no pip): exit
    code 1 when any pin has an advisory. ``osv_url``: the OSV service to ask."""
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(requirements),
        "--no-deps", "--disable-pip", "--vulnerability-service", "osv",
        "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    if osv_url:
        command += ["--osv-url", osv_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return Audit(done.returncode, 0, {}, done.stdout + done.stderr)
    findings = {
        f"{dep['name']}=={dep.get('version')}": [v["id"] for v in dep.get("vulns", [])]
        for dep in report.get("dependencies", [])
        if dep.get("vulns")
    }
    audited = len(report.get("dependencies", []))
    return Audit(done.returncode, audited, findings, done.stdout + done.stderr)


@contextmanager
def chosen_source() -> Iterator[tuple[str, str | None]]:
    """(what the audit asks, its OSV URL) as ``BATON_ADVISORIES`` says."""
    choice = os.environ.get("BATON_ADVISORIES", "")
    if choice == "osv":
        yield "the public OSV service", None
        return
    source = Path(choice) if choice else SHIPPED
    with LocalOsv(source).serving() as url:
        yield f"the advisories in {source}", url
