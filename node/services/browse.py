"""What the pages need besides the records' own services: a card, filter choices, cities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.models import DirectoryCard, Member, NetworkTourDate, Organisation
from node.problems import NotFound
from node.text import fold

# Filter suggestions are read from this many cards at most: enough, and fast at 10,000 cards.
SUGGESTION_SAMPLE = 2000


def get_card(session: Session, *, origin: str, record_id: str) -> DirectoryCard:
    """One directory card of any bureau, as this node's replica holds it."""
    card = session.scalar(
        select(DirectoryCard).where(
            DirectoryCard.origin == origin, DirectoryCard.record_id == record_id
        )
    )
    if card is None:
        raise NotFound(
            f"no card {origin}/{record_id} in this node's directory", code="card_unknown"
        )
    return card


def directory_choices(session: Session) -> dict[str, list[str]]:
    """Values the directory's filters offer: trades, skills and territories seen in cards."""
    trades = session.scalars(select(DirectoryCard.trades).limit(SUGGESTION_SAMPLE)).all()
    skills = session.scalars(select(DirectoryCard.skills).limit(SUGGESTION_SAMPLE)).all()
    territories = session.scalars(select(DirectoryCard.territory).distinct()).all()

    def spelled(lists: Sequence[list[str]]) -> list[str]:
        seen: dict[str, str] = {}
        for tags in lists:
            for tag in tags or []:
                seen.setdefault(tag.casefold(), tag)
        return sorted(seen.values(), key=str.casefold)

    return {
        "trades": spelled(trades),
        "skills": spelled(skills),
        "territories": sorted({t for t in territories if t}, key=str.casefold),
    }


def tour_productions(session: Session) -> list[tuple[str, str]]:
    """(id, title) of every production with dates in the network calendar."""
    rows = session.execute(
        select(NetworkTourDate.production_id, NetworkTourDate.production_title).distinct()
    ).all()
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: r[1].casefold())


def bureau_cities(session: Session) -> set[str]:
    """Cities the bureau works in: those of its members and organisations (folded)."""
    cities = set(session.scalars(select(Member.city).distinct()).all())
    cities |= set(session.scalars(select(Organisation.city).distinct()).all())
    return {fold(c) for c in cities if c}
