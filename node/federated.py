"""Plugging the bureau into federation: its shared kinds, its publisher, its keys and config."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from federation.config import FederationConfig
from federation.registry import Registry
from federation.service import Federation
from node import __version__
from node.db import make_sessionmaker
from node.keystore import KeyWatcher
from node.replica import fulltext
from node.replica.appliers import all_kinds
from node.replica.hints import ContactHintKind
from node.replica.publisher import NodePublisher
from node.services.common import PUBLISHER_KEY
from node.settings import Settings


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
    """The kinds this node shares and applies, and its after-purge scrubbing."""
    registry = Registry()
    for kind in all_kinds():
        registry.register(kind)
    registry.register(ContactHintKind())
    registry.register_after_purge(fulltext.scrub)
    return registry


@dataclass(frozen=True)
class Wiring:
    federation: Federation
    sessions: sessionmaker[Session]
    """Sessions of the bureau's services: their shared changes reach the log."""


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
    )
    publisher = NodePublisher(
        origin=settings.node.slug,
        log_writer=federation.log_writer,
        registry=registry,
        on_log_grew=federation.log_grew,
        identity=federation.identity_document,
        on_purged=federation.after_purge,
    )
    sessions = sessionmaker(bind=engine, expire_on_commit=False, info={PUBLISHER_KEY: publisher})
    publisher.watch(sessions)
    return Wiring(federation=federation, sessions=sessions)
