"""the record index of fed_entries ends with seq: the latest entry of a record is one probe

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_fed_entries_record", table_name="fed_entries")
    op.create_index("ix_fed_entries_record", "fed_entries", ["origin", "kind", "record_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_fed_entries_record", table_name="fed_entries")
    op.create_index("ix_fed_entries_record", "fed_entries", ["origin", "kind", "record_id"])
