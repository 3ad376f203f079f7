"""Resources the bureau owns (equipment, vehicles, rooms): create, read, list, update, delete."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import Resource
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.editing import refuse_nulls, require_staff
from node.services.sharing import share_resource
from node.text import fold, fold_all
from schemas.resources import ResourceCreate, ResourceUpdate


def _search_text(resource: Resource) -> str:
    return fold_all([resource.name, resource.description, resource.location])


def create_resource(session: Session, *, actor: Actor, data: ResourceCreate) -> Resource:
    require_staff(actor, "add resources")
    values = data.model_dump()
    resource = Resource(**values)
    resource.search_text = _search_text(resource)
    session.add(resource)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="resource",
        entity_id=resource.id,
        summary=resource.name,
        fields=sorted(values),
    )
    share_resource(session, resource)
    return resource


def get_resource(session: Session, *, resource_id: str) -> Resource:
    return get_or_404(session, Resource, resource_id, "resource")


def list_resources(
    session: Session,
    *,
    q: str | None = None,
    kind: str | None = None,
    lendable: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Resource], int]:
    """Resources matching every filter, by name; `q` ignores accents (name, description, place)."""
    stmt = select(Resource).order_by(Resource.name, Resource.id)
    for term in fold(q).split() if q else []:
        stmt = stmt.where(Resource.search_text.contains(term, autoescape=True))
    if kind:
        stmt = stmt.where(Resource.kind == kind)
    if lendable is not None:
        stmt = stmt.where(Resource.lendable == lendable)
    return paginate(session, stmt, limit=limit, offset=offset)


def update_resource(
    session: Session,
    *,
    actor: Actor,
    resource_id: str,
    data: ResourceUpdate,
    expected_version: int | None,
) -> Resource:
    """Change a resource; making it lendable shares it, and unlendable withdraws it."""
    require_staff(actor, "change resources")
    resource = get_resource(session, resource_id=resource_id)
    check_version(
        resource, expected_version if expected_version is not None else data.version, "resource"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes)
    for key, value in changes.items():
        setattr(resource, key, value)
    resource.search_text = _search_text(resource)
    resource.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="resource",
        entity_id=resource.id,
        summary=resource.name,
        fields=sorted(changes),
    )
    share_resource(session, resource)
    return resource


def delete_resource(
    session: Session, *, actor: Actor, resource_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "delete resources")
    resource = get_resource(session, resource_id=resource_id)
    if expected_version is not None:
        check_version(resource, expected_version, "resource")
    resource.version += 1
    share_resource(session, resource, deleted=True)
    audit(
        session,
        actor=actor,
        action="delete",
        entity="resource",
        entity_id=resource.id,
        summary=resource.name,
    )
    session.delete(resource)
    session.flush()
