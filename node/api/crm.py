"""`/api/organisations/{id}/interactions`, prospection, pipelines, duplicates and merges."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag, paged
from node.services import crm as service
from node.services import duplicates
from schemas.common import Page
from schemas.crm import (
    DuplicateGroup,
    InteractionCreate,
    InteractionPublic,
    InteractionUpdate,
    MergeReport,
    MergeRequest,
    Pipeline,
    ProspectionCreate,
    ProspectionPublic,
    ProspectionUpdate,
)

router = APIRouter(prefix="/api", tags=["crm"])


@router.post(
    "/organisations/{organisation_id}/interactions",
    status_code=status.HTTP_201_CREATED,
    response_model=InteractionPublic,
)
def create_interaction(
    organisation_id: str, data: InteractionCreate, db: Db, actor: CurrentActor, response: Response
) -> InteractionPublic:
    """Add a call, e-mail, meeting, offer or note to the history (staff and members)."""
    row = service.create_interaction(db, actor=actor, organisation_id=organisation_id, data=data)
    response.headers["Location"] = f"/api/interactions/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return InteractionPublic.model_validate(row)


@router.get("/organisations/{organisation_id}/interactions", response_model=Page[InteractionPublic])
def list_interactions(
    organisation_id: str,
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    production_id: str | None = None,
) -> Page[InteractionPublic]:
    """The organisation's history, newest first."""
    rows, total = service.list_interactions(
        db, organisation_id=organisation_id, production_id=production_id, limit=limit, offset=offset
    )
    items = [InteractionPublic.model_validate(r) for r in rows]
    return Page[InteractionPublic].of(items, total=total, limit=limit, offset=offset)


@router.patch("/interactions/{interaction_id}", response_model=InteractionPublic)
def update_interaction(
    interaction_id: str,
    data: InteractionUpdate,
    db: Db,
    actor: CurrentActor,
    if_match: IfMatch,
    response: Response,
) -> InteractionPublic:
    row = service.update_interaction(
        db, actor=actor, interaction_id=interaction_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return InteractionPublic.model_validate(row)


@router.delete("/interactions/{interaction_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_interaction(
    interaction_id: str, db: Db, actor: CurrentActor, if_match: IfMatch
) -> Response:
    service.delete_interaction(
        db, actor=actor, interaction_id=interaction_id, expected_version=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/productions/{production_id}/prospection",
    status_code=status.HTTP_201_CREATED,
    response_model=ProspectionPublic,
)
def create_prospection(
    production_id: str, data: ProspectionCreate, db: Db, actor: StaffActor, response: Response
) -> ProspectionPublic:
    row = service.create_prospection(db, actor=actor, production_id=production_id, data=data)
    response.headers["Location"] = f"/api/prospection/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return service.present_prospections(db, [row])[0]


@router.get("/productions/{production_id}/pipeline", response_model=Pipeline)
def pipeline(production_id: str, db: Db, _actor: CurrentActor) -> Pipeline:
    """The production's prospection, one column per status (à contacter … refusé)."""
    return service.pipeline(db, production_id=production_id)


@router.get("/prospection/{prospection_id}", response_model=ProspectionPublic)
def get_prospection(
    prospection_id: str, db: Db, _actor: CurrentActor, response: Response
) -> ProspectionPublic:
    row = service.get_prospection(db, prospection_id=prospection_id)
    response.headers["ETag"] = etag(row.version)
    return service.present_prospections(db, [row])[0]


@router.patch("/prospection/{prospection_id}", response_model=ProspectionPublic)
def update_prospection(
    prospection_id: str,
    data: ProspectionUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ProspectionPublic:
    row = service.update_prospection(
        db, actor=actor, prospection_id=prospection_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return service.present_prospections(db, [row])[0]


@router.delete("/prospection/{prospection_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_prospection(
    prospection_id: str, db: Db, actor: StaffActor, if_match: IfMatch
) -> Response:
    service.delete_prospection(
        db, actor=actor, prospection_id=prospection_id, expected_version=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/organisation-duplicates", response_model=Page[DuplicateGroup])
def find_duplicates(
    db: Db, _actor: StaffActor, limit: Limit = 50, offset: Offset = 0
) -> Page[DuplicateGroup]:
    """Organisations that look entered twice: same name and city, or a shared e-mail."""
    groups = duplicates.find_duplicates(db)
    return paged(Page[DuplicateGroup], groups, list, limit=limit, offset=offset)


@router.post("/organisations/{organisation_id}/merge", response_model=MergeReport)
def merge(organisation_id: str, data: MergeRequest, db: Db, actor: StaffActor) -> MergeReport:
    """Keep this organisation and fold `merged_id` into it (contacts, history, dates...)."""
    return duplicates.merge_organisations(
        db, actor=actor, kept_id=organisation_id, merged_id=data.merged_id
    )
