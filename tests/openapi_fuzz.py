"""Schemathesis against a service's own OpenAPI document, in-process (ASGI, no
Kafka): what every service's ``test_openapi_fuzz.py`` shares.

A fuzzed request, valid or not, must never get a 5xx; every answer must match
what the document says of it, and every refusal (4xx) must be problem details a
person can act on (for the workspace's pages, an HTML page: its own check).
Examples per operation are bounded so that this runs in every build;
``BATON_FUZZ_SCALE=10`` runs ten times as many, to hunt deeper.
``BATON_FUZZ_DATABASE_URL=postgresql://...`` fuzzes over that PostgreSQL (a
fresh schema per run) instead of SQLite: what production runs on refuses more
(lengths, NUL characters, integer ranges).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import schemathesis
from baton_runtime import migrations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

_SURROGATE = re.compile(r"\\ud[89a-f]", re.IGNORECASE)
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# A person with no role at all: every gate but ANYONE's refuses them.
NO_ROLE = {"x-baton-actor": "fuzz-nobody", "x-baton-roles": ""}


def fuzz_settings(where: Path, service: str, scripts: Path) -> dict[str, Any]:
    """A service's settings under fuzzing: a fresh database migrated with its
    ``scripts`` (a SQLite file in ``where``, or a new schema on
    ``BATON_FUZZ_DATABASE_URL``), and a broker address nobody listens on."""
    url = os.environ.get("BATON_FUZZ_DATABASE_URL") or f"sqlite+aiosqlite:///{where}/{service}.db"
    schema = f"fuzz_{service}_{uuid.uuid4().hex[:8]}"
    migrations.upgrade(scripts, url, schema)
    return {
        "database_url": url,
        "database_schema": schema,
        "kafka_bootstrap_servers": "127.0.0.1:1",  # never used; never someone else's broker
        "topic_prefix": "fuzz.",
    }


def without_lifespan(app):
    """The app minus its lifespan (which starts Kafka clients): the fuzzer's
    client runs the lifespan, and nothing here may reach a broker."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return wrapped


def schema_of(app, path_regex: str = "^/v1/") -> Any:
    """The app's operations whose paths match ``path_regex`` (its ``/v1`` API by
    default: health endpoints need a broker to say ready, and are not for callers)
    as Schemathesis sees them."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app))
    return schema.include(path_regex=path_regex)


def problem_details(ctx, response, case) -> None:
    """A refusal says what is wrong: RFC 9457 problem details with a status that
    matches and a detail a person can read."""
    if not 400 <= response.status_code < 500:
        return
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    kind = response.headers.get("content-type", [""])[0]
    assert kind.startswith("application/problem+json"), f"{where}: not problem details ({kind})"
    body = response.json()
    assert body.get("status") == response.status_code, f"{where}: status {body.get('status')}"
    assert body.get("title") and body.get("detail"), f"{where}: no title or detail: {body}"


def refuses_invalid_data(ctx, response, case) -> None:
    """Schemathesis' check that invalid requests are refused, knowing that a body
    too large (413) or of another type (415) is refused before it is validated,
    and that two lone surrogates the fuzzer counts as two characters arrive as one
    (JSON pairs them up), so a string it made one too long may arrive long enough."""
    surrogates = _SURROGATE.search(json.dumps(case.body, default=str))
    if response.status_code not in (413, 415) and not surrogates:
        negative_data_rejection(ctx, response, case)


def answers_as_documented(ctx, response, case) -> None:
    """Schemathesis' conformance checks, for the answers that are not refusals."""
    if response.status_code < 400:
        for check in CONFORMANCE:
            check(ctx, response, case)


def fuzz(
    schema: Any,
    headers: Mapping[str, str],
    *,
    examples: int,
    known: Mapping[str, Sequence[str]] | None = None,
    documented_errors: bool = True,
    refusal: Callable[..., None] = problem_details,
    documented_answers: bool = True,
    refuses_invalid: bool = True,
) -> list[str]:
    """Fuzz every operation of ``schema`` with ``examples`` cases each, valid and
    invalid ones, sending ``headers`` (who calls; lower case, as the document names
    them, so that they replace the generated ones).

    ``known`` maps path parameters to values that exist (a seeded issue's id, say):
    about half the valid cases use one, so the fuzzer gets past "not found" into the code
    that acts. ``documented_errors=False`` for a service whose document does not
    describe its refusals (FastAPI's default 422 is not the problem details the
    service answers): then its 2xx answers must match the document, and its 4xx be
    problem details. ``refusal`` replaces the check of a 4xx (problem details) for a
    service that answers people with pages; ``documented_answers=False`` drops the
    conformance checks for one whose document does not describe its answers at all
    (pages, redirects); ``refuses_invalid=False`` for a caller turned away before
    their input is read (sent to sign in). Whatever else, no answer is a 5xx.
    Every operation is fuzzed even when one fails, so a run
    reports them all. Answers the operations' labels."""
    known = known or {}
    # Schema-valid input may still be refused on purpose (a stale version, a
    # reused Idempotency-Key, an unknown department): a 4xx, not a defect.
    excluded = [
        positive_data_acceptance,
        negative_data_rejection,
        *([] if documented_errors and documented_answers else CONFORMANCE),
    ]
    checks = [
        refusal,
        *([refuses_invalid_data] if refuses_invalid else []),
        *([] if documented_errors or not documented_answers else [answers_as_documented]),
    ]
    examples = max(1, round(examples * float(os.environ.get("BATON_FUZZ_SCALE", "1"))))
    labels, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        cases = st.one_of(
            operation.as_strategy(mode, headers=dict(headers))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        )

        @given(case=cases, data=st.data())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case, data):
            # Only valid cases: an invalid one must stay invalid to be refused.
            for name, values in known.items() if case.meta.generation.mode.is_positive else ():
                if name in (case.path_parameters or {}):
                    pick = data.draw(st.sampled_from([*values, case.path_parameters[name]]))
                    case.path_parameters[name] = pick
            # Sent again with the request: headers the document does not name (Accept,
            # Cookie) are not kept in the case. A redirect is the answer checked, not
            # wherever it leads.
            case.call_and_validate(
                headers=dict(headers),
                additional_checks=checks,
                excluded_checks=excluded,
                allow_redirects=False,
            )

        try:
            run()
        except Exception as failure:
            failures.append(failure)
    if failures:
        raise ExceptionGroup(f"{len(failures)} of {len(labels)} operations failed", failures)
    return labels
