# Baton: `make run` starts everything locally; `make test` runs every test.
# Both install what they need first (a virtualenv from uv.lock, Kafka's jars).

SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python

.PHONY: help install run test unit lint bench-routing kafka-start kafka-stop postgres-start postgres-stop topics clean

help:
	@echo "make run    start Kafka, a mail sink and the four services (Ctrl-C stops them)"
	@echo "make test   run every test: unit, and end to end over real Kafka and PostgreSQL"
	@echo "make unit   only the tests that need neither Kafka nor PostgreSQL"
	@echo "make lint   ruff"
	@echo "make bench-routing  evaluate the learned router (bench/routing/results.md)"

$(UV):
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is required"; exit 1; }
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The virtualenv is rebuilt when the lock file changes.
.venv/.synced: uv.lock pyproject.toml $(UV)
	$(UV) sync --frozen --python python3
	@touch $@

install: .venv/.synced

run: install
	@deploy/local/run.sh

test: install
	$(PY) -m pytest

unit: install
	$(PY) -m pytest shared services

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench-routing: install
	$(PY) bench/routing/evaluate.py

kafka-start:
	@deploy/local/kafka.sh start
kafka-stop:
	@deploy/local/kafka.sh stop
postgres-start:
	@deploy/local/postgres.sh start
postgres-stop:
	@deploy/local/postgres.sh stop

topics: install
	$(PY) -m baton_shared.kafka.topics --bootstrap-servers $${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092} --prefix "$${BATON_TOPIC_PREFIX:-}"

clean:
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop
	rm -rf .run
