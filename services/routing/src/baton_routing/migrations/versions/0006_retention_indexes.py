"""retention: index the timestamp old processed event ids are purged by

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: on a large table an operator may have built the index
    # beforehand, CONCURRENTLY (docs/runbook.md, Retention).
    op.create_index(
        op.f("ix_processed_events_processed_at"),
        "processed_events",
        ["processed_at"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_processed_events_processed_at"), table_name="processed_events", if_exists=True
    )
