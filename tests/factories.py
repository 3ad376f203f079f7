"""Factories: build records with sensible French defaults, overriding only what a test needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node.actors import SYSTEM
from node.models import Member
from node.services import members
from schemas.members import MemberCreate


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
