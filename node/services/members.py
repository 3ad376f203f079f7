"""Members of the bureau: create, read, list, update with consent, delete (with erasure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.models import AuditEvent, Member
from node.problems import DomainError, Forbidden
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.sharing import share_member
from node.text import clean_tags, fold, fold_all
from schemas.common import FieldError
from schemas.members import MemberCreate, MemberUpdate

# Only staff may set these; a member edits their card and contact data, not their membership.
STAFF_ONLY_FIELDS = frozenset({"member_since", "shares"})
LIST_FIELDS = ("trades", "skills", "languages")
NULLABLE_FIELDS = frozenset({"email", "member_since"})
ERASED = "member erased"


def _search_text(member: Member) -> str:
    return fold_all(
        [member.display_name, member.city, member.territory, *member.trades, *member.skills]
    )


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    for key in LIST_FIELDS:
        if key in values and values[key] is not None:
            values[key] = clean_tags(values[key])
    if "links" in values and values["links"] is not None:
        values["links"] = [str(link) for link in values["links"]]
    if "availability" in values and values["availability"] is not None:
        values["availability"] = [
            {"start": p["start"].isoformat(), "end": p["end"].isoformat() if p["end"] else None}
            for p in values["availability"]
        ]
    if "email" in values:
        values["email"] = values["email"] or ""
    return values


def _apply_proposals(member: Member, accepts: bool) -> None:
    """Record when a member accepted network proposals (hosting); forget it when withdrawn."""
    if accepts and not (member.network_proposals and member.network_proposals_at):
        member.network_proposals_at = datetime.now(UTC)
    elif not accepts:
        member.network_proposals_at = None
    member.network_proposals = accepts


def _apply_visibility(member: Member, visibility: str) -> None:
    """Record consent: the date a member chose to let their card leave the bureau."""
    if visibility != member.visibility or member.consent_at is None:
        member.consent_at = None if visibility == "local" else datetime.now(UTC)
    member.visibility = visibility


def create_member(session: Session, *, actor: Actor, data: MemberCreate) -> Member:
    if not actor.can(Role.staff):
        raise Forbidden("only staff can add members", code="staff_only")
    values = _normalise(data.model_dump())
    visibility = values.pop("visibility")
    proposals = bool(values.pop("network_proposals", False))
    member = Member(**values)
    member.visibility = "local"
    _apply_visibility(member, visibility)
    _apply_proposals(member, proposals)
    member.search_text = _search_text(member)
    session.add(member)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="member",
        entity_id=member.id,
        summary=member.display_name,
        fields=sorted(values),
    )
    share_member(session, member)
    return member


def get_member(session: Session, *, member_id: str) -> Member:
    return get_or_404(session, Member, member_id, "member")


def list_members(
    session: Session,
    *,
    q: str | None = None,
    trade: str | None = None,
    skill: str | None = None,
    territory: str | None = None,
    visibility: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Member], int]:
    """Members matching every filter given, by name; `q`, `trade`, `skill` ignore accents."""
    stmt = select(Member).order_by(Member.display_name, Member.id)
    for term in fold(q).split() if q else []:
        stmt = stmt.where(Member.search_text.contains(term, autoescape=True))
    for tag in (trade, skill):
        if tag:
            stmt = stmt.where(Member.search_text.contains(fold(tag), autoescape=True))
    if territory:
        stmt = stmt.where(Member.territory == territory)
    if visibility:
        stmt = stmt.where(Member.visibility == visibility)
    return paginate(session, stmt, limit=limit, offset=offset)


def sees_private(actor: Actor, member: Member) -> bool:
    """Whether `actor` may see the member's private fields (contact and membership data), and
    so edit or delete their record: staff, and the member themself."""
    return actor.can(Role.staff) or actor.member_id == member.id


def update_member(
    session: Session,
    *,
    actor: Actor,
    member_id: str,
    data: MemberUpdate,
    expected_version: int | None,
) -> Member:
    member = get_member(session, member_id=member_id)
    if not sees_private(actor, member):
        raise Forbidden("members can only edit their own profile", code="own_profile_only")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if not actor.can(Role.staff) and STAFF_ONLY_FIELDS & changes.keys():
        fields = ", ".join(sorted(STAFF_ONLY_FIELDS & changes.keys()))
        raise Forbidden(
            f"only staff can change membership data ({fields})", code="membership_staff_only"
        )
    check_version(
        member, expected_version if expected_version is not None else data.version, "member"
    )
    nulls = [k for k, v in changes.items() if v is None and k not in NULLABLE_FIELDS]
    if nulls:
        raise DomainError(
            "these fields cannot be null: " + ", ".join(nulls),
            errors=[
                FieldError(field=f"body.{k}", message="may not be null", code="null_not_allowed")
                for k in nulls
            ],
        )
    changes = _normalise(changes)
    visibility = changes.pop("visibility", None)
    proposals = changes.pop("network_proposals", None)
    for key, value in changes.items():
        setattr(member, key, value)
    if visibility is not None:
        _apply_visibility(member, visibility)
        changes["visibility"] = visibility
    if proposals is not None:
        _apply_proposals(member, bool(proposals))
        changes["network_proposals"] = proposals
    member.search_text = _search_text(member)
    member.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="member",
        entity_id=member.id,
        summary=member.display_name,
        fields=sorted(changes),
    )
    share_member(session, member)
    return member


def delete_member(
    session: Session, *, actor: Actor, member_id: str, expected_version: int | None
) -> None:
    """Delete a member for good: their card is tombstoned, so every replica erases it."""
    member = get_member(session, member_id=member_id)
    if not sees_private(actor, member):
        raise Forbidden(
            "only staff or the member themself can delete a member", code="own_profile_only"
        )
    if expected_version is not None:
        check_version(member, expected_version, "member")
    member.version += 1
    share_member(session, member, deleted=True)
    # The trail keeps that a member existed and was erased, not who: the name is personal
    # data, so earlier entries about this member lose it too.
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.entity == "member", AuditEvent.entity_id == member.id)
        .values(summary=ERASED)
    )
    audit(
        session,
        actor=actor,
        action="delete",
        entity="member",
        entity_id=member.id,
        summary=ERASED,
    )
    session.delete(member)
    session.flush()
