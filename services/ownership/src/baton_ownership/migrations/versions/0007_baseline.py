"""ownership: every table as of 0007, one squashed baseline (why: baton_runtime.migrations)

Revision ID: 0007
Revises:
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("help_id", sa.Integer(), nullable=True),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("warn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_deadlines_due_at"), "deadlines", ["due_at"], unique=False)
    op.create_index(op.f("ix_deadlines_issue_id"), "deadlines", ["issue_id"], unique=False)
    op.create_index(op.f("ix_deadlines_status"), "deadlines", ["status"], unique=False)
    op.create_index(op.f("ix_deadlines_warn_at"), "deadlines", ["warn_at"], unique=False)
    op.create_table(
        "department_cursors",
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("department"),
    )
    op.create_table(
        "department_members",
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("department", "person_id"),
    )
    op.create_table(
        "department_policies",
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resolve_hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("department"),
    )
    op.create_table(
        "department_stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hop", sa.Integer(), nullable=False),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_department_stays_department"), "department_stays", ["department"], unique=False
    )
    op.create_index(
        op.f("ix_department_stays_issue_id"), "department_stays", ["issue_id"], unique=False
    )
    op.create_index(
        op.f("ix_department_stays_started_at"), "department_stays", ["started_at"], unique=False
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("from_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("from_owner_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("to_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("to_person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_handoffs_issue_id"), "handoffs", ["issue_id"], unique=False)
    op.create_index(
        "uq_handoffs_one_pending",
        "handoffs",
        ["issue_id"],
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
        sqlite_where=sa.text("status = 'requested'"),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column(
            "requesting_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "helping_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_help_requests_issue_id"), "help_requests", ["issue_id"], unique=False)
    op.create_table(
        "issue_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_issue_history_issue_id"), "issue_history", ["issue_id"], unique=False)
    op.create_table(
        "issue_owners",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("hop", sa.Integer(), nullable=False),
        sa.Column("held_by_head", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("department_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("trace_context", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("issue_id"),
    )


def downgrade() -> None:
    op.drop_table("issue_owners")
    op.drop_index(op.f("ix_issue_history_issue_id"), table_name="issue_history")
    op.drop_table("issue_history")
    op.drop_index(op.f("ix_help_requests_issue_id"), table_name="help_requests")
    op.drop_table("help_requests")
    op.drop_index(
        "uq_handoffs_one_pending",
        table_name="handoffs",
        postgresql_where=sa.text("status = 'requested'"),
        sqlite_where=sa.text("status = 'requested'"),
    )
    op.drop_index(op.f("ix_handoffs_issue_id"), table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index(op.f("ix_department_stays_started_at"), table_name="department_stays")
    op.drop_index(op.f("ix_department_stays_issue_id"), table_name="department_stays")
    op.drop_index(op.f("ix_department_stays_department"), table_name="department_stays")
    op.drop_table("department_stays")
    op.drop_table("department_policies")
    op.drop_table("department_members")
    op.drop_table("department_cursors")
    op.drop_index(op.f("ix_deadlines_warn_at"), table_name="deadlines")
    op.drop_index(op.f("ix_deadlines_status"), table_name="deadlines")
    op.drop_index(op.f("ix_deadlines_issue_id"), table_name="deadlines")
    op.drop_index(op.f("ix_deadlines_due_at"), table_name="deadlines")
    op.drop_table("deadlines")
