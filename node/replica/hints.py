"""Applier of the "already in contact" hints (kind `organisation.contact-hint`)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.models import NetworkContactHint
from node.text import fold_all
from schemas import shared

log = logging.getLogger(__name__)


class ContactHintKind:
    """One replica row per hint; the body holds nothing but the fact and a person's name."""

    kind = shared.KIND_CONTACT_HINT

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        try:
            hint = shared.SharedContactHint.model_validate(body)
        except ValidationError:
            log.warning("unreadable %s %s/%s not shown", self.kind, origin, record_id)
            self.remove(session, origin=origin, record_id=record_id)
            return
        row = session.scalar(
            select(NetworkContactHint).where(
                NetworkContactHint.origin == origin, NetworkContactHint.record_id == record_id
            )
        )
        if row is not None and row.version > version:
            return
        if row is None:
            row = NetworkContactHint(origin=origin, record_id=record_id)
            session.add(row)
        row.version = version
        row.body = body
        row.organisation_name = hint.organisation_name[:200]
        row.city = hint.city[:120]
        row.person = hint.person[:200]
        row.name_key = fold_all([hint.organisation_name, hint.city])[:400]
        session.flush()

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        session.execute(
            delete(NetworkContactHint).where(
                NetworkContactHint.origin == origin, NetworkContactHint.record_id == record_id
            )
        )

    def purge_origin(self, session: Session, *, origin: str) -> None:
        session.execute(delete(NetworkContactHint).where(NetworkContactHint.origin == origin))
