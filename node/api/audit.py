"""`/api/audit`: the trail of who changed what, readable by every member."""

from __future__ import annotations

from fastapi import APIRouter

from node.api.deps import CurrentActor, Db, Limit, Offset
from node.services import audit as service
from schemas.accounts import AuditEventPublic
from schemas.common import Page

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEventPublic])
def list_events(
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
) -> Page[AuditEventPublic]:
    rows, total = service.list_events(
        db, entity=entity, entity_id=entity_id, actor=actor, limit=limit, offset=offset
    )
    items = [AuditEventPublic.model_validate(r) for r in rows]
    return Page[AuditEventPublic].of(items, total=total, limit=limit, offset=offset)
