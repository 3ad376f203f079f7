"""A real full disk under a SQLite node: the kernel's ENOSPC, not SQLite's page limit.

The node's home (settings, keys, database and its WAL) is a small tmpfs the test mounts
and always unmounts; its log stays beside it on the ordinary disk. Filler files take the
free space. While the disk is full an API write answers 507 `disk_full` and saves nothing,
a pull of a peer stops on a whole page, and nothing saved before is lost or duplicated;
once the fillers are removed, writes succeed and the pull catches up by itself. Root only:
where a tmpfs cannot be mounted the tests skip and say why.
"""

from __future__ import annotations

import errno
import os
import random
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.nodes import (
    TERRITORIES,
    Node,
    boot,
    log_digest,
    make_node,
    own_entries,
    peer,
    unique_word,
    wait_until,
)

pytestmark = pytest.mark.e2e

# A fresh home takes some 0.7 MB. While full, the database still takes writes into the room
# its WAL holds (up to some 4 MB after each checkpoint): 50 rounds grow it to some 40 MB.
DISK_SIZE = "96m"
CHUNK = 64 * 1024
BIO = "Régisseuse son et lumière, tournées en Savoie et en Isère. " * 60  # about 3.6 kB
# Rounds of the write test: a few in CI, `make reliability` runs 50.
CYCLES = int(os.environ.get("ARCHIPEL_RELIABILITY_CYCLES", "3"))
# A full disk may still take writes into room the WAL already holds: at most one a page.
MAX_ATTEMPTS = 4096
BURST = 80  # lyon's members while annecy's disk has MARGIN left: some 0.9 MB to apply
MARGIN = 128 * 1024
# Starting a node on a loaded 2-core machine can take a while; the test is about the disk.
BOOT_TIMEOUT = 45.0
MOUNT_REFUSED = ("permission denied", "not permitted", "only root", "must be superuser")


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on a new folder `path`; unmounted and removed on exit.
    Skips when this process may not mount (not root, no mount permission)."""
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a tmpfs, and mounting one needs root")
    path.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError:
        path.rmdir()
        pytest.skip("a real full disk needs a tmpfs, and there is no `mount` command")
    if mounted.returncode != 0:
        path.rmdir()
        message = mounted.stderr.strip()
        if any(words in message.lower() for words in MOUNT_REFUSED):
            pytest.skip(f"a real full disk needs a tmpfs, and mounting one is refused: {message}")
        raise AssertionError(f"could not mount a tmpfs on {path}: {message}")
    try:
        yield path
    finally:
        unmounted = subprocess.run(["umount", str(path)], capture_output=True, timeout=30)
        if unmounted.returncode != 0:  # still busy: detach it now, freed when let go
            subprocess.run(["umount", "--lazy", str(path)], capture_output=True, timeout=30)
        path.rmdir()


def fill(disk: Path, *, leave: int = 0) -> Path:
    """Take the disk's free space, all but about `leave` bytes, with a new filler file."""
    filler = disk / f"filler-{time.monotonic_ns()}"
    stat = os.statvfs(disk)
    room = stat.f_bavail * stat.f_frsize - leave
    zeros = bytes(CHUNK)
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to flush on close
        try:
            while room > 0 and (written := out.write(zeros[: min(CHUNK, room)])):
                room -= written
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def free(disk: Path) -> None:
    """Give back all the space the fillers took."""
    for filler in disk.glob("filler-*"):
        filler.unlink()


def usage(disk: Path) -> str:
    """What takes the disk's space, for a failure's message."""
    stat = os.statvfs(disk)
    files = ", ".join(f"{f.name} {f.stat().st_size}" for f in sorted(disk.iterdir()) if f.is_file())
    return f"{stat.f_bavail * stat.f_frsize} bytes free; {files}"


def post_member(node: Node, name: str) -> httpx.Response:
    body = {"display_name": name, "visibility": "network", "bio": BIO}
    return node.api.post("/api/members", json=body)


def cards_named(node: Node, origin: str, word: str) -> list[dict[str, Any]]:
    """`origin`'s cards in the node's directory whose name holds `word` (repeats kept)."""
    return [i for i in node.directory(origin=origin) if word in i["display_name"].lower()]


@dataclass
class Site:
    """lyon on the ordinary disk; annecy (peered with lyon both ways) and chambery (alone)
    each with its home on its own small tmpfs."""

    lyon: Node
    annecy: Node
    chambery: Node


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("small-disks")
    lyon, annecy, chambery = (make_node(base, slug) for slug in ("lyon", "annecy", "chambery"))
    nodes = [lyon, annecy, chambery]
    with small_disk(annecy.home, DISK_SIZE), small_disk(chambery.home, DISK_SIZE):
        try:
            boot(nodes, TERRITORIES | {"chambery": "Savoie"}, health_timeout=BOOT_TIMEOUT)
            peer((lyon, annecy), (annecy, lyon))
            yield Site(lyon, annecy, chambery)
        finally:
            for node in nodes:
                node.stop()


@pytest.fixture
def chambery(site: Site) -> Iterator[Node]:
    """Chambéry, its disk emptied of fillers before and after the test."""
    free(site.chambery.home)
    yield site.chambery
    free(site.chambery.home)


