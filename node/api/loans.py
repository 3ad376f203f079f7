"""`/api/loans`: borrowing other bureaus' resources and lending ours.

The owner of a resource decides; a borrower's action is sent to the owner and shows as
`pending` until the owner's answer comes back (see docs/loans.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from node.api.deps import Db, Exchanges, IfMatch, Limit, Offset, StaffActor, etag
from node.models import Loan
from node.services import loans as service
from schemas.common import Page
from schemas.loans import LoanActionCreate, LoanPublic, LoanRequestCreate, LoanState

router = APIRouter(prefix="/api/loans", tags=["loans"])


def present(session: Session, loan: Loan) -> LoanPublic:
    return LoanPublic.model_validate(
        {
            **{c: getattr(loan, c) for c in LoanPublic.model_fields if hasattr(loan, c)},
            "delivered": service.delivered(session, loan),
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LoanPublic)
def request_loan(
    data: LoanRequestCreate, db: Db, actor: StaffActor, exchange: Exchanges, response: Response
) -> LoanPublic:
    """Ask another bureau to lend one of its resources; delivered when it is reachable."""
    loan = service.request_loan(db, exchange, actor=actor, data=data)
    response.headers["Location"] = f"/api/loans/{loan.id}"
    response.headers["ETag"] = etag(loan.version)
    return present(db, loan)


@router.get("", response_model=Page[LoanPublic])
def list_loans(
    db: Db,
    _actor: StaffActor,
    limit: Limit = 50,
    offset: Offset = 0,
    role: service.Side | None = None,
    state: LoanState | None = None,
    resource_id: str | None = None,
) -> Page[LoanPublic]:
    rows, total = service.list_loans(
        db,
        role=role.value if role else None,
        state=state.value if state else None,
        resource_id=resource_id,
        limit=limit,
        offset=offset,
    )
    return Page[LoanPublic].of(
        [present(db, r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{loan_id}", response_model=LoanPublic)
def get_loan(loan_id: str, db: Db, _actor: StaffActor, response: Response) -> LoanPublic:
    loan = service.get_loan(db, loan_id=loan_id)
    response.headers["ETag"] = etag(loan.version)
    return present(db, loan)


@router.post("/{loan_id}/actions", response_model=LoanPublic)
def act_on_loan(
    loan_id: str,
    data: LoanActionCreate,
    db: Db,
    actor: StaffActor,
    exchange: Exchanges,
    if_match: IfMatch,
    response: Response,
) -> LoanPublic:
    """Accept, decline, counter, mark picked up or returned (owner); accept a counter-offer
    (borrower); cancel (either, with a reason)."""
    loan = service.act(
        db,
        exchange,
        actor=actor,
        loan_id=loan_id,
        data=data,
        expected_version=if_match if if_match is not None else data.version,
    )
    response.headers["ETag"] = etag(loan.version)
    return present(db, loan)
