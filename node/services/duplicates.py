"""Organisations entered twice: finding them, and merging one into the other.

Two organisations look like one when their folded name and city are equal ("Théâtre  de
la Croix-Rousse, LYON" = "theatre de la croix rousse, Lyon"), or when they share an e-mail
(the organisation's own or one of their contacts'). A merge keeps one and moves everything
of the other to it: contacts, interactions, prospection, the dates it hosts and every other
reference; nothing of either history is lost, and the trail records it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from node.actors import Actor
from node.models import (
    Contact,
    Interaction,
    Organisation,
    Prospection,
    SaleContract,
    TourDate,
)
from node.problems import DomainError
from node.services import hints, tourdates
from node.services.common import audit, get_or_404
from node.services.editing import require_staff
from node.services.sharing import share_venue
from node.text import clean_tags, fold, fold_all
from schemas.common import FieldError
from schemas.crm import (
    PIPELINE_ORDER,
    DuplicateGroup,
    DuplicateOrganisation,
    DuplicateReason,
    MergeReport,
)

# Other columns that point at an organisation, simply re-pointed by a merge.
REFERENCES: list[InstrumentedAttribute[Any]] = [SaleContract.organiser_id]
# Hooks run before the merged organisation is deleted (kept, merged): e.g. the network hint.
MERGE_HOOKS: list[Callable[[Session, Organisation, Organisation], None]] = [hints.on_merge]
# Fields filled on the kept organisation when it has none and the merged one has one.
FILLABLE = (
    "kind",
    "city",
    "address",
    "postal_code",
    "licence_number",
    "email",
    "phone",
    "website",
    "technical_specs",
)


def name_key(name: str, city: str) -> str:
    """Folded name and city, punctuation and repeated spaces ignored."""
    words = re.sub(r"[\W_]+", " ", fold(f"{name} | {city}")).split()
    return " ".join(words)


def _moved(session: Session, stmt: Executable) -> int:
    """Run a bulk update; how many rows it changed."""
    return cast(CursorResult[Any], session.execute(stmt)).rowcount


def _summary(org: Organisation) -> DuplicateOrganisation:
    return DuplicateOrganisation(id=org.id, name=org.name, city=org.city, email=org.email)


def find_duplicates(session: Session) -> list[DuplicateGroup]:
    """Groups of organisations that look like the same one, by reason."""
    orgs = {
        o.id: o
        for o in session.scalars(
            select(Organisation).order_by(Organisation.created_at, Organisation.id)
        )
    }
    by_name: dict[str, list[str]] = defaultdict(list)
    by_email: dict[str, list[str]] = defaultdict(list)
    for org in orgs.values():
        by_name[name_key(org.name, org.city)].append(org.id)
        if org.email:
            by_email[org.email.strip().casefold()].append(org.id)
    for org_id, email in session.execute(select(Contact.organisation_id, Contact.email)):
        if email and org_id not in by_email[email.strip().casefold()]:
            by_email[email.strip().casefold()].append(org_id)
    groups = [
        DuplicateGroup(
            reason=DuplicateReason.name_city,
            key=key,
            organisations=[_summary(orgs[i]) for i in ids],
        )
        for key, ids in sorted(by_name.items())
        if len(ids) > 1
    ]
    groups += [
        DuplicateGroup(
            reason=DuplicateReason.email, key=key, organisations=[_summary(orgs[i]) for i in ids]
        )
        for key, ids in sorted(by_email.items())
        if len(ids) > 1
    ]
    return groups


def _combine(kept: Prospection, merged: Prospection) -> None:
    """Keep the further-along status and the earliest next action; notes of both."""
    rank = {s.value: i for i, s in enumerate(PIPELINE_ORDER)}
    if rank.get(merged.status, 0) > rank.get(kept.status, 0):
        kept.status = merged.status
    if merged.next_action_on and (
        kept.next_action_on is None or merged.next_action_on < kept.next_action_on
    ):
        kept.next_action_on, kept.next_action = merged.next_action_on, merged.next_action
    kept.notes = "\n\n".join(n for n in (kept.notes, merged.notes) if n)
    kept.contact_id = kept.contact_id or merged.contact_id
    kept.version += 1


def _move_prospection(
    session: Session, kept: Organisation, merged: Organisation
) -> tuple[int, int]:
    moved = combined = 0
    mine = {
        p.production_id: p
        for p in session.scalars(select(Prospection).where(Prospection.organisation_id == kept.id))
    }
    for line in session.scalars(
        select(Prospection).where(Prospection.organisation_id == merged.id)
    ):
        if line.production_id in mine:
            _combine(mine[line.production_id], line)
            session.delete(line)
            combined += 1
        else:
            line.organisation_id = kept.id
            line.version += 1
            moved += 1
    session.flush()
    return moved, combined


def merge_organisations(
    session: Session, *, actor: Actor, kept_id: str, merged_id: str
) -> MergeReport:
    """Fold organisation `merged_id` into `kept_id`; the merged one is deleted afterwards."""
    require_staff(actor, "merge organisations")
    if kept_id == merged_id:
        raise DomainError(
            "an organisation cannot be merged into itself",
            errors=[
                FieldError(
                    field="body.merged_id",
                    message="same as the kept organisation",
                    code="merge_into_itself",
                )
            ],
        )
    kept = get_or_404(session, Organisation, kept_id, "organisation")
    merged = get_or_404(session, Organisation, merged_id, "organisation")
    filled = [f for f in FILLABLE if not getattr(kept, f) and getattr(merged, f)]
    for field in filled:
        setattr(kept, field, getattr(merged, field))
    if merged.kind != "autre" and kept.kind == "autre":
        kept.kind = merged.kind
        filled.append("kind")
    tags = clean_tags([*kept.tags, *merged.tags])
    if tags != list(kept.tags):
        kept.tags = tags
        filled.append("tags")
    if merged.notes:
        kept.notes = "\n\n".join(n for n in (kept.notes, f"[{merged.name}] {merged.notes}") if n)
    kept.is_venue = kept.is_venue or merged.is_venue
    contacts = _moved(
        session,
        update(Contact).where(Contact.organisation_id == merged.id).values(organisation_id=kept.id),
    )
    interactions = _moved(
        session,
        update(Interaction)
        .where(Interaction.organisation_id == merged.id)
        .values(organisation_id=kept.id),
    )
    prospections, combined = _move_prospection(session, kept, merged)
    hosted = list(session.scalars(select(TourDate).where(TourDate.venue_id == merged.id)))
    for tour_date in hosted:
        tour_date.venue_id = kept.id
    others = 0
    for column in REFERENCES:
        others += _moved(
            session, update(column.class_).where(column == merged.id).values({column.key: kept.id})
        )
    for hook in MERGE_HOOKS:
        hook(session, kept, merged)
    kept.search_text = fold_all([kept.name, kept.city, *kept.tags])
    kept.version += 1
    session.expire(merged, ["contacts"])
    session.flush()
    tourdates.reshare(session, hosted)
    share_venue(session, kept)
    merged.version += 1
    share_venue(session, merged, deleted=True)
    report = MergeReport(
        kept_id=kept.id,
        merged_id=merged.id,
        contacts=contacts,
        interactions=interactions,
        prospections=prospections,
        prospections_combined=combined,
        tour_dates=len(hosted),
        other_references=others,
        fields_filled=sorted(set(filled)),
    )
    counts = report.model_dump(exclude={"kept_id", "merged_id", "fields_filled"})
    audit(
        session,
        actor=actor,
        action="merge",
        entity="organisation",
        entity_id=kept.id,
        summary=f"{merged.name} merged into {kept.name}",
        fields=report.fields_filled,
        extra={"merged_id": merged.id, **{k: v for k, v in counts.items() if v}},
    )
    audit(
        session,
        actor=actor,
        action="delete",
        entity="organisation",
        entity_id=merged.id,
        summary=f"merged into {kept.name}",
        extra={"kept_id": kept.id},
    )
    session.delete(merged)
    session.flush()
    return report
