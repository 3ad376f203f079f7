"""Outgoing federation HTTP: signed requests, verified answers, the unsigned identity fetch."""

from __future__ import annotations

import json
import logging
import re
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from federation.config import FederationConfig
from federation.errors import FederationError, ResponseTooLarge
from federation.keys import KeyPair, KeyResolver
from federation.signatures import SigningAuth, signature_nonce, verify_response
from schemas.federation import IdentityDocument

__all__ = ["FederationClient", "RemoteError", "Unreachable", "make_http_client"]

log = logging.getLogger(__name__)
# A whole answer may take this many times `request_timeout`; each read waits at most one.
DEADLINE_FACTOR = 3
# What a peer's `reason` must look like for us to repeat it (a slug, as ours are).
REASON = re.compile(r"[a-z][a-z0-9_]{0,63}")


class Unreachable(FederationError):
    """The peer could not be reached, or did not answer in time."""

    reason = "unreachable"
    status = 502


class RemoteError(FederationError):
    """The peer answered with an error; `remote_reason` is the `reason` of its problem."""

    reason = "remote_error"
    status = 502

    def __init__(self, message: str, *, remote_status: int, remote_reason: str) -> None:
        super().__init__(message)
        self.remote_status = remote_status
        self.remote_reason = remote_reason


def make_http_client(
    config: FederationConfig, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A plain client with the configured timeout; redirects are not followed (a signed
    request is for one authority, and a redirect elsewhere would be refused there anyway)."""
    return httpx.Client(
        transport=transport,
        timeout=config.request_timeout,
        follow_redirects=False,
        headers={
            "User-Agent": f"archipel/{config.software_version} ({config.slug})",
            # Uncompressed: what a peer sends is bounded as it arrives (see `_send`).
            "Accept-Encoding": "identity",
        },
    )


class FederationClient:
    """Sends requests signed by this node's current key and verifies the peer's signed answers."""

    def __init__(
        self,
        config: FederationConfig,
        *,
        signer: Callable[[], KeyPair],
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._signer = signer
        self._clock = clock
        self._http = make_http_client(config, transport=transport)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        resolve_key: KeyResolver,
        payload: Any = None,
        params: dict[str, Any] | None = None,
        pair: KeyPair | None = None,
    ) -> httpx.Response:
        """Send a signed request and return its response once its signature verified.

        Raises `Unreachable` on transport failures, a `SignatureError` when the answer is not
        signed by the peer, and `RemoteError` when the peer answered with an error.
        """
        content = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        auth = SigningAuth(pair or self._signer(), clock=self._clock)
        response = self._send(
            method, url, content=content, params=params, headers=headers, auth=auth
        )
        verify_response(
            status=response.status_code,
            headers=response.headers,
            body=response.content,
            resolve_key=resolve_key,
            expected_nonce=signature_nonce(response.request.headers),
            max_age=self._config.max_age,
            skew=self._config.clock_skew,
            clock=self._clock,
        )
        if response.status_code >= 400:
            raise _remote_error(method, url, response)
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The answer, read completely within a deadline and up to `max_response_bytes`: a
        peer that trickles bytes (each read within the timeout) cannot hold a pull, and the
        peers waiting after it, forever; one that sends too much is cut off at the limit,
        not held in memory."""
        budget = self._config.request_timeout * DEADLINE_FACTOR
        deadline = time.monotonic() + budget
        limit = self._config.max_response_bytes
        try:
            with self._http.stream(method, url, **kwargs) as streamed:
                _check_declared_size(method, url, streamed, limit)
                if streamed.is_stream_consumed:  # already read (an in-memory transport)
                    _check_size(method, url, len(streamed.content), limit)
                    return streamed
                chunks = []
                size = 0
                # Raw bytes, decoded below within the same limit: httpx would expand a
                # compressed answer whole (a few MB of gzip can hold gigabytes).
                for chunk in streamed.iter_raw():
                    size += len(chunk)
                    _check_size(method, url, size, limit)
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise Unreachable(f"{method} {url}: the answer took more than {budget:g} s")
                coding = streamed.headers.get("content-encoding", "")
                headers = [
                    (name, value)
                    for name, value in streamed.headers.multi_items()
                    if name.lower() not in ("content-encoding", "content-length")
                ]
                return httpx.Response(
                    streamed.status_code,
                    headers=headers,
                    content=_decoded(method, url, coding, b"".join(chunks), limit),
                    request=streamed.request,
                )
        except httpx.HTTPError as exc:
            raise Unreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc

    def fetch_identity(self, url: str) -> IdentityDocument:
        """`GET {url}/federation/node`, unsigned: what an admin checks before pinning a peer."""
        target = url.rstrip("/") + "/federation/node"
        response = self._send("GET", target, headers={"Accept": "application/json"})
        if response.status_code >= 400:
            raise _remote_error("GET", target, response)
        return IdentityDocument.model_validate_json(response.content)


def _check_declared_size(method: str, url: str, response: httpx.Response, limit: int) -> None:
    """Refuse an answer whose `Content-Length` already says it is too large, unread."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{method} {url}: the answer declares {declared} bytes > {limit}")


def _check_size(method: str, url: str, size: int, limit: int) -> None:
    if size > limit:
        raise ResponseTooLarge(f"{method} {url}: the answer ran past {limit} bytes")


def _decoded(method: str, url: str, coding: str, raw: bytes, limit: int) -> bytes:
    """The body of an answer in `coding` (we ask for none, a proxy may still compress),
    decompressed to at most `limit` bytes."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return raw
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise Unreachable(f"{method} {url}: an answer in an encoding we did not ask for")
    try:
        # 32 + MAX_WBITS: a gzip or zlib header, whichever the answer carries.
        body = zlib.decompressobj(32 + zlib.MAX_WBITS).decompress(raw, limit + 1)
    except zlib.error as exc:
        raise Unreachable(f"{method} {url}: the {coding} answer does not decompress") from exc
    _check_size(method, url, len(body), limit)
    return body


def _remote_error(method: str, url: str, response: httpx.Response) -> RemoteError:
    """The peer's refusal, by its status and `reason` slug: the problem's other text is the
    peer's to write, so it reaches neither our logs nor our status."""
    reason = "http_error"
    try:
        problem = response.json()
        claimed = problem.get("reason")
        if isinstance(claimed, str) and REASON.fullmatch(claimed):
            reason = claimed
    except (ValueError, AttributeError):
        pass  # not problem+json: the status says it all
    return RemoteError(
        f"{method} {url} answered {response.status_code} {reason}",
        remote_status=response.status_code,
        remote_reason=reason,
    )
