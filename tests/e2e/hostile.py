"""A hostile peer over real HTTP: a node an admin accepted that serves validly chained and
signed log pages of its own origin, whatever they hold, and answers of any size.

It is written from the protocol alone (identity, heads, pages, signed answers), in a thread
of the test process: the node under test pulls it like any peer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from federation.chain import GENESIS, build_entry, sign_checkpoint
from federation.errors import FederationError
from federation.keys import generate_keypair
from federation.registry import NODE_KIND
from federation.signatures import sign_response_headers, signature_nonce
from schemas.federation import LogEntry
from tests.processes import free_port

CHUNK = 65_536


class HostilePeer:
    """`slug`'s node at `url`: its log is `entries`; `stream_unsized` sends pages without a
    `Content-Length`, in chunks, the way a peer may trickle a huge answer."""

    def __init__(self, slug: str = "mallory") -> None:
        self.slug = slug
        self.pair = generate_keypair(f"{slug}-1")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.entries: list[LogEntry] = []
        self.stream_unsized = False
        self.sent: dict[str, int] = {}  # bytes the node took of the last answer, by path
        self.sizes: dict[str, int] = {}  # the last answer's whole size, by path
        self.identity: dict[str, Any] = {
            "schema_version": 1,
            "slug": slug,
            "name": "Bureau hostile",
            "territory": "",
            "url": self.url,
            "software_version": "0",
            "keys": [{"id": self.pair.key_id, "public_key_pem": self.pair.public_pem()}],
        }
        self.append(NODE_KIND, slug, self.identity)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def append(self, kind: str, record_id: str, body: dict[str, Any]) -> None:
        """Add an entry to the log, chained to the last one: valid, whatever it holds."""
        prev = self.entries[-1].hash if self.entries else GENESIS
        self.entries.append(
            build_entry(
                origin=self.slug,
                seq=len(self.entries) + 1,
                kind=kind,
                record_id=record_id,
                version=1,
                op="upsert",
                body=body,
                prev_hash=prev,
            )
        )

    def truncate(self, seq: int) -> None:
        del self.entries[seq:]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what it serves -----------------------------------------------------------------------

    def heads(self) -> dict[str, Any]:
        last = self.entries[-1]
        head = {"origin": self.slug, "seq": last.seq, "head": last.hash, "checkpoint": None}
        return {"node": self.slug, "origins": [head]}

    def page(self, after: int) -> dict[str, Any]:
        entries = self.entries[after:]
        if not entries:
            return {"origin": self.slug, "entries": [], "checkpoint": None, "head_seq": after}
        last = entries[-1]
        checkpoint = sign_checkpoint(
            self.pair, origin=self.slug, seq=last.seq, head=last.hash, signed_at=int(time.time())
        )
        return {
            "origin": self.slug,
            "entries": [e.model_dump(mode="json") for e in entries],
            "checkpoint": checkpoint.model_dump(mode="json"),
            "head_seq": len(self.entries),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test's output stays the node's

            def do_GET(self) -> None:
                path = urlsplit(self.path)
                if path.path == "/federation/node":
                    self._answer(json.dumps(peer.identity).encode())
                elif path.path == "/federation/heads":
                    self._answer(json.dumps(peer.heads()).encode())
                elif path.path == f"/federation/log/{peer.slug}":
                    after = int(parse_qs(path.query).get("after", ["0"])[0])
                    body = json.dumps(peer.page(after)).encode()
                    self._answer(body, sized=not peer.stream_unsized)
                else:
                    self._answer(b'{"reason": "unknown_origin"}', status=404)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._answer(b"{}", status=202)

            def _answer(self, body: bytes, *, status: int = 200, sized: bool = True) -> None:
                signed = sign_response_headers(
                    status=status,
                    headers={"content-type": "application/json"},
                    body=body,
                    pair=peer.pair,
                    request_nonce=_nonce(dict(self.headers.items())),
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in signed.items():
                    self.send_header(name, value)
                if sized:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                written = 0
                try:
                    for chunk in _chunks(body):
                        self.wfile.write(chunk)
                        written += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the node stopped reading: what the test is about
                path = urlsplit(self.path).path
                peer.sent[path], peer.sizes[path] = written, len(body)

        return Handler


def _nonce(headers: dict[str, str]) -> str | None:
    """The request's nonce, to echo; None for an unsigned request (the identity fetch)."""
    try:
        return signature_nonce(headers)
    except FederationError:
        return None


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]
