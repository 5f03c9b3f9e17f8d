"""A consumer's batch shares one transaction: handle_once joins it, a failure
rolls all of it back, and after-commit work waits for the commit."""

from __future__ import annotations

import pytest
from baton_runtime import idempotency
from baton_runtime.db import Database
from baton_runtime.idempotency import ProcessedEvent
from sqlmodel import SQLModel, select


async def handled(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted((await session.exec(select(ProcessedEvent.event_id))).all())


async def nothing(_session) -> None:
    return None


async def test_events_handled_in_a_unit_commit_together_and_once(db):
    done: list[str] = []
    async with idempotency.unit_of_work(db) as unit:
        assert await idempotency.handle_once(db, "e1", nothing)
        assert await idempotency.handle_once(db, "e2", nothing)
        assert not await idempotency.handle_once(db, "e1", nothing)  # a repeat in the batch
        idempotency.after_commit(lambda: done.append("after"))
        assert done == [] and await handled(db) == []  # not durable yet
        assert unit.session is not None
    assert done == ["after"]
    assert await handled(db) == ["e1", "e2"]


async def test_a_failure_in_a_unit_rolls_all_of_it_back_and_runs_nothing_after(db):
    done: list[str] = []

    async def fails(_session) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        async with idempotency.unit_of_work(db):
            await idempotency.handle_once(db, "e1", nothing)
            idempotency.after_commit(lambda: done.append("after"))
            await idempotency.handle_once(db, "e2", fails)
    assert done == [] and await handled(db) == []
    # Taken alone afterwards, each commits on its own.
    assert await idempotency.handle_once(db, "e1", nothing)
    assert await handled(db) == ["e1"]


async def test_handle_once_alone_defers_after_commit_work_to_its_own_commit(db):
    seen: list[list[str]] = []

    async def effect(_session) -> None:
        idempotency.after_commit(lambda: seen.append(["committed"]))
        assert seen == []

    assert await idempotency.handle_once(db, "e1", effect)
    assert seen == [["committed"]]


async def test_after_commit_outside_any_unit_runs_at_once():
    done: list[int] = []
    idempotency.after_commit(lambda: done.append(1))
    assert done == [1]


async def test_a_unit_of_another_database_is_not_joined(db, tmp_path):
    other = Database(f"sqlite+aiosqlite:///{tmp_path}/other.db")
    async with other.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[ProcessedEvent.__table__])
    try:
        with pytest.raises(RuntimeError):
            async with idempotency.unit_of_work(other):
                assert await idempotency.handle_once(db, "e1", nothing)  # its own transaction
                raise RuntimeError("the other unit fails")
        assert await handled(db) == ["e1"]
    finally:
        await other.dispose()


async def test_claiming_an_event_is_one_statement_new_or_repeated(db):
    from conftest import counting_statements

    async with db.transaction() as session:
        with counting_statements(db) as seen:
            assert await idempotency.claim(session, "e1")
            assert not await idempotency.claim(session, "e1")
    assert len(seen) == 2, str(seen)
    assert await handled(db) == ["e1"]


async def test_staged_claims_record_a_unit_s_events_in_one_statement_at_commit(db):
    from conftest import counting_statements

    with counting_statements(db) as seen:
        async with idempotency.unit_of_work(db, staged_claims=True):
            for n in range(5):
                assert await idempotency.handle_once(db, f"e{n}", nothing)
            assert not await idempotency.handle_once(db, "e1", nothing)  # twice in the unit
    claims = [s for s in seen.sent if "processed_events" in s]
    assert len(claims) == 1, seen.sent
    assert await handled(db) == [f"e{n}" for n in range(5)]


async def test_a_staged_claim_of_an_event_handled_before_fails_the_whole_unit(db):
    from sqlalchemy.exc import IntegrityError

    assert await idempotency.handle_once(db, "old", nothing)  # handled before
    effects: list[str] = []

    async def effect_of(name: str):
        async def effect(_session) -> None:
            effects.append(name)

        return effect

    with pytest.raises(IntegrityError):
        async with idempotency.unit_of_work(db, staged_claims=True):
            await idempotency.handle_once(db, "new", await effect_of("new"))
            await idempotency.handle_once(db, "old", await effect_of("old"))
    assert await handled(db) == ["old"]  # nothing of the unit is durable
    # Taken again with claims as they come (as the consumer does): the repeat is skipped.
    effects.clear()
    async with idempotency.unit_of_work(db):
        assert await idempotency.handle_once(db, "new", await effect_of("new"))
        assert not await idempotency.handle_once(db, "old", await effect_of("old"))
    assert effects == ["new"] and await handled(db) == ["new", "old"]
