"""The organisers CRM: interaction history and prospection per production, with its pipeline.

Interactions are shared by the bureau's staff and members: any of them may add one; its author
and staff may change or remove it. Prospection is staff work; members read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.models import Contact, Interaction, Organisation, Production, Prospection
from node.models.base import utcnow
from node.problems import Conflict, DomainError, Forbidden
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.editing import refuse_nulls, require_staff
from schemas.common import FieldError
from schemas.crm import (
    PIPELINE_ORDER,
    InteractionCreate,
    InteractionUpdate,
    Pipeline,
    PipelineColumn,
    ProspectionCreate,
    ProspectionPublic,
    ProspectionUpdate,
)
from schemas.tourdates import DEFAULT_TIMEZONE, localise


def _organisation(session: Session, organisation_id: str) -> Organisation:
    return get_or_404(session, Organisation, organisation_id, "organisation")


def _known_production(session: Session, production_id: str | None, field: str) -> None:
    if production_id and session.get(Production, production_id) is None:
        raise DomainError(
            f"no production with id {production_id!r}",
            errors=[
                FieldError(field=field, message="unknown production", code="production_unknown")
            ],
        )


def create_interaction(
    session: Session, *, actor: Actor, organisation_id: str, data: InteractionCreate
) -> Interaction:
    """Add an exchange to an organisation's history (staff and members alike)."""
    org = _organisation(session, organisation_id)
    _known_production(session, data.production_id, "body.production_id")
    happened = localise(data.happened_at, DEFAULT_TIMEZONE) if data.happened_at else utcnow()
    row = Interaction(
        organisation_id=org.id,
        production_id=data.production_id,
        kind=data.kind.value,
        happened_at=happened,
        author=actor.name,
        author_member_id=actor.member_id,
        text=data.text,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="interaction",
        entity_id=row.id,
        summary=f"{row.kind} with {org.name}",
        fields=sorted(data.model_dump(exclude_unset=True)),
    )
    return row


def get_interaction(session: Session, *, interaction_id: str) -> Interaction:
    return get_or_404(session, Interaction, interaction_id, "interaction")


def list_interactions(
    session: Session,
    *,
    organisation_id: str,
    production_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Interaction], int]:
    """An organisation's history, newest first."""
    _organisation(session, organisation_id)
    stmt = (
        select(Interaction)
        .where(Interaction.organisation_id == organisation_id)
        .order_by(Interaction.happened_at.desc(), Interaction.id)
    )
    if production_id:
        stmt = stmt.where(Interaction.production_id == production_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def _may_edit(actor: Actor, row: Interaction) -> None:
    own = (actor.member_id is not None and actor.member_id == row.author_member_id) or (
        actor.member_id is None and actor.name == row.author
    )
    if not (own or actor.can(Role.staff)):
        raise Forbidden(
            "only its author or staff can change an interaction", code="interaction_not_yours"
        )


def update_interaction(
    session: Session,
    *,
    actor: Actor,
    interaction_id: str,
    data: InteractionUpdate,
    expected_version: int | None,
) -> Interaction:
    row = get_interaction(session, interaction_id=interaction_id)
    _may_edit(actor, row)
    check_version(
        row, expected_version if expected_version is not None else data.version, "interaction"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable={"production_id"})
    _known_production(session, changes.get("production_id"), "body.production_id")
    if "happened_at" in changes:
        changes["happened_at"] = localise(changes["happened_at"], DEFAULT_TIMEZONE)
    if "kind" in changes:
        changes["kind"] = changes["kind"].value
    for key, value in changes.items():
        setattr(row, key, value)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="interaction",
        entity_id=row.id,
        summary=f"{row.kind} of {row.author}",
        fields=sorted(changes),
    )
    return row


def delete_interaction(
    session: Session, *, actor: Actor, interaction_id: str, expected_version: int | None
) -> None:
    row = get_interaction(session, interaction_id=interaction_id)
    _may_edit(actor, row)
    if expected_version is not None:
        check_version(row, expected_version, "interaction")
    audit(
        session,
        actor=actor,
        action="delete",
        entity="interaction",
        entity_id=row.id,
        summary=f"{row.kind} of {row.author}",
    )
    session.delete(row)
    session.flush()


