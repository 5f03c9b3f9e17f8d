"""recipient_preferences: webhook secret and URLs become text, room for their
sealed (Fernet) form

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {"slack_webhook_url": 2000, "webhook_url": 2000, "webhook_secret": 200}


def upgrade() -> None:
    with op.batch_alter_table("recipient_preferences") as batch_op:
        for name, length in COLUMNS.items():
            batch_op.alter_column(
                name,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                type_=sa.Text(),
                existing_nullable=True,
            )


def downgrade() -> None:
    # Sealed values do not fit the old lengths: only safe while nothing is sealed.
    with op.batch_alter_table("recipient_preferences") as batch_op:
        for name, length in COLUMNS.items():
            batch_op.alter_column(
                name,
                existing_type=sa.Text(),
                type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_nullable=True,
            )
