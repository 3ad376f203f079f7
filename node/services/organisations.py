"""Organisations (venues, festivals, programmers) and their contacts: the bureau's address book."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import Contact, Organisation
from node.services import hints, tourdates
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.editing import refuse_nulls, require_staff, same_folded
from node.services.sharing import share_venue
from node.text import clean_tags, fold, fold_all
from schemas.organisations import (
    ContactCreate,
    ContactUpdate,
    OrganisationCreate,
    OrganisationUpdate,
)

NULLABLE_FIELDS = frozenset({"email", "website"})


def _search_text(org: Organisation) -> str:
    return fold_all([org.name, org.city, *org.tags])


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Column values from a request: tags cleaned, absent email and website as ""."""
    if values.get("tags") is not None:
        values["tags"] = clean_tags(values["tags"])
    for key in NULLABLE_FIELDS & values.keys():
        values[key] = str(values[key]) if values[key] is not None else ""
    if values.get("licence_number") is not None:
        values["licence_number"] = " ".join(values["licence_number"].split())
    return values


def create_organisation(
    session: Session, *, actor: Actor, data: OrganisationCreate
) -> Organisation:
    require_staff(actor, "add organisations")
    values = _normalise(data.model_dump())
    org = Organisation(**values)
    org.search_text = _search_text(org)
    session.add(org)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="organisation",
        entity_id=org.id,
        summary=org.name,
        fields=sorted(values),
    )
    share_venue(session, org)
    return org


def get_organisation(session: Session, *, organisation_id: str) -> Organisation:
    return get_or_404(session, Organisation, organisation_id, "organisation")


def list_organisations(
    session: Session,
    *,
    q: str | None = None,
    kind: str | None = None,
    city: str | None = None,
    is_venue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Organisation], int]:
    """Organisations matching every filter, by name; `q` and `city` ignore accents and case."""
    stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
    for term in fold(q).split() if q else []:
        stmt = stmt.where(Organisation.search_text.contains(term, autoescape=True))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if city:
        stmt = stmt.where(Organisation.city.in_(same_folded(session, Organisation.city, city)))
    if is_venue is not None:
        stmt = stmt.where(Organisation.is_venue == is_venue)
    return paginate(session, stmt, limit=limit, offset=offset)


def update_organisation(
    session: Session,
    *,
    actor: Actor,
    organisation_id: str,
    data: OrganisationUpdate,
    expected_version: int | None,
) -> Organisation:
    """Change an organisation; renaming a venue re-publishes the dates it hosts."""
    require_staff(actor, "change organisations")
    org = get_organisation(session, organisation_id=organisation_id)
    check_version(
        org, expected_version if expected_version is not None else data.version, "organisation"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable=NULLABLE_FIELDS)
    changes = _normalise(changes)
    renamed = "name" in changes and changes["name"] != org.name
    for key, value in changes.items():
        setattr(org, key, value)
    org.search_text = _search_text(org)
    org.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="organisation",
        entity_id=org.id,
        summary=org.name,
        fields=sorted(changes),
    )
    share_venue(session, org)
    if renamed:
        tourdates.reshare(session, tourdates.dates_at(session, org.id))
    if renamed or "city" in changes:
        hints.reshare(session, org)
    return org


def delete_organisation(
    session: Session, *, actor: Actor, organisation_id: str, expected_version: int | None
) -> None:
    """Delete an organisation and its contacts; the dates it hosted keep their city, no venue."""
    require_staff(actor, "delete organisations")
    org = get_organisation(session, organisation_id=organisation_id)
    if expected_version is not None:
        check_version(org, expected_version, "organisation")
    hosted = tourdates.dates_at(session, org.id)
    for tour_date in hosted:
        tour_date.venue_id = None
        audit(
            session,
            actor=actor,
            action="update",
            entity="tour_date",
            entity_id=tour_date.id,
            summary=f"venue {org.name} deleted",
            fields=["venue_id"],
        )
    tourdates.reshare(session, hosted)
    org.version += 1
    share_venue(session, org, deleted=True)
    hints.withdraw(session, org)
    extra = {"contacts": len(org.contacts), "tour_dates_unlinked": len(hosted)}
    audit(
        session,
        actor=actor,
        action="delete",
        entity="organisation",
        entity_id=org.id,
        summary=org.name,
        extra={k: v for k, v in extra.items() if v},
    )
    session.delete(org)
    session.flush()


def create_contact(
    session: Session, *, actor: Actor, organisation_id: str, data: ContactCreate
) -> Contact:
    require_staff(actor, "add contacts")
    org = get_organisation(session, organisation_id=organisation_id)
    values = data.model_dump()
    values["email"] = values["email"] or ""
    contact = Contact(organisation_id=org.id, **values)
    session.add(contact)
    session.flush()
    # A contact is a person: the trail names their organisation, not them.
    audit(
        session,
        actor=actor,
        action="create",
        entity="contact",
        entity_id=contact.id,
        summary=f"contact at {org.name}",
        fields=sorted(values),
    )
    return contact


def get_contact(session: Session, *, contact_id: str) -> Contact:
    return get_or_404(session, Contact, contact_id, "contact")


def list_contacts(
    session: Session, *, organisation_id: str, limit: int = 50, offset: int = 0
) -> tuple[Sequence[Contact], int]:
    """The contacts of an organisation, by name."""
    get_organisation(session, organisation_id=organisation_id)
    stmt = (
        select(Contact)
        .where(Contact.organisation_id == organisation_id)
        .order_by(Contact.name, Contact.id)
    )
    return paginate(session, stmt, limit=limit, offset=offset)


def update_contact(
    session: Session,
    *,
    actor: Actor,
    contact_id: str,
    data: ContactUpdate,
    expected_version: int | None,
) -> Contact:
    require_staff(actor, "change contacts")
    contact = get_contact(session, contact_id=contact_id)
    check_version(
        contact, expected_version if expected_version is not None else data.version, "contact"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable={"email"})
    if "email" in changes:
        changes["email"] = changes["email"] or ""
    for key, value in changes.items():
        setattr(contact, key, value)
    contact.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="contact",
        entity_id=contact.id,
        summary=f"contact at {contact.organisation.name}",
        fields=sorted(changes),
    )
    return contact


def delete_contact(
    session: Session, *, actor: Actor, contact_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "delete contacts")
    contact = get_contact(session, contact_id=contact_id)
    if expected_version is not None:
        check_version(contact, expected_version, "contact")
    audit(
        session,
        actor=actor,
        action="delete",
        entity="contact",
        entity_id=contact.id,
        summary=f"contact at {contact.organisation.name}",
    )
    session.delete(contact)
    session.flush()
