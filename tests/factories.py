"""Factories: build records with sensible French defaults, overriding only what a test needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from node.actors import SYSTEM
from node.models import Member, Organisation, Production, Resource, TourDate
from node.services import members, organisations, productions, resources, tourdates
from node.services.common import PUBLISHER_KEY
from schemas.members import MemberCreate
from schemas.organisations import OrganisationCreate
from schemas.productions import ProductionCreate
from schemas.resources import ResourceCreate
from schemas.tourdates import TourDateCreate


def member_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "display_name": "Camille Durand",
        "city": "Lyon",
        "territory": "Auvergne-Rhône-Alpes",
        "trades": ["Régisseuse son"],
        "skills": ["console numérique", "façade"],
        "languages": ["fr", "en"],
        "visibility": "network",
        "email": "camille@example.org",
    }
    data.update(over)
    return data


def make_member(session: Session, **over: Any) -> Member:
    return members.create_member(session, actor=SYSTEM, data=MemberCreate(**member_data(**over)))


def production_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Les Étoiles filantes",
        "discipline": "theatre",
        "synopsis": "Une troupe en tournée dans les villages de la Drôme.",
        "artistic_lead": "Léa Martin",
        "technical_summary": "Plateau 8 × 6 m, 2 h de montage.",
        "visibility": "network",
    }
    data.update(over)
    return data


def make_production(session: Session, **over: Any) -> Production:
    return productions.create_production(
        session, actor=SYSTEM, data=ProductionCreate(**production_data(**over))
    )


def tour_date_data(production_id: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "production_id": production_id,
        "starts_at": "2026-03-14T20:30:00",
        "city": "Valence",
        "status": "option",
        "contract_type": "cession",
    }
    data.update(over)
    return data


def make_tour_date(session: Session, production_id: str, **over: Any) -> TourDate:
    return tourdates.create_tour_date(
        session, actor=SYSTEM, data=TourDateCreate(**tour_date_data(production_id, **over))
    )


def organisation_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Théâtre de la Croix-Rousse",
        "kind": "theatre",
        "city": "Lyon",
        "postal_code": "69004",
        "licence_number": "PLATESV-R-2021-001234",
        "email": "accueil@example.org",
        "tags": ["création", "jeune public"],
        "is_venue": True,
    }
    data.update(over)
    return data


def make_organisation(session: Session, **over: Any) -> Organisation:
    return organisations.create_organisation(
        session, actor=SYSTEM, data=OrganisationCreate(**organisation_data(**over))
    )


def contact_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Hélène Roux",
        "role": "programmatrice",
        "email": "helene@example.org",
        "phone": "04 72 00 00 00",
    }
    data.update(over)
    return data


def resource_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Console Yamaha QL1",
        "kind": "equipment",
        "description": "Console numérique 32 voies, flight-case.",
        "location": "Dépôt de Gerland",
        "lendable": True,
    }
    data.update(over)
    return data


def make_resource(session: Session, **over: Any) -> Resource:
    return resources.create_resource(
        session, actor=SYSTEM, data=ResourceCreate(**resource_data(**over))
    )


@dataclass
class Publication:
    kind: str
    record_id: str
    version: int
    body: dict[str, Any] | None


@dataclass
class RecordingPublisher:
    """A publisher that keeps what the services hand to federation, for tests to inspect."""

    published: list[Publication] = field(default_factory=list)

    def publish(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
        **extra: Any,
    ) -> None:
        self.published.append(Publication(kind, record_id, version, body))

    def of(self, record_id: str) -> list[Publication]:
        return [p for p in self.published if p.record_id == record_id]


def record_publications(sessions: sessionmaker[Session]) -> RecordingPublisher:
    """Make every session of `sessions` (e.g. `app.state.sessions`) publish to a recorder."""
    recorder = RecordingPublisher()
    sessions.configure(info={PUBLISHER_KEY: recorder})
    return recorder
