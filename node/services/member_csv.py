"""Members as CSV: export, and import with a report naming each bad line and field.

Headers may be English (`display_name`) or French (`nom`, `métiers`, `visibilité` ...), any
case, accents optional. Files may use `,` or `;` between columns (spreadsheet apps in French
use `;`). Inside a cell, list items (métiers, compétences, langues, liens) are separated by
`;`, or by `,` when the file's columns are separated by `;`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import Member
from node.services.members import create_member, update_member
from node.text import fold
from schemas.members import MemberCreate, MemberUpdate

COLUMNS = (
    "id",
    "display_name",
    "city",
    "territory",
    "trades",
    "skills",
    "languages",
    "bio",
    "links",
    "visibility",
    "email",
    "phone",
    "address",
    "member_since",
    "shares",
)
LIST_COLUMNS = frozenset({"trades", "skills", "languages", "links"})
ALIASES = {
    "id": ["identifiant"],
    "display_name": ["nom", "name", "nom affiche", "prenom nom", "nom complet"],
    "city": ["ville"],
    "territory": ["territoire", "region"],
    "trades": ["metiers", "metier", "trade"],
    "skills": ["competences", "competence", "skill"],
    "languages": ["langues", "langue", "language"],
    "bio": ["biographie", "presentation"],
    "links": ["liens", "lien", "link", "site"],
    "visibility": ["visibilite"],
    "email": ["e-mail", "courriel", "mail"],
    "phone": ["telephone", "tel"],
    "address": ["adresse"],
    "member_since": ["membre depuis", "societaire depuis", "adhesion"],
    "shares": ["parts", "parts sociales"],
}
VISIBILITY_WORDS = {
    "reseau": "network",
    "local": "local",
    "locale": "local",
    "public": "public",
    "publique": "public",
    "network": "network",
}
HEADER_LOOKUP = {
    fold(alias): column for column, names in ALIASES.items() for alias in [column, *names]
}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    member_id: str | None
    data: dict[str, Any]


def _split(cell: str, separator: str) -> list[str]:
    return [part.strip() for part in cell.split(separator) if part.strip()]


def parse(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    """Rows ready to import, and every error found (line numbers as a spreadsheet shows them)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    list_separator = "," if delimiter == ";" else ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowError(1, "header", "the file is empty")]
    columns: list[str | None] = [HEADER_LOOKUP.get(fold(h.strip())) for h in header]
    errors = [
        RowError(1, "header", f"unknown column {h!r}")
        for h, c in zip(header, columns, strict=True)
        if c is None and h.strip()
    ]
    if "display_name" not in columns:
        errors.append(RowError(1, "header", "a name column (display_name or nom) is required"))
    if errors:
        return [], errors
    rows: list[ParsedRow] = []
    for index, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            errors.append(RowError(index, "row", f"{len(cells)} cells for {len(columns)} columns"))
            continue
        raw: dict[str, Any] = {}
        for column, cell in zip(columns, cells, strict=False):
            assert column is not None
            cell = cell.strip()
            if column in LIST_COLUMNS:
                raw[column] = _split(cell, list_separator)
            elif column == "visibility":
                raw[column] = VISIBILITY_WORDS.get(fold(cell), cell) if cell else "local"
            elif cell or column in {"display_name"}:
                raw[column] = cell
        member_id = raw.pop("id", None) or None
        try:
            MemberCreate.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "row"
                errors.append(RowError(index, field, err["msg"]))
            continue
        rows.append(ParsedRow(index, member_id, raw))
    return rows, errors


def import_rows(
    session: Session,
    *,
    actor: Actor,
    rows: Iterable[ParsedRow],
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[int, int]:
    """Create members, or update those whose `id` exists; returns (created, updated)."""
    created = updated = 0
    for row in rows:
        existing = session.get(Member, row.member_id) if row.member_id else None
        if existing is not None:
            update_member(
                session,
                actor=actor,
                member_id=existing.id,
                data=MemberUpdate.model_validate(row.data),
                expected_version=existing.version,
            )
            updated += 1
        else:
            create_member(session, actor=actor, data=MemberCreate.model_validate(row.data))
            created += 1
        progress(1)
    return created, updated


def export(session: Session) -> str:
    """Every member as CSV (UTF-8 with BOM, so spreadsheet apps read the accents right)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for member in session.scalars(select(Member).order_by(Member.display_name, Member.id)):
        row = []
        for column in COLUMNS:
            value = getattr(member, column)
            if column in LIST_COLUMNS:
                value = "; ".join(value)
            elif value is None:
                value = ""
            row.append(str(value))
        writer.writerow(row)
    return out.getvalue()
