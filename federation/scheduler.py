"""Background federation work: a database-backed loop with `run_once()`; APScheduler only ticks it.

Per peer, `fed_peers.failures` and `next_attempt_at` are the truth: a failed pull backs off
exponentially (capped), a success or a notify from the peer makes it due again. Peers are
isolated from each other: each is pulled in its own job and notified in its own thread (by
the scheduler's `Notifier`, `federation/notifier.py`), so a peer that accepts connections and
never answers holds up only its own pull and notify (until the request times out), never
another peer's.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from federation.config import FederationConfig
from federation.leader import Leadership
from federation.messages import peer_seen
from federation.models import FedPeer
from federation.notifier import Notifier
from federation.sync import SyncEngine, SyncReport
from schemas.federation import Heads

__all__ = ["SyncScheduler"]

log = logging.getLogger(__name__)

HOUSEKEEPING_JOB = "federation-housekeeping"
LEADER_JOB = "federation-leader"
WATCH_JOB = "federation-watch"
MESSAGES_JOB = "federation-messages"
PULL_JOB_PREFIX = "federation-pull-"
WATCH_SECONDS = 0.5


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
        messages: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._messages = messages
        self._sessions = session_factory
        self._sync = sync
        self._housekeeping = housekeeping
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self.notifier = Notifier(
            config=config,
            session_factory=session_factory,
            notify=notify,
            scheduling=lambda: self._aps is not None and self._leading,
        )
        self._aps: BackgroundScheduler | None = None
        self._leadership: Leadership | None = None
        self._leading = False
        # Peers with a pull in flight (another waits rather than piles up).
        self._pulling: set[str] = set()
        # Peers that notified this (leading) process since their pull started, and the heads
        # their latest notify carried.
        self._notified: set[str] = set()
        self._hints: dict[str, Heads] = {}

    # -- the loop ---------------------------------------------------------------------------

    def run_once(self) -> list[SyncReport]:
        """Run each active peer's job once (`pull_if_due`, what the running node's jobs run:
        a peer backing off is skipped), then process the inbox and outbox once."""
        reports = [self.pull_if_due(slug) for slug in self._active_peers()]
        self._housekeeping()
        return [report for report in reports if report is not None]

    def pull(self, peer_slug: str, heads: Heads | None = None) -> SyncReport:
        """Pull one peer now and schedule its next attempt from the outcome.

        `heads` are those the peer's notify carried (the pull skips asking for them). Peers
        hear of what the pull applied from the sync engine, as soon as each page commits.
        """
        started = self._now()

        def schedule(peer: FedPeer, report: SyncReport) -> None:
            # In the transaction that records the pull's outcome: one write per pull.
            if report.ok:
                peer.failures = 0
                session = Session.object_session(peer)
                if session is not None:  # it answered: what waits for it leaves now
                    peer_seen(session, peer=peer.slug, now=self._now())
                # A notify that another process marked while we pulled asks for another
                # pull: keep it. A backoff still in the future (this pull answered a
                # notify) is over.
                mark = peer.next_attempt_at
                if mark is None or mark <= started or mark > self._now():
                    peer.next_attempt_at = None
            else:
                peer.failures += 1
                delay = self.backoff(peer.failures)
                peer.next_attempt_at = self._now() + timedelta(seconds=delay)

        return self._sync.pull_peer(peer_slug, heads, bookkeeping=schedule)

    def backoff(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: doubling, capped, jittered."""
        base = min(self._config.backoff_max, self._config.sync_interval * 2 ** min(failures, 30))
        return float(base) * (1 - self._config.sync_jitter * self._rng.random())

    def pull_if_due(self, peer_slug: str) -> SyncReport | None:
        """The job of one peer: pull unless it is removed, backing off (and has not notified
        us since), or already being pulled; pull again at once if it notified us meanwhile."""
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                with self._lock:
                    self._notified.discard(peer_slug)
                    self._hints.pop(peer_slug, None)
                return None
            backing_off = peer.next_attempt_at is not None and peer.next_attempt_at > self._now()
        with self._lock:
            if peer_slug in self._pulling:
                return None
            if backing_off and peer_slug not in self._notified:
                return None
            self._pulling.add(peer_slug)
        try:
            while True:
                with self._lock:
                    self._notified.discard(peer_slug)
                    heads = self._hints.pop(peer_slug, None)
                report = self.pull(peer_slug, heads)
                with self._lock:
                    # Checked and released at once: a notify arriving after this starts
                    # the job anew.
                    if peer_slug not in self._notified:
                        self._pulling.discard(peer_slug)
                        return report
        except BaseException:
            with self._lock:
                self._pulling.discard(peer_slug)
            raise

    def trigger_now(self, peer_slug: str, heads: Heads | None = None) -> None:
        """Make a peer due at once (it notified us, so it is up: forget its backoff).

        In the process that runs the scheduler the mark stays in memory, with the `heads` the
        notify carried, and the peer's job starts at once (or runs again as soon as the pull
        in flight ends); in any other process it is written to the database, where the
        leader's watch finds it.
        """
        aps = self._aps if self._leading else None
        if aps is None or not aps.running:
            self._mark_due(peer_slug)
            return
        with self._lock:
            self._notified.add(peer_slug)
            if heads is not None:
                self._hints[peer_slug] = _newer_heads(self._hints.get(peer_slug), heads)
            if peer_slug in self._pulling:
                return  # the pull in flight sees the mark and pulls again when it ends
        job = aps.get_job(_job_id(peer_slug))
        if job is None:
            # Peered by another process (the CLI) since our last reconcile: its new job
            # starts at once.
            self.reconcile_jobs()
        else:
            job.modify(next_run_time=datetime.now(UTC))

    def _mark_due(self, peer_slug: str) -> None:
        with self._sessions() as session, session.begin():
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                return
            # "Due now" in the database: whichever process leads pulls it at its next watch.
            peer.next_attempt_at = self._now()

    # -- APScheduler ------------------------------------------------------------------------

    def start(self, leadership: Leadership | None = None) -> None:
        """Tick the loop in background threads, in the one process that wins leadership.

        Every process that starts a scheduler competes for leadership every third of a
        lease; the leader runs one pull job per active peer, housekeeping, and a watch that
        notices log growth and peers made due by other processes. Without `leadership`, this
        process leads unconditionally (tests, a single-process node without election).
        """
        if self._aps is not None:
            return
        self._leadership = leadership
        aps = BackgroundScheduler(timezone=UTC)
        self._aps = aps
        aps.add_job(
            self._tick_leader,
            "interval",
            seconds=self.lease_seconds / 3,
            id=LEADER_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        aps.start()

    @property
    def lease_seconds(self) -> float:
        """A leader that dies is replaced within one sync interval."""
        return max(1.5, self._config.sync_interval * 0.75)

    @property
    def leading(self) -> bool:
        return self._leading

    def stop(self) -> None:
        """Stop ticking; in-flight pulls finish (their transactions commit or roll back)."""
        self.notifier.cancel()
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=True)
        if self._leading and self._leadership is not None:
            self._leadership.release()
        self._leading = False

    def _tick_leader(self) -> None:
        leading = self._leadership.hold() if self._leadership is not None else True
        aps = self._aps
        if aps is None:
            return
        if leading and not self._leading:
            log.info("this process now runs the federation scheduler")
            self._leading = True
            aps.add_job(
                self._tick_housekeeping,
                "interval",
                seconds=self._config.sync_interval,
                id=HOUSEKEEPING_JOB,
                max_instances=1,
                coalesce=True,
            )
            aps.add_job(
                self._tick_watch,
                "interval",
                seconds=WATCH_SECONDS,
                id=WATCH_JOB,
                max_instances=1,
                coalesce=True,
            )
            # Its own job: a peer slow to take a message never delays pulls or notifies.
            if self._messages is not None:
                aps.add_job(
                    self._messages,
                    "interval",
                    seconds=WATCH_SECONDS,
                    id=MESSAGES_JOB,
                    max_instances=1,
                    coalesce=True,
                )
            self.reconcile_jobs()
            # Announce ourselves, so peers backing off from our downtime pull us at once.
            threading.Thread(target=self.notifier.flush_notifications, daemon=True).start()
        elif not leading and self._leading:
            log.warning("lost the federation scheduler's leadership; standing by")
            self._leading = False
            for job in aps.get_jobs():
                if job.id != LEADER_JOB:
                    job.remove()

    def _tick_watch(self) -> None:
        """Leader only: notify peers when the own log grew (written by any process), and
        pull peers another process marked due (a notify it received), and start pulling
        peers another process (the CLI) added. Pulls run in each peer's own job, never here:
        a peer that does not answer must not hold up the others."""
        self.reconcile_jobs()
        self.notifier.catch_up()
        now = self._now()
        with self._sessions() as session:
            due = session.scalars(
                select(FedPeer.slug).where(
                    FedPeer.state == "active",
                    FedPeer.next_attempt_at.is_not(None),
                    FedPeer.next_attempt_at <= now,
                )
            ).all()
        with self._lock:
            # A notify whose job start was refused (the job was just finishing) waits no more
            # than one watch.
            due = [*due, *(self._notified - set(due))]
        aps = self._aps
        for slug in due:
            job = aps.get_job(_job_id(slug)) if aps is not None else None
            with self._lock:
                busy = slug in self._pulling
            if job is not None and not busy:
                job.modify(next_run_time=datetime.now(UTC))

    def reconcile_jobs(self) -> None:
        """One pull job per active peer: add jobs for new peers, drop those of removed ones."""
        aps = self._aps
        if aps is None or not self._leading:
            return
        wanted = {_job_id(slug): slug for slug in self._active_peers()}
        for job in aps.get_jobs():
            if job.id.startswith(PULL_JOB_PREFIX) and job.id not in wanted:
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


def _newer_heads(pending: Heads | None, heads: Heads) -> Heads:
    """The heads of a notify, kept with any further seq an earlier, unconsumed one gave
    (two notifies may be handled out of order); an origin the latest one no longer lists
    (blocked by the peer) is dropped."""
    if pending is None or pending.node != heads.node:
        return heads
    earlier = {h.origin: h for h in pending.origins}
    merged = [
        earlier[h.origin] if h.origin in earlier and earlier[h.origin].seq > h.seq else h
        for h in heads.origins
    ]
    return Heads(node=heads.node, origins=merged)


def _job_id(peer_slug: str) -> str:
    return f"{PULL_JOB_PREFIX}{peer_slug}"
