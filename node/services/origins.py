"""What this node knows of the archipelago's bureaus: names, territories, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from federation import service


@dataclass(frozen=True)
class OriginInfo:
    slug: str
    name: str
    territory: str
    synced_at: datetime | None


def known_origins(session: Session) -> dict[str, OriginInfo]:
    """Every bureau this node holds records of (itself included), not blocked ones."""
    rows = service.known_origins(session)
    return {r.slug: OriginInfo(r.slug, r.name, r.territory, r.last_applied_at) for r in rows}
