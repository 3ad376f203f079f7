"""Settings of the production office: the bureau's profile on contracts, employer-cost rates."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import OfficeSetting
from node.services.common import audit
from node.services.editing import require_staff
from schemas.contracts import OfficeProfile

PROFILE = "profile"


def get_setting(session: Session, key: str) -> dict[str, Any]:
    row = session.get(OfficeSetting, key)
    return dict(row.value) if row else {}


def put_setting(session: Session, *, actor: Actor, key: str, value: dict[str, Any]) -> None:
    """Replace one setting, audited by field names."""
    require_staff(actor, "change the office's settings")
    row = session.get(OfficeSetting, key) or OfficeSetting(key=key)
    row.value = value
    session.add(row)
    session.flush()
    audit(
        session, actor=actor, action="update", entity="office", entity_id=key, fields=sorted(value)
    )


def profile(session: Session) -> OfficeProfile:
    """The bureau as the producer party of its contracts."""
    return OfficeProfile.model_validate(get_setting(session, PROFILE))


def save_profile(session: Session, *, actor: Actor, data: OfficeProfile) -> OfficeProfile:
    put_setting(session, actor=actor, key=PROFILE, value=data.model_dump())
    return data
