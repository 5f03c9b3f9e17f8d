"""decisions record the learned router's version and score

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:25:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("model_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_column("model_score")
        batch_op.drop_column("model_version")
