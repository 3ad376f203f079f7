"""Pulling a peer: ask its heads, then fetch, verify and apply pages of origins it is ahead on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from federation.apply import PageApplier, PageResult
from federation.bodies import BodyRecovery
from federation.claims import note_heads, reached, refuse_claim
from federation.client import FederationClient, RemoteError, Unreachable
from federation.config import FederationConfig
from federation.errors import BrokenChain, FederationError, NotPeered, PageTooLarge, UnknownKey
from federation.keys import KeyResolver
from federation.metrics import FederationMetrics
from federation.models import FedCursor, FedEntry, FedMissingBody, FedOrigin, FedPeer
from federation.peers import refresh_peer_keys
from federation.registry import Registry
from federation.trust import current_key_resolver
from schemas.federation import Heads, LogPage, OriginHead

__all__ = ["SyncEngine", "SyncReport"]

log = logging.getLogger(__name__)
MALFORMED = "malformed_response"
APPLY_FAILED = "apply_failed"
MAX_PAGE_ENTRIES = 5_000
"""The most entries a page may hold: the largest `page_limit` anyone may ask for (a relay's
page ends at a checkpoint its origin signed for such a request)."""


@dataclass
class SyncReport:
    """What one pull from a peer did: entries applied per origin, and the first error."""

    peer: str
    applied: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    purged: bool = False
    recovered: dict[str, int] = field(default_factory=dict)
    """Records per origin whose withheld body was fetched (from the origin or another peer)."""

    @property
    def ok(self) -> bool:
        return self.error is None


class SyncEngine:
    """Pulls peers; the cursors it moves are the heads stored with the entries they cover."""

    def __init__(
        self,
        *,
        config: FederationConfig,
        session_factory: sessionmaker[Session],
        client: FederationClient,
        registry: Registry,
        metrics: FederationMetrics,
        after_purge: Callable[[], None],
        on_applied: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._sessions = session_factory
        self._client = client
        self._metrics = metrics
        self._after_purge = after_purge
        self._on_applied = on_applied
        self._clock = clock
        self.applier = PageApplier(own_slug=config.slug, registry=registry, clock=clock)
        # Pulls from several peers may carry the same origin: applying one page at a time
        # keeps SQLite from failing a writer and keeps the head checks simple.
        self._apply_lock = threading.Lock()
        self._statistics = Statistics()
        self.bodies = BodyRecovery(
            session_factory=session_factory,
            fetch=self._peer_page,
            applier=self.applier,
            lock=self._apply_lock,
        )

    def pull_peer(
        self,
        peer_slug: str,
        heads: Heads | None = None,
        *,
        bookkeeping: Callable[[FedPeer, SyncReport], None] | None = None,
    ) -> SyncReport:
        """Pull every origin `peer_slug` holds ahead of us; record the outcome on the peer.

        `heads` are the peer's heads as its notify carried them: the pull then goes straight
        to the pages, without asking `GET /federation/heads` first. `bookkeeping` updates the
        peer's row in the transaction that records the outcome (one write after a pull).
        """
        report = SyncReport(peer=peer_slug)
        noted: Heads | None = None
        try:
            noted = self._pull(peer_slug, report, heads)
        except FederationError as exc:
            report.error = f"{exc.reason}: {exc}"
        except ValidationError as exc:
            # A peer answering with JSON that is not a heads document: a refusal too.
            self._metrics.pages_refused.labels(reason=MALFORMED).inc()
            report.error = f"{MALFORMED}: {exc.error_count()} invalid field(s) in the answer"
        except SQLAlchemyError as exc:
            # Whatever the database refused rolled back; the peer backs off and is retried.
            log.exception("applying a page from %s failed", peer_slug)
            report.error = f"{APPLY_FAILED}: {_db_error(exc)}"
        if report.purged:
            self._after_purge()
        self._record(peer_slug, report, noted, bookkeeping)
        return report

    def _pull(self, peer_slug: str, report: SyncReport, hinted: Heads | None) -> Heads | None:
        """Pull what the peer's heads (asked for, or `hinted`) show ahead of us; return the
        hinted heads, to be noted with the outcome."""
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                raise NotPeered(f"{peer_slug!r} is not an active peer")
            url = peer.url
        if hinted is None:
            heads = Heads.model_validate_json(self._get(peer_slug, f"{url}/federation/heads", None))
        else:
            heads = hinted
        if heads.node != peer_slug:
            raise NotPeered(f"the node at {url} says it is {heads.node!r}, not {peer_slug!r}")
        if hinted is None:
            self._note_heads(peer_slug, heads)
        for head in self._to_pull(heads):
            self._pull_head(peer_slug, url, head, report)
        # Hinted heads are noted (lag bookkeeping only) once the pages are in, in the write
        # that records the outcome: off a relay hop's path.
        return hinted

    def _to_pull(self, heads: Heads) -> list[OriginHead]:
        """The peer's origins other than ours that need a look, those it holds further than
        we do first: a change is applied (and relayed on) before the other origins are
        checked. An origin we hold at exactly the peer's head, with the same hash and no
        record waiting for its body, needs nothing (one read for all of them, not one per
        origin: a network of hundreds of bureaus lists hundreds of heads in every notify)."""
        with self._sessions() as session:
            held = {
                slug: (seq, digest)
                for slug, seq, digest in session.execute(
                    select(FedOrigin.slug, FedOrigin.head_seq, FedOrigin.head_hash)
                )
            }
            waiting = set(session.scalars(select(FedMissingBody.origin).distinct()))
        others = [
            h
            for h in heads.origins
            if h.origin != self._config.slug
            and (held.get(h.origin) != (h.seq, h.head) or h.origin in waiting)
        ]
        return sorted(others, key=lambda h: held.get(h.origin, (0, ""))[0] >= h.seq)

    def _pull_head(self, peer_slug: str, url: str, head: OriginHead, report: SyncReport) -> None:
        try:
            self._check_same_history(peer_slug, head.origin, head.seq, head.head)
            self._pull_origin(peer_slug, url, head.origin, head.seq, report)
            # Caught up with this peer: a record still noted without body is not waiting
            # for the rest of its log, so its body is asked of the origin and other peers.
            recovered = self.bodies.recover(head.origin, caught_up_at=head.seq)
            if recovered:
                report.recovered[head.origin] = recovered
                report.purged = True  # the records' older bodies were dropped
        except FederationError as exc:
            if not isinstance(exc, Unreachable | RemoteError):
                # Transport trouble is not a refusal; a page that fails checks is.
                self._metrics.pages_refused.labels(reason=exc.reason).inc()
                self._refuse_claim(peer_slug, head, exc.reason)
            log.warning("page of %s from %s refused: %s", head.origin, peer_slug, exc)
            if report.error is None:
                report.error = f"{exc.reason}: {exc} (origin {head.origin})"
        except ValidationError as exc:
            # One origin's malformed page must not stop the others from syncing. Its text
            # quotes the peer's bytes: the log and the status get the count only.
            self._metrics.pages_refused.labels(reason=MALFORMED).inc()
            self._refuse_claim(peer_slug, head, MALFORMED)
            log.warning(
                "malformed page of %s from %s: %d invalid field(s)",
                head.origin,
                peer_slug,
                exc.error_count(),
            )
            if report.error is None:
                report.error = f"{MALFORMED}: page of {head.origin} is not a log page"
        except SQLAlchemyError as exc:
            log.exception("applying a page of %s from %s failed", head.origin, peer_slug)
            if report.error is None:
                report.error = f"{APPLY_FAILED}: {_db_error(exc)} ({head.origin})"

    def _pull_origin(
        self, peer_slug: str, url: str, origin: str, remote_seq: int, report: SyncReport
    ) -> None:
        # While a page is applied (CPU and disk here), the next one is already being served
        # (by the peer), fetched and parsed (by a helper thread, which runs while the apply
        # waits on the database): catching up runs at apply speed.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as prefetch:
            ahead: tuple[int, Future[LogPage]] | None = None
            while True:
                with self._sessions() as session:
                    row = session.get(FedOrigin, origin)
                    if row is not None and row.blocked:
                        return
                    held = row.head_seq if row is not None else 0
                if held >= remote_seq:
                    return
                if ahead is not None and ahead[0] == held:
                    page = ahead[1].result()
                else:
                    page = self._page(peer_slug, url, origin, held)
                ahead = None
                if page.origin != origin:
                    raise NotPeered(f"asked for {origin!r}, {peer_slug!r} answered {page.origin!r}")
                end = page.checkpoint.seq if page.checkpoint is not None and page.entries else 0
                if held < end < remote_seq:
                    ahead = (end, prefetch.submit(self._page, peer_slug, url, origin, end))
                result = self._apply(page, peer_slug)
                if result.applied == 0:
                    return  # no progress: the peer has nothing we can link to yet
                report.applied[origin] = report.applied.get(origin, 0) + result.applied
                report.purged = report.purged or result.purged

    def _page(self, peer_slug: str, url: str, origin: str, after: int) -> LogPage:
        """The peer's page of `origin` after seq `after`, parsed and bounded (not yet
        verified)."""
        raw = self._get(peer_slug, f"{url}/federation/log/{origin}", self._at(after))
        page = LogPage.model_validate_json(raw)
        if len(page.entries) > MAX_PAGE_ENTRIES:
            raise PageTooLarge(
                f"a page of {len(page.entries)} entries ({len(raw)} bytes),"
                f" more than {MAX_PAGE_ENTRIES}"
            )
        return page

    def _refuse_claim(self, peer_slug: str, head: OriginHead, reason: str) -> None:
        """Record that what `peer_slug` served for its claim `head` was refused."""
        try:
            with self._sessions() as session, session.begin():
                refuse_claim(
                    session,
                    peer=peer_slug,
                    origin=head.origin,
                    seq=head.seq,
                    reason=reason,
                    now=self._now(),
                )
        except SQLAlchemyError as exc:
            log.warning("could not record %s's refused claim: %s", peer_slug, _db_error(exc))

    def _peer_page(self, peer_slug: str, origin: str, after: int) -> LogPage:
        """`_page` from a peer named by slug (asked for the bodies another peer withheld)."""
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            if peer is None or peer.state != "active":
                raise NotPeered(f"{peer_slug!r} is not an active peer")
            url = peer.url
        return self._page(peer_slug, url, origin, after)

    def _check_same_history(self, peer_slug: str, origin: str, seq: int, head: str) -> None:
        """Refuse a peer whose copy of `origin` forks from ours at a seq we both hold (a relay
        serving a forged log we are not otherwise asked to pull)."""
        if seq <= 0:
            return
        with self._sessions() as session:
            ours = session.get(FedEntry, (origin, seq))
            if ours is not None and ours.hash != head:
                raise BrokenChain(
                    f"{peer_slug!r} holds a different history of {origin!r} at seq {seq}"
                )

    def _at(self, after: int) -> dict[str, int]:
        return {"after": after, "limit": self._config.page_limit}

    def _apply(self, page: LogPage, peer_slug: str) -> PageResult:
        with self._apply_lock, self._sessions() as session, session.begin():
            result = self.applier.apply_page(session, page, via_peer=peer_slug)
            cursor = session.get(FedCursor, (peer_slug, page.origin))
            if cursor is None:
                cursor = FedCursor(peer=peer_slug, origin=page.origin, remote_seq=page.head_seq)
                session.add(cursor)
            cursor.seq, cursor.updated_at = result.head_seq, self._now()
            reached(cursor, result.head_seq)
            if cursor.refused_seq is None or page.head_seq > cursor.refused_seq:
                # The page's head is a claim too: not one we refused before.
                cursor.remote_seq = max(cursor.remote_seq or 0, page.head_seq)
        if result.applied:
            if self._on_applied is not None:
                # Committed: our peers may pull it from us now (a relay hop starts here,
                # not when the whole pull is over).
                try:
                    self._on_applied()
                except Exception:  # telling peers is a hint: never fail the pull over it
                    log.warning(
                        "could not tell peers about a page of %s", page.origin, exc_info=True
                    )
            self._metrics.entries_applied.labels(origin=page.origin).inc(result.applied)
            self._statistics.grew(self._sessions, result.applied)
        return result

    def _get(self, peer_slug: str, url: str, params: dict[str, int] | None) -> bytes:
        """A signed GET whose answer must be signed by the peer; follows a key rotation once."""
        try:
            return self._client.request(
                "GET", url, params=params, resolve_key=self._keys(peer_slug)
            ).content
        except UnknownKey:
            if not self._refresh_keys(peer_slug):
                raise
        return self._client.request(
            "GET", url, params=params, resolve_key=self._keys(peer_slug)
        ).content

    def _keys(self, peer_slug: str) -> KeyResolver:
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            keys = [] if peer is None else list(peer.keys)
        return current_key_resolver(keys, now=self._clock(), grace=self._config.key_grace)

    def _refresh_keys(self, peer_slug: str) -> bool:
        with self._sessions() as session:
            peer = session.get(FedPeer, peer_slug)
            if peer is None:
                return False
            url = peer.url
        identity = self._client.fetch_identity(url)
        with self._sessions() as session, session.begin():
            try:
                return refresh_peer_keys(session, slug=peer_slug, identity=identity)
            except FederationError as exc:
                log.warning("key refresh of %s failed: %s", peer_slug, exc)
                return False

    def _note_heads(self, peer_slug: str, heads: Heads) -> None:
        """Remember how far the peer holds each origin: that is what lag is measured against."""
        with self._sessions() as session, session.begin():
            note_heads(
                session,
                peer=peer_slug,
                heads=heads,
                own=self._config.slug,
                now=self._now(),
                only_forward=False,
            )

    def _record(
        self,
        peer_slug: str,
        report: SyncReport,
        noted: Heads | None,
        bookkeeping: Callable[[FedPeer, SyncReport], None] | None,
    ) -> None:
        try:
            with self._sessions() as session, session.begin():
                peer = session.get(FedPeer, peer_slug)
                if peer is None:
                    return
                if noted is not None:
                    note_heads(
                        session,
                        peer=peer_slug,
                        heads=noted,
                        own=self._config.slug,
                        now=self._now(),
                        only_forward=True,
                    )
                if report.ok:
                    peer.last_success_at = self._now()
                else:
                    peer.last_error, peer.last_error_at = report.error, self._now()
                if bookkeeping is not None:
                    bookkeeping(peer, report)
        except SQLAlchemyError as exc:
            # The database that just refused the page may refuse this too (still locked,
            # still full): the outcome is in the report and the log, the pull is not lost.
            log.warning("could not record the pull of %s: %s", peer_slug, _db_error(exc))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _db_error(exc: SQLAlchemyError) -> str:
    """The error's class and the driver's first line (`database or disk is full`): what an
    operator reads in the peer's status."""
    orig = getattr(exc, "orig", None)
    detail = str(orig).splitlines()[0][:120] if orig is not None and str(orig) else ""
    return f"{exc.__class__.__name__}: {detail}" if detail else exc.__class__.__name__


