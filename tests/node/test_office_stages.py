"""The dates pipeline: option levels and expiry, allowed moves, the trail, the older status."""

from __future__ import annotations

from conftest import NodeHarness
from factories import record_publications
from tests.office import get, production, tour_date


def _move(node: NodeHarness, date: dict[str, object], code: int = 200, **body: object) -> dict:
    headers = {**node.headers("staff"), "If-Match": f'"{date["version"]}"'}
    response = node.client.post(f"/api/tour-dates/{date['id']}/stage", json=body, headers=headers)
    assert response.status_code == code, response.text
    result: dict = response.json()
    return result


def test_a_date_goes_from_option_to_settled_and_each_move_is_audited(node: NodeHarness) -> None:
    date = tour_date(node, production(node)["id"], option_level=2, option_expires_on="2026-01-31")
    assert (date["stage"], date["option_level"], date["option_expires_on"]) == (
        "option",
        2,
        "2026-01-31",
    )
    date = _move(node, date, to="option", option_level=1)
    assert date["option_level"] == 1 and date["option_expires_on"] is None
    for stage in ("confirmee", "contrat-signe", "jouee", "soldee"):
        date = _move(node, date, to=stage)
        assert date["stage"] == stage and date["status"] == "confirmed"
        assert date["option_level"] is None
    closed = _move(node, date, to="annulee", reason="trop tard", code=409)
    assert closed["allowed"] == []
    history = get(node, f"/api/tour-dates/{date['id']}/history")
    moves = [
        (e["extra"]["from"], e["extra"]["to"])
        for e in history["items"]
        if e["action"] == "transition"
    ]
    assert moves[::-1] == [
        ("option", "option"),
        ("option", "confirmee"),
        ("confirmee", "contrat-signe"),
        ("contrat-signe", "jouee"),
        ("jouee", "soldee"),
    ]


def test_moves_outside_the_pipeline_are_refused(node: NodeHarness) -> None:
    date = tour_date(node, production(node)["id"])
    skipped = _move(node, date, to="jouee", code=409)
    assert skipped["allowed"] == ["annulee", "confirmee", "option"]
    _move(node, date, to="annulee", code=400)
    cancelled = _move(node, date, to="annulee", reason="Salle fermée pour travaux")
    assert (cancelled["status"], cancelled["cancel_reason"]) == (
        "cancelled",
        "Salle fermée pour travaux",
    )
    levelled = _move(node, cancelled, to="confirmee", code=409)
    assert levelled["allowed"] == ["option"]
    reopened = _move(node, cancelled, to="option", option_level=3)
    assert reopened["cancel_reason"] == "" and reopened["option_level"] == 3
    _move(node, reopened, to="confirmee", option_level=1, code=400)
    members_cannot = node.client.post(
        f"/api/tour-dates/{date['id']}/stage", json={"to": "confirmee", "version": 4}
    )
    assert members_cannot.status_code == 401


def test_the_older_status_field_still_works_and_follows_the_stage(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    date = tour_date(node, production(node)["id"], status="confirmed")
    assert date["stage"] == "confirmee" and date["option_level"] is None
    headers = {**node.headers("staff"), "If-Match": '"1"'}
    signed = _move(node, date, to="contrat-signe")
    same = node.client.patch(
        f"/api/tour-dates/{date['id']}",
        json={"status": "confirmed", "notes": "ok"},
        headers={**headers, "If-Match": '"2"'},
    )
    assert same.status_code == 200 and same.json()["stage"] == "contrat-signe"
    back = node.client.patch(
        f"/api/tour-dates/{date['id']}",
        json={"status": "option"},
        headers={**headers, "If-Match": '"3"'},
    )
    assert back.status_code == 409
    cancelled = node.client.patch(
        f"/api/tour-dates/{date['id']}",
        json={"status": "cancelled"},
        headers={**headers, "If-Match": '"3"'},
    )
    assert cancelled.json()["stage"] == "annulee"
    bodies = [p.body for p in recorder.of(date["id"]) if p.body]
    assert [b["status"] for b in bodies] == ["confirmed"] * 3 + ["cancelled"]
    assert all("stage" not in b for b in bodies)
    assert signed["status"] == "confirmed"
    listed = get(node, "/api/tour-dates", status="cancelled")
    assert [d["id"] for d in listed["items"]] == [date["id"]]
