"""ownership: an index for counting a department's open issues per owner, which
every assignment does (it scanned every issue ever assigned)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"

_OPEN = "state <> 'resolved'"


def upgrade() -> None:
    op.create_index(
        "ix_issue_owners_open_by_department",
        "issue_owners",
        ["department", "owner_id"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
        # An operator may have built it beforehand, CONCURRENTLY (docs/runbook.md).
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_issue_owners_open_by_department", table_name="issue_owners")
