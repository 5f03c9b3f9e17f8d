"""Working time: department calendars, on-call schedules and internal targets
(department_policies); what each clock was set to and the on-call layer called
(deadlines); received_issues (interrupts) and internal_requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department_policies") as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("on_call", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("internal_targets", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("deadlines") as batch_op:
        batch_op.add_column(
            sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("length_minutes", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "counting",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="wall",
            )
        )
        batch_op.add_column(sa.Column("on_call_layer", sa.Integer(), nullable=True))
    op.create_table(
        "received_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("working_hours", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_received_issues_at"), "received_issues", ["at"], unique=False)
    op.create_index(
        op.f("ix_received_issues_department"), "received_issues", ["department"], unique=False
    )
    op.create_index(
        op.f("ix_received_issues_issue_id"), "received_issues", ["issue_id"], unique=False
    )
    op.create_table(
        "internal_requests",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("requester_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column(
            "requester_department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("routed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledge_working_minutes", sa.Float(), nullable=True),
        sa.Column("resolve_working_minutes", sa.Float(), nullable=True),
        sa.Column("acknowledge_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolve_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    for column in ("department", "requester_department", "resolved_at", "routed_at"):
        op.create_index(
            op.f(f"ix_internal_requests_{column}"), "internal_requests", [column], unique=False
        )


def downgrade() -> None:
    op.drop_table("internal_requests")
    op.drop_table("received_issues")
    with op.batch_alter_table("deadlines") as batch_op:
        for column in ("on_call_layer", "counting", "length_minutes", "started_at"):
            batch_op.drop_column(column)
    with op.batch_alter_table("department_policies") as batch_op:
        for column in ("internal_targets", "on_call", "calendar"):
            batch_op.drop_column(column)
