"""`/api/directory` and `/api/network/*`: the archipelago seen from the local replica."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from node.api.deps import AppSettings, CurrentActor, Db, get_settings
from node.services import network as service
from node.services.origins import known_origins
from schemas.loans import BusyPeriod
from schemas.network import (
    DirectoryItem,
    DirectoryPage,
    NetworkList,
    NetworkResourceItem,
    NetworkTourDateItem,
)

router = APIRouter(prefix="/api", tags=["network"])
PageLimit = Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")]
DIRECTORY_PAGE = TypeAdapter(DirectoryPage)
"""Serialises a directory page the way FastAPI serialises a `response_model` (same bytes)."""


@router.get("/directory", response_model=DirectoryPage)
def directory(
    request: Request,
    db: Db,
    _actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=200, description="Words to find.")] = None,
    skill: str | None = None,
    trade: str | None = None,
    territory: str | None = None,
    origin: str | None = None,
    available_on: date | None = None,
    limit: PageLimit = 20,
    cursor: str | None = None,
) -> Response:
    """Members of every bureau, own ones included; accent- and case-insensitive."""
    rows, next_cursor = service.search_directory(
        db,
        q=q,
        skill=skill,
        trade=trade,
        territory=territory,
        origin=origin,
        available_on=available_on,
        limit=limit,
        cursor=cursor,
    )
    # The settings are read here rather than through a dependency, and the page is
    # serialised here rather than by the route (which would validate it again): each sync
    # dependency and the response's validation cost a trip through the thread pool.
    own = get_settings(request).node.slug
    synced = service.synced_at(db, {r.origin for r in rows} - {own})
    now = datetime.now(UTC)
    items = [
        DirectoryItem(
            origin=r.origin,
            id=r.record_id,
            own=r.origin == own,
            display_name=r.display_name,
            city=r.city,
            territory=r.territory,
            trades=r.trades,
            skills=r.skills,
            languages=r.languages,
            visibility=r.visibility,
            synced_at=now if r.origin == own else synced.get(r.origin),
        )
        for r in rows
    ]
    page = DirectoryPage(items=items, next_cursor=next_cursor)
    return Response(DIRECTORY_PAGE.dump_json(page, by_alias=True), media_type="application/json")


def _territory_origins(db: Db, territory: str | None) -> list[str] | None:
    if not territory:
        return None
    territories = {slug: info.territory for slug, info in known_origins(db).items()}
    return service.origins_in(territories, territory)


@router.get("/network/tours", response_model=NetworkList[NetworkTourDateItem])
def tours(
    db: Db,
    settings: AppSettings,
    _actor: CurrentActor,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    territory: Annotated[str | None, Query(description="Territory of the bureau.")] = None,
    production: Annotated[str | None, Query(description="Production id or title.")] = None,
    limit: PageLimit = 100,
    cursor: str | None = None,
) -> NetworkList[NetworkTourDateItem]:
    """Every bureau's tour dates, by start time."""
    rows, next_cursor = service.network_tours(
        db,
        start=_aware(from_),
        end=_aware(to),
        origins=_territory_origins(db, territory),
        production=production,
        limit=limit,
        cursor=cursor,
    )
    own = settings.node.slug
    items = [
        NetworkTourDateItem(
            origin=r.origin,
            id=r.record_id,
            own=r.origin == own,
            production_id=r.production_id,
            production_title=r.production_title,
            starts_at=r.starts_at,
            timezone=r.timezone,
            city=r.city,
            venue_name=r.venue_name,
            status=r.status,
        )
        for r in rows
    ]
    return NetworkList[NetworkTourDateItem](items=items, next_cursor=next_cursor)


@router.get("/network/resources", response_model=NetworkList[NetworkResourceItem])
def resources(
    db: Db,
    settings: AppSettings,
    _actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
    kind: str | None = None,
    territory: str | None = None,
    limit: PageLimit = 100,
    cursor: str | None = None,
) -> NetworkList[NetworkResourceItem]:
    """Every bureau's lendable resources."""
    rows, next_cursor = service.network_resources(
        db,
        q=q,
        kind=kind,
        origins=_territory_origins(db, territory),
        limit=limit,
        cursor=cursor,
    )
    own = settings.node.slug
    items = [
        NetworkResourceItem(
            origin=r.origin,
            id=r.record_id,
            own=r.origin == own,
            name=r.name,
            kind=r.kind,
            description=str(r.body.get("description", "")),
            location=r.location,
            busy=_busy(r.body.get("busy")),
        )
        for r in rows
    ]
    return NetworkList[NetworkResourceItem](items=items, next_cursor=next_cursor)


def _aware(value: datetime | None) -> datetime | None:
    """Naive query datetimes are taken as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _busy(raw: object) -> list[BusyPeriod]:
    """The lent periods a resource's owner published (malformed ones are skipped)."""
    periods = []
    for item in raw if isinstance(raw, list) else []:
        try:
            periods.append(BusyPeriod.model_validate(item))
        except ValidationError:
            continue
    return periods
