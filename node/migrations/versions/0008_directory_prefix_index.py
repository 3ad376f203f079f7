"""SQLite's directory index keeps prefix indexes: a typed word is a prefix query

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

Every search word is matched as a prefix (`regie*`). Without prefix indexes FTS5 merges the
posting lists of every token that starts with it: at 100,000 cards "régie son" spent 6 ms
there. With prefix indexes of 2 to 6 characters it reads one list per word of that length
(longer words still merge, over far fewer tokens). The index grows about fivefold (7 → 35
MB at 100,000 cards). PostgreSQL's `tsvector` index is unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize='unicode61 remove_diacritics 2'"


def _recreate(prefix: str) -> None:
    op.execute("DROP TABLE directory_fts")
    op.execute(
        "CREATE VIRTUAL TABLE directory_fts USING fts5("
        f"search_text, content='directory_cards', content_rowid='pk', {TOKENIZE}{prefix})"
    )
    # External content: the index is rebuilt from directory_cards.
    op.execute("INSERT INTO directory_fts(directory_fts) VALUES ('rebuild')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate(", prefix='2 3 4 5 6'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate("")
