# Baton: `make run` starts everything locally; `make test` runs every test.
# Both install what they need first (a virtualenv from uv.lock, Kafka's jars).

SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
# helm is built from the Go module proxy (Go is on every machine), pinned here.
HELM_VERSION := v3.16.4
HELM := $(TOOLS)/bin/helm
# promtool checks the alert rules and the dashboards' PromQL; from the module proxy, pinned
# (Prometheus v3's Go module is tagged v0.3xx; building it takes minutes the first time).
PROMTOOL_VERSION := v0.316.0
PROMTOOL := $(TOOLS)/bin/promtool
# An OpenTelemetry Collector with the components the chart's collector config uses,
# at its image's release (tools/otelcol, modules pinned in its go.sum): the tests run
# that config on it. About two minutes to build the first time.
OTELCOL := $(TOOLS)/bin/otelcol-baton

.PHONY: help install tools manifests deploy-check run token test unit audit lint asyncapi bench bench-routing kafka-start kafka-stop postgres-start postgres-stop topics clean

help:
	@echo "make run    start Kafka, a mail sink, the services and the workspace (Ctrl-C stops them)"
	@echo "make token AS=<person>  a token from make run's identity provider (no AS: who can sign in)"
	@echo "make test   run every test: unit, and end to end over real Kafka and PostgreSQL"
	@echo "make unit   only the tests that need neither Kafka nor PostgreSQL"
	@echo "make audit  pip-audit the lock against the public OSV database (needs it reachable)"
	@echo "make lint   ruff"
	@echo "make manifests     re-render deploy/k8s/manifests from the Helm chart"
	@echo "make deploy-check  hadolint, helm lint/template, schema and drift checks"
	@echo "make bench  end-to-end throughput, Baton against a raw Kafka relay (bench/e2e/results.md)"
	@echo "            (about 10 min; BENCH_ARGS=--quick for a smoke run of a minute or two)"
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

# Version and default Kubernetes version stamped in as helm's own build does.
$(HELM):
	@command -v go >/dev/null || { echo "go is required to build helm"; exit 1; }
	GOBIN=$(abspath $(TOOLS))/bin GOFLAGS=-mod=mod go install -ldflags "\
	  -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
	  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=31" \
	  helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

$(PROMTOOL):
	@command -v go >/dev/null || { echo "go is required to build promtool"; exit 1; }
	GOBIN=$(abspath $(TOOLS))/bin GOFLAGS=-mod=mod go install -ldflags "\
	  -X github.com/prometheus/common/version.Version=$(PROMTOOL_VERSION)" \
	  github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

$(OTELCOL): tools/otelcol/main.go tools/otelcol/go.mod tools/otelcol/go.sum
	@command -v go >/dev/null || { echo "go is required to build the collector"; exit 1; }
	cd tools/otelcol && GOFLAGS=-mod=readonly go build -trimpath -o $(abspath $(OTELCOL)) .

tools: install $(HELM) $(PROMTOOL) $(OTELCOL)

manifests: tools
	$(PY) deploy/k8s/render.py

deploy-check: tools
	$(PY) -m pytest tests/deploy

run: install
	@deploy/local/run.sh

# A person's token from `make run`'s development identity provider:
#   curl -H "authorization: Bearer $$(make -s token AS=fin-gita)" ...
# Without AS, lists who can sign in.
# (make has a default AS, the assembler: only an AS given by the caller counts.)
token: install
	@$(PY) deploy/local/person_token.py $(if $(filter default,$(origin AS)),,$(AS))

test: tools
	$(PY) -m pytest

unit: tools
	$(PY) -m pytest shared services tests/deploy tests/supply_chain

# The lock against the public advisories (make test uses the shipped ones: CI
# reaches no advisory database; see README, Tests).
audit: install
	BATON_ADVISORIES=osv $(PY) -m pytest tests/supply_chain/test_dependencies.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The AsyncAPI document is generated from the event models (a test keeps it current).
asyncapi: install
	$(PY) -m baton_contracts.asyncapi > docs/asyncapi.json

# Starts its own Kafka, PostgreSQL and services on ports of its own (bench/e2e/README.md).
bench: install
	$(PY) -m bench.e2e $(BENCH_ARGS)

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
	$(PY) -m baton_runtime.kafka.topics --prefix "$${BATON_TOPIC_PREFIX:-}"

clean:
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop
	rm -rf .run
