"""A loopback HTTP relay that can alter what a node serves, as a dishonest relay would."""

from __future__ import annotations

import http.client
import threading
from base64 import b64encode
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TamperProxy:
    """A loopback HTTP relay in front of a node that can alter what it serves to one client.

    While `tamper` holds a `(old, new)` pair, responses to `GET /federation/log/...` asked
    for by a client whose User-Agent names `victim` have `old` replaced by `new` (same
    length: the JSON stays valid), and their `Content-Digest` recomputed, as a careful forger
    would: only the node's signature over that digest (or the chain) can catch the change.
    """

    def __init__(self, upstream_port: int, *, victim: str) -> None:
        self.upstream_port = upstream_port
        self.victim = victim
        self.tamper: tuple[bytes, bytes] | None = None
        self.tampered = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=15)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    content = answer.read()
                    status, reply_headers = answer.status, answer.getheaders()
                except OSError as exc:
                    self.send_error(502, f"upstream: {exc}")
                    return
                finally:
                    upstream.close()
                content, reply_headers = proxy._maybe_tamper(
                    self.path, self.headers.get("User-Agent", ""), content, reply_headers
                )
                self.send_response_only(status)
                for name, value in reply_headers:
                    if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _relay

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the nodes log every request already

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _maybe_tamper(
        self, path: str, user_agent: str, content: bytes, headers: list[tuple[str, str]]
    ) -> tuple[bytes, list[tuple[str, str]]]:
        rule = self.tamper
        if (
            rule is None
            or not path.startswith("/federation/log/")
            or f"({self.victim})" not in user_agent
            or rule[0] not in content
        ):
            return content, headers
        old, new = rule
        content = content.replace(old, new)
        self.tampered += 1
        digest = "sha-256=:" + b64encode(sha256(content).digest()).decode() + ":"
        headers = [(k, digest if k.lower() == "content-digest" else v) for k, v in headers]
        return content, headers

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
