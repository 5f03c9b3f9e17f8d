"""workspace: reporters' ratings and departments' internal targets, for the scorecards

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 23:20:00.000000
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
        "issue_ratings",
        sa.Column("issue_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("commented", sa.Boolean(), nullable=False),
        sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    with op.batch_alter_table("issue_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issue_ratings_department"), ["department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issue_ratings_rated_at"), ["rated_at"], unique=False)
    with op.batch_alter_table("department_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal_targets", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("targets_as_of", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("department_views", schema=None) as batch_op:
        batch_op.drop_column("targets_as_of")
        batch_op.drop_column("internal_targets")
    with op.batch_alter_table("issue_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_ratings_rated_at"))
        batch_op.drop_index(batch_op.f("ix_issue_ratings_department"))
    op.drop_table("issue_ratings")
