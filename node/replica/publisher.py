"""The node's publisher: own changes go to the own replica and, when shared, to the log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from federation.registry import Registry
from federation.service import Federation, latest_entry

log = logging.getLogger(__name__)
GREW_FLAG = "archipel.log_grew"
PURGED_FLAG = "archipel.purged"


class NodePublisher:
    """Implements `node.services.common.Publisher` on top of federation's own log."""

    def __init__(
        self,
        *,
        origin: str,
        federation: Federation,
        registry: Registry,
        on_log_grew: Callable[[], None],
        on_purged: Callable[[], None],
    ) -> None:
        self.origin = origin
        self.federation = federation
        self.registry = registry
        self.on_log_grew = on_log_grew
        self.on_purged = on_purged

    def publish(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
        replica_body: dict[str, Any] | None,
    ) -> None:
        latest = latest_entry(session, origin=self.origin, kind=kind, record_id=record_id)
        unchanged = body is not None and latest is not None and latest.carries(body)
        if latest is not None and latest.version >= version and not unchanged:
            # The shared record changed without a local edit (a resource's busy periods move
            # with its loans): peers see a higher version while the local one, the edit
            # token of If-Match, stays as it is.
            version = latest.version + 1
        applier = self.registry.get(kind)
        if applier is not None:
            if replica_body is None:
                applier.remove(session, origin=self.origin, record_id=record_id)
                session.info[PURGED_FLAG] = True
            else:
                applier.apply(
                    session,
                    origin=self.origin,
                    record_id=record_id,
                    version=version,
                    body=replica_body,
                )
        if body is None and (latest is None or latest.op == "delete"):
            return  # never shared, or already tombstoned: nothing leaves the bureau
        if unchanged:
            return  # only private fields changed: peers have nothing new to learn
        self.federation.append(session, kind=kind, record_id=record_id, version=version, body=body)
        session.info[GREW_FLAG] = True

    def _scrub(self) -> None:
        try:
            self.on_purged()
        except Exception:  # a busy database delays the scrub; the next purge redoes it
            log.warning(
                "scrubbing after an erasure failed; it runs again after the next one", exc_info=True
            )

    def watch(self, session_class: type[Session] | Any) -> None:
        """After each commit: notify peers when the own log grew, scrub when records were
        erased."""

        @event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            if session.info.pop(GREW_FLAG, False):
                self.on_log_grew()
            if session.info.pop(PURGED_FLAG, False):
                # Scrub erased bytes (WAL, search index) once this session let go of the
                # database: a checkpoint cannot complete under an open read transaction.
                threading.Thread(target=self._scrub, daemon=True).start()

        @event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop(GREW_FLAG, None)
            session.info.pop(PURGED_FLAG, None)
