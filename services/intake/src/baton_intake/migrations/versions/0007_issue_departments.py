"""intake: the departments an issue concerned besides the one holding it (held,
asked to take it, asked to help), so that their liaisons read it here as they do
in ownership

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "issue_departments",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "department"),
    )


def downgrade() -> None:
    op.drop_table("issue_departments")
