from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

# The largest a PostgreSQL integer column holds (versions): a larger number names none.
INTEGER_MAX = 2**31 - 1


class CatalogVersion(SQLModel, table=True):
    """Every version of departments + rules + emphasis, whole, with who made it and when.

    Versions are never changed; a change or a rollback adds the next one. Every replica
    reads the highest version number before deciding, so a change applies everywhere.
    """

    __tablename__ = "catalog_versions"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: str = Field(sa_column=Column(Text, nullable=False))  # the Catalog as JSON
    actor: str = Field(max_length=200)
    change: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
