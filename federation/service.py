"""The facade the node builds once: log writer, HTTP router, sync engine, scheduler, status.

With `registry` and `errors`, this module is federation's public surface: what the node uses
of federation is here, by name in `__all__` (`tests/test_layering.py` holds the node to it).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from federation.bulk import insert_rows
from federation.client import FederationClient
from federation.config import FederationConfig
from federation.errors import FederationError
from federation.keys import (
    KeyPair,
    fingerprint,
    generate_keypair,
    load_private_key,
    save_private_key,
)
from federation.leader import leadership_for
from federation.log import LogWriter
from federation.messages import (
    deliver_outbox_once,
    enqueue_message,
    peer_seen,
    process_inbox_once,
)
from federation.metrics import FederationMetrics
from federation.models import FedBase, FedEntry, FedOrigin, FedPeer
from federation.nonces import DbNonceStore
from federation.pages import read_heads
from federation.peers import (
    ConfirmationRequired,
    accept_peer,
    add_peer,
    block_origin,
    remove_peer,
    unblock_origin,
)
from federation.queries import (
    LatestEntry,
    Origin,
    QueuedMessage,
    active_peers,
    applied_at,
    inbox_pending,
    known_origins,
    latest_entry,
    queued_message,
    withdraw_message,
)
from federation.registry import KEYS_KIND, Registry
from federation.scheduler import SyncScheduler
from federation.server import NOTIFY_HEADS, FederationServer, notified_heads
from federation.status import FederationStatus, read_status
from federation.sync import SyncEngine
from federation.trust import (
    add_rotation,
    current_key_resolver,
    identity_fingerprint,
    sign_rotation,
)
from schemas.federation import IdentityDocument, InboxMessage, Notify, PublicKey

__all__ = [
    "METADATA",
    "ConfirmationRequired",
    "Federation",
    "FederationConfig",
    "FederationStatus",
    "KeyPair",
    "LatestEntry",
    "Origin",
    "QueuedMessage",
    "active_peers",
    "applied_at",
    "fingerprint",
    "generate_keypair",
    "identity_fingerprint",
    "inbox_pending",
    "insert_rows",
    "known_origins",
    "latest_entry",
    "load_private_key",
    "queued_message",
    "save_private_key",
    "withdraw_message",
]

METADATA = FedBase.metadata
"""The `fed_*` tables, which the node's migrations create beside its own."""

log = logging.getLogger(__name__)


