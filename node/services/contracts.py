"""Sale contracts of dates: cession, coréalisation, coproduction; signature and documents.

Both parties' licence numbers (récépissé PLATESV) must appear on a contract: a contract
cannot be created without them. The producer is the bureau (its profile gives its name,
address and licence unless the contract says otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import ContractDate, Organisation, Production, SaleContract, TourDate
from node.problems import Conflict, DomainError
from node.services import documents, office, stages
from node.services.common import audit, check_version, get_or_404
from node.services.editing import require_staff
from node.services.engagements import performance_day
from node.services.paygrids import cents, euros
from schemas.common import FieldError
from schemas.contracts import (
    ContractCreate,
    ContractPublic,
    ContractUpdate,
    CostPublic,
    Party,
    SignRequest,
)
from schemas.tourdates import DateStage, zone

DEFAULT_HOLDER = {"cession": Party.organiser, "coréalisation": Party.organiser}
MONEY = {"fee", "minimum_guarantee", "ticket_price", "deposit"}


def dates_of(session: Session, contract_id: str) -> list[TourDate]:
    ids = select(ContractDate.tour_date_id).where(ContractDate.contract_id == contract_id)
    return list(
        session.scalars(select(TourDate).where(TourDate.id.in_(ids)).order_by(TourDate.starts_at))
    )


def contract_of(session: Session, tour_date_id: str) -> SaleContract | None:
    """The contract covering a date, if any."""
    link = session.scalar(select(ContractDate).where(ContractDate.tour_date_id == tour_date_id))
    return session.get(SaleContract, link.contract_id) if link else None


def present(session: Session, row: SaleContract) -> ContractPublic:
    return ContractPublic(
        id=row.id,
        version=row.version,
        production_id=row.production_id,
        organiser_id=row.organiser_id,
        kind=row.kind,
        status=row.status,
        tour_date_ids=[d.id for d in dates_of(session, row.id)],
        producer_name=row.producer_name,
        producer_licence=row.producer_licence,
        producer_address=row.producer_address,
        organiser_name=row.organiser_name,
        organiser_licence=row.organiser_licence,
        organiser_address=row.organiser_address,
        fee=euros(row.fee_cents),
        percentage=row.percentage,
        minimum_guarantee=euros(row.minimum_guarantee_cents),
        ticket_price=euros(row.ticket_price_cents),
        ticket_prices=row.ticket_prices,
        ticketing_holder=row.ticketing_holder,
        costs=[
            CostPublic(
                item=c["item"],
                covered_by=c["covered_by"],
                amount=None if c.get("amount_cents") is None else euros(c["amount_cents"]),
                notes=c.get("notes", ""),
            )
            for c in row.costs
        ],
        rider=row.rider,
        deposit=euros(row.deposit_cents),
        sign_by=row.sign_by,
        payment_due=row.payment_due,
        signed_on=row.signed_on,
        terms=row.terms,
        settlement=row.settlement,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apply_terms(row: SaleContract, terms: dict[str, Any]) -> None:
    for key, value in terms.items():
        if key in MONEY:
            setattr(row, f"{key}_cents", cents(value or Decimal(0)))
        elif key == "costs":
            row.costs = [
                {
                    "item": c["item"],
                    "covered_by": Party(c["covered_by"]).value,
                    "amount_cents": None if c.get("amount") is None else cents(c["amount"]),
                    "notes": c.get("notes", ""),
                }
                for c in value or []
            ]
        elif key in {"producer_licence", "organiser_licence"}:
            setattr(row, key, " ".join((value or "").split()))
        elif value is not None or key in {"sign_by", "payment_due"}:
            setattr(row, key, getattr(value, "value", value))


def _check(row: SaleContract) -> None:
    """Refuse a contract missing what its kind needs, or a party's licence number."""
    errors = [
        FieldError(
            field=f"body.{party}_licence",
            message="the licence number is mandatory",
            code="licence_missing",
        )
        for party in ("producer", "organiser")
        if not getattr(row, f"{party}_licence")
    ]
    if row.kind == "cession" and row.fee_cents <= 0:
        errors.append(
            FieldError(field="body.fee", message="a cession has a fee", code="fee_missing")
        )
    if row.kind == "coréalisation":
        if row.percentage <= 0:
            errors.append(
                FieldError(
                    field="body.percentage",
                    message="a coréalisation shares",
                    code="percentage_missing",
                )
            )
        if row.ticket_price_cents <= 0:
            errors.append(
                FieldError(
                    field="body.ticket_price",
                    message="an essential clause",
                    code="ticket_price_missing",
                )
            )
    if errors:
        raise DomainError("the contract is incomplete", errors=errors, code="contract_incomplete")


