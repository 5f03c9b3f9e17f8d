# syntax=docker/dockerfile:1
# One image recipe for every Baton service. Build from the repository root:
#   docker build --build-arg SERVICE=intake --build-arg PORT=8001 -t baton-intake .
# SERVICE is intake, routing, ownership, notifications or workspace; PORT is the
# port it listens on (its Settings default: 8001 to 8005).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve dependencies from uv.lock into /app/.venv -----------------
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG PORT
ARG UV_VERSION=0.13.8
RUN test -n "${SERVICE}" -a -n "${PORT}" \
    || { echo "give --build-arg SERVICE=<name> and --build-arg PORT=<port>" >&2; exit 1; } \
    && pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The context is the lock, every workspace member's pyproject.toml (uv's --frozen
# needs them all) and the sources (.dockerignore keeps out everything else).
COPY . .
# Installed as wheels, not editable: the final stage needs no source tree. uv's
# cache mount keeps the downloads between builds.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "baton-${SERVICE}" \
    && ln -s "/app/.venv/bin/baton-${SERVICE}" /app/.venv/bin/baton-service

# --- final: the virtualenv on a clean slim image, run as a non-root user ------
FROM ${PYTHON_IMAGE}
ARG SERVICE
ARG PORT
RUN groupadd --system --gid 10001 baton \
    && useradd --system --uid 10001 --gid baton --no-create-home --shell /usr/sbin/nologin baton
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OTEL_SERVICE_NAME=baton-${SERVICE} \
    BATON_HOST=0.0.0.0 \
    BATON_PORT=${PORT} \
    BATON_STATE_DIR=/tmp/baton
WORKDIR /tmp
USER 10001:10001
EXPOSE ${PORT}
# Liveness only (/healthz): readiness (/readyz) depends on Kafka and the database,
# and an orchestrator, not the container runtime, should act on that.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"BATON_PORT\"]}/healthz', timeout=4)"]
CMD ["baton-service"]
