"""`/api/resources`: equipment, vehicles and rooms the bureau owns."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag
from node.services import resources as service
from schemas.common import Page
from schemas.resources import ResourceCreate, ResourceKind, ResourcePublic, ResourceUpdate

router = APIRouter(prefix="/api/resources", tags=["resources"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResourcePublic)
def create_resource(
    data: ResourceCreate, db: Db, actor: StaffActor, response: Response
) -> ResourcePublic:
    resource = service.create_resource(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/resources/{resource.id}"
    response.headers["ETag"] = etag(resource.version)
    return ResourcePublic.model_validate(resource)


@router.get("", response_model=Page[ResourcePublic])
def list_resources(
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    q: str | None = None,
    kind: ResourceKind | None = None,
    lendable: bool | None = None,
) -> Page[ResourcePublic]:
    rows, total = service.list_resources(
        db,
        q=q,
        kind=kind.value if kind else None,
        lendable=lendable,
        limit=limit,
        offset=offset,
    )
    items = [ResourcePublic.model_validate(r) for r in rows]
    return Page[ResourcePublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/{resource_id}", response_model=ResourcePublic)
def get_resource(
    resource_id: str, db: Db, _actor: CurrentActor, response: Response
) -> ResourcePublic:
    resource = service.get_resource(db, resource_id=resource_id)
    response.headers["ETag"] = etag(resource.version)
    return ResourcePublic.model_validate(resource)


@router.patch("/{resource_id}", response_model=ResourcePublic)
def update_resource(
    resource_id: str,
    data: ResourceUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ResourcePublic:
    resource = service.update_resource(
        db, actor=actor, resource_id=resource_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(resource.version)
    return ResourcePublic.model_validate(resource)


@router.delete("/{resource_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_resource(resource_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_resource(db, actor=actor, resource_id=resource_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
