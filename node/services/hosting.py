"""Hosting a touring production: a date of another bureau comes to our area, we offer help.

The hosting bureau sees the network's upcoming dates in its hosting area
(`node.services.host_area`: "Dates qui viennent chez nous") and offers, for those only,
through a signed `hosting.offer`: members who accept network proposals
(`network_proposals`), are shared with the network and available that day; its lendable
resources free that day; local contacts; a note. The producing bureau decides on each item
and answers with `hosting.reply`:

- accepted crew are engaged by the producing bureau (it stays the employer) for the date,
  with the hosting bureau named on the engagement;
- an accepted resource becomes a loan request to the host, which accepts it at once if the
  resource is still free (it offered it);
- an accepted contact joins the date's day sheet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import (
    DaySheet,
    DirectoryCard,
    HostingOffer,
    Member,
    NetworkTourDate,
    Resource,
    TourDate,
)
from node.problems import Conflict, DomainError, Forbidden, NotFound
from node.services import engagements, webhooks
from node.services.common import audit, paginate
from node.services.editing import require_staff
from node.services.loans import Exchange, send_request
from node.services.sharing import busy_periods
from node.text import fold
from schemas.common import FieldError
from schemas.engagements import EngagementCreate
from schemas.hosting import (
    KIND_HOSTING_OFFER,
    KIND_HOSTING_REPLY,
    Decision,
    HostingOfferCreate,
    HostingOfferMessage,
    HostingReplyMessage,
    ItemAnswer,
    ItemDecision,
    ItemStatus,
    ItemType,
    OfferItem,
)

HOST = "host"
PRODUCER = "producer"


class Role(StrEnum):
    host = HOST
    producer = PRODUCER


def _now() -> datetime:
    return datetime.now(UTC)


def local_day(starts_at: datetime, timezone: str) -> date:
    """The day a performance happens, where it happens."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Europe/Paris")
    return starts_at.astimezone(zone).date()


# -- the host: dates coming to us, candidates, offers ----------------------------------------


@dataclass(frozen=True)
class ComingDate:
    origin: str
    record_id: str
    production_title: str
    day: date
    starts_at: datetime
    timezone: str
    city: str
    venue_name: str
    postal_code: str
    offers: int


def in_area(area: Sequence[str], *, city: str, postal_code: str) -> bool:
    """Whether a venue (its city, its postal code) lies in the bureau's hosting area."""
    folded_city = fold(city).strip()
    code = postal_code.replace(" ", "")
    for entry in area:
        wanted = entry.strip()
        if not wanted:
            continue
        if wanted.isdigit():
            if code.startswith(wanted):
                return True
        elif fold(wanted) == folded_city:
            return True
    return False


def coming_dates(
    session: Session, *, own: str, area: Sequence[str], today: date | None = None, limit: int = 200
) -> list[ComingDate]:
    """Network dates of other bureaus, from today on, whose venue is in our hosting area."""
    if not [a for a in area if a.strip()]:
        return []
    today = today or _now().date()
    since = datetime(today.year, today.month, today.day, tzinfo=UTC)
    rows = session.scalars(
        select(NetworkTourDate)
        .where(
            NetworkTourDate.origin != own,
            NetworkTourDate.starts_at >= since,
            NetworkTourDate.status != "cancelled",
        )
        .order_by(NetworkTourDate.starts_at)
        .limit(5000)
    ).all()
    offered = dict(
        session.execute(
            select(HostingOffer.tour_date_id, func.count())
            .where(HostingOffer.role == HOST)
            .group_by(HostingOffer.tour_date_id)
        ).all()
    )
    coming = []
    for row in rows:
        postal_code = str(row.body.get("postal_code") or "")
        if not in_area(area, city=row.city, postal_code=postal_code):
            continue
        coming.append(
            ComingDate(
                origin=row.origin,
                record_id=row.record_id,
                production_title=row.production_title,
                day=local_day(row.starts_at, row.timezone),
                starts_at=row.starts_at,
                timezone=row.timezone,
                city=row.city,
                venue_name=row.venue_name,
                postal_code=postal_code,
                offers=offered.get(row.record_id, 0),
            )
        )
        if len(coming) >= limit:
            break
    return coming


