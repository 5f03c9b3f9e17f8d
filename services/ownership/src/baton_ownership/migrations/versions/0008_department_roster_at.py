"""department_policies.roster_at: when the roster last applied was true, so an
older one arriving late is not applied over it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 21:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department_policies") as batch_op:
        batch_op.add_column(
            sa.Column("roster_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("department_policies") as batch_op:
        batch_op.drop_column("roster_at")
