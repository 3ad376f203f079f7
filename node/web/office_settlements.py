"""A date's settlement after it is played: décompte de coréalisation or balance invoice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from node.api.deps import Db
from node.services import contracts, settlements
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field, money
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_common import date_frame, printed_html, printed_pdf
from node.web.templating import render
from schemas.contracts import Settlement, SettlementRequest
from schemas.tourdates import DateStage

router = APIRouter()
RECEIPTS = (
    Field("tickets_sold", N_("Billets vendus"), "number"),
    Field("gross_receipts", N_("Recette brute TTC (€)"), optional_none=True),
    Field(
        "vat_rate",
        N_("TVA comprise dans le prix des places (%)"),
        optional_none=True,
        help=N_("5,5 % pour les billets de théâtre et de concert."),
    ),
    Field(
        "deductions",
        N_("Déductions avant partage"),
        "textarea",
        help=N_("Une ligne par déduction : « Droits d'auteur SACD | 320,00 »."),
    ),
)
PAYMENT = (
    Field("deposit_paid", N_("Acompte déjà versé (€)"), optional_none=True),
    Field(
        "paid_on",
        N_("Solde payé le"),
        "date",
        help=N_(
            "Laissez vide tant que le solde n'est pas payé ; une fois payé, la date est soldée."
        ),
    ),
)
MONEY = ("gross_receipts", "vat_rate", "deposit_paid")


def _fields(kind: str) -> tuple[Field, ...]:
    return (*RECEIPTS, *PAYMENT) if kind == "coréalisation" else PAYMENT


def _request_body(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as a settlement request: deduction lines become items."""
    body = {k: v for k, v in values.items() if v not in (None, "")}
    deductions = []
    for line in str(values.get("deductions") or "").splitlines():
        if not line.strip():
            continue
        item, _sep, amount = (part.strip() for part in line.partition("|"))
        deductions.append({"item": item, "amount": money(amount) or None})
    body["deductions"] = deductions
    return body


def _page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "decompte")
    row = contracts.contract_of(db, date_id)
    contract = contracts.present(db, row) if row else None
    waiting = []
    if row is not None:
        waiting = [
            d
            for d in contracts.dates_of(db, row.id)
            if d.stage not in {DateStage.played, DateStage.settled, DateStage.cancelled}
        ]
    return render(
        request,
        "office/settlement.html",
        {
            **frame,
            "contract": contract,
            "settlement": Settlement.model_validate(contract.settlement)
            if contract and contract.settlement
            else None,
            "waiting": waiting,
            "fields": _fields(contract.kind.value) if contract else (),
            "values": values or {"vat_rate": "5,5", "tickets_sold": "0"},
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/decompte")
def settlement_page(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    return _page(request, db, date_id)


@router.post("/contrats/{contract_id}/decompte")
def settle(
    contract_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Compute and keep the settlement; with « payé le », the dates move to « soldée »."""
    check_csrf(form, viewer.csrf_token)
    row = contracts.get_contract(db, contract_id=contract_id)
    date_id = str(form.get("date_id") or contracts.dates_of(db, row.id)[0].id)
    version = posted_version(form)
    done = submit(
        request,
        form,
        _fields(row.kind),
        SettlementRequest,
        lambda data: settlements.settle(
            db, actor=viewer.actor, contract_id=row.id, data=data, expected_version=version
        ),
        money_fields=MONEY,
        prepare=_request_body,
        db=db,
    )
    if done.record is None:
        return _page(request, db, date_id, values=done.values, errors=done.errors, status_code=422)
    return RedirectResponse(f"/dates/{date_id}/decompte?notice=saved", 303)


@router.get("/contrats/{contract_id}/decompte.html")
def settlement_html(contract_id: str, db: Db, viewer: StaffViewer) -> HTMLResponse:
    """The settlement from the bureau's template (`decompte`), as it will be printed."""
    return printed_html(settlements.settlement_html(db, contract_id=contract_id))


@router.get("/contrats/{contract_id}/decompte.pdf")
def settlement_pdf(contract_id: str, db: Db, viewer: StaffViewer) -> Response:
    html = settlements.settlement_html(db, contract_id=contract_id)
    return printed_pdf(html, title="Décompte", filename=f"decompte-{contract_id}.pdf")
