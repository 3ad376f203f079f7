"""`/api/tour-dates` and `/api/productions/{id}/dates`: performances of productions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag
from node.services import audit, productions, stages
from node.services import tourdates as service
from schemas.accounts import AuditEventPublic
from schemas.common import Page
from schemas.tourdates import (
    StageChange,
    TourDateCreate,
    TourDatePublic,
    TourDateUpdate,
    TourStatus,
)

router = APIRouter(prefix="/api", tags=["tour dates"])
From = Annotated[date | None, Query(alias="from", description="First day (Paris time).")]
To = Annotated[date | None, Query(alias="to", description="Last day, included (Paris time).")]


@router.post("/tour-dates", status_code=status.HTTP_201_CREATED, response_model=TourDatePublic)
def create_tour_date(
    data: TourDateCreate, db: Db, actor: StaffActor, response: Response
) -> TourDatePublic:
    tour_date = service.create_tour_date(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/tour-dates/{tour_date.id}"
    response.headers["ETag"] = etag(tour_date.version)
    return TourDatePublic.model_validate(tour_date)


def _page(
    db: Db,
    *,
    production_id: str | None,
    date_from: date | None,
    date_to: date | None,
    status: TourStatus | None,
    city: str | None,
    limit: int,
    offset: int,
) -> Page[TourDatePublic]:
    rows, total = service.list_tour_dates(
        db,
        production_id=production_id,
        date_from=date_from,
        date_to=date_to,
        status=status.value if status else None,
        city=city,
        limit=limit,
        offset=offset,
    )
    items = [TourDatePublic.model_validate(d) for d in rows]
    return Page[TourDatePublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/tour-dates", response_model=Page[TourDatePublic])
def list_tour_dates(
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    production_id: str | None = None,
    date_from: From = None,
    date_to: To = None,
    status: TourStatus | None = None,
    city: str | None = None,
) -> Page[TourDatePublic]:
    """Dates soonest first; `city` ignores accents and case."""
    return _page(
        db,
        production_id=production_id,
        date_from=date_from,
        date_to=date_to,
        status=status,
        city=city,
        limit=limit,
        offset=offset,
    )


@router.get("/productions/{production_id}/dates", response_model=Page[TourDatePublic])
def list_production_dates(
    production_id: str,
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    date_from: From = None,
    date_to: To = None,
    status: TourStatus | None = None,
    city: str | None = None,
) -> Page[TourDatePublic]:
    """The dates of one production, soonest first."""
    productions.get_production(db, production_id=production_id)
    return _page(
        db,
        production_id=production_id,
        date_from=date_from,
        date_to=date_to,
        status=status,
        city=city,
        limit=limit,
        offset=offset,
    )


@router.get("/tour-dates/{tour_date_id}", response_model=TourDatePublic)
def get_tour_date(
    tour_date_id: str, db: Db, _actor: CurrentActor, response: Response
) -> TourDatePublic:
    tour_date = service.get_tour_date(db, tour_date_id=tour_date_id)
    response.headers["ETag"] = etag(tour_date.version)
    return TourDatePublic.model_validate(tour_date)


@router.patch("/tour-dates/{tour_date_id}", response_model=TourDatePublic)
def update_tour_date(
    tour_date_id: str,
    data: TourDateUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> TourDatePublic:
    tour_date = service.update_tour_date(
        db, actor=actor, tour_date_id=tour_date_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(tour_date.version)
    return TourDatePublic.model_validate(tour_date)


@router.post("/tour-dates/{tour_date_id}/stage", response_model=TourDatePublic)
def change_stage(
    tour_date_id: str,
    data: StageChange,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> TourDatePublic:
    """Move the date along: option → confirmee → contrat-signe → jouee → soldee, or annulee."""
    tour_date = stages.change_stage(
        db, actor=actor, tour_date_id=tour_date_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(tour_date.version)
    return TourDatePublic.model_validate(tour_date)


@router.get("/tour-dates/{tour_date_id}/history", response_model=Page[AuditEventPublic])
def stage_history(
    tour_date_id: str, db: Db, _actor: CurrentActor, limit: Limit = 50, offset: Offset = 0
) -> Page[AuditEventPublic]:
    """The date's trail, newest first: creation, changes and stage moves (`extra.from/to`)."""
    service.get_tour_date(db, tour_date_id=tour_date_id)
    rows, total = audit.list_events(
        db, entity="tour_date", entity_id=tour_date_id, limit=limit, offset=offset
    )
    items = [AuditEventPublic.model_validate(r) for r in rows]
    return Page[AuditEventPublic].of(items, total=total, limit=limit, offset=offset)


@router.delete("/tour-dates/{tour_date_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tour_date(tour_date_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_tour_date(db, actor=actor, tour_date_id=tour_date_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
