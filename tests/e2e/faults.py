"""A loopback TCP relay the tests control: pass, cut, stall, delay or reset the connections.

`FaultProxy(upstream_port)` listens on a free loopback port and relays every byte to the
node behind it. Put it in a node's public URL and every peer reaches the node through it:

- `cut()`: new connections are reset at once and open ones are reset (a partition);
- `stall()`: connections are accepted and never answered (a dead or wedged peer);
- `delay(seconds)`: each relayed chunk waits first (a slow link);
- `reset()`: open connections are reset, new ones pass (a flaky link);
- `heal()`: back to relaying, stalled connections are closed.

Every thread is a daemon and every socket operation times out, so nothing outlives `close()`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time


def _abort(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN, as a broken link or a killed host does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """A threaded loopback TCP relay in front of one port, with faults on demand."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.latency = 0.0
        self.accepted = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stalled: list[socket.socket] = []
        self._closed = False
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults -----------------------------------------------------------------------------

    def cut(self) -> None:
        self.mode = "cut"
        self._reset_open()

    def stall(self) -> None:
        self.mode = "stall"
        self._reset_open()

    def delay(self, seconds: float) -> None:
        self.latency = seconds

    def reset(self) -> None:
        self._reset_open()

    def heal(self) -> None:
        self.mode, self.latency = "pass", 0.0
        with self._lock:
            stalled, self._stalled = self._stalled, []
        for sock in stalled:
            _abort(sock)

    def close(self) -> None:
        self._closed = True
        self.heal()
        self._reset_open()
        self._thread.join(timeout=5)
        self._listener.close()

    # -- relaying ---------------------------------------------------------------------------

    def _reset_open(self) -> None:
        with self._lock:
            live, self._open = self._open, set()
        for sock in live:
            _abort(sock)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "cut":
                self.refused += 1
                _abort(client)
            elif self.mode == "stall":
                with self._lock:
                    self._stalled.append(client)
            else:
                threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            _abort(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        ended: list[bool] = []
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst, ended), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, ended: list[bool]) -> None:
        """Relay one direction; the second direction to end closes the pair."""
        src.settimeout(0.5)
        clean = True
        try:
            while not self._closed:
                try:
                    chunk = src.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if self.latency:
                    time.sleep(self.latency)
                dst.sendall(chunk)
        except OSError:
            clean = False
        finally:
            with self._lock:
                ended.append(clean)
                last = len(ended) == 2 or not clean
                if last:
                    self._open.discard(src)
                    self._open.discard(dst)
            if last:
                for sock in (src, dst):
                    if clean:
                        sock.close()
                    else:
                        _abort(sock)
