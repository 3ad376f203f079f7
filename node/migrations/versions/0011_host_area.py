"""the bureau's hosting area, as its admin sets it in the pages

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05

Until now the hosting area was only the `node.host_area` setting, changed by editing the
settings file and restarting. The admin's edit is kept here (one row) and wins over the
setting from then on; without a row, the setting is the area, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "host_area",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entries", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_host_area"),
    )


def downgrade() -> None:
    op.drop_table("host_area")
