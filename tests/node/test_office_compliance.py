"""The compliance page of a date goes green step by step; overdue duties reach the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from conftest import NodeHarness
from node.services.compliance import aem_due, overdue_items, sibil_due
from tests.office import get, member, organisation, post, production, put, tour_date


def _duties(node: NodeHarness, date_id: str, today: str) -> dict[tuple[str, str], Any]:
    page = get(node, f"/api/tour-dates/{date_id}/compliance", today=today)
    return {(d["code"], d["member_name"]): d for d in page["duties"]} | {("page", ""): page}


def _version(node: NodeHarness, url: str) -> str:
    return f'"{get(node, url)["version"]}"'


def test_a_cession_date_goes_green_step_by_step(node: NodeHarness) -> None:
    put(node, "/api/office/profile", {"legal_name": "Archipel", "licence_number": "L-D-19-1172"})
    show = production(node)
    venue = organisation(node)
    date_ = tour_date(node, show["id"], venue_id=venue["id"])
    start = _duties(node, date_["id"], "2026-01-10")
    assert start[("contrat", "")]["state"] == "pending"
    assert start[("numero-objet", "")]["state"] == "pending"
    assert start[("sibil", "")]["owner"] == "organisateur"
    assert start[("sibil", "")]["state"] == "not-applicable"
    assert start[("page", "")]["green"] is False
    contract = post(
        node,
        "/api/contracts",
        {
            "production_id": show["id"],
            "organiser_id": venue["id"],
            "tour_date_ids": [date_["id"]],
            "fee": "3000",
            "sign_by": "2026-02-01",
        },
    )
    headers = {**node.headers("staff"), "If-Match": '"1"'}
    node.client.post(
        f"/api/contracts/{contract['id']}/sign", json={"signed_on": "2026-01-20"}, headers=headers
    )
    put(
        node,
        f"/api/productions/{show['id']}/object-number",
        {"object_number": "OBJ-7", "version": show["version"]},
    )
    names = ["Léa", "Sam", "Noor"]
    ids = []
    for name in names:
        someone = member(node, display_name=name)
        ids.append(
            post(
                node,
                f"/api/tour-dates/{date_['id']}/engagements",
                {
                    "member_id": someone["id"],
                    "profession": "Artiste dramatique",
                    "annexe": "I",
                    "cachets": 1,
                    "gross_pay": "200",
                    "rehearsal_days": ["2026-03-13"],
                },
            )["id"]
        )
    mid = _duties(node, date_["id"], "2026-03-01")
    assert mid[("contrat", "")]["state"] == "done" and mid[("licences", "")]["state"] == "done"
    assert mid[("dpae", "Léa")]["state"] == "upcoming"
    assert mid[("dpae", "Léa")]["opens"] == "2026-03-05"
    assert mid[("aem", "Léa")]["state"] == "upcoming"
    assert mid[("page", "")]["green"] is False  # CDDU pending
    states = [
        {"engagement_id": i, "cddu_signed_on": "2026-03-06", "dpae_sent_on": "2026-03-06"}
        for i in ids
    ]
    post(node, "/api/payroll/states", states, code=200)
    before = _duties(node, date_["id"], "2026-03-10")
    assert before[("page", "")]["green"] is True
    after = _duties(node, date_["id"], "2026-04-20")
    assert after[("aem", "Sam")]["state"] == "overdue"
    assert after[("aem", "Sam")]["due"] == "2026-04-15"
    assert after[("decompte", "")]["state"] == "overdue"  # 30 days after the date
    assert after[("page", "")]["overdue"] == 7  # and AEM and certificate of each of three
    overdue = get(node, "/api/compliance/overdue", today="2026-04-20")["items"]
    assert {(o["code"], o["member_name"]) for o in overdue} == {
        (code, name) for code in ("aem", "conges-spectacles") for name in names
    } | {("decompte", "")}
    with node.sessions() as db:
        assert len(overdue_items(db, date(2026, 4, 20))) == 7


def test_a_dpae_outside_its_window_is_flagged(node: NodeHarness) -> None:
    date_ = tour_date(node, production(node)["id"])
    someone = member(node)
    row = post(
        node,
        f"/api/tour-dates/{date_['id']}/engagements",
        {
            "member_id": someone["id"],
            "profession": "Artiste",
            "annexe": "I",
            "cachets": 1,
            "gross_pay": "200",
        },
    )
    node.client.patch(
        f"/api/engagements/{row['id']}/states",
        json={"dpae_sent_on": "2026-03-01", "version": row["version"]},
        headers=node.headers("staff"),
    )
    duties = _duties(node, date_["id"], "2026-03-02")
    assert duties[("dpae", someone["display_name"])]["state"] == "problem"


def test_the_ticketing_holder_owes_sibil_and_sacem(node: NodeHarness) -> None:
    put(node, "/api/office/profile", {"legal_name": "Archipel", "licence_number": "L-D-19-1172"})
    show = production(node)
    venue = organisation(node)
    date_ = tour_date(node, show["id"], venue_id=venue["id"])
    post(
        node,
        "/api/contracts",
        {
            "production_id": show["id"],
            "organiser_id": venue["id"],
            "tour_date_ids": [date_["id"]],
            "kind": "coproduction",
            "fee": "1000",
        },
    )
    duties = _duties(node, date_["id"], "2026-04-11")
    assert duties[("sibil", "")]["owner"] == "bureau"
    assert duties[("sibil", "")]["due"] == "2026-04-10"
    assert duties[("sibil", "")]["state"] == "overdue"
    assert duties[("sacem-sacd", "")]["due"] is None
    response = node.client.put(
        f"/api/tour-dates/{date_['id']}/compliance/sibil",
        json={"done_on": "2026-04-05"},
        headers=node.headers("staff"),
    )
    assert response.status_code == 204
    assert _duties(node, date_["id"], "2026-04-11")[("sibil", "")]["state"] == "done"


def test_a_lapsed_option_is_overdue_and_cancelled_dates_owe_nothing(node: NodeHarness) -> None:
    show = production(node)
    option = tour_date(node, show["id"], option_expires_on="2026-01-31")
    assert _duties(node, option["id"], "2026-02-02")[("option", "")]["state"] == "overdue"
    cancelled = tour_date(node, show["id"], status="cancelled")
    page = get(node, f"/api/tour-dates/{cancelled['id']}/compliance", today="2026-02-02")
    assert page["duties"] == []


def test_due_dates_of_sibil_and_aem() -> None:
    assert sibil_due(date(2026, 3, 14)) == date(2026, 4, 10)
    assert sibil_due(date(2026, 12, 31)) == date(2027, 1, 10)
    assert aem_due(date(2026, 12, 3)) == date(2027, 1, 15)
