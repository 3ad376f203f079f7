"""loans between bureaus, hosting offers, webhook events, members' network-proposals consent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOW = sa.DateTime(timezone=True)


def _record_columns() -> list[sa.Column[object]]:
    """version and timestamps of every bureau record (RecordMixin; these tables own their id)."""
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "loans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("borrower", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("resource_name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("proposed_starts_on", sa.Date(), nullable=True),
        sa.Column("proposed_ends_on", sa.Date(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("pickup_place", sa.String(length=200), nullable=False),
        sa.Column("return_place", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pending", sa.String(length=20), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("history", JSON, nullable=False),
        sa.Column("last_message_key", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_loans"),
    )
    op.create_index("ix_loans_state", "loans", ["state"])
    op.create_index("ix_loans_resource_period", "loans", ["resource_id", "starts_on", "ends_on"])
    op.create_table(
        "hosting_offers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=40), nullable=False),
        sa.Column("producer", sa.String(length=40), nullable=False),
        sa.Column("tour_date_id", sa.String(length=64), nullable=False),
        sa.Column("date_label", sa.String(length=300), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_hosting_offers"),
    )
    op.create_index("ix_hosting_offers_tour_date_id", "hosting_offers", ["tour_date_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", NOW, nullable=True),
        sa.Column("delivered_at", NOW, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
    )
    op.create_index("ix_webhook_events_next_attempt_at", "webhook_events", ["next_attempt_at"])
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("network_proposals", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("network_proposals_at", NOW, nullable=True))
        batch.add_column(
            sa.Column("home_bureau", sa.String(length=40), nullable=False, server_default="")
        )
    with op.batch_alter_table("engagements") as batch:
        batch.add_column(
            sa.Column("host_bureau", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("engagements") as batch:
        batch.drop_column("host_bureau")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("home_bureau")
        batch.drop_column("network_proposals_at")
        batch.drop_column("network_proposals")
    op.drop_index("ix_webhook_events_next_attempt_at", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_hosting_offers_tour_date_id", table_name="hosting_offers")
    op.drop_table("hosting_offers")
    op.drop_index("ix_loans_resource_period", table_name="loans")
    op.drop_index("ix_loans_state", table_name="loans")
    op.drop_table("loans")
