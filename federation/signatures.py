"""RFC 9421 Ed25519 signatures, with RFC 9530 `Content-Digest`, on federation messages.

The `http-message-signatures` library builds signature bases, signs and verifies; this module
fixes the policy: which components must be covered, the time window on an injectable clock,
nonces against replay, the audience, and a named exception for each refusal.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import heapq
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList

from federation.errors import (
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingSignature,
    ReplayedNonce,
    SignatureExpired,
    SignatureFromFuture,
    WrongAudience,
)
from federation.keys import KeyPair, KeyResolver, lookup_key

__all__ = [
    "LABEL",
    "NONCE_HEADER",
    "MemoryNonceStore",
    "NonceStore",
    "SigningAuth",
    "content_digest",
    "sign_response_headers",
    "signature_nonce",
    "verify_request",
    "verify_response",
]

LABEL = "arch"
NONCE_HEADER = "Archipel-Request-Nonce"
_REQUEST_COMPONENTS = ("@method", "@target-uri", "@authority")
_PARAMS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})
_ALG = algorithms.ED25519
Clock = Callable[[], float]


class NonceStore(Protocol):
    """Remembers the nonces of accepted requests until they would be refused as too old."""

    def check_and_store(self, key_id: str, nonce: str, expires_at: float) -> bool:
        """Record the nonce and return True, or return False when it was already seen."""
        ...


class MemoryNonceStore:
    """A bounded in-process `NonceStore`: entries are dropped once expired.

    When full of unexpired nonces it refuses (returns False): it can no longer prove a nonce
    unseen, and failing closed beats accepting a replay.
    """

    def __init__(self, *, max_entries: int = 100_000, clock: Clock = time.time) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}
        self._expiries: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def check_and_store(self, key_id: str, nonce: str, expires_at: float) -> bool:
        with self._lock:
            now = self._clock()
            while self._expiries and self._expiries[0][0] < now:
                _, old_key, old_nonce = heapq.heappop(self._expiries)
                self._seen.pop((old_key, old_nonce), None)
            if (key_id, nonce) in self._seen or len(self._seen) >= self._max_entries:
                return False
            self._seen[(key_id, nonce)] = expires_at
            heapq.heappush(self._expiries, (expires_at, key_id, nonce))
            return True


def content_digest(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` field value for `body`: `sha-256=:<base64>:`."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


class SigningAuth(httpx.Auth):
    """Signs each outgoing request with the node's key (use as `httpx.Client(auth=...)`)."""

    requires_request_body = True

    def __init__(self, pair: KeyPair, *, ttl: int = 60, clock: Clock = time.time) -> None:
        self.pair = pair
        self.ttl = ttl
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        components = list(_REQUEST_COMPONENTS)
        if request.content:
            request.headers["Content-Digest"] = content_digest(request.content)
            components.append("content-digest")
        else:  # a redirect may have turned a POST into a GET: drop the stale digest
            request.headers.pop("Content-Digest", None)
        view = _Request(method=request.method, url=str(request.url), headers=request.headers)
        _sign(view, self.pair, components, self.ttl, self.clock, nonce=secrets.token_urlsafe(16))
        yield request


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    nonces: NonceStore,
    expected_authority: str,
    max_age: int = 300,
    skew: int = 30,
    clock: Clock = time.time,
) -> str:
    """Return the key id that validly signed this request, or raise a `FederationError`.

    `url` is the absolute URL as the client sent it (scheme, `Host`, raw path and query).
    The nonce is stored last, so that only a request that passed every other check uses it up.
    """
    fields = _fields(headers)
    required = set(_REQUEST_COMPONENTS)
    if body or "content-digest" in fields:
        required.add("content-digest")
    view = _Request(method=method, url=url, headers=fields)
    params, signed = _verify(view, required, resolve_key, max_age, skew, clock, need_nonce=True)
    if "content-digest" in required:
        _check_digest(fields["content-digest"], body)
    authority = signed['"@authority"']
    if authority != expected_authority.lower():
        raise WrongAudience(f"request is for {authority!r}, this node is {expected_authority!r}")
    keyid, nonce = str(params["keyid"]), str(params["nonce"])
    if not nonces.check_and_store(keyid, nonce, _refused_after(params, max_age, skew)):
        raise ReplayedNonce("nonce already seen")
    return keyid


def signature_nonce(headers: Mapping[str, str]) -> str:
    """The nonce of a request's `arch` signature, to echo in the response's signature."""
    nonce = _parse(_fields(headers))[1].get("nonce")
    if not isinstance(nonce, str):
        raise MalformedSignature("signature has no nonce")
    return nonce


def sign_response_headers(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    pair: KeyPair,
    request_nonce: str | None,
    ttl: int = 60,
    clock: Clock = time.time,
) -> dict[str, str]:
    """The headers to add to a response so that it authenticates itself and its request.

    Covers `@status`, `content-digest` and, when the request had a nonce, the nonce echoed in
    `Archipel-Request-Nonce`: a response cannot be replayed as the answer to another request.
    """
    replaced = {"content-digest", "signature-input", "signature", NONCE_HEADER.lower()}
    added = {"Content-Digest": content_digest(body)}
    components = ["@status", "content-digest"]
    if request_nonce is not None:
        added[NONCE_HEADER] = request_nonce
        components.append(NONCE_HEADER.lower())
    fields = {k: v for k, v in _fields(headers).items() if k not in replaced} | added
    _sign(_Response(status_code=status, headers=fields), pair, components, ttl, clock, nonce=None)
    return added | {"Signature-Input": fields["Signature-Input"], "Signature": fields["Signature"]}