def network_date(session: Session, *, origin: str, record_id: str) -> NetworkTourDate:
    row = session.scalars(
        select(NetworkTourDate).where(
            NetworkTourDate.origin == origin, NetworkTourDate.record_id == record_id
        )
    ).first()
    if row is None:
        raise NotFound(f"{origin!r} shares no tour date {record_id!r}")
    return row


def require_in_area(area: Sequence[str], target: NetworkTourDate) -> None:
    """Refuse a date whose venue lies outside our hosting `area` (`date_outside_host_area`)."""
    postal_code = str(target.body.get("postal_code") or "")
    if not in_area(area, city=target.city, postal_code=postal_code):
        raise DomainError(
            f"the venue of {target.origin!r}'s date {target.record_id!r} ({target.city}, "
            f"{postal_code or 'no postal code'}) is outside this bureau's hosting area",
            code="date_outside_host_area",
        )


def available_on(member: Member, day: date) -> bool:
    """Whether one of the member's availability periods covers `day`."""
    for period in member.availability or []:
        try:
            start = date.fromisoformat(str(period.get("start")))
            end_value = period.get("end")
            end = date.fromisoformat(str(end_value)) if end_value else None
        except ValueError:
            continue
        if start <= day and (end is None or day <= end):
            return True
    return False


def crew_candidates(session: Session, day: date) -> list[Member]:
    """Our members who may be proposed for `day`: they accept network proposals, their card
    is shared with the network, and they said they are available that day."""
    members = session.scalars(
        select(Member)
        .where(
            Member.active.is_(True),
            Member.network_proposals.is_(True),
            Member.visibility.in_(("network", "public")),
            Member.home_bureau == "",
        )
        .order_by(Member.display_name)
    ).all()
    # The query narrows; `crew_refusal` decides, as it does for an offer.
    return [m for m in members if crew_refusal(m, day) is None]


def resource_candidates(session: Session, day: date) -> list[Resource]:
    """Our lendable resources not lent on `day`."""
    resources = session.scalars(
        select(Resource).where(Resource.lendable.is_(True)).order_by(Resource.name)
    ).all()
    return [
        r
        for r in resources
        if not any(p.start <= day <= p.end for p in busy_periods(session, r.id, since=day))
    ]


def crew_refusal(member: Member | None, day: date) -> tuple[str, str] | None:
    """Why a member may not be proposed for `day` (code, English message), or None: each
    cause its own code, so the page can say which one to fix."""
    if member is None or not member.active or member.home_bureau:
        return "crew_unknown_member", "no member of this bureau with this id"
    if not member.network_proposals:
        return "crew_no_consent", "the member does not accept network proposals"
    if member.visibility not in ("network", "public"):
        return "crew_card_not_shared", "the member's card is not shared with the network"
    if not available_on(member, day):
        return "crew_unavailable", "the member said they are not available that day"
    return None


