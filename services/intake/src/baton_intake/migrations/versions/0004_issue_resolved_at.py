"""issues.resolved_at from ownership's events (near-duplicates link to open issues
only), and processed_events, as intake now consumes Baton events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "issues", sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("processed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    with op.batch_alter_table("issues") as batch_op:
        batch_op.drop_column("resolved_at")
