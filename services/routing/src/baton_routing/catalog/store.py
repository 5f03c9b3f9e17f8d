"""The versioned catalog in routing's database, seeded from the shipped YAML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baton_runtime.outbox import add_event
from baton_runtime.problems import Problem
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog import Catalog
from baton_routing.catalog.models import CatalogVersion
from baton_routing.catalog.publish import department_events


def _problem(error: ValidationError) -> Problem:
    # "rules.2.regexes: Value error, regex '(' does not compile: ..." — names the culprit.
    messages = [
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
        for e in error.errors()
    ]
    return Problem(422, "; ".join(messages), title="Invalid catalog change")


class CatalogStore:
    """Reads the current version cheaply (one ``max(version)``); parses a version once."""

    def __init__(
        self,
        seed: Catalog,
        *,
        departments_topic: str | None = None,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self._seed = seed
        self._cached: tuple[int, Catalog] | None = None
        # Where each written version's departments go (through the outbox), and
        # what to wake once they are committed (the outbox relay).
        self.departments_topic = departments_topic
        self._on_written = on_written

    async def current(self, session: AsyncSession) -> tuple[int, Catalog]:
        latest = (await session.exec(select(func.max(CatalogVersion.version)))).one()
        if latest is None:
            await self._write(session, 1, self._seed, actor="seed", change="shipped catalog")
            return await self.current(session)
        if self._cached is None or self._cached[0] != latest:
            row = await session.get(CatalogVersion, latest)
            assert row is not None
            self._cached = (latest, Catalog.model_validate_json(row.document))
        return self._cached

    async def change(
        self,
        session: AsyncSession,
        *,
        actor: str,
        change: str,
        edit: Callable[[dict[str, Any]], None],
    ) -> tuple[int, Catalog]:
        version, catalog = await self.current(session)
        document = catalog.model_dump(mode="json")
        edit(document)
        try:
            updated = Catalog.model_validate(document)
        except ValidationError as e:
            raise _problem(e) from None
        await self._write(session, version + 1, updated, actor=actor, change=change)
        return version + 1, updated

    async def rollback(self, session: AsyncSession, *, to: int, actor: str) -> tuple[int, Catalog]:
        row = await session.get(CatalogVersion, to)
        if row is None:
            raise Problem(404, f"Catalog version {to} does not exist.", title="No such version")
        target = Catalog.model_validate_json(row.document)

        def restore(document: dict[str, Any]) -> None:
            document.clear()
            document.update(target.model_dump(mode="json"))

        return await self.change(
            session, actor=actor, change=f"rollback to version {to}", edit=restore
        )

    async def versions(self, session: AsyncSession) -> list[CatalogVersion]:
        await self.current(session)
        rows = await session.exec(select(CatalogVersion).order_by(CatalogVersion.version.desc()))  # type: ignore[attr-defined]
        return list(rows.all())

    async def _write(
        self, session: AsyncSession, version: int, catalog: Catalog, *, actor: str, change: str
    ) -> None:
        session.add(
            CatalogVersion(
                version=version, document=catalog.model_dump_json(), actor=actor, change=change
            )
        )
        if self.departments_topic is not None:
            for envelope in department_events(catalog):
                add_event(session, topic=self.departments_topic, envelope=envelope)
        try:
            await session.commit()
        except IntegrityError:
            # Another replica (or request) wrote this version number first.
            await session.rollback()
            if change == "shipped catalog":
                return
            raise Problem(
                409, "The catalog changed meanwhile; retry the change.", title="Conflict"
            ) from None
        if self._on_written is not None:
            self._on_written()
