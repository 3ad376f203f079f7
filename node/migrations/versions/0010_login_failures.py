"""Failed logins get a table of their own, `login_failures`

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Until now each failed login was a row of `fed_nonces` under a `login-failure:` key (decision
record 0004: the schema was frozen then). The live rows move to `login_failures`, with the
same three columns under plain names: the digest of the username and address (without the
prefix), a random nonce, the expiry. The downgrade moves them back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PREFIX = "login-failure:"


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "nonce", name=op.f("pk_login_failures")),
    )
    op.create_index(
        op.f("ix_login_failures_expires_at"), "login_failures", ["expires_at"], unique=False
    )
    start = len(PREFIX) + 1  # SQL strings count from 1
    op.execute(
        "INSERT INTO login_failures (key, nonce, expires_at) "
        f"SELECT substr(key_id, {start}), nonce, expires_at FROM fed_nonces "
        f"WHERE key_id LIKE '{PREFIX}%'"
    )
    op.execute(f"DELETE FROM fed_nonces WHERE key_id LIKE '{PREFIX}%'")


def downgrade() -> None:
    op.execute(
        "INSERT INTO fed_nonces (key_id, nonce, expires_at) "
        f"SELECT '{PREFIX}' || key, nonce, expires_at FROM login_failures"
    )
    op.drop_index(op.f("ix_login_failures_expires_at"), table_name="login_failures")
    op.drop_table("login_failures")