def create_offer(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    data: HostingOfferCreate,
    area: Sequence[str],
) -> HostingOffer:
    """Offer support to the producing bureau of a network date in our hosting `area` (sent
    through the outbox)."""
    require_staff(actor, "offer hosting")
    if data.producer not in exchange.peers(session):
        raise DomainError(
            f"{data.producer!r} is not a peer of this bureau",
            errors=[
                FieldError(field="body.producer", message="not a peer", code="producer_not_peer")
            ],
        )
    target = network_date(session, origin=data.producer, record_id=data.tour_date_id)
    day = local_day(target.starts_at, target.timezone)
    require_in_area(area, target)
    items: list[OfferItem] = []
    errors: list[FieldError] = []
    for index, crew in enumerate(data.crew):
        member = session.get(Member, crew.member_id)
        refusal = crew_refusal(member, day)
        if member is None or refusal is not None:
            code, why = refusal or ("crew_unknown_member", "")
            errors.append(FieldError(field=f"body.crew.{index}.member_id", message=why, code=code))
            continue
        items.append(
            OfferItem(
                id=f"c{index + 1}",
                type=ItemType.crew,
                label=member.display_name,
                details={
                    "card_id": member.id,
                    "display_name": member.display_name,
                    "trades": list(member.trades or []),
                    "city": member.city,
                    "note": crew.note,
                },
            )
        )
    free = {r.id: r for r in resource_candidates(session, day)}
    for index, resource_id in enumerate(data.resources):
        resource = free.get(resource_id)
        if resource is None:
            errors.append(
                FieldError(
                    field=f"body.resources.{index}",
                    message="not a lendable resource of this bureau free that day",
                    code="resource_not_free",
                )
            )
            continue
        items.append(
            OfferItem(
                id=f"r{index + 1}",
                type=ItemType.resource,
                label=resource.name,
                details={"resource_id": resource.id, "name": resource.name, "kind": resource.kind},
            )
        )
    for index, contact in enumerate(data.contacts):
        label = f"{contact.name} ({contact.role})" if contact.role else contact.name
        items.append(
            OfferItem(
                id=f"k{index + 1}",
                type=ItemType.contact,
                label=label,
                details=contact.model_dump(),
            )
        )
    if errors:
        raise DomainError(
            "some offered items cannot be offered",
            errors=errors,
            # One refusal: its code; several: a code saying so, each field with its own.
            code=None if len(errors) == 1 else "offer_items_refused",
        )
    label = f"{target.production_title} — {target.venue_name or target.city} ({day.isoformat()})"
    offer = HostingOffer(
        id=uuid.uuid4().hex,
        role=HOST,
        host=exchange.own,
        producer=data.producer,
        tour_date_id=data.tour_date_id,
        date_label=label[:300],
        day=day,
        note=data.note,
        items=[item.model_dump(mode="json") for item in items],
        revision=0,
        sent_by=actor.name,
    )
    session.add(offer)
    message = HostingOfferMessage(
        offer_id=offer.id,
        tour_date_id=offer.tour_date_id,
        day=day,
        date_label=offer.date_label,
        note=offer.note,
        items=items,
    )
    exchange.messenger.send_message(
        session,
        recipient=offer.producer,
        kind=KIND_HOSTING_OFFER,
        body=message.model_dump(mode="json"),
        idempotency_key=f"{KIND_HOSTING_OFFER}:{offer.id}",
    )
    session.flush()
    audit(
        session,
        actor=actor,
        action="hosting.offer",
        entity="hosting_offer",
        entity_id=offer.id,
        summary=f"{offer.date_label} → {offer.producer}",
    )
    webhooks.record(session, exchange, "hosting.offered", offer_payload(offer))
    return offer


