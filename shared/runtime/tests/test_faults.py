"""Which failures wait for a dependency (never dead-lettered) and which do not."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError, RecordTooLargeError, RequestTimedOutError
from baton_runtime.faults import is_transient
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError


class Model(BaseModel):
    n: int


def validation_error() -> ValidationError:
    try:
        Model(n="x")  # type: ignore[arg-type]
    except ValidationError as exc:
        return exc
    raise AssertionError


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        OperationalError("SELECT 1", {}, Exception("database is locked")),
        OperationalError("x", {}, asyncpg.exceptions.CannotConnectNowError()),
        KafkaConnectionError(),
        RequestTimedOutError(),
    ],
)
def test_an_unreachable_dependency_is_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        KeyError("department"),
        validation_error(),
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        RecordTooLargeError(),
        ValueError("bad input"),
    ],
)
def test_a_failure_that_would_come_again_is_not(exc):
    assert not is_transient(exc)


def test_the_cause_counts_when_a_handler_wraps_the_error():
    try:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("could not assign") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_a_lost_postgresql_connection_under_a_plain_dbapierror_is_transient():
    from sqlalchemy.exc import DBAPIError

    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
        except asyncpg.exceptions.ConnectionDoesNotExistError as lost:
            raise DBAPIError("UPDATE", {}, lost) from lost
    except DBAPIError as wrapped:
        assert not wrapped.connection_invalidated
        assert is_transient(wrapped)
    assert is_transient(asyncpg.exceptions.AdminShutdownError())
