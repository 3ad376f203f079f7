"""Real bureaus for the browser tests: `archipel serve` processes and Debian's Chromium."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from node.cli.demo import DEMO_PASSWORD, DemoBureau, prepare, start, stop, wait_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port_block(size: int) -> int:
    """A first port such that `size` consecutive loopback ports are free (checked, not held)."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + size >= 65535:
            continue
        try:
            for port in range(first, first + size):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no block of free loopback ports")


@contextmanager
def running_bureaus(root: Path, slugs: Sequence[str]) -> Iterator[list[DemoBureau]]:
    """Demo bureaus serving on free ports, peered, synced every second; always stopped."""
    bureaus = prepare(root, base_port=free_port_block(len(slugs)), slugs=slugs)
    processes = [start(b, sync_interval=1.0) for b in bureaus]
    try:
        for bureau in bureaus:
            wait_ready(bureau, timeout=40)
        yield bureaus
    finally:
        for process in processes:
            stop(process)


__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DEMO_PASSWORD", "running_bureaus"]
