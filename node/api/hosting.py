"""`/api/hosting`: dates of other bureaus coming to our area, and the offers of support
bureaus exchange for them (see docs/loans.md)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from node.api.deps import (
    AdminActor,
    AppSettings,
    Db,
    Exchanges,
    IfMatch,
    Limit,
    Offset,
    StaffActor,
    etag,
    paged,
)
from node.services import host_area
from node.services import hosting as service
from schemas.common import Page
from schemas.hosting import (
    HostAreaPublic,
    HostAreaUpdate,
    HostingOfferCreate,
    HostingOfferPublic,
    ItemDecision,
)

router = APIRouter(prefix="/api/hosting", tags=["hosting"])


class ComingDatePublic(BaseModel):
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


class Candidates(BaseModel):
    """Who and what this bureau may offer for a day."""

    crew: list[dict[str, object]]
    resources: list[dict[str, object]]


@router.get("/area", response_model=HostAreaPublic)
def get_area(
    db: Db, _actor: StaffActor, settings: AppSettings, response: Response
) -> HostAreaPublic:
    """Where the bureau hosts: the admin's area, or the `node.host_area` setting (version 0)."""
    area = host_area.current(db, setting=settings.node.host_area)
    response.headers["ETag"] = etag(area.version)
    return area


@router.put("/area", response_model=HostAreaPublic)
def put_area(
    data: HostAreaUpdate,
    db: Db,
    actor: AdminActor,
    settings: AppSettings,
    if_match: IfMatch,
    response: Response,
) -> HostAreaPublic:
    """Replace the hosting area (admin), effective at once; `If-Match` or `version` required."""
    area = host_area.update(
        db, actor=actor, data=data, expected_version=if_match, setting=settings.node.host_area
    )
    response.headers["ETag"] = etag(area.version)
    return area


@router.get("/coming", response_model=Page[ComingDatePublic])
def coming_dates(
    db: Db, _actor: StaffActor, settings: AppSettings, limit: Limit = 50, offset: Offset = 0
) -> Page[ComingDatePublic]:
    """Upcoming network dates whose venue is in the hosting area."""
    area = host_area.entries(db, setting=settings.node.host_area)
    rows = service.coming_dates(db, own=settings.node.slug, area=area)
    return paged(
        Page[ComingDatePublic],
        rows,
        lambda window: [ComingDatePublic.model_validate(r, from_attributes=True) for r in window],
        limit=limit,
        offset=offset,
    )


@router.get("/candidates", response_model=Candidates)
def candidates(day: date, db: Db, _actor: StaffActor) -> Candidates:
    """Members who may be proposed on `day` (consent, shared card, available) and lendable
    resources free that day."""
    crew = [
        {"id": m.id, "display_name": m.display_name, "trades": m.trades, "city": m.city}
        for m in service.crew_candidates(db, day)
    ]
    resources = [
        {"id": r.id, "name": r.name, "kind": r.kind} for r in service.resource_candidates(db, day)
    ]
    return Candidates(crew=crew, resources=resources)


@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=HostingOfferPublic)
def create_offer(
    data: HostingOfferCreate,
    db: Db,
    actor: StaffActor,
    exchange: Exchanges,
    settings: AppSettings,
    response: Response,
) -> HostingOfferPublic:
    """Offer support for a network date whose venue is in the hosting area."""
    area = host_area.entries(db, setting=settings.node.host_area)
    offer = service.create_offer(db, exchange, actor=actor, data=data, area=area)
    response.headers["Location"] = f"/api/hosting/offers/{offer.id}"
    response.headers["ETag"] = etag(offer.version)
    return HostingOfferPublic.model_validate(offer)


@router.get("/offers", response_model=Page[HostingOfferPublic])
def list_offers(
    db: Db,
    _actor: StaffActor,
    limit: Limit = 50,
    offset: Offset = 0,
    role: service.Role | None = None,
    tour_date_id: str | None = None,
) -> Page[HostingOfferPublic]:
    rows, total = service.list_offers(
        db,
        role=role.value if role else None,
        tour_date_id=tour_date_id,
        limit=limit,
        offset=offset,
    )
    items = [HostingOfferPublic.model_validate(r) for r in rows]
    return Page[HostingOfferPublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/offers/{offer_id}", response_model=HostingOfferPublic)
def get_offer(offer_id: str, db: Db, _actor: StaffActor) -> HostingOfferPublic:
    return HostingOfferPublic.model_validate(service.get_offer(db, offer_id=offer_id))


@router.post("/offers/{offer_id}/items/{item_id}", response_model=HostingOfferPublic)
def decide(
    offer_id: str,
    item_id: str,
    data: ItemDecision,
    db: Db,
    actor: StaffActor,
    exchange: Exchanges,
) -> HostingOfferPublic:
    """Producer: accept or decline one offered item."""
    offer = service.decide(db, exchange, actor=actor, offer_id=offer_id, item_id=item_id, data=data)
    return HostingOfferPublic.model_validate(offer)