def handle_reply(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Host: take the producer's decisions when they are newer than ours."""
    message = HostingReplyMessage.model_validate(body)
    offer = session.get(HostingOffer, message.offer_id)
    if offer is None or offer.role != HOST:
        return
    if offer.producer != sender:
        raise Forbidden(f"offer {offer.id} went to {offer.producer!r}, not {sender!r}")
    if message.revision <= offer.revision:
        return
    answers = {answer.id: answer for answer in message.items}
    items = []
    for item in offer.items:
        answer = answers.get(str(item.get("id")))
        if answer is not None:
            item = {**item, "status": answer.status.value, "reason": answer.reason}
        items.append(item)
    offer.items = items
    offer.revision = message.revision
    offer.version += 1
    webhooks.record(session, exchange, "hosting.answered", offer_payload(offer))


# -- the producer: offers received, decisions -------------------------------------------------


def handle_offer(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Producer: keep an offer for one of our dates (once)."""
    message = HostingOfferMessage.model_validate(body)
    if session.get(HostingOffer, message.offer_id) is not None:
        return
    tour_date = session.get(TourDate, message.tour_date_id)
    if tour_date is None:
        return  # not one of our dates (deleted since): nothing to decide
    offer = HostingOffer(
        id=message.offer_id,
        role=PRODUCER,
        host=sender,
        producer=exchange.own,
        tour_date_id=tour_date.id,
        date_label=message.date_label,
        day=message.day,
        note=message.note,
        items=[
            {**item.model_dump(mode="json"), "status": "proposed", "reason": ""}
            for item in message.items
        ],
        revision=0,
        sent_by=f"bureau:{sender}",
    )
    session.add(offer)
    session.flush()
    webhooks.record(session, exchange, "hosting.offered", offer_payload(offer))


def pending_offers(session: Session) -> int:
    """Offers received with at least one item not decided yet."""
    offers = session.scalars(select(HostingOffer).where(HostingOffer.role == PRODUCER)).all()
    return sum(1 for o in offers if any(i.get("status") == "proposed" for i in o.items))


def get_offer(session: Session, *, offer_id: str, lock: bool = False) -> HostingOffer:
    """An offer; with `lock`, read fresh under a row lock (to change it)."""
    offer = (
        session.get(HostingOffer, offer_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(HostingOffer, offer_id)
    )
    if offer is None:
        raise NotFound(f"no hosting offer with id {offer_id!r}")
    return offer


def list_offers(
    session: Session,
    *,
    role: str | None = None,
    tour_date_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[HostingOffer], int]:
    stmt = select(HostingOffer).order_by(HostingOffer.day, HostingOffer.id)
    if role:
        stmt = stmt.where(HostingOffer.role == role)
    if tour_date_id:
        stmt = stmt.where(HostingOffer.tour_date_id == tour_date_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def guest_member_id(host: str, card_id: str) -> str:
    """The id of a hosting bureau's member engaged here: the same on every acceptance."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"archipel:{host}:{card_id}").hex


def decide(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    offer_id: str,
    item_id: str,
    data: ItemDecision,
) -> HostingOffer:
    """Producer: accept or decline one offered item (see the module's docstring)."""
    require_staff(actor, "answer hosting offers")
    # Locked and read fresh: two staff members accepting one item at once engage it once.
    offer = get_offer(session, offer_id=offer_id, lock=True)
    if offer.role != PRODUCER:
        raise Conflict(
            "only the producing bureau decides on an offer's items", code="offer_not_producer"
        )
    items = [dict(item) for item in offer.items]
    item = next((i for i in items if i.get("id") == item_id), None)
    if item is None:
        raise NotFound(f"offer {offer_id!r} has no item {item_id!r}")
    if item.get("status") != ItemStatus.proposed.value:
        raise Conflict(
            f"item {item_id!r} was already {item.get('status')}", code="offer_item_decided"
        )
    tour_date = session.get(TourDate, offer.tour_date_id)
    if tour_date is None:
        raise Conflict("the offer's date no longer exists", code="offer_date_gone")
    if data.decision is Decision.accept:
        _accept(
            session, exchange, actor=actor, offer=offer, item=item, data=data, tour_date=tour_date
        )
        item["status"] = ItemStatus.accepted.value
    else:
        item["status"] = ItemStatus.declined.value
    item["reason"] = data.reason
    offer.items = items
    offer.revision += 1
    offer.version += 1
    reply = HostingReplyMessage(
        offer_id=offer.id,
        revision=offer.revision,
        items=[
            ItemAnswer(id=str(i["id"]), status=ItemStatus(i["status"]), reason=i.get("reason", ""))
            for i in items
            if i.get("status") != ItemStatus.proposed.value
        ],
    )
    exchange.messenger.send_message(
        session,
        recipient=offer.host,
        kind=KIND_HOSTING_REPLY,
        body=reply.model_dump(mode="json"),
        idempotency_key=f"{KIND_HOSTING_REPLY}:{offer.id}:{offer.revision}",
    )
    session.flush()
    audit(
        session,
        actor=actor,
        action=f"hosting.{data.decision.value}",
        entity="hosting_offer",
        entity_id=offer.id,
        summary=f"{item.get('label')} ({offer.host})",
    )
    webhooks.record(session, exchange, "hosting.answered", offer_payload(offer))
    return offer


def _accept(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    offer: HostingOffer,
    item: dict[str, Any],
    data: ItemDecision,
    tour_date: TourDate,
) -> None:
    details = item.get("details") or {}
    kind = item.get("type")
    if kind == ItemType.crew.value:
        if data.engagement is None:
            raise DomainError(
                "accepting a member engages them: give the engagement's terms",
                errors=[
                    FieldError(
                        field="body.engagement",
                        message="required to accept crew",
                        code="engagement_required",
                    )
                ],
            )
        member = _guest(session, offer.host, details)
        try:
            row = engagements.create_engagement(
                session,
                actor=actor,
                tour_date_id=tour_date.id,
                data=EngagementCreate(member_id=member.id, **data.engagement.model_dump()),
            )
        except DomainError as exc:
            # The terms came as `engagement`: name the fields that were sent.
            exc.errors = [
                e.model_copy(update={"field": "body.engagement." + e.field.removeprefix("body.")})
                for e in exc.errors
            ]
            raise
        row.host_bureau = offer.host
        item["engagement_id"] = row.id
    elif kind == ItemType.resource.value:
        loan = send_request(
            session,
            exchange,
            actor=actor,
            owner=offer.host,
            resource_id=str(details.get("resource_id", "")),
            starts_on=offer.day,
            ends_on=offer.day,
            purpose=f"Accueil : {offer.date_label}"[:2000],
            pickup_place="",
            return_place="",
            contact=actor.name[:300],
            offer_id=offer.id,
        )
        item["loan_id"] = loan.id
    elif kind == ItemType.contact.value:
        sheet = session.scalars(
            select(DaySheet).where(DaySheet.tour_date_id == tour_date.id)
        ).first()
        if sheet is None:
            sheet = DaySheet(tour_date_id=tour_date.id, contacts=[], schedule=[], places=[])
            session.add(sheet)
        role = str(details.get("role", ""))
        sheet.contacts = [
            *(sheet.contacts or []),
            {
                "name": str(details.get("name", ""))[:200],
                "role": f"{role} (accueil {offer.host})".strip()[:120],
                "phone": str(details.get("phone", ""))[:40],
            },
        ]
        if sheet.version:
            sheet.version += 1


def _guest(session: Session, host: str, details: dict[str, Any]) -> Member:
    """The hosting bureau's member as a member record here (kept in this bureau only)."""
    card_id = str(details.get("card_id", ""))
    member = session.get(Member, guest_member_id(host, card_id))
    if member is not None:
        return member
    card = session.scalars(
        select(DirectoryCard).where(
            DirectoryCard.origin == host, DirectoryCard.record_id == card_id
        )
    ).first()
    name = card.display_name if card is not None else str(details.get("display_name", ""))
    trades = list(card.trades) if card is not None else list(details.get("trades") or [])
    member = Member(
        id=guest_member_id(host, card_id),
        display_name=name[:200] or card_id,
        city=str(details.get("city", ""))[:120],
        trades=trades,
        visibility="local",
        home_bureau=host,
        active=True,
        search_text=fold(" ".join([name, *trades])),
    )
    session.add(member)
    session.flush()
    return member


def offer_payload(offer: HostingOffer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "role": offer.role,
        "host": offer.host,
        "producer": offer.producer,
        "tour_date_id": offer.tour_date_id,
        "day": offer.day.isoformat(),
        "items": [
            {
                "id": i.get("id"),
                "type": i.get("type"),
                "label": i.get("label"),
                "status": i.get("status"),
            }
            for i in offer.items
        ],
    }
