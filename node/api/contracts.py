"""`/api/contracts`: sale contracts of dates, their signature, documents and settlement."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import HTMLResponse

from node.api.deps import Db, IfMatch, Limit, Offset, StaffActor, etag, paged
from node.services import contracts as service
from node.services import documents, settlements
from schemas.common import Page
from schemas.contracts import (
    ContractCreate,
    ContractPublic,
    ContractUpdate,
    Settlement,
    SettlementRequest,
    SignRequest,
)

router = APIRouter(prefix="/api", tags=["contracts"])


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/contracts", status_code=status.HTTP_201_CREATED, response_model=ContractPublic)
def create_contract(
    data: ContractCreate, db: Db, actor: StaffActor, response: Response
) -> ContractPublic:
    """Draft a contract; both parties' licence numbers are mandatory."""
    row = service.create_contract(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/contracts/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return service.present(db, row)


@router.get("/contracts", response_model=Page[ContractPublic])
def list_contracts(
    db: Db,
    _actor: StaffActor,
    production_id: str | None = None,
    tour_date_id: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ContractPublic]:
    rows = service.list_contracts(db, production_id=production_id, tour_date_id=tour_date_id)
    return paged(
        Page[ContractPublic],
        rows,
        lambda window: [service.present(db, r) for r in window],
        limit=limit,
        offset=offset,
    )


@router.get("/contracts/{contract_id}", response_model=ContractPublic)
def get_contract(
    contract_id: str, db: Db, _actor: StaffActor, response: Response
) -> ContractPublic:
    row = service.get_contract(db, contract_id=contract_id)
    response.headers["ETag"] = etag(row.version)
    return service.present(db, row)


@router.patch("/contracts/{contract_id}", response_model=ContractPublic)
def update_contract(
    contract_id: str,
    data: ContractUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ContractPublic:
    row = service.update_contract(
        db, actor=actor, contract_id=contract_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return service.present(db, row)


@router.delete("/contracts/{contract_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contract(contract_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_contract(db, actor=actor, contract_id=contract_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/contracts/{contract_id}/sign", response_model=ContractPublic)
def sign_contract(
    contract_id: str,
    data: SignRequest,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ContractPublic:
    """Record the signature; the contract's dates move to « contrat signé »."""
    row = service.sign_contract(
        db, actor=actor, contract_id=contract_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return service.present(db, row)


@router.get("/contracts/{contract_id}/document.html", response_class=HTMLResponse)
def contract_html(contract_id: str, db: Db, _actor: StaffActor) -> HTMLResponse:
    """The contract from the bureau's template (`contrat`)."""
    return HTMLResponse(service.contract_html(db, contract_id=contract_id))


@router.get("/contracts/{contract_id}/document.pdf", response_class=Response)
def contract_pdf(contract_id: str, db: Db, _actor: StaffActor) -> Response:
    html = service.contract_html(db, contract_id=contract_id)
    return _pdf(documents.to_pdf(html, title="Contrat"), f"contrat-{contract_id}.pdf")


@router.post("/contracts/{contract_id}/settlement", response_model=Settlement)
def settle(
    contract_id: str,
    data: SettlementRequest,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
) -> Settlement:
    """Décompte de coréalisation or balance invoice, once the dates are played."""
    return settlements.settle(
        db, actor=actor, contract_id=contract_id, data=data, expected_version=if_match
    )


@router.get("/contracts/{contract_id}/settlement.html", response_class=HTMLResponse)
def settlement_html(contract_id: str, db: Db, _actor: StaffActor) -> HTMLResponse:
    return HTMLResponse(settlements.settlement_html(db, contract_id=contract_id))


@router.get("/contracts/{contract_id}/settlement.pdf", response_class=Response)
def settlement_pdf(contract_id: str, db: Db, _actor: StaffActor) -> Response:
    html = settlements.settlement_html(db, contract_id=contract_id)
    return _pdf(documents.to_pdf(html, title="Décompte"), f"decompte-{contract_id}.pdf")
