"""reroute: the reported issue is kept; decisions record a silo alarm

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routed_issues",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reported", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("silo_alarm", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_column("silo_alarm")
    op.drop_table("routed_issues")
