"""fed_missing_bodies: records whose latest entry came without its body, until it is fetched

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-05

A relay could hold back a record's update by serving its latest upsert without body (the
form a compacted entry takes). The receiver now notes each such record, shows the origin
incomplete while any is left, and fetches the body from another peer or the origin
(docs/protocol.md §8.4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fed_missing_bodies",
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("via_peer", sa.String(length=64), nullable=True),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", "kind", "record_id", name=op.f("pk_fed_missing_bodies")),
    )


def downgrade() -> None:
    op.drop_table("fed_missing_bodies")
