"""The country-scale simulation (bench/archipelago.py) measures the protocol it claims to."""

from __future__ import annotations

from pathlib import Path

from bench.archipelago import _components, build, neighbours, propagate
from tests.federation.helpers import close


def test_peerings_are_sparse_and_connect_every_bureau() -> None:
    """Each bureau peers with at least 3 neighbours, and no bureau is left on an island."""
    edges = neighbours(60, seed=5)
    degrees = {i: sum(i in e for e in edges) for i in range(60)}
    assert min(degrees.values()) >= 3
    assert len(_components(60, set(edges))) == 1
    assert len(edges) < 60 * 6


def test_a_change_reaches_every_bureau_with_one_notify_per_peering_side_and_one_pull_each(
    tmp_path: Path,
) -> None:
    """In a settled network a change costs a notify over each side of each peering and one
    page request per other bureau; no heads request, since notifies carry the heads."""
    network = build(tmp_path, 8, seed=2)
    try:
        cost = propagate(network, network.nodes[0], "card-1")
        again = propagate(network, network.nodes[3], "card-2")
    finally:
        close(*network.nodes)
    for run in (cost, again):
        assert run["notifies"] == 2 * len(network.edges)
        assert run["page_requests"] == len(network.nodes) - 1
        assert run["heads_requests"] == 0
        assert run["hops_to_last"] >= 1
    held = {n.slug: n.replica() for n in network.nodes[1:3]}
    assert all(("b000", "card-1") in cards for cards in held.values())
