"""Loans say why the node ended them with a code, `loans.reason_code`, beside `reason`

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-05

`reason` crossed the wire with French sentences the node wrote (« la période proposée n'est
plus libre »); the API and the protocol speak English and codes, so what the node says is
now a slug the pages translate, and `reason` keeps only what a person typed. The loans a
node had already ended for one of those reasons get its code and lose the sentence;
downgrading writes the sentences back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

# The sentences the node wrote into `reason` before, by the code that replaces them.
SENTENCES = {
    "unknown_at_owner": "le bureau propriétaire ne connaît pas ce prêt",
    "resource_not_lendable": "ressource inconnue ou non prêtable",
    "period_taken": "la période proposée n'est plus libre",
}
loans = sa.table("loans", sa.column("reason", sa.Text), sa.column("reason_code", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_code", sa.String(length=40), nullable=False, server_default="")
        )
    for code, sentence in SENTENCES.items():
        op.execute(
            loans.update().where(loans.c.reason == sentence).values(reason="", reason_code=code)
        )


def downgrade() -> None:
    for code, sentence in SENTENCES.items():
        op.execute(
            loans.update()
            .where(loans.c.reason_code == code, loans.c.reason == "")
            .values(reason=sentence)
        )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_column("reason_code")
