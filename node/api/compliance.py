"""`/api/tour-dates/{id}/compliance` and `/api/compliance/overdue`: the duties of each date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from node.api.deps import CurrentActor, Db, Limit, Offset, StaffActor, paged
from node.services import compliance as service
from schemas.common import Page
from schemas.compliance import DateCompliance, MarkDone, OverdueItem
from schemas.tourdates import DEFAULT_TIMEZONE, zone

router = APIRouter(prefix="/api", tags=["compliance"])
Today = Annotated[
    date | None, Query(description="Judge as of this day (default: today, Paris time).")
]


def _today(value: date | None) -> date:
    return value or datetime.now(zone(DEFAULT_TIMEZONE)).date()


@router.get("/tour-dates/{tour_date_id}/compliance", response_model=DateCompliance)
def date_compliance(
    tour_date_id: str, db: Db, _actor: CurrentActor, today: Today = None
) -> DateCompliance:
    """Each duty of the date with its state and due date; `green` when all is in order."""
    return service.date_compliance(db, tour_date_id=tour_date_id, today=_today(today))


@router.get("/compliance/overdue", response_model=Page[OverdueItem])
def overdue(
    db: Db, _actor: CurrentActor, today: Today = None, limit: Limit = 50, offset: Offset = 0
) -> Page[OverdueItem]:
    """Every overdue duty of the bureau, soonest due first (for the dashboard)."""
    items = service.overdue_items(db, _today(today))
    return paged(Page[OverdueItem], items, list, limit=limit, offset=offset)


@router.put("/tour-dates/{tour_date_id}/compliance/{duty}", status_code=204)
def mark_done(tour_date_id: str, duty: str, data: MarkDone, db: Db, actor: StaffActor) -> Response:
    """Mark `sibil` or `sacem-sacd` done when the bureau holds the ticketing."""
    service.mark_done(db, actor=actor, tour_date_id=tour_date_id, duty=duty, done_on=data.done_on)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/tour-dates/{tour_date_id}/compliance/{duty}", status_code=204)
def unmark(tour_date_id: str, duty: str, db: Db, actor: StaffActor) -> Response:
    service.mark_done(db, actor=actor, tour_date_id=tour_date_id, duty=duty, done_on=None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
