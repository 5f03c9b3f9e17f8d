"""Quiet hours: department calendars (department_hours), a person's own working
hours and quiet-hours choice (recipient_preferences), deliveries held for a digest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_hours",
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("department"),
    )
    with op.batch_alter_table("recipient_preferences") as batch_op:
        batch_op.add_column(
            sa.Column("quiet_hours", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("working_hours", sa.JSON(), nullable=True))
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("held")
    with op.batch_alter_table("recipient_preferences") as batch_op:
        batch_op.drop_column("working_hours")
        batch_op.drop_column("quiet_hours")
    op.drop_table("department_hours")
