"""The operator's commands against running nodes: peer list|add|block|unblock, keys rotate,
sync, member import."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from federation.trust import identity_fingerprint
from schemas.federation import IdentityDocument
from tests.e2e.nodes import Line, Node, unique_word, wait_until

pytestmark = pytest.mark.e2e

SYNC_SUMMARY = re.compile(r"^(\d+) entries applied in \d+\.\d\d s", re.MULTILINE)


def heads_agree(line: Line, origin: str) -> bool:
    heads = {node.head_of(origin) for node in line.nodes}
    return len(heads) == 1


def lyon_ids(node: Node) -> set[str]:
    return {i["id"] for i in node.directory(origin="lyon")}


def test_peer_list_shows_state_last_success_lag_and_last_error(line: Line) -> None:
    wait_until(
        lambda: all(p["last_success_at"] for p in line.b.status()["peers"]),
        timeout=20,
        what="grenoble to pull both its peers once",
    )
    out = line.b.cli("peer", "list").stdout
    for column in ("peer", "url", "state", "last success", "lag", "last error"):
        assert column in out
    rows = {
        row.split()[1]: row
        for row in out.splitlines()
        if row.split()[1:2] in (["lyon"], ["annecy"])
    }
    assert set(rows) == {"lyon", "annecy"}, out
    for row in rows.values():
        assert "active" in row, row
        assert "never" not in row, row
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row), row  # last success
        assert re.search(r"│\s*\d+\s*│", row), row  # lag, in entries


def test_peer_add_without_confirmation_and_no_terminal_exits_2_with_one_line(line: Line) -> None:
    result = line.a.cli("peer", "add", line.c.url, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--fingerprint" in result.stderr
    assert "Key fingerprint:" in result.stdout  # shown, so the admin can check it
    assert [p["slug"] for p in line.a.status()["peers"]] == ["grenoble"]


def test_peer_add_with_a_wrong_fingerprint_exits_2(line: Line) -> None:
    identity = IdentityDocument.model_validate_json(
        httpx.get(f"{line.c.url}/federation/node").content
    )
    right = identity_fingerprint(identity)
    wrong = right[:-1] + ("A" if right[-1] != "A" else "B")  # one mistyped character
    result = line.a.cli("peer", "add", line.c.url, "--fingerprint", wrong, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert wrong in result.stderr
    assert [p["slug"] for p in line.a.status()["peers"]] == ["grenoble"]


def test_after_keys_rotate_and_a_restart_lyon_still_syncs(line: Line) -> None:
    rotated = line.a.cli("keys", "rotate").stdout
    assert "New key lyon-" in rotated
    line.a.restart()
    word = unique_word()
    line.a.create_member(f"Aurélien {word.title()}", city="Lyon")
    wait_until(lambda: line.c.directory(q=word), timeout=20, what="a card signed by the new key")
    wait_until(lambda: heads_agree(line, "lyon"), timeout=20, what="lyon's head everywhere")
    for peer in (line.b.peer_status("lyon"), line.c.peer_status("grenoble")):
        assert peer["state"] == "active"
    summary = line.b.cli("sync").stdout
    assert SYNC_SUMMARY.search(summary), summary
    assert re.search(r"^lyon: \d+ entries applied$", summary, re.MULTILINE), summary


def test_member_import_shares_network_members_with_peers(line: Line, tmp_path: Path) -> None:
    shared, kept = unique_word(), unique_word()
    source = tmp_path / "membres.csv"
    source.write_text(
        "nom;ville;métiers;visibilité\n"
        f"Romane {shared.title()};Lyon;Régisseuse son;réseau\n"
        f"Eliott {kept.title()};Lyon;Comédien;local\n",
        encoding="utf-8",
    )
    assert "Imported 2 new member(s)" in line.a.cli("member", "import", str(source)).stdout
    # The import happens outside the server, which does not notify: the peers' next pull.
    wait_until(lambda: line.c.directory(q=shared), timeout=20, what="the imported card")
    assert line.b.directory(q=kept) == [] and line.c.directory(q=kept) == []


def test_peer_block_purges_an_origin_and_refuses_it_relayed(line: Line) -> None:
    before = unique_word()
    line.a.create_member(f"Capucine {before.title()}", city="Lyon")
    wait_until(lambda: line.c.directory(q=before), timeout=20, what="the card on annecy")
    try:
        assert "blocked and purged" in line.c.cli("peer", "block", "lyon").stdout
        assert line.c.directory(origin="lyon") == []
        assert line.c.traces(f"Capucine {before.title()}", before, settle=2) == []
        after = unique_word()
        line.a.create_member(f"Timothée {after.title()}", city="Lyon")
        wait_until(lambda: line.b.directory(q=after), timeout=20, what="the card on grenoble")
        pulled = line.c.cli("sync", "--peer", "grenoble").stdout
        assert SYNC_SUMMARY.search(pulled), pulled
        assert line.c.directory(origin="lyon") == []
        lyon = [o for o in line.c.status()["origins"] if o["origin"] == "lyon"]
        assert [(o["blocked"], o["head_seq"]) for o in lyon] == [(True, 0)]
    finally:
        line.c.cli("peer", "unblock", "lyon")
    # Unblocked, lyon is pulled anew from the start, through grenoble.
    wait_until(lambda: heads_agree(line, "lyon"), timeout=30, what="lyon pulled anew by annecy")
    assert lyon_ids(line.c) == lyon_ids(line.b)