def _check_contact(session: Session, contact_id: str | None, organisation_id: str) -> None:
    if contact_id is None:
        return
    contact = session.get(Contact, contact_id)
    if contact is None or contact.organisation_id != organisation_id:
        raise DomainError(
            "the contact is not one of the organisation's",
            errors=[
                FieldError(
                    field="body.contact_id",
                    message="not a contact of this organisation",
                    code="contact_not_of_organisation",
                )
            ],
        )


def create_prospection(
    session: Session, *, actor: Actor, production_id: str, data: ProspectionCreate
) -> Prospection:
    """Start prospecting an organisation for a production (one line per pair)."""
    require_staff(actor, "prospect organisers")
    production = get_or_404(session, Production, production_id, "production")
    org = session.get(Organisation, data.organisation_id)
    if org is None:
        raise DomainError(
            f"no organisation with id {data.organisation_id!r}",
            errors=[
                FieldError(
                    field="body.organisation_id",
                    message="unknown organisation",
                    code="organisation_unknown",
                )
            ],
        )
    _check_contact(session, data.contact_id, org.id)
    values: dict[str, Any] = data.model_dump()
    values["status"] = data.status.value
    taken = session.scalar(
        select(Prospection.id).where(
            Prospection.production_id == production.id, Prospection.organisation_id == org.id
        )
    )
    if taken:
        raise Conflict(
            f"{org.name} is already in the prospection of {production.title}; change that line",
            code="prospection_exists",
            existing_id=taken,
        )
    row = Prospection(production_id=production.id, **values)
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="prospection",
        entity_id=row.id,
        summary=f"{production.title} → {org.name}: {row.status}",
        fields=sorted(values),
    )
    return row


def get_prospection(session: Session, *, prospection_id: str) -> Prospection:
    return get_or_404(session, Prospection, prospection_id, "prospection")


def update_prospection(
    session: Session,
    *,
    actor: Actor,
    prospection_id: str,
    data: ProspectionUpdate,
    expected_version: int | None,
) -> Prospection:
    """Move a prospection along (any status to any other: selling is not a straight line)."""
    require_staff(actor, "change prospection")
    row = get_prospection(session, prospection_id=prospection_id)
    check_version(
        row, expected_version if expected_version is not None else data.version, "prospection"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable={"next_action_on", "contact_id"})
    _check_contact(session, changes.get("contact_id"), row.organisation_id)
    extra: dict[str, Any] = {}
    if "status" in changes:
        changes["status"] = changes["status"].value
        if changes["status"] != row.status:
            extra = {"from": row.status, "to": changes["status"]}
    for key, value in changes.items():
        setattr(row, key, value)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="prospection",
        entity_id=row.id,
        summary=f"prospection now {row.status}",
        fields=sorted(changes),
        extra=extra,
    )
    return row


def delete_prospection(
    session: Session, *, actor: Actor, prospection_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "delete prospection")
    row = get_prospection(session, prospection_id=prospection_id)
    if expected_version is not None:
        check_version(row, expected_version, "prospection")
    audit(session, actor=actor, action="delete", entity="prospection", entity_id=row.id)
    session.delete(row)
    session.flush()


def present_prospections(session: Session, rows: Sequence[Prospection]) -> list[ProspectionPublic]:
    """Prospection lines with their organisation's name and city (one query for all)."""
    ids = {r.organisation_id for r in rows}
    orgs = (
        {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {}
    )
    result = []
    for row in rows:
        item = ProspectionPublic.model_validate(row)
        org = orgs.get(row.organisation_id)
        if org is not None:
            item.organisation_name, item.organisation_city = org.name, org.city
        result.append(item)
    return result


def pipeline(session: Session, *, production_id: str) -> Pipeline:
    """A production's prospection grouped by status, each column by next action date."""
    get_or_404(session, Production, production_id, "production")
    rows = session.scalars(
        select(Prospection)
        .where(Prospection.production_id == production_id)
        .order_by(Prospection.next_action_on.is_(None), Prospection.next_action_on, Prospection.id)
    ).all()
    items = present_prospections(session, rows)
    columns = []
    for status in PIPELINE_ORDER:
        column = [i for i in items if i.status == status]
        columns.append(PipelineColumn(status=status, count=len(column), items=column))
    return Pipeline(production_id=production_id, columns=columns)
