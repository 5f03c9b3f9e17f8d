"""API keys: only a SHA-256 of each key is stored; the key is shown once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel

SCOPES = ("intake:write", "intake:read")


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    # A hash of a 256-bit random key: a fast hash is enough, nothing to brute-force.
    key_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=255)  # space-separated
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    revoked_at: datetime | None = None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and scope in self.scopes.split()
