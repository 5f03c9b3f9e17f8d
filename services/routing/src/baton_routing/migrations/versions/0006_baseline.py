"""routing: every table as of 0006, one squashed baseline (why: baton_runtime.migrations)

Revision ID: 0006
Revises:
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "resolved_labels",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    op.create_table(
        "routed_issues",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reported", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("silo_alarm", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_routing_decisions_issue_id"), "routing_decisions", ["issue_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_routing_decisions_issue_id"), table_name="routing_decisions")
    op.drop_table("routing_decisions")
    op.drop_table("routed_issues")
    op.drop_table("resolved_labels")
    op.drop_table("catalog_versions")
