"""Productions (spectacles) and their team: create, read, list, update, delete with their dates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from node.actors import Actor
from node.models import Member, Production, TeamMember
from node.problems import DomainError
from node.services import tourdates
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.editing import refuse_nulls, require_staff
from node.services.sharing import share_production
from node.text import fold, fold_all
from schemas.common import FieldError
from schemas.productions import (
    ProductionCreate,
    ProductionPublic,
    ProductionUpdate,
    TeamEntry,
    TeamMemberPublic,
)

# What a shared tour date carries of its production: a change re-publishes its dates.
DATE_FIELDS = frozenset({"title", "visibility"})


def _search_text(production: Production) -> str:
    return fold_all([production.title, production.artistic_lead])


def _team(session: Session, entries: Sequence[TeamEntry]) -> list[TeamMember]:
    """Team rows for `entries`, refusing unknown members by position and dropping repeats."""
    ids = {entry.member_id for entry in entries}
    known = set(session.scalars(select(Member.id).where(Member.id.in_(ids)))) if ids else set()
    errors = [
        FieldError(
            field=f"body.team.{i}.member_id",
            message=f"no member with id {e.member_id!r}",
            code="member_unknown",
        )
        for i, e in enumerate(entries)
        if e.member_id not in known
    ]
    if errors:
        raise DomainError(
            "the team names people who are not members of the bureau",
            errors=errors,
            code="member_unknown",
        )
    rows: list[TeamMember] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        role = " ".join(entry.role.split())
        if (entry.member_id, role) not in seen:
            seen.add((entry.member_id, role))
            rows.append(TeamMember(member_id=entry.member_id, role=role))
    return rows


def present(session: Session, productions: Sequence[Production]) -> list[ProductionPublic]:
    """The public view of `productions`, each team member named (one query for all names)."""
    ids = {row.member_id for p in productions for row in p.team}
    names: dict[str, str] = {}
    if ids:
        rows = session.execute(select(Member.id, Member.display_name).where(Member.id.in_(ids)))
        names = {member_id: name for member_id, name in rows}
    return [
        ProductionPublic(
            id=p.id,
            version=p.version,
            title=p.title,
            discipline=p.discipline,
            synopsis=p.synopsis,
            artistic_lead=p.artistic_lead,
            technical_summary=p.technical_summary,
            visibility=p.visibility,
            team=sorted(
                (
                    TeamMemberPublic(
                        member_id=row.member_id,
                        display_name=names.get(row.member_id, ""),
                        role=row.role,
                    )
                    for row in p.team
                ),
                key=lambda t: (fold(t.role), fold(t.display_name)),
            ),
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in productions
    ]


def create_production(session: Session, *, actor: Actor, data: ProductionCreate) -> Production:
    require_staff(actor, "add productions")
    values = data.model_dump(exclude={"team"})
    production = Production(**values)
    production.team = _team(session, data.team)
    production.search_text = _search_text(production)
    session.add(production)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="production",
        entity_id=production.id,
        summary=production.title,
        fields=[*values, "team"],
    )
    share_production(session, production)
    return production


def get_production(session: Session, *, production_id: str) -> Production:
    return get_or_404(session, Production, production_id, "production")


def list_productions(
    session: Session,
    *,
    q: str | None = None,
    discipline: str | None = None,
    visibility: str | None = None,
    member_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Production], int]:
    """Productions matching every filter, by title; `q` ignores accents (title, lead)."""
    stmt = (
        select(Production)
        .options(selectinload(Production.team))
        .order_by(Production.title, Production.id)
    )
    for term in fold(q).split() if q else []:
        stmt = stmt.where(Production.search_text.contains(term, autoescape=True))
    if discipline:
        stmt = stmt.where(Production.discipline == discipline)
    if visibility:
        stmt = stmt.where(Production.visibility == visibility)
    if member_id:
        in_team = select(TeamMember.production_id).where(TeamMember.member_id == member_id)
        stmt = stmt.where(Production.id.in_(in_team))
    return paginate(session, stmt, limit=limit, offset=offset)


def update_production(
    session: Session,
    *,
    actor: Actor,
    production_id: str,
    data: ProductionUpdate,
    expected_version: int | None,
) -> Production:
    """Change a production; `team`, when given, replaces the whole team."""
    require_staff(actor, "change productions")
    production = get_production(session, production_id=production_id)
    check_version(
        production,
        expected_version if expected_version is not None else data.version,
        "production",
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes)
    fields = sorted(changes)
    if changes.pop("team", None) is not None:
        team = _team(session, data.team or [])
        production.team.clear()
        session.flush()  # old rows go before new ones, or a kept (member, role) would clash
        production.team.extend(team)
    was_shared = production.visibility != "local"
    dates_change = any(getattr(production, k) != changes[k] for k in DATE_FIELDS & changes.keys())
    for key, value in changes.items():
        setattr(production, key, value)
    production.search_text = _search_text(production)
    production.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="production",
        entity_id=production.id,
        summary=production.title,
        fields=fields,
    )
    share_production(session, production)
    if dates_change and (was_shared or production.visibility != "local"):
        tourdates.reshare(session, tourdates.dates_of(session, production.id))
    return production


def delete_production(
    session: Session, *, actor: Actor, production_id: str, expected_version: int | None
) -> None:
    """Delete a production with its team and dates; tombstones go out for all of them."""
    require_staff(actor, "delete productions")
    production = get_production(session, production_id=production_id)
    if expected_version is not None:
        check_version(production, expected_version, "production")
    dates = tourdates.delete_dates_of(session, actor=actor, production_id=production.id)
    production.version += 1
    share_production(session, production, deleted=True)
    audit(
        session,
        actor=actor,
        action="delete",
        entity="production",
        entity_id=production.id,
        summary=production.title,
        extra={"tour_dates": dates} if dates else None,
    )
    session.delete(production)
    session.flush()
