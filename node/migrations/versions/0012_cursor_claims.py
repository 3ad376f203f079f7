"""Cursors record a peer's refused claim and heads that went backwards

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05

A peer's heads are a claim until its pages verify. A claim whose page was refused no longer
counts towards the lag (it fired the lag alert for ever); it is kept beside the cursor, with
its reason, for the status to show. Heads that go backwards are flagged the same way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (
    ("refused_seq", sa.BigInteger()),
    ("refused_reason", sa.String(64)),
    ("refused_at", sa.DateTime(timezone=True)),
    ("went_back_from", sa.BigInteger()),
    ("went_back_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("fed_cursors") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fed_cursors") as batch:
        for name, _type in reversed(COLUMNS):
            batch.drop_column(name)
