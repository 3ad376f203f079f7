"""The bureau's hosting area: where it hosts touring productions.

The `node.host_area` setting is the area until the bureau's admin sets it in the pages (or
through `PUT /api/hosting/area`); from then on the stored area is the one every reader uses
at once — the dates coming to us, the offers we may send — and the setting is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.models import HostArea
from node.problems import Forbidden, PreconditionRequired, VersionConflict
from node.services.common import audit
from schemas.hosting import HostAreaPublic, HostAreaUpdate

ROW = 1


def current(session: Session, *, setting: Sequence[str]) -> HostAreaPublic:
    """The area in force: the admin's, or else the `node.host_area` setting (version 0)."""
    row = session.get(HostArea, ROW)
    if row is None:
        return HostAreaPublic(entries=list(setting), source="settings", version=0)
    return HostAreaPublic(
        entries=list(row.entries),
        source="bureau",
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def entries(session: Session, *, setting: Sequence[str]) -> list[str]:
    """The entries of the area in force (see `current`)."""
    return current(session, setting=setting).entries


def update(
    session: Session,
    *,
    actor: Actor,
    data: HostAreaUpdate,
    expected_version: int | None,
    setting: Sequence[str],
) -> HostAreaPublic:
    """Replace the area (admin only), made from the version the admin saw; audited."""
    if not actor.can(Role.admin):
        raise Forbidden("only an admin can change the hosting area")
    expected = expected_version if expected_version is not None else data.version
    row = session.get(HostArea, ROW, with_for_update=True, populate_existing=True)
    version = row.version if row is not None else 0
    if expected is None:
        raise PreconditionRequired(
            f'say which version of the hosting area you edited: send `If-Match: "{version}"`'
            " or a `version` field"
        )
    if expected != version:
        raise VersionConflict(
            f"the hosting area was changed by someone else (you edited version {expected}, "
            f"it is now at version {version}); reload it and apply your change again",
            current_version=version,
        )
    before = row.entries if row is not None else list(setting)
    if row is None:
        row = HostArea(id=ROW, entries=data.entries, version=1, updated_by=actor.name)
        try:
            # Two first edits at once: the second meets the first's row, a stale edit.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise VersionConflict(
                "the hosting area was set by someone else meanwhile; reload it",
                current_version=1,
            ) from None
    else:
        row.entries = data.entries
        row.version += 1
        row.updated_by = actor.name
        session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="host_area",
        entity_id="host_area",
        summary=f"{', '.join(before) or '—'} → {', '.join(data.entries) or '—'}",
        fields=["entries"],
    )
    return current(session, setting=setting)