def test_writes_on_a_full_disk_answer_507_save_nothing_and_succeed_once_space_is_freed(
    chambery: Node, record_property: Any
) -> None:
    """CYCLES rounds: a few members saved, the disk filled; each write answers 201 (into
    room the database already holds) or 507 `disk_full`, until three 507 in a row, and the
    log head moves by the 201s only; space freed, the next write is 201. At the end every
    201 is there once, with one log entry, and no 507 was saved."""
    node = chambery
    rng = random.Random(seed := time.time_ns())
    word = unique_word(8)
    print(f"seed {seed}, {CYCLES} rounds")
    acked: set[str] = set()
    refused: list[str] = []
    acked_while_full = 0
    names = (f"Hélène {word.title()}{i:05d}" for i in range(1_000_000))
    started = time.monotonic()
    for _round in range(CYCLES):
        for _ in range(rng.randint(1, 3)):
            response = post_member(node, next(names))
            assert response.status_code == 201, (response.text, usage(node.home))
            acked.add(response.json()["id"])
        fill(node.home)
        head = node.head_of(node.slug)
        in_a_row = took = 0
        for _attempt in range(MAX_ATTEMPTS):
            name = next(names)
            response = post_member(node, name)
            if response.status_code == 201:
                acked.add(response.json()["id"])
                in_a_row, took = 0, took + 1
                continue
            assert response.status_code == 507, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert (problem["code"], problem["title"]) == ("disk_full", "Insufficient Storage")
            assert "nothing was saved" in problem["detail"]
            refused.append(name.lower())
            in_a_row += 1
            if in_a_row == 3:
                break
        assert in_a_row == 3, f"the full disk never refused three writes in a row ({took} taken)"
        assert node.head_of(node.slug) == head + took  # a 507 wrote nothing to the log
        acked_while_full += took
        free(node.home)
        response = post_member(node, next(names))
        assert response.status_code == 201, (response.text, usage(node.home))
        acked.add(response.json()["id"])
    run_s = time.monotonic() - started

    cards = cards_named(node, node.slug, word)
    seen = [i["id"] for i in cards]
    saved_refused = {i["display_name"].lower() for i in cards} & set(refused)
    entries = own_entries(node, acked)
    lost = len(acked - set(seen)) + len(acked - set(entries))
    duplicated = len(seen) - len(set(seen)) + sum(n - 1 for n in entries.values())
    figures = {
        "rounds": CYCLES,
        "acknowledged": len(acked),
        "acknowledged_while_full": acked_while_full,
        "refused": len(refused),
        "lost": lost,
        "duplicated": duplicated,
        "refused_saved": len(saved_refused),
        "run_s": round(run_s, 1),
    }
    print(f"writes on a full disk: {figures}")
    for name, value in figures.items():
        record_property(f"e2e_enospc_writes_{name}", value)
    assert (lost, duplicated, len(saved_refused)) == (0, 0, 0)
    assert set(seen) == acked
    assert node.head_of(node.slug) == log_digest(node, node.slug)[0]


@pytest.fixture
def pair(site: Site) -> Iterator[tuple[Node, Node]]:
    """lyon and annecy, annecy's disk emptied of fillers before and after the test."""
    free(site.annecy.home)
    yield site.lyon, site.annecy
    free(site.annecy.home)


def test_a_pull_that_fills_the_disk_stops_cleanly_and_catches_up_once_space_is_freed(
    pair: tuple[Node, Node], record_property: Any
) -> None:
    """Annecy's disk nearly full, lyon writes a burst: annecy's pull of it runs out of space
    and stops on a whole page (its copy of lyon's log a prefix of lyon's); space freed, it
    catches up by itself, every acknowledged card once."""
    lyon, annecy = pair
    word = unique_word(8)
    first = lyon.create_member(f"Irène {word.title()}Avant", bio=BIO)
    wait_until(lambda: annecy.head_of("lyon") == lyon.head_of("lyon"), timeout=30,
               what="annecy's first pull")  # fmt: skip
    acked = {first["id"]}

    fill(annecy.home, leave=MARGIN)
    for i in range(BURST):
        acked.add(lyon.create_member(f"Irène {word.title()}{i:03d}", bio=BIO)["id"])
    head = lyon.head_of("lyon")

    def refused_in_log() -> bool:
        return "disk is full" in annecy.log_path.read_text(errors="replace")

    wait_until(refused_in_log, timeout=30, what="annecy's pull to run out of space")
    held, _digest = log_digest(annecy, "lyon")  # asserts no gap nor duplicate seq
    assert held < head, "the burst fitted on the nearly full disk"
    status = annecy.peer_status("lyon")
    print(f"while full: annecy holds {held} of lyon's {head} entries; status {status}")

    free(annecy.home)
    freed = time.monotonic()
    wait_until(lambda: annecy.head_of("lyon") == head, timeout=60, interval=0.2,
               what="annecy to catch up once space is back")  # fmt: skip
    caught_up = time.monotonic() - freed
    seen = [i["id"] for i in cards_named(annecy, "lyon", word)]
    lost, duplicated = len(acked - set(seen)), len(seen) - len(set(seen))
    print(f"pull on a full disk: held {held}/{head}; caught up {caught_up:.1f} s after freeing; "
          f"lost {lost}, duplicated {duplicated}")  # fmt: skip
    record_property("e2e_enospc_pull_held_head", f"{held}/{head}")
    record_property("e2e_enospc_pull_caught_up_s", round(caught_up, 1))
    record_property("e2e_enospc_pull_lost_duplicated", f"{lost}/{duplicated}")
    assert log_digest(annecy, "lyon") == log_digest(lyon, "lyon")
    assert (lost, duplicated) == (0, 0)
    assert set(seen) == acked
