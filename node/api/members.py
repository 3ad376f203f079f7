"""`/api/members`: the bureau's members."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.actors import Actor
from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag
from node.models import Member
from node.services import members as service
from schemas.common import Page, Visibility
from schemas.members import MemberCreate, MemberPublic, MemberUpdate

router = APIRouter(prefix="/api/members", tags=["members"])
PRIVATE_FIELDS = ("email", "phone", "address", "member_since", "shares")


def to_public(member: Member, actor: Actor) -> MemberPublic:
    """The member as `actor` may see it: contact data only for staff and the member."""
    public = MemberPublic.model_validate(member)
    if not service.sees_private(actor, member):
        public = public.model_copy(update=dict.fromkeys(PRIVATE_FIELDS))
    return public


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberPublic)
def create_member(
    data: MemberCreate, db: Db, actor: StaffActor, response: Response
) -> MemberPublic:
    member = service.create_member(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/members/{member.id}"
    response.headers["ETag"] = etag(member.version)
    return to_public(member, actor)


@router.get("", response_model=Page[MemberPublic])
def list_members(
    db: Db,
    actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    q: str | None = None,
    trade: str | None = None,
    skill: str | None = None,
    territory: str | None = None,
    visibility: Visibility | None = None,
) -> Page[MemberPublic]:
    rows, total = service.list_members(
        db,
        q=q,
        trade=trade,
        skill=skill,
        territory=territory,
        visibility=visibility.value if visibility else None,
        limit=limit,
        offset=offset,
    )
    items = [to_public(m, actor) for m in rows]
    return Page[MemberPublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(member_id: str, db: Db, actor: CurrentActor, response: Response) -> MemberPublic:
    member = service.get_member(db, member_id=member_id)
    response.headers["ETag"] = etag(member.version)
    return to_public(member, actor)


@router.patch("/{member_id}", response_model=MemberPublic)
def update_member(
    member_id: str,
    data: MemberUpdate,
    db: Db,
    actor: CurrentActor,
    if_match: IfMatch,
    response: Response,
) -> MemberPublic:
    member = service.update_member(
        db, actor=actor, member_id=member_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(member.version)
    return to_public(member, actor)


@router.delete("/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_member(member_id: str, db: Db, actor: CurrentActor, if_match: IfMatch) -> Response:
    service.delete_member(db, actor=actor, member_id=member_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
