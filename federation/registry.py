"""The one surface through which the node tells federation what it shares and how to apply it.

Each hook below is documented with one line, the way Datasette's hookspecs are: the node
registers `RecordKind` implementations (one per shared record kind) and inbox message handlers;
federation never imports the node's models. The node's own background work (its webhook) and
its scrub after a purge are not registered here: the node schedules the one and hands the
other to the `Federation` facade.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from schemas.federation import InboxMessage

__all__ = [
    "KEYS_KIND",
    "NODE_KIND",
    "RESERVED_PREFIX",
    "BatchRecordKind",
    "MessageHandler",
    "RecordKind",
    "Registry",
    "Upsert",
]

NODE_KIND = "archipel.node"
"""Kind of an origin's identity document; entry 1 of every log, record id = the origin's slug."""

KEYS_KIND = "archipel.keys"
"""Kind of a key rotation statement, signed by the key it replaces; record id = new key id."""

RESERVED_PREFIX = "archipel."
"""Kinds under this prefix belong to federation itself; the node cannot register them."""


@runtime_checkable
class RecordKind(Protocol):
    """How the node applies received entries of one kind to its replica tables."""

    kind: str

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        """Upsert the record `record_id` of `origin` at `version` into the replica tables."""

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        """Purge the record (a tombstone): tables, search index, anything derived from it."""

    def purge_origin(self, session: Session, *, origin: str) -> None:
        """Purge every record of `origin` (an admin blocked that origin)."""


class Upsert(NamedTuple):
    """One record's new state, as a batch hands it to `BatchRecordKind.apply_many`."""

    record_id: str
    version: int
    body: dict[str, Any]
    text: str | None = None
    """The body as canonical JSON text, when the caller holds it (a pulled page does): the
    kind may store it as is instead of serialising `body` again."""


@runtime_checkable
class BatchRecordKind(RecordKind, Protocol):
    """A `RecordKind` that can also upsert many records of one origin in one go (optional).

    A pulled page hands its upserts of such a kind to `apply_many` at once, so the node can
    write them with a few batched statements instead of several per record.
    """

    def apply_many(self, session: Session, *, origin: str, records: Sequence[Upsert]) -> None:
        """Upsert each record of `origin`, as `apply` would one by one."""


MessageHandler = Callable[[Session, InboxMessage], None]
"""Process one inbox message in the given transaction; raise to have it retried later."""


class Registry:
    """The record kinds and inbox handlers the node registered."""

    def __init__(self) -> None:
        self._kinds: dict[str, RecordKind] = {}
        self._handlers: dict[str, MessageHandler] = {}

    def register(self, kind: RecordKind) -> None:
        """Share records of `kind.kind`: received entries of that kind go to `kind`."""
        if kind.kind.startswith(RESERVED_PREFIX):
            raise ValueError(f"kind {kind.kind!r} is reserved for federation itself")
        if kind.kind in self._kinds:
            raise ValueError(f"kind {kind.kind!r} is already registered")
        self._kinds[kind.kind] = kind

    def get(self, name: str) -> RecordKind | None:
        """The registered kind called `name`, or None (such entries are stored and relayed)."""
        return self._kinds.get(name)

    def kinds(self) -> list[RecordKind]:
        """Every registered kind, in registration order."""
        return list(self._kinds.values())

    def register_message_handler(self, kind: str, handler: MessageHandler) -> None:
        """Process inbox messages of `kind` with `handler` (others stay stored, 'unhandled')."""
        if kind in self._handlers:
            raise ValueError(f"a handler for message kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def message_handler(self, kind: str) -> MessageHandler | None:
        """The handler registered for message `kind`, or None."""
        return self._handlers.get(kind)