class Federation:
    """One node's federation engine; `router` goes into the node's FastAPI app."""

    def __init__(
        self,
        config: FederationConfig,
        session_factory: sessionmaker[Session],
        registry: Registry,
        keypair: KeyPair,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        key_source: Callable[[], KeyPair] | None = None,
        scrub: Callable[[Session], None] | None = None,
    ) -> None:
        """`scrub` is the node's own clean-up after a committed purge (its search index),
        run in a transaction of its own before SQLite's WAL is checkpointed."""
        self.config = config
        self._scrub = scrub
        self._key_source = key_source
        self.registry = registry
        self._sessions = session_factory
        self._keys: list[KeyPair] = [keypair]
        self._clock = clock
        self.metrics = FederationMetrics()
        self.nonces = DbNonceStore(session_factory)
        self.log_writer = LogWriter(config.slug, signer=self.current_key, clock=clock)
        self.client = FederationClient(
            config, signer=self.current_key, transport=transport, clock=clock
        )
        self.sync = SyncEngine(
            config=config,
            session_factory=session_factory,
            client=self.client,
            registry=registry,
            metrics=self.metrics,
            after_purge=self.after_purge,
            on_applied=self.log_grew,
            clock=clock,
        )
        self.scheduler = SyncScheduler(
            config=config,
            session_factory=session_factory,
            sync=self.sync,
            housekeeping=self.housekeeping,
            notify=self.notify_peer,
            messages=self.exchange_messages,
            clock=clock,
        )
        self.server = FederationServer(
            config=config,
            session_factory=session_factory,
            signer=self.current_key,
            writer=self.log_writer,
            metrics=self.metrics,
            nonces=self.nonces,
            identity=self.served_identity,
            on_notify=self._on_notify,
            on_peer_seen=self.peer_seen,
            clock=clock,
        )
        self.router = self.server.router

    # -- identity and keys ------------------------------------------------------------------

    def current_key(self) -> KeyPair:
        """The key this node signs with now.

        With a `key_source`, a key rotated by another process (`archipel keys rotate` while
        the node serves) is picked up at once instead of at the next restart.
        """
        if self._key_source is not None:
            pair = self._key_source()
            if pair.key_id != self._keys[-1].key_id:
                self._keys.append(pair)
        return self._keys[-1]

    def identity_document(self) -> IdentityDocument:
        """This node's identity: what entry 1 of its log holds, and what peers pin."""
        pair = self.current_key()
        return IdentityDocument(
            slug=self.config.slug,
            name=self.config.name,
            territory=self.config.territory,
            url=self.config.url,
            software_version=self.config.software_version,
            keys=[PublicKey(id=pair.key_id, public_key_pem=pair.public_pem())],
        )

    def served_identity(self) -> IdentityDocument:
        """The identity plus the rotation statements that lead to its key (for peers that
        pinned an older key)."""
        with self._sessions() as session:
            bodies = session.scalars(
                select(FedEntry.body)
                .where(FedEntry.origin == self.config.slug, FedEntry.kind == KEYS_KIND)
                .order_by(FedEntry.seq)
            ).all()
        rotations = [json.loads(b) for b in bodies if b is not None]
        return IdentityDocument.model_validate(
            {**self.identity_document().model_dump(mode="json"), "rotations": rotations}
        )

    def ensure_genesis(self) -> None:
        """Start the own log with the identity document (or log a changed identity)."""
        with self._sessions() as session, session.begin():
            self.log_writer.ensure_genesis(session, self.identity_document())

    def append(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
    ) -> None:
        """Append an entry to the own log in the caller's transaction (a `None` body is a
        tombstone), starting the log with the identity if it has not started."""
        if session.get(FedOrigin, self.config.slug) is None:
            # The first shared change of a new node: its log starts with its identity. Two
            # first changes at once on PostgreSQL: one writes it, the other finds it written.
            try:
                with session.begin_nested():
                    self.log_writer.ensure_genesis(session, self.identity_document())
            except IntegrityError:
                pass
        self.log_writer.append(session, kind=kind, record_id=record_id, version=version, body=body)

    def rotate_key(self, new_pair: KeyPair, *, announce: bool = True) -> None:
        """Switch to `new_pair`: log the rotation, signed by the old key, and the new identity.

        Peers are then notified with the old key, which they still trust, so they pull the
        rotation at once; the node must persist `new_pair` as its key before calling this.
        """
        # The key signing until now (not `current_key()`: a key source may already see the
        # new key's file).
        old = self._keys[-1]
        if old.key_id == new_pair.key_id:
            raise FederationError(f"{new_pair.key_id!r} is already the current key")
        with self._sessions() as session, session.begin():
            rotation = sign_rotation(
                old, new_pair, origin=self.config.slug, signed_at=int(self._clock())
            )
            self.log_writer.append_internal(
                session,
                kind=KEYS_KIND,
                record_id=new_pair.key_id,
                version=1,
                body=rotation.model_dump(mode="json"),
            )
            own = session.get(FedOrigin, self.config.slug)
            assert own is not None, "ensure_genesis runs before any rotation"
            own.keys = add_rotation(own.keys, rotation, origin=self.config.slug)
            if self._keys[-1].key_id != new_pair.key_id:
                self._keys.append(new_pair)
            self.log_writer.ensure_genesis(session, self.identity_document())
        if announce and self.config.notify:  # with notify off, peers fetch the keys they miss
            for slug in self._active_peers():
                try:
                    self.notify_peer(slug, pair=old)
                except FederationError as exc:
                    log.info("rotation notice to %s failed: %s", slug, exc)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, *, elect: bool = True) -> None:
        """Ensure the genesis entry and start the background sync.

        With `elect`, this process competes with any other process of the same node for
        the scheduler's leadership (an advisory lock on PostgreSQL, a lease row on SQLite),
        so exactly one of them pulls, notifies and delivers.
        """
        self.ensure_genesis()
        leadership = None
        if elect:
            engine = self._sessions.kw["bind"]
            leadership = leadership_for(
                engine, node=self.config.slug, lease_seconds=self.scheduler.lease_seconds
            )
        self.scheduler.start(leadership)

    @property
    def leading(self) -> bool:
        """Whether this process runs the scheduler (it won the leadership, or needs none)."""
        return self.scheduler.leading

    def stop(self) -> None:
        self.scheduler.stop()
        self.client.close()

    def log_grew(self) -> None:
        """Call after committing log entries: peers get a (debounced) notify."""
        self.scheduler.notifier.log_grew()

    def housekeeping(self) -> None:
        """Process the inbox, deliver the outbox and forget expired nonces, once."""
        self.exchange_messages()
        self.nonces.purge_expired(self._clock())

    def exchange_messages(self) -> None:
        """Handle waiting inbox messages and deliver due outbox messages: the scheduler's
        leader calls it about twice a second, so a message crosses in about a second rather
        than one sync interval."""
        with self._sessions() as session, session.begin():
            self.process_inbox_once(session)
        deliver_outbox_once(
            self._sessions, deliver=self._deliver, now=self._now(), backoff=self.scheduler.backoff
        )

    def after_purge(self) -> None:
        """Scrub what a committed purge left: the node's `scrub` (search index), then SQLite's
        WAL."""
        with self._sessions() as session:
            if self._scrub is not None:
                self._scrub(session)
            session.commit()
            bind = session.get_bind()
        if bind.dialect.name == "sqlite":
            # secure_delete zeroes freed pages, but the WAL still holds old page images (and
            # the main file the pages the hooks just rewrote) until a checkpoint copies the
            # WAL back and truncates it: so it runs last, outside any transaction.
            raw = bind.engine.raw_connection() if hasattr(bind, "engine") else None
            if raw is not None:
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    cursor.close()
                finally:
                    raw.close()

    # -- peers and origins ------------------------------------------------------------------

    def fetch_identity(self, url: str) -> IdentityDocument:
        """The unsigned identity of the node at `url` (show its fingerprint to the admin)."""
        return self.client.fetch_identity(url)

    def add_peer(
        self,
        *,
        url: str,
        fingerprint: str | None = None,
        yes: bool = False,
        replace: bool = False,
    ) -> FedPeer:
        """Fetch and pin the node at `url` (see `peers.add_peer`), in its own transaction."""
        with self._sessions() as session, session.begin():
            peer = add_peer(
                session,
                url=url,
                fetch_identity=self.fetch_identity,
                own_slug=self.config.slug,
                now=self._now(),
                fingerprint=fingerprint,
                yes=yes,
                registry=self.registry,
                replace=replace,
            )
        self.scheduler.reconcile_jobs()
        return peer

    def accept_peer(
        self, session: Session, identity: IdentityDocument, fingerprint: str
    ) -> FedPeer:
        """Pin `identity` once the admin confirmed `fingerprint`."""
        return accept_peer(
            session,
            identity,
            fingerprint,
            own_slug=self.config.slug,
            now=self._now(),
            registry=self.registry,
        )

    def remove_peer(self, session: Session, slug: str) -> bool:
        """Stop trusting a peer at once."""
        return remove_peer(session, slug=slug)

    def block_origin(self, slug: str) -> None:
        """Block an origin: purge its log copy and records, commit, then scrub the bytes."""
        with self._sessions() as session, session.begin():
            block_origin(session, origin=slug, registry=self.registry, own_slug=self.config.slug)
        self.after_purge()

    def unblock_origin(self, session: Session, slug: str) -> bool:
        """Accept an origin again (it is pulled anew)."""
        return unblock_origin(session, origin=slug)

    # -- messages ---------------------------------------------------------------------------

    def send_message(
        self,
        session: Session,
        *,
        recipient: str,
        kind: str,
        body: dict[str, Any],
        idempotency_key: str,
    ) -> InboxMessage:
        """Queue a message to a peer in the caller's transaction; the outbox retries it."""
        return enqueue_message(
            session,
            sender=self.config.slug,
            recipient=recipient,
            kind=kind,
            body=body,
            idempotency_key=idempotency_key,
            now=self._now(),
        )

    def peer_seen(self, slug: str) -> None:
        """A sign of life from `slug` (a request it signed; the scheduler also counts a pull
        from it that succeeded): every message waiting for it is due at the next message
        round, about half a second away, rather than after its backoff."""
        try:
            with self._sessions() as session, session.begin():
                waiting = peer_seen(session, peer=slug, now=self._now())
        except SQLAlchemyError as exc:  # a hint only: never fail the peer's request over it
            log.warning("could not make the messages for %s due: %s", slug, exc)
            return
        if waiting:
            log.info("%s is back: %d message(s) waiting for it leave now", slug, waiting)

    def process_inbox_once(self, session: Session) -> int:
        """Hand stored inbox messages to their handlers once; returns how many were handled."""
        return process_inbox_once(
            session,
            registry=self.registry,
            now=self._now(),
            max_attempts=self.config.inbox_max_attempts,
        )

    # -- status -----------------------------------------------------------------------------

    def status(self, session: Session) -> FederationStatus:
        """Per peer and per origin: cursors, lag, last success and last error."""
        return read_status(session, node=self.config.slug, metrics=self.metrics)

    def metrics_text(self) -> str:
        """This instance's metrics, in the Prometheus text format."""
        with self._sessions() as session:
            read_status(session, node=self.config.slug, metrics=self.metrics)
        return self.metrics.text()

    # -- outgoing calls ---------------------------------------------------------------------

    def notify_peer(self, slug: str, *, pair: KeyPair | None = None) -> None:
        """Tell a peer our logs grew (a signed `POST /federation/notify`), with the heads it
        would otherwise ask for before pulling."""
        url, resolve = self._peer_target(slug)
        with self._sessions() as session:
            heads = read_heads(session, node=self.config.slug, checkpoints=False)
        payload = Notify(origins=[self.config.slug]).model_dump(mode="json")
        payload[NOTIFY_HEADS] = heads.model_dump(mode="json")
        self.client.request(
            "POST", f"{url}/federation/notify", payload=payload, resolve_key=resolve, pair=pair
        )

    def _deliver(self, peer: FedPeer, message: InboxMessage) -> None:
        resolve = current_key_resolver(peer.keys, now=self._clock(), grace=self.config.key_grace)
        self.client.request(
            "POST",
            f"{peer.url}/federation/inbox",
            payload=message.model_dump(mode="json"),
            resolve_key=resolve,
        )

    def _peer_target(self, slug: str) -> tuple[str, Any]:
        with self._sessions() as session:
            peer = session.get(FedPeer, slug)
            if peer is None or peer.state != "active":
                raise FederationError(f"{slug!r} is not an active peer")
            keys, url = list(peer.keys), peer.url
        return url, current_key_resolver(keys, now=self._clock(), grace=self.config.key_grace)

    def _on_notify(self, peer: str, notify: Notify) -> None:
        self.scheduler.trigger_now(peer, notified_heads(peer, notify))

    def _active_peers(self) -> Sequence[str]:
        with self._sessions() as session:
            return session.scalars(select(FedPeer.slug).where(FedPeer.state == "active")).all()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)
