"""The demo's bureau processes: start them, wait for them, stop them, never let them linger.

The demo stops its bureaus and removes its folder on Ctrl-C, SIGTERM (a service manager,
`kill`) and SIGHUP (a closed terminal): `stop_signals` turns each into a `Stopped` exception
in the main thread, so the demo's `finally` runs. If the demo itself dies (SIGKILL, a crash),
Linux sends each bureau SIGTERM (`PR_SET_PDEATHSIG`, which `die_with_parent` sets in the child
before it runs the server, and which survives `exec`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from node import server

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class DemoBureau:
    """One bureau of the demo: where it lives and where it answers."""

    slug: str
    name: str
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Where its server process writes (the demo shows the end of it if it stops)."""
        return self.home / "serve.log"


class BureauStopped(Exception):
    """A demo bureau's process ended while the demo needed it."""

    def __init__(self, bureau: DemoBureau, process: subprocess.Popen[bytes]) -> None:
        super().__init__(bureau.slug)
        self.bureau = bureau
        self.process = process


class NotReady(TimeoutError):
    """A demo bureau did not answer `/ready` in time."""

    def __init__(self, bureau: DemoBureau, waited: float) -> None:
        super().__init__(f"{bureau.slug} did not become ready on {bureau.url}")
        self.bureau = bureau
        self.waited = waited


class Stopped(Exception):
    """A stop signal reached the demo: it stops its bureaus and cleans up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextmanager
def stop_signals() -> Iterator[Callable[[], None]]:
    """Turn SIGINT, SIGTERM and SIGHUP into `Stopped` until the block ends.

    A signal this process was started ignoring stays ignored: under `nohup`, closing the
    terminal must not stop the demo. Yields `hold`: once called, the signals are ignored, so
    that stopping the bureaus and removing the folder are not themselves interrupted (both
    are bounded in time).
    """
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    watched = [sig for sig, handler in previous.items() if handler != signal.SIG_IGN]

    def hold() -> None:
        for sig in watched:
            signal.signal(sig, signal.SIG_IGN)

    for sig in watched:
        signal.signal(sig, _raise_stopped)
    try:
        yield hold
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the kernel stop the child when this process dies (Linux only).

    It runs in the child between fork and exec, where another thread of the parent may have
    held a lock at the fork: it only calls prctl(2) and getppid(2), which take none.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the demo died before the line above: stop now
            os._exit(1)

    return preexec


def stop_all(processes: Sequence[subprocess.Popen[bytes]], *, timeout: float = 10.0) -> None:
    """Stop each process and its group: SIGTERM to all at once, SIGKILL to what is left."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could not listen on `port` now (probed as uvicorn binds: SO_REUSEADDR,
    so that a port a stopped demo left in TIME_WAIT counts as free)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_block(size: int, *, after: int, step: int = 100, tries: int = 20) -> int | None:
    """A first port past `after`, in steps of `step`, whose `size` ports are all free."""
    for first in range(after + step, after + step * (tries + 1), step):
        if first + size - 1 > 65535:
            return None
        if not any(port_taken(port) for port in range(first, first + size)):
            return first
    return None


def log_tail(path: Path, lines: int = 20) -> list[str]:
    """The last `lines` lines of a log file (none if it is missing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]


def ended(process: subprocess.Popen[bytes]) -> str:
    """How a finished process ended, in French: « code 1 », « signal SIGKILL »."""
    code = process.returncode
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"code {code}"


def start(bureau: DemoBureau, *, sync_interval: float = 5.0) -> subprocess.Popen[bytes]:
    """Serve the bureau in its own session, its output in `bureau.log`.

    The process is what `archipel serve` becomes once the database is migrated (`prepare`
    migrated it): starting it directly spares each bureau loading the command line and
    Alembic. On Linux it stops when the process that started it dies (`die_with_parent`).
    """
    env = {**os.environ, "ARCHIPEL_FEDERATION__SYNC_INTERVAL": str(sync_interval)}
    command = server.command(bureau.home, host=None, port=bureau.port, workers=1)
    with bureau.log.open("ab") as log:
        return subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )


def ready(bureau: DemoBureau) -> bool:
    """Whether the bureau answers `/ready` now."""
    try:
        return httpx.get(f"{bureau.url}/ready", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(
    bureau: DemoBureau,
    *,
    timeout: float = 30.0,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait until the bureau answers `/ready`: NotReady (a TimeoutError) after `timeout`
    seconds, and BureauStopped at once if its `process` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BureauStopped(bureau, process)
        if ready(bureau):
            return
        time.sleep(0.2)
    raise NotReady(bureau, timeout)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop one node process (its whole group), politely first."""
    stop_all([process])
