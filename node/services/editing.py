"""Rules the bureau's record services share: staff-only edits, partial updates, folded lookups."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from node.actors import Actor, Role
from node.problems import DomainError, Forbidden
from node.text import fold
from schemas.common import FieldError


def require_staff(actor: Actor, doing: str) -> None:
    """Refuse `actor` unless they are staff; `doing` completes "only staff can …"."""
    if not actor.can(Role.staff):
        raise Forbidden(f"only staff can {doing}", code="staff_only")


def refuse_nulls(changes: Mapping[str, Any], *, nullable: Collection[str] = ()) -> None:
    """Refuse a partial update that sets a required field to null, naming each such field."""
    nulls = sorted(k for k, v in changes.items() if v is None and k not in nullable)
    if nulls:
        raise DomainError(
            "these fields cannot be null: " + ", ".join(nulls),
            errors=[
                FieldError(field=f"body.{k}", message="may not be null", code="null_not_allowed")
                for k in nulls
            ],
        )


def same_folded(session: Session, column: InstrumentedAttribute[str], value: str) -> list[str]:
    """The stored spellings of `column` equal to `value` once accents and case are folded.

    Meant for short, repetitive columns (cities): their distinct values are few, so the
    comparison runs in Python and the query filters with `IN`, the same on both engines.
    """
    wanted = fold(" ".join(value.split()))
    return [v for v in session.scalars(select(column).distinct()) if fold(v) == wanted]
