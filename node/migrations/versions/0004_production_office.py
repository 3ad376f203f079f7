"""production office: CRM, dates pipeline, engagements, contracts, budgets, day sheets, hints

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOW = sa.DateTime(timezone=True)


def _record_columns() -> list[sa.Column[object]]:
    """id, version and timestamps of every bureau record (RecordMixin)."""
    return [
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{columns[0]}", table, list(columns), unique=unique)


def upgrade() -> None:
    # 1. CRM: interactions and prospection.
    op.create_table(
        "interactions",
        sa.Column("organisation_id", sa.String(length=32), nullable=False),
        sa.Column("production_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("happened_at", NOW, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_member_id", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        *_record_columns(),
        _fk("interactions", "organisation_id", "organisations", "CASCADE"),
        _fk("interactions", "production_id", "productions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
    )
    _index("interactions", "organisation_id")
    _index("interactions", "production_id")
    _index("interactions", "happened_at")
    op.create_table(
        "prospections",
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("next_action", sa.String(length=300), nullable=False),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("contact_id", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        *_record_columns(),
        _fk("prospections", "production_id", "productions", "CASCADE"),
        _fk("prospections", "organisation_id", "organisations", "CASCADE"),
        _fk("prospections", "contact_id", "contacts", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_prospections"),
        sa.UniqueConstraint(
            "production_id", "organisation_id", name="uq_prospections_production_id"
        ),
    )
    _index("prospections", "production_id")
    _index("prospections", "organisation_id")
    _index("prospections", "status")
    _index("prospections", "next_action_on")

    # 2. Dates pipeline: the finer stage of a date, its option level and expiry, why cancelled.
    with op.batch_alter_table("tour_dates") as batch:
        batch.add_column(
            sa.Column("stage", sa.String(length=20), nullable=False, server_default="option")
        )
        batch.add_column(sa.Column("option_level", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("option_expires_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE tour_dates SET stage = CASE status WHEN 'confirmed' THEN 'confirmee' "
        "WHEN 'cancelled' THEN 'annulee' ELSE 'option' END"
    )
    op.execute("UPDATE tour_dates SET option_level = 1 WHERE stage = 'option'")
    _index("tour_dates", "stage")

    # 3. Engagements, the numéro d'objet of a production, the minimum-pay grids.
    with op.batch_alter_table("productions") as batch:
        batch.add_column(
            sa.Column("object_number", sa.String(length=40), nullable=False, server_default="")
        )
    op.create_table(
        "engagements",
        sa.Column("tour_date_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=120), nullable=False),
        sa.Column("profession", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("convention", sa.String(length=20), nullable=False),
        sa.Column("annexe", sa.String(length=10), nullable=False),
        sa.Column("pay_basis", sa.String(length=10), nullable=False),
        sa.Column("cachets", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("gross_pay_cents", sa.Integer(), nullable=False),
        sa.Column("rehearsal_days", JSON, nullable=False),
        sa.Column("first_working_day", sa.Date(), nullable=False),
        sa.Column("last_working_day", sa.Date(), nullable=False),
        sa.Column("cddu_signed_on", sa.Date(), nullable=True),
        sa.Column("dpae_sent_on", sa.Date(), nullable=True),
        sa.Column("aem_issued_on", sa.Date(), nullable=True),
        sa.Column("conges_certificate_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        *_record_columns(),
        _fk("engagements", "tour_date_id", "tour_dates", "CASCADE"),
        _fk("engagements", "member_id", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
    )
    _index("engagements", "tour_date_id")
    _index("engagements", "member_id")
    _index("engagements", "first_working_day")
    op.create_table(
        "pay_grid_rows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("convention", sa.String(length=20), nullable=False),
        sa.Column("annexe", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("profession", sa.String(length=120), nullable=False),
        sa.Column("profession_key", sa.String(length=120), nullable=False),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("minimum_cents", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("loaded_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pay_grid_rows"),
    )
    op.create_index(
        "ix_pay_grid_rows_lookup", "pay_grid_rows", ["convention", "profession_key"]
    )

    # 4. Sale contracts, the dates they cover, office settings, editable templates.
    op.create_table(
        "sale_contracts",
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("organiser_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("producer_name", sa.String(length=200), nullable=False),
        sa.Column("producer_licence", sa.String(length=60), nullable=False),
        sa.Column("producer_address", sa.Text(), nullable=False),
        sa.Column("organiser_name", sa.String(length=200), nullable=False),
        sa.Column("organiser_licence", sa.String(length=60), nullable=False),
        sa.Column("organiser_address", sa.Text(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("percentage", sa.Float(), nullable=False),
        sa.Column("minimum_guarantee_cents", sa.Integer(), nullable=False),
        sa.Column("ticket_price_cents", sa.Integer(), nullable=False),
        sa.Column("ticket_prices", sa.String(length=300), nullable=False),
        sa.Column("ticketing_holder", sa.String(length=20), nullable=False),
        sa.Column("costs", JSON, nullable=False),
        sa.Column("rider", sa.Text(), nullable=False),
        sa.Column("deposit_cents", sa.Integer(), nullable=False),
        sa.Column("sign_by", sa.Date(), nullable=True),
        sa.Column("payment_due", sa.Date(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("settlement", JSON, nullable=True),
        *_record_columns(),
        _fk("sale_contracts", "production_id", "productions", "CASCADE"),
        _fk("sale_contracts", "organiser_id", "organisations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_sale_contracts"),
    )
    _index("sale_contracts", "production_id")
    _index("sale_contracts", "organiser_id")
    op.create_table(
        "contract_dates",
        sa.Column("contract_id", sa.String(length=32), nullable=False),
        sa.Column("tour_date_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["sale_contracts.id"],
            name="fk_contract_dates_contract_id_sale_contracts",
            ondelete="CASCADE",
        ),
        _fk("contract_dates", "tour_date_id", "tour_dates", "CASCADE"),
        sa.PrimaryKeyConstraint("contract_id", "tour_date_id", name="pk_contract_dates"),
        sa.UniqueConstraint("tour_date_id", name="uq_contract_dates_tour_date_id"),
    )
    op.create_table(
        "office_settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_office_settings"),
    )
    op.create_table(
        "document_templates",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_document_templates"),
    )

    # 5. Budget lines of dates and tours.
    op.create_table(
        "budget_lines",
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("tour_date_id", sa.String(length=32), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("estimate_cents", sa.Integer(), nullable=False),
        sa.Column("actual_cents", sa.Integer(), nullable=True),
        *_record_columns(),
        _fk("budget_lines", "production_id", "productions", "CASCADE"),
        _fk("budget_lines", "tour_date_id", "tour_dates", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_budget_lines"),
    )
    _index("budget_lines", "production_id")
    _index("budget_lines", "tour_date_id")

    # 6. Day sheets and their share links.
    op.create_table(
        "day_sheets",
        sa.Column("tour_date_id", sa.String(length=32), nullable=False),
        sa.Column("schedule", JSON, nullable=False),
        sa.Column("places", JSON, nullable=False),
        sa.Column("accommodation", sa.Text(), nullable=False),
        sa.Column("meals", sa.Text(), nullable=False),
        sa.Column("contacts", JSON, nullable=False),
        sa.Column("technical_notes", sa.Text(), nullable=False),
        sa.Column("internal_notes", sa.Text(), nullable=False),
        *_record_columns(),
        _fk("day_sheets", "tour_date_id", "tour_dates", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_day_sheets"),
        sa.UniqueConstraint("tour_date_id", name="uq_day_sheets_tour_date_id"),
    )
    op.create_table(
        "day_sheet_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tour_date_id", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("revoked_at", NOW, nullable=True),
        _fk("day_sheet_links", "tour_date_id", "tour_dates", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_day_sheet_links"),
        sa.UniqueConstraint("token_hash", name="uq_day_sheet_links_token_hash"),
    )
    _index("day_sheet_links", "tour_date_id")

    # 7. Compliance duties marked done by hand.
    op.create_table(
        "compliance_marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tour_date_id", sa.String(length=32), nullable=False),
        sa.Column("duty", sa.String(length=30), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("marked_by", sa.String(length=200), nullable=False),
        sa.Column("marked_at", NOW, nullable=False),
        _fk("compliance_marks", "tour_date_id", "tour_dates", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_marks"),
        sa.UniqueConstraint("tour_date_id", "duty", name="uq_compliance_marks_tour_date_id"),
    )
    _index("compliance_marks", "tour_date_id")

    # 8. "Already in contact" hints: the bureau's opt-ins and the network's replica.
    op.create_table(
        "contact_hints",
        sa.Column("organisation_id", sa.String(length=32), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("contact_hints", "organisation_id", "organisations", "CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_contact_hints"),
    )
    op.create_table(
        "network_contact_hints",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("received_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_network_contact_hints"),
        sa.UniqueConstraint("origin", "record_id", name="uq_network_contact_hints_origin"),
    )
    _index("network_contact_hints", "name_key")


def downgrade() -> None:
    op.drop_table("network_contact_hints")
    op.drop_table("contact_hints")
    op.drop_table("compliance_marks")
    op.drop_table("day_sheet_links")
    op.drop_table("day_sheets")
    op.drop_table("budget_lines")
    op.drop_table("document_templates")
    op.drop_table("office_settings")
    op.drop_table("contract_dates")
    op.drop_table("sale_contracts")
    op.drop_table("pay_grid_rows")
    op.drop_table("engagements")
    with op.batch_alter_table("productions") as batch:
        batch.drop_column("object_number")
    op.drop_index("ix_tour_dates_stage", table_name="tour_dates")
    with op.batch_alter_table("tour_dates") as batch:
        for column in ("cancel_reason", "option_expires_on", "option_level", "stage"):
            batch.drop_column(column)
    op.drop_table("prospections")
    op.drop_table("interactions")
