"""`/api/productions`: the bureau's productions and their teams."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag
from node.services import productions as service
from schemas.common import Page, Visibility
from schemas.productions import Discipline, ProductionCreate, ProductionPublic, ProductionUpdate

router = APIRouter(prefix="/api/productions", tags=["productions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProductionPublic)
def create_production(
    data: ProductionCreate, db: Db, actor: StaffActor, response: Response
) -> ProductionPublic:
    production = service.create_production(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/productions/{production.id}"
    response.headers["ETag"] = etag(production.version)
    return service.present(db, [production])[0]


@router.get("", response_model=Page[ProductionPublic])
def list_productions(
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    q: str | None = None,
    discipline: Discipline | None = None,
    visibility: Visibility | None = None,
    member_id: str | None = None,
) -> Page[ProductionPublic]:
    rows, total = service.list_productions(
        db,
        q=q,
        discipline=discipline.value if discipline else None,
        visibility=visibility.value if visibility else None,
        member_id=member_id,
        limit=limit,
        offset=offset,
    )
    items = service.present(db, rows)
    return Page[ProductionPublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/{production_id}", response_model=ProductionPublic)
def get_production(
    production_id: str, db: Db, _actor: CurrentActor, response: Response
) -> ProductionPublic:
    production = service.get_production(db, production_id=production_id)
    response.headers["ETag"] = etag(production.version)
    return service.present(db, [production])[0]


@router.patch("/{production_id}", response_model=ProductionPublic)
def update_production(
    production_id: str,
    data: ProductionUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ProductionPublic:
    production = service.update_production(
        db, actor=actor, production_id=production_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(production.version)
    return service.present(db, [production])[0]


@router.delete("/{production_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_production(production_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_production(
        db, actor=actor, production_id=production_id, expected_version=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
