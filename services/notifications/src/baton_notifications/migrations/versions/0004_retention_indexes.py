"""retention: index the timestamps old processed event ids and finished deliveries are purged by

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
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
    op.create_index(
        op.f("ix_deliveries_sent_at"), "deliveries", ["sent_at"], unique=False, if_not_exists=True
    )
    op.create_index(
        op.f("ix_deliveries_failed_at"),
        "deliveries",
        ["failed_at"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_failed_at"), table_name="deliveries", if_exists=True)
    op.drop_index(op.f("ix_deliveries_sent_at"), table_name="deliveries", if_exists=True)
    op.drop_index(
        op.f("ix_processed_events_processed_at"), table_name="processed_events", if_exists=True
    )
