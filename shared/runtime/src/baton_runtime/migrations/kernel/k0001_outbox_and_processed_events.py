"""the kernel's tables: the outbox and processed event ids, with the indexes
their relay and retention need

The kernel owns these tables once, for every service: each service's Alembic
scripts include this branch (``baton_runtime.migrations``). A database made
before the kernel owned them already has them, built by the service's own
scripts: IF NOT EXISTS leaves those as they are.

Revision ID: k0001
Revises:
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "k0001"
down_revision = None
branch_labels = ("kernel",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("trace_context", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        if_not_exists=True,
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("processed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        if_not_exists=True,
    )
    # The relay finds unpublished rows, and retention old ones, by these. On a large
    # table an operator may have built one beforehand, CONCURRENTLY (docs/runbook.md).
    for table, column in (("outbox", "published_at"), ("processed_events", "processed_at")):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("outbox")
