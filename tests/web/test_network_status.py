"""A bureau whose latest changes came without their content shows incomplete wherever the
sync status does: the Réseau page, the dashboard and `GET /api/federation/status`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from conftest import NodeHarness
from federation.models import FedMissingBody, FedOrigin, FedPeer
from node.actors import Role
from tests.web.pages import login, make_account

NOTED = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def hold_back(sessions: sessionmaker[Session], records: int) -> None:
    """Annecy, a peer, whose `records` latest entries came without body through a relay."""
    with sessions() as db, db.begin():
        db.add(
            FedOrigin(
                slug="annecy",
                name="Bureau d'Annecy",
                url="https://annecy.test",
                head_seq=10,
                head_hash="a" * 64,
                blocked=False,
                keys=[],
            )
        )
        db.add(
            FedPeer(
                slug="annecy",
                url="https://annecy.test",
                fingerprint="SHA256:x",
                keys=[],
                state="active",
                added_at=NOTED,
            )
        )
        for n in range(records):
            db.add(
                FedMissingBody(
                    origin="annecy",
                    kind="directory.card",
                    record_id=f"m{n}",
                    seq=10 - n,
                    via_peer="grenoble",
                    noted_at=NOTED,
                )
            )


def test_the_network_page_and_the_dashboard_show_a_bureau_held_back(node: NodeHarness) -> None:
    hold_back(node.sessions, 2)
    make_account(node, "root", Role.admin)
    client = TestClient(node.app)
    login(client, "root")
    page = client.get("/reseau")
    assert "Non — 2 modifications en attente de leur contenu" in page.text
    home = client.get("/")
    assert "Modifications en attente de leur contenu pour : Bureau d&#39;Annecy." in home.text


def test_the_status_api_counts_the_records_held_back(node: NodeHarness) -> None:
    hold_back(node.sessions, 3)
    answer = node.client.get("/api/federation/status", headers=node.headers("admin"))
    assert answer.status_code == 200
    origins = {o["origin"]: o for o in answer.json()["origins"]}
    annecy = origins.pop("annecy")
    assert (annecy["complete"], annecy["missing_bodies"]) == (False, 3)
    assert datetime.fromisoformat(annecy["incomplete_since"]) == NOTED
    assert all(o["complete"] and o["missing_bodies"] == 0 for o in origins.values())
