"""The query shapes the insights repeat: the rows of one table that meet some
conditions, or how many there are, and the half-open window a period's numbers
count in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)
Condition = ColumnElement[bool] | bool


def during(when: Any, since: datetime, until: datetime) -> tuple[Condition, Condition]:
    """``when`` (a column) falls within [since, until): a period's start counts, its end not."""
    return col(when) >= since, col(when) < until


async def rows(session: AsyncSession, table: type[Row], *where: Condition) -> Sequence[Row]:
    return (await session.exec(select(table).where(*where))).all()


async def count(session: AsyncSession, table: type[SQLModel], *where: Condition) -> int:
    return (await session.exec(select(func.count()).select_from(table).where(*where))).one()
