"""api keys, contacts, threads, updates, idempotency keys; issue source and reference

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:46:33.300613
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
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
    op.create_table(
        "issue_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("issue_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_updates_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "threads",
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("seen_messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "ref"),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_threads_issue_id"), ["issue_id"], unique=False)

    # Issues taken in before this revision keep source_system NULL: (NULL, ref)
    # pairs are never equal, so old rows cannot break the new unique key.
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "normalized_subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("duplicate_of", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_issues_normalized_subject"), ["normalized_subject"], unique=False
        )
        batch_op.create_unique_constraint(
            "uq_issues_source_external_ref", ["source_system", "external_ref"]
        )
        batch_op.create_unique_constraint("uq_issues_reference", ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_constraint("uq_issues_reference", type_="unique")
        batch_op.drop_constraint("uq_issues_source_external_ref", type_="unique")
        batch_op.drop_index(batch_op.f("ix_issues_normalized_subject"))
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("normalized_subject")
        batch_op.drop_column("reference")
        batch_op.drop_column("source_system")

    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_threads_issue_id"))

    op.drop_table("threads")
    with op.batch_alter_table("issue_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_updates_issue_id"))

    op.drop_table("issue_updates")
    op.drop_table("idempotency_keys")
    op.drop_table("contacts")
    op.drop_table("api_keys")
