"""directory full-text index: FTS5 on SQLite, a generated tsvector on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # External content: the text lives once, in directory_cards; the index holds tokens.
        op.execute(
            "CREATE VIRTUAL TABLE directory_fts USING fts5("
            "search_text, content='directory_cards', content_rowid='pk', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "ALTER TABLE directory_cards ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_directory_cards_search_vector ON directory_cards "
            "USING gin (search_vector)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE directory_fts")
    else:
        op.execute("DROP INDEX ix_directory_cards_search_vector")
        op.execute("ALTER TABLE directory_cards DROP COLUMN search_vector")