def verify_response(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    expected_nonce: str | None,
    max_age: int = 300,
    skew: int = 30,
    clock: Clock = time.time,
) -> str:
    """Return the key id that validly signed this response to our request, or raise."""
    fields = _fields(headers)
    required = {"@status", "content-digest"}
    if expected_nonce is not None:
        required.add(NONCE_HEADER.lower())
    view = _Response(status_code=status, headers=fields)
    params, signed = _verify(view, required, resolve_key, max_age, skew, clock, need_nonce=False)
    _check_digest(fields["content-digest"], body)
    if expected_nonce is not None and not hmac.compare_digest(
        signed[f'"{NONCE_HEADER.lower()}"'].encode(), expected_nonce.encode()
    ):
        raise ReplayedNonce("response answers another request")
    return str(params["keyid"])


@dataclass
class _Request:
    """The request interface the library reads: method, encoded absolute URL, headers."""

    method: str
    url: str
    headers: Any


@dataclass
class _Response:
    """The response interface the library reads; having `status_code` marks it a response."""

    status_code: int
    headers: Any


class _Verifier(HTTPMessageVerifier):
    """The library's verifier minus its wall-clock checks: ours run on the injected clock."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def _fields(headers: Mapping[str, str]) -> dict[str, str]:
    """Lowercased names; repeated fields joined with ", " as HTTP allows."""
    joined: dict[str, list[str]] = {}
    for name, value in headers.items():
        joined.setdefault(name.lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in joined.items()}


def _sign(
    view: _Request | _Response,
    pair: KeyPair,
    components: list[str],
    ttl: int,
    clock: Clock,
    *,
    nonce: str | None,
) -> None:
    keys = MappingKeyResolver(public_keys={}, private_keys={pair.key_id: pair.private_key})
    created = dt.datetime.fromtimestamp(int(clock()), tz=dt.UTC)
    HTTPMessageSigner(signature_algorithm=_ALG, key_resolver=keys).sign(
        view,
        key_id=pair.key_id,
        created=created,
        expires=created + dt.timedelta(seconds=ttl),
        nonce=nonce,
        label=LABEL,
        covered_component_ids=components,
        use_existing_digest="content-digest" in components,
    )


def _parse(fields: Mapping[str, str]) -> tuple[list[str], dict[str, Any], bytes]:
    """The covered components, parameters and signature of the `arch` signature."""
    if "signature-input" not in fields or "signature" not in fields:
        raise MissingSignature("no Signature-Input and Signature headers")
    inputs, signatures = Dictionary(), Dictionary()
    try:
        inputs.parse(fields["signature-input"].encode("ascii"))
        signatures.parse(fields["signature"].encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise MalformedSignature("signature headers do not parse") from exc
    if list(inputs) != [LABEL] or list(signatures) != [LABEL]:
        raise MalformedSignature(f"expected exactly one signature, labelled {LABEL!r}")
    covered, signature = inputs[LABEL], signatures[LABEL]
    if not isinstance(covered, InnerList) or not isinstance(signature.value, bytes):
        raise MalformedSignature("Signature-Input must be a list and Signature bytes")
    components = [item.value for item in covered]
    if not all(isinstance(c, str) for c in components) or len(set(components)) != len(components):
        raise MalformedSignature("covered components must be distinct strings")
    return components, dict(covered.params), signature.value


def _verify(
    view: _Request | _Response,
    required: set[str],
    resolve_key: KeyResolver,
    max_age: int,
    skew: int,
    clock: Clock,
    *,
    need_nonce: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Checks shared by requests and responses; returns the parameters and signed values."""
    components, params, _ = _parse(view.headers)
    if missing := required - set(components):
        raise MalformedSignature(f"signature does not cover {sorted(missing)}")
    if not set(params) <= _PARAMS or params.get("alg") != _ALG.algorithm_id:
        raise MalformedSignature('signature parameters must be standard, with alg="ed25519"')
    needed: dict[str, type] = {"keyid": str, "created": int, "expires": int}
    if need_nonce:
        needed["nonce"] = str
    for name, kind in needed.items():
        value = params.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise MalformedSignature(f"signature parameter {name!r} is missing or invalid")
    keys = {params["keyid"]: lookup_key(resolve_key, params["keyid"])}
    now, created, expires = clock(), params["created"], params["expires"]
    if created > now + skew:
        raise SignatureFromFuture(f"signature created {created - now:.0f}s in the future")
    if now - created > max_age or expires < now - skew:
        raise SignatureExpired("signature is too old or past its expiry")
    verifier = _Verifier(
        signature_algorithm=_ALG, key_resolver=MappingKeyResolver(public_keys=keys, private_keys={})
    )
    try:
        results = verifier.verify(view, max_age=None)
    except HTTPMessageSignaturesException as exc:
        reason = str(exc) or "the signature does not match the signed components"
        raise BadSignature(f"signature does not verify ({reason})") from exc
    return params, dict(results[0].covered_components)


def _check_digest(value: str, body: bytes) -> None:
    digests = Dictionary()
    try:
        digests.parse(value.encode("ascii"))
        signed = digests["sha-256"].value
    except (ValueError, UnicodeError, KeyError) as exc:
        raise DigestMismatch("Content-Digest has no sha-256 member") from exc
    if not isinstance(signed, bytes) or not hmac.compare_digest(
        signed, hashlib.sha256(body).digest()
    ):
        raise DigestMismatch("body does not match its Content-Digest")


def _refused_after(params: Mapping[str, Any], max_age: int, skew: int) -> float:
    """The time after which this signature is refused anyway, so its nonce can be forgotten."""
    return float(min(params["created"] + max_age, params["expires"] + skew))
