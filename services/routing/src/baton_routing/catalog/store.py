"""The versioned catalog in routing's database, seeded from the shipped YAML."""

from __future__ import annotations

from typing import Any

from baton_runtime.outbox import add_event
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.errors import Conflict, InvalidChange
from baton_routing.catalog.models import CatalogVersion
from baton_routing.catalog.publish import department_events
from baton_routing.catalog.schemas import Catalog

# The current version's number (None: none yet). Versions are only ever added, so
# the highest number is the current one, whichever replica wrote it.
LATEST = select(func.max(CatalogVersion.version))


def _invalid(error: ValidationError) -> InvalidChange:
    # "rules.2.regexes: Value error, regex '(' does not compile: ..." — names the culprit.
    messages = [
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
        for e in error.errors()
    ]
    return InvalidChange("; ".join(messages))


class CatalogStore:
    """Reads the current version cheaply (one ``max(version)``); parses a version once."""

    def __init__(
        self,
        seed: Catalog,
        *,
        departments_topic: str | None = None,
    ) -> None:
        self._seed = seed
        self._cached: tuple[int, Catalog] | None = None
        # Where each written version's departments go (through the outbox), and
        # what to wake once they are committed (the outbox relay).
        self.departments_topic = departments_topic

    @property
    def seen(self) -> bool:
        """A version was read: the catalog is seeded (versions are never deleted)."""
        return self._cached is not None

    async def current(self, session: AsyncSession) -> tuple[int, Catalog]:
        """The current version, seeding the first one (and committing it) if there is none."""
        found = await self.latest(session)
        if found is None:
            try:
                await self._write(session, 1, self._seed, actor="seed", change="shipped catalog")
            except IntegrityError:
                pass  # another replica (or request) seeded it first
            return await self.current(session)
        return found

    async def latest(self, session: AsyncSession) -> tuple[int, Catalog] | None:
        """The current version without writing: usable inside someone else's
        transaction (a consumer's batch). None before the first version is seeded."""
        latest = (await session.exec(LATEST)).one()
        if latest is None:
            return None
        return latest, await self.at(session, latest)

    async def at(self, session: AsyncSession, number: int) -> Catalog:
        """Version ``number``, which exists (one a statement just found current),
        parsed once: a number other than the last one read is read and parsed."""
        if self._cached is None or self._cached[0] != number:
            found = await self.version(session, number)
            assert found is not None
            self._cached = (number, found)
        return self._cached[1]

    async def version(self, session: AsyncSession, number: int) -> Catalog | None:
        row = await session.get(CatalogVersion, number)
        return None if row is None else Catalog.model_validate_json(row.document)

    async def versions(self, session: AsyncSession) -> list[CatalogVersion]:
        """Every version, newest first."""
        await self.current(session)
        rows = await session.exec(select(CatalogVersion).order_by(CatalogVersion.version.desc()))  # type: ignore[attr-defined]
        return list(rows.all())

    async def write(
        self,
        session: AsyncSession,
        document: dict[str, Any],
        *,
        after: int,
        actor: str,
        change: str,
    ) -> CatalogVersion:
        """Store ``document`` as the version after ``after``, if it is a valid catalog."""
        try:
            catalog = Catalog.model_validate(document)
        except ValidationError as e:
            raise _invalid(e) from None
        try:
            return await self._write(session, after + 1, catalog, actor=actor, change=change)
        except IntegrityError:
            raise Conflict("The catalog changed meanwhile; retry the change.") from None

    async def _write(
        self, session: AsyncSession, version: int, catalog: Catalog, *, actor: str, change: str
    ) -> CatalogVersion:
        row = CatalogVersion(
            version=version, document=catalog.model_dump_json(), actor=actor, change=change
        )
        session.add(row)
        if self.departments_topic is not None:
            for envelope in department_events(catalog):
                add_event(session, topic=self.departments_topic, envelope=envelope)
        try:
            await session.commit()
        except IntegrityError:
            # Another replica (or request) wrote this version number first.
            await session.rollback()
            raise
        return row