def _link_dates(session: Session, row: SaleContract, date_ids: Sequence[str]) -> None:
    errors = []
    for i, date_id in enumerate(dict.fromkeys(date_ids)):
        tour_date = session.get(TourDate, date_id)
        if tour_date is None or tour_date.production_id != row.production_id:
            errors.append(
                FieldError(
                    field=f"body.tour_date_ids.{i}",
                    message="not a date of the production",
                    code="date_not_of_production",
                )
            )
            continue
        other = contract_of(session, date_id)
        if other is not None and other.id != row.id:
            raise Conflict(
                f"the date {date_id} is already in contract {other.id}",
                code="date_in_other_contract",
            )
    if errors:
        raise DomainError(
            "the contract names dates it cannot cover",
            errors=errors,
            code="contract_dates_invalid",
        )
    session.execute(delete(ContractDate).where(ContractDate.contract_id == row.id))
    session.add_all(
        ContractDate(contract_id=row.id, tour_date_id=d) for d in dict.fromkeys(date_ids)
    )


def create_contract(session: Session, *, actor: Actor, data: ContractCreate) -> SaleContract:
    """Draft a contract for dates of a production with an organiser."""
    require_staff(actor, "draft contracts")
    production = get_or_404(session, Production, data.production_id, "production")
    organiser = session.get(Organisation, data.organiser_id)
    if organiser is None:
        raise DomainError(
            f"no organisation with id {data.organiser_id!r}",
            errors=[
                FieldError(
                    field="body.organiser_id",
                    message="unknown organisation",
                    code="organisation_unknown",
                )
            ],
        )
    me = office.profile(session)
    row = SaleContract(
        production_id=production.id,
        organiser_id=organiser.id,
        kind=data.kind.value,
        status="draft",
        producer_name=me.legal_name,
        producer_licence=me.licence_number,
        producer_address=me.address,
        organiser_name=organiser.name,
        organiser_licence=organiser.licence_number,
        organiser_address=", ".join(
            p for p in (organiser.address, f"{organiser.postal_code} {organiser.city}".strip()) if p
        ),
        ticketing_holder=DEFAULT_HOLDER.get(data.kind.value, Party.producer).value,
        costs=[],
        fee_cents=0,
        percentage=0.0,
        minimum_guarantee_cents=0,
        ticket_price_cents=0,
        ticket_prices="",
        rider="",
        deposit_cents=0,
        terms="",
        version=1,
    )
    terms = data.model_dump(
        exclude_unset=True, exclude={"production_id", "organiser_id", "kind", "tour_date_ids"}
    )
    if not terms.get("producer_licence"):
        terms.pop("producer_licence", None)
    if not terms.get("organiser_licence"):
        terms.pop("organiser_licence", None)
    _apply_terms(row, terms)
    _check(row)
    session.add(row)
    session.flush()
    _link_dates(session, row, data.tour_date_ids)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="contract",
        entity_id=row.id,
        summary=f"{row.kind}: {production.title} / {organiser.name}",
        fields=sorted(data.model_dump(exclude_unset=True)),
    )
    return row


def get_contract(session: Session, *, contract_id: str) -> SaleContract:
    return get_or_404(session, SaleContract, contract_id, "contract")


