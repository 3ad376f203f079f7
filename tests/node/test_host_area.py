"""The bureau's hosting area: the `node.host_area` setting until an admin sets it; then the
stored area, effective at once for the dates coming to us and the offers we may send."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from node.actors import Role
from node.db import make_sessionmaker
from node.services import accounts
from tests.archipelago import Bureau, line
from tests.node.test_hosting import offer_body, touring_date
from tests.node.test_loans_cli import run


def admin(bureau: Bureau) -> dict[str, str]:
    with make_sessionmaker(bureau.engine)() as db, db.begin():
        token = accounts.create_token(db, role=Role.admin).token
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_sets_the_area_and_it_counts_at_once(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["73"]
        tour_date = touring_date(lyon)  # Grenoble, 38000
        grenoble.pull("lyon")
        boss = admin(grenoble)
        area = grenoble.client.get("/api/hosting/area", headers=grenoble.staff)
        assert area.json()["entries"] == ["73"] and area.json()["source"] == "settings"
        assert area.headers["ETag"] == '"0"'
        coming = grenoble.client.get("/api/hosting/coming", headers=grenoble.staff).json()
        assert coming["items"] == []
        outside = grenoble.client.post(
            "/api/hosting/offers", json=offer_body(tour_date, note="Bienvenue"), headers=boss
        )
        assert outside.json()["code"] == "date_outside_host_area"

        saved = grenoble.client.put(
            "/api/hosting/area",
            json={"entries": ["73", " 38 ", "grenoble", "Grenoble"]},
            headers={**boss, "If-Match": '"0"'},
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["entries"] == ["73", "38", "grenoble"]
        assert saved.json()["source"] == "bureau" and saved.json()["version"] == 1
        assert saved.headers["ETag"] == '"1"'
        coming = grenoble.client.get("/api/hosting/coming", headers=grenoble.staff).json()["items"]
        assert [c["record_id"] for c in coming] == [tour_date["id"]]
        offered = grenoble.client.post(
            "/api/hosting/offers", json=offer_body(tour_date, note="Bienvenue"), headers=boss
        )
        assert offered.status_code == 201, offered.text
        assert tour_date["id"] in run(grenoble, "hosting", "coming")

        trail = grenoble.client.get(
            "/api/audit", params={"entity": "host_area"}, headers=grenoble.staff
        ).json()["items"]
        assert [(e["action"], e["summary"]) for e in trail] == [("update", "73 → 73, 38, grenoble")]

        # The setting no longer counts once the bureau set its own area, even emptied.
        emptied = grenoble.client.put(
            "/api/hosting/area", json={"entries": [], "version": 1}, headers=boss
        )
        assert emptied.status_code == 200 and emptied.json()["entries"] == []
        coming = grenoble.client.get("/api/hosting/coming", headers=grenoble.staff).json()
        assert coming["items"] == []
        run(grenoble, "hosting", "coming", code=2)


def test_changing_the_area_is_checked(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "grenoble") as (grenoble,):
        boss = admin(grenoble)
        url = "/api/hosting/area"
        staff = grenoble.client.put(
            url, json={"entries": ["38"], "version": 0}, headers=grenoble.staff
        )
        assert staff.status_code == 403
        unsaid = grenoble.client.put(url, json={"entries": ["38"]}, headers=boss)
        assert unsaid.status_code == 428 and unsaid.json()["code"] == "version_required"
        wrong = grenoble.client.put(
            url, json={"entries": ["38", "38-Isère", "123456"], "version": 0}, headers=boss
        )
        assert wrong.status_code == 422
        assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [
            ("body.entries.1", "host_area_entry"),
            ("body.entries.2", "host_area_entry"),
        ]
        assert grenoble.client.put(
            url, json={"entries": ["38"], "version": 0}, headers=boss
        ).is_success
        stale = grenoble.client.put(url, json={"entries": ["73"], "version": 0}, headers=boss)
        assert stale.status_code == 409 and stale.json()["current_version"] == 1
        assert grenoble.client.get(url, headers=grenoble.staff).json()["entries"] == ["38"]
