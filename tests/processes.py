"""Real `archipel` processes for tests: run commands, serve on free ports, always clean up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ARCHIPEL = [sys.executable, "-c", "from node.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def attempt(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `archipel` command to completion, whatever its exit status."""
    return subprocess.run(
        [*ARCHIPEL, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def run(*args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
    """Run one `archipel` command to completion; its stdout, or an assertion with its output."""
    result = attempt(*args, env=env, timeout=timeout)
    assert result.returncode == 0, f"archipel {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def wait_for(predicate: Callable[[], bool], *, timeout: float = 15, every: float = 0.1) -> float:
    """Seconds until `predicate` held; fails after `timeout` (every loop here is bounded)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Process:
    """A background `archipel` process with its own session (killed with its children)."""

    def __init__(self, args: list[str], log: Path, env: Mapping[str, str] | None = None) -> None:
        self.args = args
        self.log = log
        self._handle = log.open("ab")
        self.popen = subprocess.Popen(
            [*ARCHIPEL, *args],
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        self._handle.close()


@contextmanager
def processes() -> Iterator[list[Process]]:
    """A list to append started processes to; every one is killed on exit, whatever happens."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill(signal.SIGTERM)
