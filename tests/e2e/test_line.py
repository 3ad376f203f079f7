"""Three real nodes in a line, lyon – grenoble – annecy: what lyon shares reaches annecy, what
it changes and erases follows, what it keeps local never leaves, a crash loses nothing."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from tests.e2e.nodes import Line, Node, unique_word, wait_until

pytestmark = pytest.mark.e2e

# Push hint to grenoble, then annecy's next pull of grenoble (every second in this tier).
LINE_TIMEOUT = 20.0


def find(node: Node, word: str) -> dict[str, Any] | None:
    """The one directory item of `node` whose name has `word`, if any."""
    items = node.directory(q=word)
    assert len(items) <= 1, items
    return items[0] if items else None


def network_ids(node: Node) -> set[str]:
    """Ids of the node's own members that may leave it (network or public)."""
    ids: set[str] = set()
    for visibility in ("network", "public"):
        offset: int | None = 0
        while offset is not None:
            response = node.api.get(
                "/api/members", params={"visibility": visibility, "limit": 500, "offset": offset}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            ids.update(m["id"] for m in page["items"])
            offset = page["next_offset"]
    return ids


def test_a_member_created_on_lyon_appears_in_annecys_directory(
    line: Line, record_property: Any
) -> None:
    word = unique_word()
    started = time.monotonic()
    member = line.a.create_member(
        f"Maëlle {word.title()}", city="Lyon", trades=["Régisseuse lumière"], skills=["DMX"]
    )
    item = wait_until(
        lambda: find(line.c, word), timeout=LINE_TIMEOUT, interval=0.05, what="the card on annecy"
    )
    delay = time.monotonic() - started
    record_property("e2e_first_seen_lyon_to_annecy_s", round(delay, 2))
    print(f"first seen on annecy (lyon → grenoble → annecy) after {delay:.2f} s")
    assert item["origin"] == "lyon"
    assert item["id"] == member["id"]
    assert item["own"] is False
    assert (item["display_name"], item["city"]) == (f"Maëlle {word.title()}", "Lyon")
    assert item["synced_at"] is not None
    # The same, from annecy's command line, accent-insensitively.
    out = line.c.cli("directory", "search", f"regisseuse {word}", "--json").stdout
    assert [(i["origin"], i["id"]) for i in map(json.loads, out.splitlines())] == [
        ("lyon", member["id"])
    ]


def test_an_update_and_a_deletion_on_lyon_reach_annecy(line: Line) -> None:
    word = unique_word()
    member = line.a.create_member(f"Gaspard {word.title()}", city="Lyon")
    wait_until(lambda: find(line.c, word), timeout=LINE_TIMEOUT, what="the card on annecy")

    response = line.a.api.patch(
        f"/api/members/{member['id']}",
        json={"city": "Villeurbanne", "trades": ["Machiniste"]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    updated = wait_until(
        lambda: (item := find(line.c, word)) and item["city"] == "Villeurbanne" and item,
        timeout=LINE_TIMEOUT,
        what="the update on annecy",
    )
    assert (updated["id"], updated["trades"]) == (member["id"], ["Machiniste"])

    response = line.a.api.delete(f"/api/members/{member['id']}", headers={"If-Match": '"2"'})
    assert response.status_code == 204, response.text
    for node in (line.b, line.c):
        wait_until(lambda n=node: find(n, word) is None, timeout=LINE_TIMEOUT, what=f"{node.slug}")
        assert member["id"] not in {i["id"] for i in node.directory(origin="lyon")}


def test_an_erased_name_leaves_no_byte_in_grenoble_or_annecy_files(line: Line) -> None:
    word, bio_word = unique_word(), unique_word()
    name = f"Gaspard {word.title()}"
    member = line.a.create_member(name, city="Lyon", bio=f"Accessoiriste, {bio_word}.")
    wait_until(lambda: find(line.c, word), timeout=LINE_TIMEOUT, what="the card on annecy")
    response = line.a.api.delete(f"/api/members/{member['id']}", headers={"If-Match": '"1"'})
    assert response.status_code == 204, response.text
    for node in (line.b, line.c):
        wait_until(lambda n=node: find(n, word) is None, timeout=LINE_TIMEOUT, what=node.slug)

    # The folded word is what the full-text index stores; its tail survives the prefix
    # compression of index terms; the bio is the card's free text.
    needles = (name, word, word[-6:], bio_word, bio_word[-6:])
    for node in (line.b, line.c):
        # The purge scrubs the index and checkpoints the WAL right after its page is applied.
        left = node.traces(*needles, settle=2)
        assert left == [], f"{node.slug} still holds {left} in its database files"


def test_a_local_member_never_leaves_lyon(line: Line) -> None:
    word, bio_word = unique_word(), unique_word()
    name = f"Isaure {word.title()}"
    local = line.a.create_member(name, visibility="local", bio=f"Costumière, {bio_word}.")
    # A network member created afterwards: once annecy has it, it has seen past the local one.
    later = unique_word()
    line.a.create_member(f"Basile {later.title()}")
    wait_until(lambda: find(line.c, later), timeout=LINE_TIMEOUT, what="the later card on annecy")

    mine = find(line.a, word)
    assert mine is not None and mine["own"] is True and mine["id"] == local["id"]
    for node in (line.b, line.c):
        assert find(node, word) is None
        listed = " ".join(i["display_name"] for i in node.directory()).lower()
        assert word not in listed
        assert node.traces(name, word, word[-6:], bio_word, bio_word[-6:]) == [], node.slug


def test_kill_9_of_grenoble_during_a_burst_loses_and_duplicates_nothing(
    line: Line, record_property: Any
) -> None:
    seed = time.time_ns()
    rng = random.Random(seed)
    burst = 200
    kill_at = rng.randrange(10, burst // 2)
    restart_at = kill_at + rng.randrange(10, burst // 3)
    print(f"seed {seed}: kill -9 grenoble after {kill_at} creations, restart after {restart_at}")
    word = unique_word(6)
    firsts = ["Lucie", "Théo", "Inès", "Jules", "Zoé", "Noé", "Léna", "Hugo", "Anaïs", "Malo"]
    started = time.monotonic()
    for i in range(burst):
        if i == kill_at:
            line.b.kill()
        if i == restart_at:
            line.b.start()
        line.a.create_member(f"{firsts[i % len(firsts)]} {word.title()}{i:03d}", city="Lyon")
    line.b.wait_healthy()
    assert line.b.starts >= 2, "grenoble was not restarted"

    expected = network_ids(line.a)

    def converged() -> bool:
        heads = {n.slug: n.head_of("lyon") for n in line.nodes}
        return (
            len(set(heads.values())) == 1
            and {i["id"] for i in line.c.directory(origin="lyon")} == expected
        )

    wait_until(converged, timeout=45, interval=0.5, what="annecy to catch up with lyon")
    record_property("e2e_burst_convergence_s", round(time.monotonic() - started, 1))
    for node in (line.b, line.c):
        seen = [i["id"] for i in node.directory(origin="lyon")]
        lost, duplicated = expected - set(seen), len(seen) - len(set(seen))
        unexpected = set(seen) - expected
        print(f"{node.slug}: {len(seen)} lyon cards, lost {len(lost)}, duplicated {duplicated}")
        record_property(f"e2e_burst_{node.slug}_lost_duplicated", f"{len(lost)}/{duplicated}")
        assert (len(lost), duplicated, len(unexpected)) == (0, 0, 0), node.slug
    heads = {n.slug: n.head_of("lyon") for n in line.nodes}
    assert heads["lyon"] == heads["grenoble"] == heads["annecy"], heads


def test_the_line_converges_on_postgresql(postgres_line: Line, record_property: Any) -> None:
    line = postgres_line
    word = unique_word()
    started = time.monotonic()
    member = line.a.create_member(f"Océane {word.title()}", city="Lyon", trades=["Régisseuse"])
    wait_until(lambda: find(line.c, word), timeout=LINE_TIMEOUT, what="the card on annecy")
    record_property(
        "e2e_first_seen_lyon_to_annecy_postgresql_s", round(time.monotonic() - started, 2)
    )
    response = line.a.api.patch(
        f"/api/members/{member['id']}", json={"city": "Vénissieux"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    wait_until(
        lambda: (item := find(line.c, word)) and item["city"] == "Vénissieux",
        timeout=LINE_TIMEOUT,
        what="the update on annecy",
    )
    response = line.a.api.delete(f"/api/members/{member['id']}", headers={"If-Match": '"2"'})
    assert response.status_code == 204, response.text
    for node in (line.b, line.c):
        wait_until(lambda n=node: find(n, word) is None, timeout=LINE_TIMEOUT, what="deletion")
    assert line.a.head_of("lyon") == line.b.head_of("lyon") == line.c.head_of("lyon")
