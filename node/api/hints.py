"""`/api/organisations/{id}/contact-hint` and `/api/network/contact-hints`: « déjà en contact »."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from node.api.deps import AppSettings, CurrentActor, Db, Limit, Offset, StaffActor, paged
from node.problems import NotFound
from node.services import hints as service
from schemas.common import Page
from schemas.hints import ContactHintPublic, ContactHintSet, NetworkHint

router = APIRouter(prefix="/api", tags=["network"])


@router.put("/organisations/{organisation_id}/contact-hint", response_model=ContactHintPublic)
def set_hint(
    organisation_id: str, data: ContactHintSet, db: Db, actor: StaffActor
) -> ContactHintPublic:
    """Tell the network the bureau is in contact (and whom to ask); never the history."""
    hint = service.set_hint(db, actor=actor, organisation_id=organisation_id, person=data.person)
    return ContactHintPublic(organisation_id=hint.organisation_id, person=hint.person)


@router.get("/organisations/{organisation_id}/contact-hint", response_model=ContactHintPublic)
def get_hint(organisation_id: str, db: Db, _actor: CurrentActor) -> ContactHintPublic:
    hint = service.get_hint(db, organisation_id=organisation_id)
    if hint is None:
        raise NotFound(
            "the bureau does not share a contact hint for this organisation", code="hint_missing"
        )
    return ContactHintPublic(organisation_id=hint.organisation_id, person=hint.person)


@router.delete(
    "/organisations/{organisation_id}/contact-hint", status_code=status.HTTP_204_NO_CONTENT
)
def remove_hint(organisation_id: str, db: Db, actor: StaffActor) -> Response:
    service.remove_hint(db, actor=actor, organisation_id=organisation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/network/contact-hints", response_model=Page[NetworkHint])
def search_hints(
    db: Db,
    settings: AppSettings,
    _actor: CurrentActor,
    name: Annotated[str, Query(min_length=2, max_length=200, description="Organisation name.")],
    city: Annotated[str | None, Query(max_length=120)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[NetworkHint]:
    """Qui dans le réseau est déjà en contact avec cet organisateur ? (from the replica)"""
    hints = service.search(db, own_origin=settings.node.slug, name=name, city=city)
    return paged(Page[NetworkHint], hints, list, limit=limit, offset=offset)
