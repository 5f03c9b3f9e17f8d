"""Which failures pass: a database or broker that is down, restarting or failing
over comes back, and the message that met it must wait for it, not go to a DLQ.
Anything else (a bug, a message no handler can take) fails the same way again."""

from __future__ import annotations

import socket

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def is_transient(exc: BaseException) -> bool:
    """True when ``exc``, or what caused it, is a dependency being unreachable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    # SQLAlchemy: OperationalError is the server or file being unavailable, locked,
    # shutting down or failing over; a dropped connection invalidates it.
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # asyncpg, under SQLAlchemy's DBAPIError: the connection lost (08xxx), the server
    # shutting down or not yet accepting (57P0x), too many connections (53300).
    if isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.OperatorInterventionError
        | asyncpg.TooManyConnectionsError
        | asyncpg.InterfaceError,
    ):
        return not isinstance(exc, asyncpg.QueryCanceledError)  # a timeout we set: a bug
    # aiokafka marks the errors a retry can cure.
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))
