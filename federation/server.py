"""The federation endpoints: every request authenticated as an active peer, every answer signed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from federation.config import FederationConfig
from federation.errors import (
    BadSignature,
    BodyTooLarge,
    FederationError,
    MissingSignature,
    NotPeered,
    SignatureError,
    UnknownKey,
)
from federation.keys import KeyPair
from federation.log import LogWriter
from federation.messages import store_inbox_message
from federation.metrics import FederationMetrics
from federation.models import FedOrigin, FedPeer
from federation.pages import read_heads, read_page
from federation.signatures import NonceStore, sign_response_headers, signature_nonce, verify_request
from federation.trust import current_key_resolver
from schemas.federation import Heads, IdentityDocument, InboxMessage, Notify

__all__ = [
    "MAX_PAGE_LIMIT",
    "NOTIFY_HEADS",
    "BadRequest",
    "FederationServer",
    "OriginNotHeld",
    "notified_heads",
]

log = logging.getLogger(__name__)

MAX_PAGE_LIMIT = 5000
DEFAULT_PAGE_LIMIT = 1000
PROBLEM_TYPE = "https://archipel.coop/problems/federation/"
# The notify's field that carries the sender's heads (§7.4 of docs/protocol.md).
NOTIFY_HEADS = "heads"


class BadRequest(FederationError):
    """The request is authenticated but its parameters or body are not valid."""

    reason = "bad_request"
    status = 400


class OriginNotHeld(FederationError):
    """This node holds no (unblocked) log of that origin."""

    reason = "unknown_origin"
    status = 404


@dataclass(frozen=True)
class RawBody:
    """The request body read up to the size limit (`too_large` when it went beyond)."""

    data: bytes
    too_large: bool


_M = TypeVar("_M", bound=BaseModel)
Handler = Callable[[str], tuple[int, BaseModel | dict[str, Any]]]


class FederationServer:
    """Builds the `/federation` router; routes parse, call the engine and sign the answer."""

    def __init__(
        self,
        *,
        config: FederationConfig,
        session_factory: sessionmaker[Session],
        signer: Callable[[], KeyPair],
        writer: LogWriter,
        metrics: FederationMetrics,
        nonces: NonceStore,
        identity: Callable[[], IdentityDocument],
        on_notify: Callable[[str, Notify], None],
        on_peer_seen: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._sessions = session_factory
        self._signer = signer
        self._writer = writer
        self._metrics = metrics
        self._nonces = nonces
        self._identity = identity
        self._on_notify = on_notify
        self._on_peer_seen = on_peer_seen
        self._clock = clock
        self.router = self._build_router()

    def _build_router(self) -> APIRouter:
        router = APIRouter(prefix="/federation", tags=["federation"])
        read_body = Depends(self._read_body)

        @router.get("/node")
        def node(request: Request) -> Response:
            """This node's identity document; the one unauthenticated federation endpoint."""
            return self._signed(200, self._identity(), _nonce_or_none(request))

        @router.get("/heads")
        def heads(request: Request, body: RawBody = read_body) -> Response:
            """How far this node holds each origin's log."""
            return self._guard(request, body, lambda peer: (200, self._heads()))

        @router.get("/log/{origin}")
        def log_page(request: Request, origin: str, body: RawBody = read_body) -> Response:
            """A page of `origin`'s log after `after`, ending at a signed checkpoint."""
            return self._guard(request, body, lambda peer: (200, self._page(request, origin)))

        @router.post("/notify", status_code=202)
        def notify(request: Request, body: RawBody = read_body) -> Response:
            """A peer's hint that logs grew: pull it now."""
            return self._guard(request, body, lambda peer: self._notify(peer, body.data))

        @router.post("/inbox", status_code=202)
        def inbox(request: Request, body: RawBody = read_body) -> Response:
            """Store a cross-bureau message for later processing."""
            return self._guard(request, body, lambda peer: self._inbox(peer, body.data))

        return router

    async def _read_body(self, request: Request) -> RawBody:
        limit = self._config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return RawBody(b"", too_large=True)
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:  # a lying or absent Content-Length is caught here
                return RawBody(b"", too_large=True)
            chunks.append(chunk)
        return RawBody(b"".join(chunks), too_large=False)

    def _guard(self, request: Request, body: RawBody, handler: Handler) -> Response:
        nonce = _nonce_or_none(request)
        try:
            if body.too_large:
                raise BodyTooLarge(f"body exceeds {self._config.max_body_bytes} bytes")
            peer = self._authenticate(request, body.data)
            if self._on_peer_seen is not None:
                # A request it signed (a notify, a message, a pull of our logs): it is up.
                self._on_peer_seen(peer)
            status, payload = handler(peer)
        except FederationError as exc:
            self._metrics.requests_refused.labels(reason=exc.reason).inc()
            log.warning("refused %s %s: %s (%s)", request.method, request.url.path, exc.reason, exc)
            return self._problem(exc, nonce)
        return self._signed(status, payload, nonce)

    def _authenticate(self, request: Request, body: bytes) -> str:
        """The slug of the active peer that signed this request, or raise why not."""
        if "signature" not in request.headers:
            raise MissingSignature("federation requests must be signed (RFC 9421)")
        candidates: list[tuple[str, bool, Any]] = []
        attempt = 0

        def resolve(key_id: str) -> Any:
            if not candidates:
                # A short read, closed before the nonce is stored: on SQLite every
                # transaction takes the write lock, so it must not stay open meanwhile.
                with self._sessions() as session:
                    candidates.extend(self._key_candidates(session, key_id))
            if attempt >= len(candidates):
                raise UnknownKey(f"no peer of this node has key {key_id!r}")
            return candidates[attempt][2]

        while True:
            try:
                verify_request(
                    method=request.method,
                    url=self._public_url(request),
                    headers=request.headers,
                    body=body,
                    resolve_key=resolve,
                    nonces=self._nonces,
                    expected_authority=self._config.authority,
                    max_age=self._config.max_age,
                    skew=self._config.clock_skew,
                    clock=self._clock,
                )
                break
            except BadSignature:
                # Key ids are chosen by each node and may collide: try the next owner.
                attempt += 1
                if attempt >= len(candidates):
                    raise
        slug, active, _ = candidates[attempt]
        if not active:
            raise NotPeered(f"{slug!r} signed this request but is not a peer of this node")
        return slug

    def _key_candidates(self, session: Session, key_id: str) -> list[tuple[str, bool, Any]]:
        """Every (owner, is-active-peer, key) with that id: active peers first, then nodes we
        know only as removed peers or relayed origins (they get a clear 'not peered')."""
        now, grace = self._clock(), self._config.key_grace
        found: list[tuple[str, bool, Any]] = []
        peers = session.scalars(select(FedPeer).order_by(FedPeer.state, FedPeer.slug)).all()
        for peer in sorted(peers, key=lambda p: p.state != "active"):
            try:
                key = current_key_resolver(peer.keys, now=now, grace=grace)(key_id)
            except UnknownKey:
                continue
            found.append((peer.slug, peer.state == "active", key))
        peer_slugs = {p.slug for p in peers}
        for origin in session.scalars(select(FedOrigin).where(FedOrigin.slug != self._config.slug)):
            if origin.slug in peer_slugs:
                continue
            try:
                key = current_key_resolver(origin.keys, now=now, grace=grace)(key_id)
            except UnknownKey:
                continue
            found.append((origin.slug, False, key))
        return found

    def _public_url(self, request: Request) -> str:
        """The URL as the client addressed it, for the signature base.

        The scheme and path prefix are the configured public URL's (a TLS-terminating proxy
        that strips a prefix changes both); the authority is the `Host` the client sent, so
        that `verify_request` can refuse a request addressed to another node.
        """
        public = urlsplit(self._config.url)
        host = request.headers.get("host", public.netloc)
        path = request.url.path
        base = self._config.base_path
        if base and not path.startswith(base + "/"):
            path = base + path
        query = request.url.query
        return f"{public.scheme}://{host}{path}" + (f"?{query}" if query else "")

    def _heads(self) -> BaseModel:
        with self._sessions() as session:
            return read_heads(session, node=self._config.slug)

    def _page(self, request: Request, origin: str) -> BaseModel:
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", DEFAULT_PAGE_LIMIT)
        if after < 0 or not 1 <= limit <= MAX_PAGE_LIMIT:
            raise BadRequest(f"need after >= 0 and 1 <= limit <= {MAX_PAGE_LIMIT}")
        with self._sessions() as session, session.begin():
            row = session.get(FedOrigin, origin)
            if row is None or row.blocked or row.head_seq == 0:
                raise OriginNotHeld(f"this node holds no log of {origin!r}")
            return read_page(session, origin=row, after=after, limit=limit, writer=self._writer)

    def _notify(self, peer: str, data: bytes) -> tuple[int, dict[str, Any]]:
        notify = _parse(Notify, data)
        self._on_notify(peer, notify)
        return 202, {"status": "scheduled"}

    def _inbox(self, peer: str, data: bytes) -> tuple[int, dict[str, Any]]:
        message = _parse(InboxMessage, data)
        with self._sessions() as session, session.begin():
            stored = store_inbox_message(
                session,
                message=message,
                peer=peer,
                own_slug=self._config.slug,
                now=_utc(self._clock()),
            )
        return 202, {"id": message.id, "duplicate": not stored}

    def _signed(
        self, status: int, payload: BaseModel | dict[str, Any], nonce: str | None
    ) -> Response:
        return self._respond(status, _json(payload), "application/json", nonce)

    def _problem(self, exc: FederationError, nonce: str | None) -> Response:
        problem = {
            "type": PROBLEM_TYPE + exc.reason,
            "title": exc.reason.replace("_", " ").capitalize(),
            "status": exc.status,
            "detail": str(exc),
            "reason": exc.reason,
        }
        return self._respond(exc.status, _json(problem), "application/problem+json", nonce)

    def _respond(self, status: int, content: bytes, media_type: str, nonce: str | None) -> Response:
        headers = {"Content-Type": media_type}
        headers |= sign_response_headers(
            status=status,
            headers=headers,
            body=content,
            pair=self._signer(),
            request_nonce=nonce,
            clock=self._clock,
        )
        return Response(content=content, status_code=status, headers=headers)


def notified_heads(peer: str, notify: Notify) -> Heads | None:
    """The heads a notify from `peer` carried, or None: absent (an older sender), not a heads
    document, or naming another node. Only a hint: without it the pull asks for the heads."""
    raw = (notify.model_extra or {}).get(NOTIFY_HEADS)
    if raw is None:
        return None
    try:
        heads = Heads.model_validate(raw)
    except ValidationError as exc:
        log.info("ignoring the heads of %s's notify: %s invalid field(s)", peer, exc.error_count())
        return None
    if heads.node != peer:
        log.info("ignoring the heads of %s's notify: they are %r's", peer, heads.node)
        return None
    return heads


def _json(payload: BaseModel | dict[str, Any]) -> bytes:
    if isinstance(payload, BaseModel):
        return payload.model_dump_json().encode("utf-8")
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _parse(model: type[_M], data: bytes) -> _M:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise BadRequest(f"invalid {model.__name__}: {exc.error_count()} error(s)") from exc


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc


def _nonce_or_none(request: Request) -> str | None:
    try:
        return signature_nonce(request.headers)
    except SignatureError:
        return None


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
