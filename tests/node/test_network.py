"""The archipelago seen from each node: directory, tours and resources from the local replica."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from factories import member_data
from tests.archipelago import Bureau, line


def create_member(bureau: Bureau, **over: object) -> dict[str, object]:
    response = bureau.client.post("/api/members", json=member_data(**over), headers=bureau.staff)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def sync_line(bureaus: list[Bureau]) -> None:
    """Pull along the line both ways, twice, so anything reaches the far end."""
    for _ in range(2):
        for left, right in itertools.pairwise(bureaus):
            left.pull(right.slug)
            right.pull(left.slug)


def test_a_member_created_on_a_reaches_c_through_b(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille", "lille") as (a, b, c):
        member = create_member(a, display_name="Léa Martin", trades=["Régie son"])
        sync_line([a, b, c])
        found = c.directory(q="regie son")
        assert [(i["origin"], i["id"], i["display_name"]) for i in found] == [
            ("lyon", member["id"], "Léa Martin")
        ]
        assert found[0]["own"] is False
        assert found[0]["synced_at"] is not None
        assert a.directory(q="léa")[0]["own"] is True


def test_updates_and_deletions_propagate_and_purge(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille", "lille") as (a, b, c):
        member = create_member(a, display_name="Zoé Rimbaud")
        sync_line([a, b, c])
        a.client.patch(
            f"/api/members/{member['id']}", json={"city": "Vienne", "version": 1}, headers=a.staff
        )
        sync_line([a, b, c])
        assert c.directory(q="zoe")[0]["city"] == "Vienne"
        assert a.client.delete(f"/api/members/{member['id']}", headers=a.staff).status_code == 204
        sync_line([a, b, c])
        for bureau in (a, b, c):
            assert bureau.directory(q="zoe") == []
            with bureau.engine.connect() as conn:
                bodies = conn.execute(text("SELECT body FROM fed_entries WHERE body IS NOT NULL"))
                assert all("Rimbaud" not in (row[0] or "") for row in bodies)


def test_a_local_member_never_leaves_the_bureau(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        create_member(a, display_name="Secret Local", visibility="local")
        create_member(a, display_name="Visible Réseau", visibility="network")
        sync_line([a, b])
        assert [i["display_name"] for i in a.directory()] == ["Secret Local", "Visible Réseau"]
        assert [i["display_name"] for i in b.directory()] == ["Visible Réseau"]
        with b.engine.connect() as conn:
            for table in ("fed_entries", "directory_cards"):
                rows = conn.execute(text(f"SELECT * FROM {table}")).all()
                assert "Secret Local" not in repr(rows)


def test_switching_to_local_withdraws_the_card_from_peers(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        member = create_member(a, display_name="Ana Ferreira")
        sync_line([a, b])
        assert len(b.directory(q="ana")) == 1
        a.client.patch(
            f"/api/members/{member['id']}",
            json={"visibility": "local", "version": 1},
            headers=a.staff,
        )
        sync_line([a, b])
        assert b.directory(q="ana") == []
        assert len(a.directory(q="ana")) == 1


def test_directory_filters(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        create_member(
            a,
            display_name="Hugo",
            trades=["Régisseur lumière"],
            skills=["grandMA"],
            territory="Rhône",
            availability=[{"start": "2026-12-01", "end": "2026-12-31"}],
        )
        create_member(
            b, display_name="Inès", trades=["Comédienne"], skills=["clown"], territory="Provence"
        )
        sync_line([a, b])
        names = lambda **p: [i["display_name"] for i in b.directory(**p)]  # noqa: E731
        assert names(trade="regisseur lumiere") == ["Hugo"]
        assert names(skill="CLOWN") == ["Inès"]
        assert names(territory="Provence") == ["Inès"]
        assert names(origin="lyon") == ["Hugo"]
        assert names(available_on="2026-12-24") == ["Hugo"]
        assert names(available_on="2027-01-02") == []
        assert names(q="lumi") == ["Hugo"]


def test_directory_pages_with_a_cursor(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "lyon") as (a,):
        for i in range(5):
            create_member(a, display_name=f"Membre {i}")
        first = a.client.get("/api/directory", params={"limit": 3}, headers=a.staff).json()
        assert len(first["items"]) == 3
        rest = a.client.get(
            "/api/directory",
            params={"limit": 3, "cursor": first["next_cursor"]},
            headers=a.staff,
        ).json()
        assert [i["display_name"] for i in rest["items"]] == ["Membre 3", "Membre 4"]
        assert rest["next_cursor"] is None
        bad = a.client.get("/api/directory", params={"cursor": "nope"}, headers=a.staff)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "query.cursor"


def test_network_tours_and_resources(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        production = a.client.post(
            "/api/productions",
            json={"title": "Le Grand Large", "visibility": "network"},
            headers=a.staff,
        ).json()
        a.client.post(
            "/api/tour-dates",
            json={
                "production_id": production["id"],
                "starts_at": "2026-12-12T20:30:00",
                "city": "Marseille",
            },
            headers=a.staff,
        )
        a.client.post(
            "/api/resources",
            json={"name": "Camion 20 m³", "kind": "vehicle", "lendable": True},
            headers=a.staff,
        )
        a.client.post(
            "/api/resources", json={"name": "Console privée", "lendable": False}, headers=a.staff
        )
        sync_line([a, b])
        tours = b.client.get("/api/network/tours", headers=b.staff).json()["items"]
        assert [(t["production_title"], t["city"]) for t in tours] == [
            ("Le Grand Large", "Marseille")
        ]
        by_territory = b.client.get(
            "/api/network/tours", params={"territory": "terre lyon"}, headers=b.staff
        ).json()["items"]
        assert len(by_territory) == 1
        resources = b.client.get("/api/network/resources", headers=b.staff).json()["items"]
        assert [r["name"] for r in resources] == ["Camion 20 m³"]
        assert (
            b.client.get("/api/network/resources", params={"q": "camion"}, headers=b.staff).json()[
                "items"
            ][0]["kind"]
            == "vehicle"
        )


def test_an_erased_name_leaves_no_bytes_in_any_database_file(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    if not new_db_url("probe").startswith("sqlite"):
        pytest.skip("file bytes are SQLite's concern; PostgreSQL's files belong to the server")
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        member = create_member(a, display_name="Quentin Zyxwvutsr", trades=["Machiniste"])
        sync_line([a, b])
        assert b.directory(q="zyxwvutsr")
        a.client.delete(f"/api/members/{member['id']}", headers=a.staff)
        sync_line([a, b])
        for bureau in (a, b):
            bureau.federation.after_purge()  # what the node runs after a purge commits
            bureau.engine.dispose()
            for path in (tmp_path / f"{bureau.slug}.db").parent.glob(f"{bureau.slug}.db*"):
                data = path.read_bytes()
                assert b"Zyxwvutsr" not in data, path
                assert b"zyxwvutsr" not in data, path


def test_a_newer_peers_unknown_fields_and_kinds_are_kept_and_relayed(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    """Version N-1 receiving from version N: nothing new is dropped, nothing crashes."""
    with line(tmp_path, new_db_url, "lyon", "marseille", "lille") as (a, b, c):
        card = {
            **member_data(display_name="Nouvelle Version"),
            "schema_version": 2,
            "pronouns": "elle",
        }
        for private in ("email", "phone", "address", "member_since", "shares"):
            card.pop(private, None)
        with a.federation._sessions() as session, session.begin():
            a.federation.log_writer.ensure_genesis(session, a.federation.identity_document())
            a.federation.log_writer.append(
                session, kind="directory.card", record_id="n1", version=1, body=card
            )
            a.federation.log_writer.append(
                session, kind="loan.offer", record_id="o1", version=1, body={"what": "un camion"}
            )
        sync_line([a, b, c])
        found = c.directory(q="nouvelle")
        assert [i["display_name"] for i in found] == ["Nouvelle Version"]
        with c.engine.connect() as conn:
            body = conn.execute(
                text("SELECT body FROM fed_entries WHERE origin = 'lyon' AND record_id = 'n1'")
            ).scalar_one()
            kinds = conn.execute(
                text("SELECT kind FROM fed_entries WHERE origin = 'lyon' AND record_id = 'o1'")
            ).scalar_one()
        assert '"pronouns":"elle"' in body
        assert kinds == "loan.offer"
