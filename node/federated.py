"""Plugging the bureau into federation: its shared kinds, its publisher, its keys and config."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from federation.registry import Registry
from federation.service import Federation, FederationConfig, active_peers
from node import __version__
from node.db import make_sessionmaker
from node.jobs import Job, NodeJobs
from node.keystore import KeyWatcher
from node.replica import fulltext
from node.replica.appliers import all_kinds
from node.replica.hints import ContactHintKind
from node.replica.publisher import NodePublisher
from node.services import hosting, loans, logins, webhooks
from node.services.common import PUBLISHER_KEY
from node.services.loans import Exchange
from node.settings import Settings
from schemas.federation import InboxMessage
from schemas.hosting import KIND_HOSTING_OFFER, KIND_HOSTING_REPLY
from schemas.loans import (
    KIND_LOAN_ACTION,
    KIND_LOAN_REQUEST,
    KIND_LOAN_STATE,
    KIND_LOAN_UNKNOWN,
)

WEBHOOK_SECONDS = 0.5


class Handle(Protocol):
    def __call__(
        self, session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
    ) -> None: ...


def federation_config(settings: Settings) -> FederationConfig:
    tuning = settings.federation.model_dump(exclude={"enabled"})
    return FederationConfig(
        slug=settings.node.slug,
        name=settings.node.name,
        territory=settings.node.territory,
        url=settings.node.url,
        software_version=__version__,
        **tuning,
    )


def build_registry() -> Registry:
    """The kinds this node shares and applies."""
    registry = Registry()
    for kind in all_kinds():
        registry.register(kind)
    registry.register(ContactHintKind())
    return registry


@dataclass(frozen=True)
class Wiring:
    federation: Federation
    sessions: sessionmaker[Session]
    """Sessions of the bureau's services: their shared changes reach the log."""
    exchange: Exchange
    """What the loan and hosting services send through."""
    jobs: NodeJobs
    """The node's own background work, run while this process leads the scheduler."""

    def start(self, *, elect: bool = True) -> None:
        """Start federation's scheduler (competing for its leadership) and the node's jobs."""
        self.federation.start(elect=elect)
        self.jobs.start()

    def stop(self) -> None:
        """Stop the node's jobs, then federation (in-flight work finishes first)."""
        self.jobs.stop()
        self.federation.stop()


def _handler(
    publisher: NodePublisher, exchange: Exchange, handle: Handle
) -> Callable[[Session, InboxMessage], None]:
    """An inbox handler whose shared changes (a resource's busy periods) reach the log."""

    def run(session: Session, message: InboxMessage) -> None:
        session.info[PUBLISHER_KEY] = publisher
        try:
            handle(session, exchange, sender=message.sender, body=message.body)
        finally:
            session.info.pop(PUBLISHER_KEY, None)

    return run


def register_exchanges(registry: Registry, publisher: NodePublisher, exchange: Exchange) -> None:
    """The cross-bureau messages this node handles."""
    handlers: dict[str, Handle] = {
        KIND_LOAN_REQUEST: loans.handle_request,
        KIND_LOAN_ACTION: loans.handle_action,
        KIND_LOAN_STATE: loans.handle_state,
        KIND_LOAN_UNKNOWN: loans.handle_unknown,
        KIND_HOSTING_OFFER: hosting.handle_offer,
        KIND_HOSTING_REPLY: hosting.handle_reply,
    }
    for kind, handle in handlers.items():
        registry.register_message_handler(kind, _handler(publisher, exchange, handle))


def wire(
    settings: Settings,
    engine: Engine,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> Wiring:
    """Build the node's federation engine and the session factory its services use."""
    registry = build_registry()
    keys = KeyWatcher(settings.home, settings.node.slug)
    federation = Federation(
        federation_config(settings),
        make_sessionmaker(engine),
        registry,
        keys(),
        transport=transport,
        clock=clock,
        key_source=keys,
        scrub=fulltext.scrub,
    )
    publisher = NodePublisher(
        origin=settings.node.slug,
        federation=federation,
        registry=registry,
        on_log_grew=federation.log_grew,
        on_purged=federation.after_purge,
    )
    sessions = sessionmaker(bind=engine, expire_on_commit=False, info={PUBLISHER_KEY: publisher})
    publisher.watch(sessions)
    exchange = Exchange(
        own=settings.node.slug,
        messenger=federation,
        peers=active_peers,
        webhook=bool(settings.webhook.url),
    )
    register_exchanges(registry, publisher, exchange)
    jobs = NodeJobs(
        node_jobs(settings, sessions, transport=transport, clock=clock),
        leading=lambda: federation.leading,
    )
    return Wiring(federation=federation, sessions=sessions, exchange=exchange, jobs=jobs)


def node_jobs(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Job]:
    """The node's background work: forgetting expired login failures and, with a webhook,
    posting its events (twice a second, so a loan's event leaves within a second)."""

    def forget_login_failures() -> None:
        with sessions() as session, session.begin():
            logins.forget_expired(session, now=datetime.fromtimestamp(clock(), UTC))

    jobs = [Job("login-failures", settings.federation.sync_interval, forget_login_failures)]
    if settings.webhook.url:
        hook = settings.webhook

        def post_webhook_events() -> None:
            webhooks.deliver_once(
                sessions,
                url=hook.url,
                secret=hook.secret,
                timeout=hook.timeout,
                sender=settings.node.slug,
                transport=transport,
            )

        jobs.append(Job("webhook", WEBHOOK_SECONDS, post_webhook_events))
    return jobs
