"""`/api/tour-dates/{id}/engagements`, `/api/engagements`, `/api/payroll`, `/api/pay-grids`."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from node.api.deps import Db, IfMatch, Limit, Offset, StaffActor, etag, paged
from node.models import Engagement
from node.problems import DomainError
from node.services import engagements as service
from node.services import paygrids, payroll
from schemas.common import Page
from schemas.engagements import (
    EngagementCreate,
    EngagementPublic,
    EngagementStatesUpdate,
    EngagementUpdate,
    GridLoadReport,
    ObjectNumber,
    ObjectNumberUpdate,
    PayGridRowPublic,
    ProviderReport,
)

router = APIRouter(prefix="/api", tags=["engagements"])
From = Annotated[date | None, Query(alias="from", description="Working on or after this day.")]
To = Annotated[date | None, Query(alias="to", description="Working on or before this day.")]
MAX_GRID_BYTES = 1_000_000


async def csv_body(request: Request) -> str:
    """The request body as CSV text (UTF-8, a BOM tolerated)."""
    raw = await request.body()
    if len(raw) > MAX_GRID_BYTES:
        raise DomainError(f"a grid is at most {MAX_GRID_BYTES} bytes", code="grid_too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError("the grid must be UTF-8 text", code="grid_not_utf8") from exc


def _one(db: Db, row: Engagement, response: Response) -> EngagementPublic:
    item = service.present(db, [row])[0]
    response.headers["ETag"] = etag(item.version)
    return item


@router.post(
    "/tour-dates/{tour_date_id}/engagements",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
)
def create_engagement(
    tour_date_id: str, data: EngagementCreate, db: Db, actor: StaffActor, response: Response
) -> EngagementPublic:
    """Engage a member; refused (400) when paid under the bureau's grid minimum."""
    row = service.create_engagement(db, actor=actor, tour_date_id=tour_date_id, data=data)
    response.headers["Location"] = f"/api/engagements/{row.id}"
    return _one(db, row, response)


@router.get("/tour-dates/{tour_date_id}/engagements", response_model=Page[EngagementPublic])
def date_team(
    tour_date_id: str, db: Db, _actor: StaffActor, limit: Limit = 50, offset: Offset = 0
) -> Page[EngagementPublic]:
    """The team of a date, with each contract's DPAE window and pay check."""
    rows = service.list_engagements(db, tour_date_id=tour_date_id)
    return paged(
        Page[EngagementPublic], rows, partial(service.present, db), limit=limit, offset=offset
    )


@router.get("/engagements", response_model=Page[EngagementPublic])
def list_engagements(
    db: Db,
    _actor: StaffActor,
    production_id: str | None = None,
    date_from: From = None,
    date_to: To = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EngagementPublic]:
    rows = service.list_engagements(
        db, production_id=production_id, date_from=date_from, date_to=date_to
    )
    return paged(
        Page[EngagementPublic], rows, partial(service.present, db), limit=limit, offset=offset
    )


@router.get("/engagements/{engagement_id}", response_model=EngagementPublic)
def get_engagement(
    engagement_id: str, db: Db, _actor: StaffActor, response: Response
) -> EngagementPublic:
    return _one(db, service.get_engagement(db, engagement_id=engagement_id), response)


@router.patch("/engagements/{engagement_id}", response_model=EngagementPublic)
def update_engagement(
    engagement_id: str,
    data: EngagementUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> EngagementPublic:
    row = service.update_engagement(
        db, actor=actor, engagement_id=engagement_id, data=data, expected_version=if_match
    )
    return _one(db, row, response)


@router.delete("/engagements/{engagement_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_engagement(engagement_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_engagement(
        db, actor=actor, engagement_id=engagement_id, expected_version=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/engagements/{engagement_id}/states", response_model=EngagementPublic)
def record_states(
    engagement_id: str,
    data: EngagementStatesUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> EngagementPublic:
    """Record what the payroll provider reports: CDDU signed, DPAE sent, AEM, certificate;
    `If-Match` or `version` names the engagement's version."""
    row = service.update_states(
        db,
        actor=actor,
        engagement_id=engagement_id,
        states=data,
        expected_version=if_match if if_match is not None else data.version,
    )
    return _one(db, row, response)


@router.post("/payroll/states", response_model=list[EngagementPublic])
def record_reports(data: list[ProviderReport], db: Db, actor: StaffActor) -> list[EngagementPublic]:
    """Record a batch of provider reports, all or none."""
    return service.present(db, service.record_reports(db, actor=actor, reports=data))


@router.get("/payroll/export.csv", response_class=Response)
def export_payroll(
    db: Db,
    _actor: StaffActor,
    production_id: str | None = None,
    date_from: From = None,
    date_to: To = None,
) -> Response:
    """One row per contract (`;`, UTF-8 with BOM) for the payroll provider."""
    rows = service.list_engagements(
        db, production_id=production_id, date_from=date_from, date_to=date_to
    )
    return Response(
        payroll.export_csv(db, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="engagements.csv"'},
    )


@router.put("/productions/{production_id}/object-number", response_model=ObjectNumber)
def set_object_number(
    production_id: str,
    data: ObjectNumberUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ObjectNumber:
    """Record the production's numéro d'objet (France Travail Spectacle); `If-Match` or
    `version` names the production's version."""
    production = service.set_object_number(
        db,
        actor=actor,
        production_id=production_id,
        object_number=data.object_number,
        expected_version=if_match if if_match is not None else data.version,
    )
    response.headers["ETag"] = etag(production.version)
    return ObjectNumber(object_number=production.object_number)


@router.get("/pay-grids", response_model=Page[PayGridRowPublic])
def list_grid(
    db: Db, _actor: StaffActor, limit: Limit = 50, offset: Offset = 0
) -> Page[PayGridRowPublic]:
    """The bureau's loaded minimum-pay grid."""
    return paged(
        Page[PayGridRowPublic],
        paygrids.grid_rows(db),
        lambda window: [
            PayGridRowPublic(
                convention=r.convention,
                annexe=r.annexe,
                category=r.category,
                profession=r.profession,
                basis=r.basis,
                minimum=paygrids.euros(r.minimum_cents),
                valid_from=r.valid_from,
                source=r.source,
            )
            for r in window
        ],
        limit=limit,
        offset=offset,
    )


@router.put(
    "/pay-grids",
    response_model=GridLoadReport,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def load_grid(db: Db, actor: StaffActor, text: Annotated[str, Depends(csv_body)]) -> GridLoadReport:
    """Replace the grid with a CSV file (see the example grid); all rows or none."""
    return paygrids.load_grid(db, actor=actor, text=text)


@router.get("/pay-grids/example.csv", response_class=Response)
def example_grid(_actor: StaffActor) -> Response:
    """The shipped example grid: its figures are fictitious, replace them before loading."""
    return Response(paygrids.example_grid(), media_type="text/csv; charset=utf-8")