def list_contracts(
    session: Session, *, production_id: str | None = None, tour_date_id: str | None = None
) -> Sequence[SaleContract]:
    stmt = select(SaleContract).order_by(SaleContract.created_at, SaleContract.id)
    if production_id:
        stmt = stmt.where(SaleContract.production_id == production_id)
    if tour_date_id:
        ids = select(ContractDate.contract_id).where(ContractDate.tour_date_id == tour_date_id)
        stmt = stmt.where(SaleContract.id.in_(ids))
    return session.scalars(stmt).all()


def update_contract(
    session: Session,
    *,
    actor: Actor,
    contract_id: str,
    data: ContractUpdate,
    expected_version: int | None,
) -> SaleContract:
    """Change a contract that is not signed yet."""
    require_staff(actor, "change contracts")
    row = get_contract(session, contract_id=contract_id)
    check_version(
        row, expected_version if expected_version is not None else data.version, "contract"
    )
    if row.status == "signed":
        raise Conflict(
            "a signed contract cannot change; draft an amendment (avenant) instead",
            code="contract_signed",
        )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    date_ids = changes.pop("tour_date_ids", None)
    _apply_terms(row, changes)
    _check(row)
    if date_ids is not None:
        _link_dates(session, row, date_ids)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="contract",
        entity_id=row.id,
        summary=row.kind,
        fields=sorted([*changes, *(["tour_date_ids"] if date_ids is not None else [])]),
    )
    return row


def sign_contract(
    session: Session,
    *,
    actor: Actor,
    contract_id: str,
    data: SignRequest,
    expected_version: int | None,
) -> SaleContract:
    """Record the signature; its dates move to « contrat signé » (an option is confirmed first)."""
    require_staff(actor, "sign contracts")
    row = get_contract(session, contract_id=contract_id)
    check_version(
        row, expected_version if expected_version is not None else data.version, "contract"
    )
    if row.status == "signed":
        raise Conflict("the contract is already signed", code="contract_already_signed")
    _check(row)
    row.status, row.signed_on = "signed", data.signed_on
    row.version += 1
    for tour_date in dates_of(session, row.id):
        path = {
            DateStage.option: (DateStage.confirmed, DateStage.contract_signed),
            DateStage.confirmed: (DateStage.contract_signed,),
        }.get(DateStage(tour_date.stage), ())
        for stage in path:
            extra = stages.move(tour_date, stage)
            stages.record(session, actor=actor, tour_date=tour_date, extra=extra)
    session.flush()
    audit(
        session,
        actor=actor,
        action="sign",
        entity="contract",
        entity_id=row.id,
        fields=["signed_on", "status"],
    )
    return row


def delete_contract(
    session: Session, *, actor: Actor, contract_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "delete contracts")
    row = get_contract(session, contract_id=contract_id)
    if expected_version is not None:
        check_version(row, expected_version, "contract")
    audit(
        session, actor=actor, action="delete", entity="contract", entity_id=row.id, summary=row.kind
    )
    session.delete(row)
    session.flush()


def context(session: Session, row: SaleContract) -> dict[str, Any]:
    """What the contract and settlement templates receive."""
    production = session.get(Production, row.production_id)
    dates = []
    for tour_date in dates_of(session, row.id):
        venue = session.get(Organisation, tour_date.venue_id) if tour_date.venue_id else None
        local = tour_date.starts_at.astimezone(zone(tour_date.timezone))
        dates.append(
            {
                "day": performance_day(tour_date),
                "time": local.strftime("%H:%M"),
                "venue": venue.name if venue else "",
                "city": tour_date.city,
            }
        )
    public = present(session, row)
    me = office.profile(session)
    return {
        "contrat": public.model_dump(),
        "couts": [c.model_dump() for c in public.costs],
        "spectacle": {
            "title": production.title if production else "",
            "artistic_lead": production.artistic_lead if production else "",
            "technical_summary": production.technical_summary if production else "",
        },
        "dates": dates,
        "producteur": me.model_dump() | {"legal_name": row.producer_name or me.legal_name},
        "decompte": row.settlement or {},
    }


def contract_html(session: Session, *, contract_id: str) -> str:
    return documents.render(
        session, "contrat", context(session, get_contract(session, contract_id=contract_id))
    )
