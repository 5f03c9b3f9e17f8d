"""retention: index the timestamps old processed event ids, idempotency keys and
ignored mail are purged by

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
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
        op.f("ix_idempotency_keys_created_at"),
        "idempotency_keys",
        ["created_at"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_ignored_mail_received_at"),
        "ignored_mail",
        ["received_at"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ignored_mail_received_at"), table_name="ignored_mail", if_exists=True)
    op.drop_index(
        op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys", if_exists=True
    )
    op.drop_index(
        op.f("ix_processed_events_processed_at"), table_name="processed_events", if_exists=True
    )