class Statistics:
    """Keeps PostgreSQL's planner statistics in step with a catch-up.

    A node that pulls a peer's log grows its tables from nothing in minutes, faster than
    autovacuum re-analyses them: planned against an empty table, the batched lookups and
    compaction updates of each page (`record_id IN (…)`) scan the whole table, and a
    catch-up turns quadratic (100,000 entries: 305 entries/s instead of some 3,000). So the
    database is analysed each time this process has applied as many entries again as it had
    at the previous analysis (2,000, 4,000, 8,000, …): its cost stays a fraction of the
    applying. SQLite's planner needs no statistics for these queries.
    """

    FIRST = 2_000

    def __init__(self) -> None:
        self._applied = 0
        self._next = self.FIRST
        self._lock = threading.Lock()

    def grew(self, factory: sessionmaker[Session], applied: int) -> None:
        with self._lock:
            self._applied += applied
            if self._applied < self._next:
                return
            self._next = self._applied * 2
        with factory() as session:
            bind = session.get_bind()
            if bind.dialect.name != "postgresql":
                return
            try:
                with session.begin():
                    session.execute(text("ANALYZE"))
            except SQLAlchemyError as exc:  # statistics are an optimisation: never fail a pull
                log.warning("could not refresh the planner's statistics: %s", exc)
