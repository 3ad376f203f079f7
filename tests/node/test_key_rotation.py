"""Key rotation by another process (the CLI) while the node serves keeps sync working."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from factories import member_data
from node.federated import wire
from node.keystore import create_key
from tests.archipelago import line


def test_a_key_rotated_by_the_cli_is_used_at_once_and_peers_follow(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        a.client.post("/api/members", json=member_data(display_name="Avant"), headers=a.staff)
        b.pull("lyon")
        old = a.federation.current_key().key_id
        cli = wire(a.settings, a.engine).federation  # what `archipel keys rotate` builds
        new = create_key(a.settings.home, "lyon")
        cli.rotate_key(new, announce=False)
        cli.stop()
        assert a.federation.current_key().key_id == new.key_id != old
        a.client.post("/api/members", json=member_data(display_name="Après"), headers=a.staff)
        b.pull("lyon")
        assert {i["display_name"] for i in b.directory()} == {"Avant", "Après"}
        a.pull("marseille")  # lyon's signed requests with the new key are accepted too
