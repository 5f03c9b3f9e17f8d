"""intake: every table as of 0005, one squashed baseline (why: baton_runtime.migrations)

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
        "api_keys",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value", name="uq_contacts_kind_value"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key"),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )
    op.create_table(
        "ignored_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_ignored_mail_received_at"), "ignored_mail", ["received_at"], unique=False
    )
    op.create_table(
        "issue_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_issue_updates_issue_id"), "issue_updates", ["issue_id"], unique=False)
    op.create_table(
        "issues",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reporter_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reporter_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "reporter_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column(
            "normalized_subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("duplicate_of", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference", name="uq_issues_reference"),
        sa.UniqueConstraint("source_system", "external_ref", name="uq_issues_source_external_ref"),
    )
    op.create_index(
        op.f("ix_issues_normalized_subject"), "issues", ["normalized_subject"], unique=False
    )
    op.create_table(
        "threads",
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("seen_messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "ref"),
    )
    op.create_index(op.f("ix_threads_issue_id"), "threads", ["issue_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_threads_issue_id"), table_name="threads")
    op.drop_table("threads")
    op.drop_index(op.f("ix_issues_normalized_subject"), table_name="issues")
    op.drop_table("issues")
    op.drop_index(op.f("ix_issue_updates_issue_id"), table_name="issue_updates")
    op.drop_table("issue_updates")
    op.drop_index(op.f("ix_ignored_mail_received_at"), table_name="ignored_mail")
    op.drop_table("ignored_mail")
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("contacts")
    op.drop_table("api_keys")
