"""What this node knows of the archipelago's bureaus: names, territories, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.models import FedOrigin


@dataclass(frozen=True)
class OriginInfo:
    slug: str
    name: str
    territory: str
    synced_at: datetime | None


def known_origins(session: Session) -> dict[str, OriginInfo]:
    """Every bureau this node holds records of (itself included), not blocked ones."""
    rows = session.scalars(select(FedOrigin).where(FedOrigin.blocked.is_(False)))
    return {r.slug: OriginInfo(r.slug, r.name, r.territory, r.last_applied_at) for r in rows}
