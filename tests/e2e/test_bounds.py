"""A real node pulling a hostile peer it accepted: a page with an oversized record and a page
past the response limit are refused, stored nowhere, relayed to no one, in bounded memory,
and leave no lag behind them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.shared import KIND_CARD
from tests.e2e.hostile import HostilePeer
from tests.e2e.nodes import Node, boot, make_node, peer, unique_word, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def bureaus(tmp_path: Path) -> Iterator[tuple[Node, Node, HostilePeer]]:
    """annecy peered with chambéry and with a hostile peer, mallory, its admin accepted."""
    annecy, chambery = make_node(tmp_path, "annecy"), make_node(tmp_path, "chambery")
    mallory = HostilePeer()
    try:
        boot([annecy, chambery], {}, health_timeout=60)
        peer((annecy, chambery), (chambery, annecy))
        annecy.cli("peer", "add", mallory.url, "--yes")
        yield annecy, chambery, mallory
    finally:
        annecy.stop()
        chambery.stop()
        mallory.close()


def peak_rss(node: Node) -> int:
    """The serving process's peak resident memory so far, in bytes (`VmHWM`)."""
    assert node.proc is not None
    for line in Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc: not Linux?")


def refused_since(node: Node, since: datetime, reason: str) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        peer = node.peer_status("mallory")
        at, error = peer["last_error_at"], peer["last_error"] or ""
        if at and datetime.fromisoformat(at) >= since and error.startswith(reason):
            return peer
        return None

    return probe


def mallory_origin(node: Node) -> dict[str, Any]:
    return next(o for o in node.status()["origins"] if o["origin"] == "mallory")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for the RSS")
def test_oversized_pages_are_refused_unstored_unrelayed_in_bounded_memory(
    bureaus: tuple[Node, Node, HostilePeer], record_property: Callable[[str, object], None]
) -> None:
    annecy, chambery, mallory = bureaus
    wait_until(lambda: chambery.head_of("mallory") == 1, timeout=20, what="mallory's genesis")
    before = peak_rss(annecy)
    word = unique_word()

    # A valid page, one card of 2 MB in it: under the response limit, over a record's.
    since = datetime.now(UTC)
    mallory.append(KIND_CARD, "m1", {"display_name": word, "bio": word * 200_000})
    wait_until(refused_since(annecy, since, "record_too_large"), timeout=20, what="a refusal")
    origin = mallory_origin(annecy)
    assert (origin["head_seq"], origin["lag"]) == (1, 0)
    assert [(c["peer"], c["seq"], c["reason"]) for c in origin["refused_claims"]] == [
        ("mallory", 2, "record_too_large")
    ]

    # The same card with a 30 MB bio, streamed without a length: past the response limit.
    since = datetime.now(UTC)
    mallory.truncate(1)
    mallory.append(KIND_CARD, "m1", {"display_name": word, "bio": word * 3_000_000})
    mallory.stream_unsized = True
    wait_until(refused_since(annecy, since, "response_too_large"), timeout=20, what="a refusal")
    sent, size = mallory.sent["/federation/log/mallory"], mallory.sizes["/federation/log/mallory"]
    assert sent < size, "annecy read the whole answer"
    after = peak_rss(annecy)

    origin = mallory_origin(annecy)
    assert (origin["head_seq"], origin["lag"]) == (1, 0)
    assert [c["reason"] for c in origin["refused_claims"]] == ["response_too_large"]
    assert chambery.head_of("mallory") == 1
    assert annecy.traces(word) == [] and chambery.traces(word) == []
    assert word not in annecy.log_path.read_text(encoding="utf-8", errors="replace")
    grew = after - before
    record_property("e2e_peak_rss_before_mb", round(before / 1e6, 1))
    record_property("e2e_peak_rss_after_mb", round(after / 1e6, 1))
    record_property("e2e_bytes_sent_of_the_answer_mb", f"{sent / 1e6:.1f} of {size / 1e6:.1f}")
    # The refused answers were 2 MB and 30 MB; unbounded, the node held several copies.
    assert grew < 48_000_000, f"peak RSS grew by {grew / 1e6:.0f} MB"
