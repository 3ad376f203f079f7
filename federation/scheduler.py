"""Background federation work: a database-backed loop with `run_once()`; APScheduler only ticks it.

Per peer, `fed_peers.failures` and `next_attempt_at` are the truth: a failed pull backs off
exponentially (capped), a success or a notify from the peer makes it due again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from federation.config import FederationConfig
from federation.errors import FederationError
from federation.models import FedPeer
from federation.sync import SyncEngine, SyncReport

__all__ = ["SyncScheduler"]

log = logging.getLogger(__name__)

HOUSEKEEPING_JOB = "federation-housekeeping"


class SyncScheduler:
    """Decides when each peer is pulled and when peers are told our log grew."""

    def __init__(
        self,
        *,
        config: FederationConfig,
        session_factory: sessionmaker[Session],
        sync: SyncEngine,
        housekeeping: Callable[[], None],
        notify: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._sessions = session_factory
        self._sync = sync
        self._housekeeping = housekeeping
        self._notify = notify
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._aps: BackgroundScheduler | None = None

    # -- the loop ---------------------------------------------------------------------------

    def run_once(self) -> list[SyncReport]:
        """Pull every active peer that is due, then process the inbox and outbox once."""
        now = self._now()
        with self._sessions() as session:
            due = session.scalars(
                select(FedPeer.slug)
                .where(
                    FedPeer.state == "active",
                    or_(FedPeer.next_attempt_at.is_(None), FedPeer.next_attempt_at <= now),
                )
                .order_by(FedPeer.slug)
            ).all()
        reports = [self.pull(slug) for slug in due]
        self._housekeeping()
        return reports

    def pull(self, peer_slug: str) -> SyncReport:
        """Pull one peer now and schedule its next attempt from the outcome."""
        report = self._sync.pull_peer(peer_slug)
        with self._sessions() as session, session.begin():
            peer = session.get(FedPeer, peer_slug)
            if peer is not None:
                if report.ok:
                    peer.failures, peer.next_attempt_at = 0, None
                else:
                    peer.failures += 1
                    delay = self.backoff(peer.failures)
                    peer.next_attempt_at = self._now() + timedelta(seconds=delay)
        return report

    def backoff(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: doubling, capped, jittered."""
        base = min(self._config.backoff_max, self._config.sync_interval * 2 ** min(failures, 30))
        return float(base) * (1 - self._config.sync_jitter * self._rng.random())

    def pull_if_due(self, peer_slug: str) -> SyncReport | None:
        """The periodic job of one peer: pull unless it is removed or backing off."""
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                return None
            if peer.next_attempt_at is not None and peer.next_attempt_at > self._now():
                return None
        return self.pull(peer_slug)

    def trigger_now(self, peer_slug: str) -> None:
        """Make a peer due at once (it notified us, so it is up: forget its backoff)."""
        with self._sessions() as session, session.begin():
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                return
            peer.next_attempt_at = None
        aps = self._aps
        if aps is not None and aps.running:
            job = aps.get_job(_job_id(peer_slug))
            if job is None:
                # Peered by another process (the CLI) since our last reconcile: its new job
                # starts at once.
                self.reconcile_jobs()
            else:
                job.modify(next_run_time=datetime.now(UTC))

    # -- notifications ----------------------------------------------------------------------

    def log_grew(self) -> None:
        """Note that our log grew; peers are notified once after the debounce delay."""
        if self._aps is None:
            return  # not started (CLI, tests): peers find out by pulling
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self._config.notify_debounce, self.flush_notifications)
            self._timer.daemon = True
            self._timer.start()

    def flush_notifications(self) -> None:
        """Send a notify to every active peer now; failures are fine, they will pull later."""
        with self._lock:
            self._timer = None
        for slug in self._active_peers():
            try:
                self._notify(slug)
            except FederationError as exc:
                log.info("notify to %s failed (it will pull later): %s", slug, exc)

    # -- APScheduler ------------------------------------------------------------------------

    def start(self) -> None:
        """Tick the loop in background threads: one job per active peer, one housekeeping job."""
        if self._aps is not None:
            return
        aps = BackgroundScheduler(timezone=UTC)
        aps.add_job(
            self._tick_housekeeping,
            "interval",
            seconds=self._config.sync_interval,
            id=HOUSEKEEPING_JOB,
            max_instances=1,
            coalesce=True,
        )
        self._aps = aps
        self.reconcile_jobs()
        aps.start()
        # Announce ourselves, so peers backing off from our downtime pull us at once.
        threading.Thread(target=self.flush_notifications, daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=True)

    def reconcile_jobs(self) -> None:
        """One pull job per active peer: add jobs for new peers, drop those of removed ones."""
        aps = self._aps
        if aps is None:
            return
        wanted = {_job_id(slug): slug for slug in self._active_peers()}
        for job in aps.get_jobs():
            if job.id != HOUSEKEEPING_JOB and job.id not in wanted:
                job.remove()
        for job_id, slug in wanted.items():
            if aps.get_job(job_id) is None:
                aps.add_job(
                    self.pull_if_due,
                    "interval",
                    args=[slug],
                    seconds=self._config.sync_interval,
                    jitter=self._config.sync_interval * self._config.sync_jitter,
                    id=job_id,
                    max_instances=1,
                    coalesce=True,
                    next_run_time=datetime.now(UTC),
                )

    def _tick_housekeeping(self) -> None:
        self.reconcile_jobs()
        self._housekeeping()

    def _active_peers(self) -> list[str]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(FedPeer.slug).where(FedPeer.state == "active").order_by(FedPeer.slug)
                ).all()
            )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _job_id(peer_slug: str) -> str:
    return f"federation-pull-{peer_slug}"
