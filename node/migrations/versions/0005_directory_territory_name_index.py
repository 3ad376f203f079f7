"""directory: one index on (territory, sort_name) instead of territory alone

A territory filter lists its cards by name: with both columns in one index the database
walks that bureau's names in order and stops at the page, instead of sorting every card of
the territory (and a territory search over many matches does the same).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directory_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_cards_territory")
        batch_op.create_index(
            "ix_directory_cards_territory_name", ["territory", "sort_name"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("directory_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_cards_territory_name")
        batch_op.create_index("ix_directory_cards_territory", ["territory"], unique=False)
