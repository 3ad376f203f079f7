"""Loans of lendable resources between bureaus, hosting offers for touring productions, the
bureau's hosting area, and the webhook events other tools of the bureau receive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType, utcnow
from node.models.mixins import RecordMixin


class Loan(RecordMixin, Base):
    """One loan as this bureau sees it: the owner's row decides, the borrower's mirrors it.

    `id` is the loan's id on both bureaus (the borrower draws it). The owner bumps
    `revision` on every change and sends its full state; the borrower keeps the highest
    revision it received, so a late or repeated message changes nothing.
    """

    __tablename__ = "loans"
    __table_args__ = (Index("ix_loans_resource_period", "resource_id", "starts_on", "ends_on"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str] = mapped_column(String(40))
    borrower: Mapped[str] = mapped_column(String(40))
    # The owner's resource id (a local resource at the owner, a replicated one at the borrower).
    resource_id: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    proposed_starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    proposed_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    pickup_place: Mapped[str] = mapped_column(String(200), default="")
    return_place: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    # What a person typed (a decline's reason, a message); what the node itself says about the
    # loan is `reason_code`, a slug the pages translate (`docs/loans.md`).
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[str] = mapped_column(String(20), default="")
    offer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The idempotency key of the last message this bureau queued about the loan.
    last_message_key: Mapped[str] = mapped_column(String(200), default="")


class HostingOffer(RecordMixin, Base):
    """Support a hosting bureau offers for a touring production's date in its territory.

    `items` lists what is offered, each with its own decision:
    `{"id", "type": "crew"|"resource"|"contact", ..., "status": "proposed"|"accepted"|
    "declined", "reason"}`.
    """

    __tablename__ = "hosting_offers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    host: Mapped[str] = mapped_column(String(40))
    producer: Mapped[str] = mapped_column(String(40))
    # The producer's tour date id (a local date at the producer, a replicated one at the host).
    tour_date_id: Mapped[str] = mapped_column(String(64), index=True)
    date_label: Mapped[str] = mapped_column(String(300), default="")
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    sent_by: Mapped[str] = mapped_column(String(200), default="")


class HostArea(Base):
    """The hosting area as the bureau's admin last set it: one row (`id` 1); while there is
    none, the `node.host_area` setting is the area."""

    __tablename__ = "host_area"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entries: Mapped[list[str]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """An event for the bureau's webhook, posted (and retried) by the scheduler."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
