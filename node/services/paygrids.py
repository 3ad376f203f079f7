"""Minimum-pay grids: loading the bureau's grid from CSV, and checking a contract against it.

The bureau keeps its grid current (the conventions' minimum salaries change by agreement);
Archipel ships only an example (`node/office_data/example-pay-grid.csv`), its figures
fictitious and marked so. A grid row gives a minimum per cachet or per hour for a convention,
an annexe, a category and a profession (`*`: any of the category), from a date on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import PayGridRow
from node.problems import DomainError
from node.services.common import audit
from node.services.editing import require_staff
from node.text import fold
from schemas.common import FieldError
from schemas.engagements import GridLoadReport, PayCheck, PayCheckStatus

COLUMNS = ("convention", "annexe", "category", "profession", "basis", "minimum", "valid_from")
CONVENTIONS = {"idcc-3090", "idcc-1285"}
ANNEXES = {"", "I", "II", "III", "IV", "V", "VI"}
EXAMPLE_MARK = "exemple"


def example_grid() -> str:
    """The shipped example grid (fictitious figures), as CSV text."""
    return (resources.files("node") / "office_data" / "example-pay-grid.csv").read_text("utf-8")


def cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def euros(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _row(line: int, raw: dict[str, str]) -> tuple[PayGridRow | None, list[FieldError]]:
    values = {k: (raw.get(k) or "").strip() for k in (*COLUMNS, "source")}
    errors: list[FieldError] = []

    def bad(column: str, message: str) -> None:
        errors.append(
            FieldError(field=f"line {line}.{column}", message=message, code="grid_value_invalid")
        )

    if values["convention"] not in CONVENTIONS:
        bad("convention", "idcc-3090 or idcc-1285")
    if values["annexe"] not in ANNEXES:
        bad("annexe", "I to VI, or empty")
    if values["category"] not in {"", "artiste", "technicien"}:
        bad("category", "artiste, technicien or empty")
    if values["basis"] not in {"cachet", "heure"}:
        bad("basis", "cachet or heure")
    if not values["profession"]:
        bad("profession", "a profession, or * for any")
    try:
        minimum = Decimal(values["minimum"].replace(" ", "").replace(",", "."))
        if minimum < 0:
            raise InvalidOperation
    except InvalidOperation:
        bad("minimum", "an amount in euros, e.g. 123,45")
        minimum = Decimal(0)
    try:
        valid_from = date.fromisoformat(values["valid_from"])
    except ValueError:
        bad("valid_from", "a date YYYY-MM-DD")
        valid_from = date.min
    if errors:
        return None, errors
    profession = values["profession"]
    return PayGridRow(
        convention=values["convention"],
        annexe=values["annexe"],
        category=values["category"],
        profession=profession[:120],
        profession_key="*" if profession == "*" else fold(" ".join(profession.split()))[:120],
        basis=values["basis"],
        minimum_cents=cents(minimum),
        valid_from=valid_from,
        source=values["source"][:300],
    ), []


def parse_grid(text: str) -> list[PayGridRow]:
    """Grid rows from CSV text (`,` or `;`, `#` comment lines); every bad field reported."""
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    delimiter = ";" if lines and lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(body), delimiter=delimiter)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(
            "the grid lacks columns: " + ", ".join(missing),
            errors=[
                FieldError(field="body", message=f"missing column {c}", code="grid_columns_missing")
                for c in missing
            ],
            code="grid_columns_missing",
            columns=missing,
        )
    rows: list[PayGridRow] = []
    errors: list[FieldError] = []
    for number, raw in enumerate(reader, start=2):
        row, problems = _row(number, raw)
        errors += problems
        if row is not None:
            rows.append(row)
    if errors:
        raise DomainError(
            f"{len(errors)} error(s) in the grid; nothing was loaded",
            errors=errors,
            code="grid_invalid",
        )
    if not rows:
        raise DomainError("the grid has no rows", code="grid_empty")
    return rows


def load_grid(session: Session, *, actor: Actor, text: str) -> GridLoadReport:
    """Replace the bureau's grid with the rows of `text` (all or nothing)."""
    require_staff(actor, "load pay grids")
    rows = parse_grid(text)
    session.execute(delete(PayGridRow))
    session.add_all(rows)
    session.flush()
    example = any(EXAMPLE_MARK in fold(r.source) for r in rows)
    audit(
        session,
        actor=actor,
        action="load",
        entity="pay_grid",
        entity_id="grid",
        summary=f"{len(rows)} rows" + (" (example grid)" if example else ""),
        extra={"rows": len(rows)},
    )
    return GridLoadReport(rows=len(rows), example=example)


def grid_rows(session: Session) -> Sequence[PayGridRow]:
    return session.scalars(
        select(PayGridRow).order_by(
            PayGridRow.convention, PayGridRow.annexe, PayGridRow.profession, PayGridRow.valid_from
        )
    ).all()


def check_pay(
    session: Session,
    *,
    convention: str,
    annexe: str,
    category: str,
    profession: str,
    basis: str,
    gross_cents: int,
    units: float,
    on: date,
) -> PayCheck:
    """The pay per unit against the most specific grid row in force on `on`."""
    grid_basis = "cachet" if basis == "cachet" else "heure"
    per_unit = euros(round(gross_cents / units)) if units else Decimal("0.00")
    key = fold(" ".join(profession.split()))
    candidates = session.scalars(
        select(PayGridRow).where(
            PayGridRow.convention == convention,
            PayGridRow.annexe.in_({annexe, ""}),
            PayGridRow.category.in_({category, ""}),
            PayGridRow.profession_key.in_({key, "*"}),
            PayGridRow.basis == grid_basis,
            PayGridRow.valid_from <= on,
        )
    ).all()
    if not candidates:
        return PayCheck(status=PayCheckStatus.no_grid, per_unit=per_unit)
    best = max(
        candidates,
        key=lambda r: (r.profession_key != "*", r.annexe != "", r.category != "", r.valid_from),
    )
    minimum = euros(best.minimum_cents)
    status = PayCheckStatus.ok if per_unit >= minimum else PayCheckStatus.below
    return PayCheck(status=status, per_unit=per_unit, minimum=minimum, grid_source=best.source)
