"""Outgoing federation HTTP: signed requests, verified answers, the unsigned identity fetch."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from federation.config import FederationConfig
from federation.errors import FederationError
from federation.keys import KeyPair, KeyResolver
from federation.signatures import SigningAuth, signature_nonce, verify_response
from schemas.federation import IdentityDocument

__all__ = ["FederationClient", "RemoteError", "Unreachable", "make_http_client"]

log = logging.getLogger(__name__)
# A whole answer may take this many times `request_timeout`; each read waits at most one.
DEADLINE_FACTOR = 3


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
        headers={"User-Agent": f"archipel/{config.software_version} ({config.slug})"},
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
        """The answer, read completely within a deadline: a peer that trickles bytes (each
        read within the timeout) cannot hold a pull, and the peers waiting after it, forever."""
        budget = self._config.request_timeout * DEADLINE_FACTOR
        deadline = time.monotonic() + budget
        try:
            with self._http.stream(method, url, **kwargs) as streamed:
                if streamed.is_stream_consumed:
                    return streamed  # already read (an in-memory transport)
                chunks = []
                for chunk in streamed.iter_raw():
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise Unreachable(f"{method} {url}: the answer took more than {budget:g} s")
                return httpx.Response(
                    streamed.status_code,
                    headers=streamed.headers,
                    content=b"".join(chunks),
                    request=streamed.request,
                )
        except httpx.HTTPError as exc:
            raise Unreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc

    def fetch_identity(self, url: str) -> IdentityDocument:
        """`GET {url}/federation/node`, unsigned: what an admin checks before pinning a peer."""
        target = url.rstrip("/") + "/federation/node"
        try:
            response = self._http.get(target, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise Unreachable(f"GET {target}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise _remote_error("GET", target, response)
        return IdentityDocument.model_validate_json(response.content)


def _remote_error(method: str, url: str, response: httpx.Response) -> RemoteError:
    reason, detail = "http_error", response.reason_phrase
    try:
        problem = response.json()
        reason = str(problem.get("reason", reason))
        detail = str(problem.get("detail", detail))
    except (ValueError, AttributeError):
        pass  # not problem+json: keep the status line
    return RemoteError(
        f"{method} {url} answered {response.status_code} {reason}: {detail}",
        remote_status=response.status_code,
        remote_reason=reason,
    )
