"""Telling peers our log grew: a debounced fan-out, one thread and one notify in flight per peer.

The scheduler owns one `Notifier`: its watch calls `catch_up()` when another process wrote to
the own log, and a commit in this process calls `log_grew()`. A peer that accepts
connections and never answers holds up only its own notify, never another peer's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from federation.config import FederationConfig
from federation.errors import FederationError
from federation.models import FedOrigin, FedPeer

__all__ = ["Notifier"]

log = logging.getLogger(__name__)


class Notifier:
    """Sends the notifies that tell every active peer our log grew, at a limited rate."""

    def __init__(
        self,
        *,
        config: FederationConfig,
        session_factory: sessionmaker[Session],
        notify: Callable[[str], None],
        scheduling: Callable[[], bool],
    ) -> None:
        self._config = config
        self._sessions = session_factory
        self._notify = notify
        # Whether this process runs the scheduler: only that one notifies on a commit.
        self._scheduling = scheduling
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._notified_head = 0
        self._last_flush = float("-inf")  # monotonic time of the last notify round
        # Peers with a notify in flight (another waits rather than piles up).
        self._notifying: set[str] = set()
        self._notify_again: set[str] = set()

    def log_grew(self) -> None:
        """Note that our log grew. Leading-edge debounce: after a quiet spell peers are
        notified at once (each relay hop costs no waiting); within `notify_debounce` of the
        last round, the changes gather until it has passed, so the notify rate keeps its
        limit."""
        if not self._scheduling() or not self._config.notify:
            return  # not the scheduling process: the leader's watch notices the log grew
        with self._lock:
            if self._timer is not None:
                return
            wait = max(0.0, self._last_flush + self._config.notify_debounce - time.monotonic())
            self._timer = threading.Timer(wait, self.flush_notifications)
            self._timer.daemon = True
            self._timer.start()

    def flush_notifications(self) -> None:
        """Notify every active peer now, each in its own thread, so a peer that never answers
        delays nobody else; failures are fine, they will pull later."""
        with self._lock:
            self._timer = None
            self._last_flush = time.monotonic()
        self._notified_head = self._own_head()
        if not self._config.notify:
            return  # pull only: peers learn of our changes at their next pull
        for slug in self._active_peers():
            with self._lock:
                if slug in self._notifying:
                    # One notify at a time per peer: a hung one is not joined by more.
                    self._notify_again.add(slug)
                    continue
                self._notifying.add(slug)
            threading.Thread(
                target=self._notify_until_current, args=(slug,), name=f"notify-{slug}", daemon=True
            ).start()

    def _notify_until_current(self, slug: str) -> None:
        """Notify `slug`, again if the log grew while the notify was in flight."""
        while True:
            try:
                self._notify(slug)
            except FederationError as exc:
                log.info("notify to %s failed (it will pull later): %s", slug, exc)
            with self._lock:
                if slug not in self._notify_again:
                    self._notifying.discard(slug)
                    return
                self._notify_again.discard(slug)

    def catch_up(self) -> None:
        """Notify every active peer if the own log grew (written by any process) since the
        last round."""
        if self._own_head() > self._notified_head:
            self.flush_notifications()

    def cancel(self) -> None:
        """Drop a pending debounced round (the scheduler stops)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _own_head(self) -> int:
        with self._sessions() as session:
            origin = session.get(FedOrigin, self._config.slug)
            return origin.head_seq if origin is not None else 0

    def _active_peers(self) -> list[str]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(FedPeer.slug).where(FedPeer.state == "active").order_by(FedPeer.slug)
                ).all()
            )
