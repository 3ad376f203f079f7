"""Settling a contract after its dates: a décompte de coréalisation or a balance invoice.

- cession: the fee, plus the costs the organiser reimburses (with an amount), less the
  deposit paid;
- coréalisation: receipts net of VAT, less the deductions (authors' rights, CNM or ASTP tax…),
  times the producer's percentage, raised to the minimum guarantee if there is one, less the
  deposit paid;
- coproduction: the organiser's contribution less the deposit paid.

Settling needs every date of the contract played (or already settled); with `paid_on`, the
balance is recorded as paid and the dates move to « soldée ».
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import SaleContract
from node.problems import Conflict
from node.services import contracts, documents, stages
from node.services.common import audit, check_version
from node.services.editing import require_staff
from node.services.paygrids import euros
from schemas.contracts import Settlement, SettlementLine, SettlementRequest
from schemas.tourdates import DateStage

CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def compute(row: SaleContract, data: SettlementRequest) -> Settlement:
    """The settlement's lines and the balance due to the producer."""
    lines: list[SettlementLine] = []
    if row.kind == "coréalisation":
        gross = data.gross_receipts
        net = _q(gross / (1 + data.vat_rate / 100))
        lines += [
            SettlementLine(label="Recette brute TTC", amount=_q(gross)),
            SettlementLine(label=f"Recette hors TVA ({data.vat_rate} %)", amount=net),
        ]
        for item in data.deductions:
            amount = item.amount or Decimal(0)
            net -= amount
            lines.append(SettlementLine(label=f"Déduction : {item.item}", amount=-amount))
        share = _q(max(net, Decimal(0)) * Decimal(str(row.percentage)) / 100)
        lines.append(SettlementLine(label=f"Part du producteur ({row.percentage} %)", amount=share))
        guarantee = euros(row.minimum_guarantee_cents)
        if guarantee > share:
            lines.append(SettlementLine(label="Minimum garanti appliqué", amount=guarantee))
            share = guarantee
        due = share
    else:
        label = "Prix de cession" if row.kind == "cession" else "Apport du coproducteur"
        due = euros(row.fee_cents)
        lines.append(SettlementLine(label=label, amount=due))
        for cost in row.costs:
            if cost["covered_by"] == "organisateur" and cost.get("amount_cents"):
                amount = euros(cost["amount_cents"])
                due += amount
                lines.append(SettlementLine(label=f"Frais : {cost['item']}", amount=amount))
    if data.deposit_paid:
        lines.append(SettlementLine(label="Acompte versé", amount=-data.deposit_paid))
        due -= data.deposit_paid
    kind = "décompte de coréalisation" if row.kind == "coréalisation" else "facture de solde"
    return Settlement(
        kind=kind,
        lines=lines,
        due_to_producer=_q(due),
        tickets_sold=data.tickets_sold,
        paid_on=data.paid_on,
    )


def settle(
    session: Session,
    *,
    actor: Actor,
    contract_id: str,
    data: SettlementRequest,
    expected_version: int | None,
) -> Settlement:
    """Compute and keep the settlement of a signed contract whose dates were played."""
    require_staff(actor, "settle contracts")
    row = contracts.get_contract(session, contract_id=contract_id)
    check_version(row, expected_version, "contract")
    if row.status != "signed":
        raise Conflict("only a signed contract is settled", code="contract_not_signed")
    dates = [d for d in contracts.dates_of(session, row.id) if d.stage != DateStage.cancelled]
    waiting = [d.id for d in dates if d.stage not in {DateStage.played, DateStage.settled}]
    if waiting:
        raise Conflict(
            "a contract is settled after its dates: mark them « jouée » first",
            code="dates_not_played",
            tour_date_ids=waiting,
        )
    settlement = compute(row, data)
    row.settlement = settlement.model_dump(mode="json")
    row.version += 1
    if data.paid_on:
        for tour_date in dates:
            if tour_date.stage == DateStage.played:
                extra = stages.move(tour_date, DateStage.settled)
                stages.record(session, actor=actor, tour_date=tour_date, extra=extra)
    session.flush()
    audit(
        session,
        actor=actor,
        action="settle",
        entity="contract",
        entity_id=row.id,
        summary=settlement.kind,
        fields=["settlement"],
    )
    return settlement


def settlement_html(session: Session, *, contract_id: str) -> str:
    row = contracts.get_contract(session, contract_id=contract_id)
    if row.settlement is None:
        raise Conflict(
            "the contract has no settlement yet: POST it first", code="settlement_missing"
        )
    return documents.render(session, "decompte", contracts.context(session, row))
