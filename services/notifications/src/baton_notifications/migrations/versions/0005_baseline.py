"""notifications: every table as of 0005, one squashed baseline (why: baton_runtime.migrations)

Revision ID: 0005
Revises:
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("recipient_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("trace_context", sa.JSON(), nullable=True),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "recipient_id", "channel"),
    )
    op.create_index(op.f("ix_deliveries_failed_at"), "deliveries", ["failed_at"], unique=False)
    op.create_index(op.f("ix_deliveries_issue_id"), "deliveries", ["issue_id"], unique=False)
    op.create_index(
        op.f("ix_deliveries_next_attempt_at"), "deliveries", ["next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_deliveries_recipient_id"), "deliveries", ["recipient_id"], unique=False
    )
    op.create_index(op.f("ix_deliveries_sent_at"), "deliveries", ["sent_at"], unique=False)
    op.create_table(
        "directory",
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("department", "person_id"),
    )
    op.create_index(op.f("ix_directory_person_id"), "directory", ["person_id"], unique=False)
    op.create_table(
        "internal_reporters",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reporter_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    op.create_table(
        "recipient_preferences",
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("slack_webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("recipient_preferences")
    op.drop_table("internal_reporters")
    op.drop_index(op.f("ix_directory_person_id"), table_name="directory")
    op.drop_table("directory")
    op.drop_index(op.f("ix_deliveries_sent_at"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_recipient_id"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_next_attempt_at"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_issue_id"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_failed_at"), table_name="deliveries")
    op.drop_table("deliveries")
