"""`/api/budget-lines`, `/api/tour-dates/{id}/budget`, `/api/productions/{id}/budget`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import Db, IfMatch, StaffActor, etag
from node.services import budgets as service
from schemas.budgets import (
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetLineUpdate,
    DateBudget,
    EmployerRates,
    TourBudget,
)

router = APIRouter(prefix="/api", tags=["budgets"])


@router.post("/budget-lines", status_code=status.HTTP_201_CREATED, response_model=BudgetLinePublic)
def create_line(
    data: BudgetLineCreate, db: Db, actor: StaffActor, response: Response
) -> BudgetLinePublic:
    """Add an income or a cost to a date (or, without `tour_date_id`, to the whole tour)."""
    row = service.create_line(db, actor=actor, data=data)
    response.headers["ETag"] = etag(row.version)
    return service.present_line(row)


@router.patch("/budget-lines/{line_id}", response_model=BudgetLinePublic)
def update_line(
    line_id: str, data: BudgetLineUpdate, db: Db, actor: StaffActor, if_match: IfMatch
) -> BudgetLinePublic:
    row = service.update_line(
        db, actor=actor, line_id=line_id, data=data, expected_version=if_match
    )
    return service.present_line(row)


@router.delete("/budget-lines/{line_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_line(line_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_line(db, actor=actor, line_id=line_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tour-dates/{tour_date_id}/budget", response_model=DateBudget)
def date_budget(tour_date_id: str, db: Db, _actor: StaffActor) -> DateBudget:
    """The date's income and costs, estimate against actual, and its margin."""
    return service.date_budget(db, tour_date_id=tour_date_id)


@router.get("/productions/{production_id}/budget", response_model=TourBudget)
def tour_budget(production_id: str, db: Db, _actor: StaffActor) -> TourBudget:
    """The tour's summary across its dates, with its tour-wide lines."""
    return service.tour_budget(db, production_id=production_id)


@router.get("/productions/{production_id}/budget.csv", response_class=Response)
def tour_budget_csv(production_id: str, db: Db, _actor: StaffActor) -> Response:
    text = service.tour_csv(service.tour_budget(db, production_id=production_id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="budget.csv"'},
    )


@router.get("/office/employer-rates", response_model=EmployerRates)
def get_rates(db: Db, _actor: StaffActor) -> EmployerRates:
    """Rates used for employer-cost estimates (the bureau sets its own)."""
    return service.employer_rates(db)


@router.put("/office/employer-rates", response_model=EmployerRates)
def put_rates(data: EmployerRates, db: Db, actor: StaffActor) -> EmployerRates:
    return service.save_rates(db, actor=actor, data=data)
