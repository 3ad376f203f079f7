"""« Déjà en contact » : which bureaus of the network already talk to an organiser.

A bureau opts in per organisation; the network then learns only that it is in contact and
whom to ask there (`person`), never the interaction history. Renaming, merging or deleting
the organisation re-publishes or withdraws the hint. Queries read the local replica.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import ContactHint, NetworkContactHint, Organisation
from node.services.common import audit, get_or_404
from node.services.editing import require_staff, same_folded
from node.services.sharing import share_contact_hint
from node.text import fold
from schemas.hints import NetworkHint


def set_hint(session: Session, *, actor: Actor, organisation_id: str, person: str) -> ContactHint:
    """Share (or update) the hint of an organisation."""
    require_staff(actor, "share contact hints")
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    hint = session.get(ContactHint, org.id)
    if hint is None:
        hint = ContactHint(organisation_id=org.id, person=person, version=1)
        session.add(hint)
    else:
        hint.person = person
        hint.version += 1
    session.flush()
    share_contact_hint(session, org, person=hint.person, version=hint.version)
    audit(
        session,
        actor=actor,
        action="share",
        entity="organisation",
        entity_id=org.id,
        fields=["contact_hint"],
    )
    return hint


def get_hint(session: Session, *, organisation_id: str) -> ContactHint | None:
    get_or_404(session, Organisation, organisation_id, "organisation")
    return session.get(ContactHint, organisation_id)


def withdraw(session: Session, org: Organisation) -> None:
    """Withdraw the organisation's hint from the network, if it has one."""
    hint = session.get(ContactHint, org.id)
    if hint is not None:
        share_contact_hint(session, org, person="", version=hint.version + 1, deleted=True)
        session.delete(hint)
        session.flush()


def remove_hint(session: Session, *, actor: Actor, organisation_id: str) -> None:
    require_staff(actor, "withdraw contact hints")
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    withdraw(session, org)
    audit(
        session,
        actor=actor,
        action="unshare",
        entity="organisation",
        entity_id=org.id,
        fields=["contact_hint"],
    )


def reshare(session: Session, org: Organisation) -> None:
    """Publish the hint again after the organisation's name or city changed."""
    hint = session.get(ContactHint, org.id)
    if hint is not None:
        hint.version += 1
        session.flush()
        share_contact_hint(session, org, person=hint.person, version=hint.version)


def on_merge(session: Session, kept: Organisation, merged: Organisation) -> None:
    """A merge keeps one hint: the kept organisation's, or else the merged one's."""
    old = session.get(ContactHint, merged.id)
    if old is None:
        return
    person = old.person
    withdraw(session, merged)
    if session.get(ContactHint, kept.id) is None:
        hint = ContactHint(organisation_id=kept.id, person=person, version=1)
        session.add(hint)
        session.flush()
        share_contact_hint(session, kept, person=person, version=hint.version)


def search(
    session: Session, *, own_origin: str, name: str, city: str | None = None, limit: int = 50
) -> list[NetworkHint]:
    """Bureaus in contact with an organisation whose name holds every word of `name`
    (accents and case ignored), in `city` when given."""
    stmt = select(NetworkContactHint).order_by(NetworkContactHint.organisation_name)
    for word in fold(name).split():
        stmt = stmt.where(NetworkContactHint.name_key.contains(word, autoescape=True))
    if city:
        stmt = stmt.where(
            NetworkContactHint.city.in_(same_folded(session, NetworkContactHint.city, city))
        )
    return [
        NetworkHint(
            origin=row.origin,
            own=row.origin == own_origin,
            organisation_name=row.organisation_name,
            city=row.city,
            person=row.person,
        )
        for row in session.scalars(stmt.limit(limit))
    ]
