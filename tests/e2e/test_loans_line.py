"""Loans between real nodes of the line lyon – grenoble – annecy (grenoble owns the resources):
a loan from request to return entirely from the pages, two overlapping requests never both
accepted (the loser declined with the acceptance), a request waiting for an offline owner,
and kill -9 on either side mid-exchange; then, on two nodes with the default sync interval
and backoff, a request queued for a stopped owner reaching it as soon as it is back."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from federation.models import FedInbox, FedOutbox
from node.actors import Role
from node.db import make_engine, make_sessionmaker
from node.services import accounts
from tests.e2e.nodes import (
    NODE_ENV,
    TERRITORIES,
    Line,
    Node,
    boot,
    make_node,
    peer,
    unique_word,
    wait_until,
)

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
PASSWORD = "un-mot-de-passe-solide"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def database_of(node: Node) -> str:
    return node.db_url or f"sqlite:///{node.home / 'archipel.db'}"


def staff_browser(node: Node) -> httpx.Client:
    """A logged-in staff member's browser on `node` (account made in its database)."""
    username = f"staff-{unique_word(6)}"
    engine = make_engine(database_of(node))
    try:
        with make_sessionmaker(engine)() as db, db.begin():
            accounts.create_account(db, username=username, password=PASSWORD, role=Role.staff)
    finally:
        engine.dispose()
    browser = httpx.Client(base_url=f"http://127.0.0.1:{node.port}", timeout=15)
    page = browser.get("/connexion")
    answer = browser.post(
        "/connexion",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf(page.text)},
    )
    assert answer.status_code in (200, 303), answer.text
    return browser


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def post_form(browser: httpx.Client, page: str, action: str, data: dict[str, str]) -> str:
    """Open `page`, post a form to `action` with its CSRF token; the page shown after."""
    token = csrf(browser.get(page).text)
    answer = browser.post(action, data={"csrf_token": token, **data})
    assert answer.status_code == 303, answer.text
    return browser.get(answer.headers["location"]).text


def lendable(owner: Node, name: str) -> dict[str, Any]:
    response = owner.api.post(
        "/api/resources", json={"name": name, "kind": "equipment", "lendable": True}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def sees_resource(node: Node, owner: str, resource_id: str) -> bool:
    items = node.api.get("/api/network/resources", params={"limit": 200}).json()["items"]
    return any(r["origin"] == owner and r["id"] == resource_id for r in items)


def loan_of(node: Node, loan_id: str) -> dict[str, Any] | None:
    response = node.api.get(f"/api/loans/{loan_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def in_state(node: Node, loan_id: str, state: str) -> dict[str, Any] | None:
    found = loan_of(node, loan_id)
    return found if found and found["state"] == state and not found["pending"] else None


def ask(borrower: Node, owner: str, resource_id: str, starts: date, ends: date) -> str:
    response = borrower.api.post(
        "/api/loans",
        json={
            "owner": owner,
            "resource_id": resource_id,
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "purpose": "Création au plateau",
            "contact": "Régie, 06 00 00 00 00",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def agreed(owner: Node, borrower: Node, loan_id: str) -> bool:
    """Both bureaus show the same loan, and nothing is pending."""
    a, b = loan_of(owner, loan_id), loan_of(borrower, loan_id)
    keys = ("state", "revision", "starts_on", "ends_on", "history")
    return bool(a and b and not b["pending"] and {k: a[k] for k in keys} == {k: b[k] for k in keys})


def test_a_loan_goes_from_request_to_return_entirely_from_the_pages(line: Line) -> None:
    lyon, grenoble = line.a, line.b
    name = f"Praticable {unique_word()}"
    resource = lendable(grenoble, name)
    wait_until(
        lambda: sees_resource(lyon, "grenoble", resource["id"]),
        timeout=TIMEOUT,
        what="lyon to see grenoble's resource",
    )
    with closing(staff_browser(lyon)) as borrower, closing(staff_browser(grenoble)) as owner:
        walk_through_a_loan(lyon, grenoble, borrower, owner, resource, name)


def walk_through_a_loan(
    lyon: Node,
    grenoble: Node,
    borrower: httpx.Client,
    owner: httpx.Client,
    resource: dict[str, Any],
    name: str,
) -> None:
    start = date.today() + timedelta(days=30)

    listing = borrower.get("/ressources-reseau", params={"q": name}).text
    ask_url = f"/prets/demander/grenoble/{resource['id']}"
    assert ask_url in listing
    shown = post_form(
        borrower,
        ask_url,
        ask_url,
        {
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=2)).isoformat(),
            "purpose": "Résidence de création",
            "pickup_place": "Dépôt de Grenoble",
            "return_place": "Dépôt de Grenoble",
            "contact": "Inès, 06 11 22 33 44",
        },
    )
    loan_id = re.search(r'action="/prets/([0-9a-f]+)/action"', shown) or re.search(
        r"/prets/([0-9a-f]{32})", borrower.get("/prets").text
    )
    assert loan_id
    loan_id_value = loan_id.group(1)
    wait_until(
        lambda: in_state(grenoble, loan_id_value, "requested"),
        timeout=TIMEOUT,
        what="grenoble to receive the request",
    )
    assert "/prets?cote=prets" in owner.get("/").text  # the dashboard says a request waits

    def act(browser: httpx.Client, node: Node, data: dict[str, str]) -> str:
        version = str(loan_of(node, loan_id_value)["version"])  # type: ignore[index]
        page = f"/prets/{loan_id_value}"
        return post_form(browser, page, f"{page}/action", {"version": version, **data})

    counter = (start + timedelta(days=7), start + timedelta(days=9))
    act(
        owner,
        grenoble,
        {
            "action": "counter",
            "starts_on": counter[0].isoformat(),
            "ends_on": counter[1].isoformat(),
            "reason": "Pris ces jours-là",
        },
    )
    wait_until(
        lambda: in_state(lyon, loan_id_value, "countered"),
        timeout=TIMEOUT,
        what="lyon to see the counter-offer",
    )
    act(borrower, lyon, {"action": "accept_counter"})
    wait_until(
        lambda: in_state(grenoble, loan_id_value, "accepted"),
        timeout=TIMEOUT,
        what="grenoble to record the acceptance",
    )
    for action, state in (("pick_up", "picked_up"), ("return", "returned")):
        wait_until(
            lambda: agreed(grenoble, lyon, loan_id_value),
            timeout=TIMEOUT,
            what="both sides to agree",
        )
        act(owner, grenoble, {"action": action})
        wait_until(
            lambda s=state: in_state(lyon, loan_id_value, s),
            timeout=TIMEOUT,
            what=f"lyon to see the loan {state}",
        )
    final = borrower.get(f"/prets/{loan_id_value}").text
    assert "Rendu" in final
    assert counter[0].isoformat() in final
    wait_until(
        lambda: agreed(grenoble, lyon, loan_id_value),
        timeout=TIMEOUT,
        what="both sides to agree at the end",
    )


def test_two_bureaus_asking_for_overlapping_periods_never_both_get_it(line: Line) -> None:
    lyon, grenoble, annecy = line.a, line.b, line.c
    resource = lendable(grenoble, f"Console {unique_word()}")
    for node in (lyon, annecy):
        wait_until(
            lambda n=node: sees_resource(n, "grenoble", resource["id"]),
            timeout=TIMEOUT,
            what=f"{node.slug} to see the resource",
        )
    start = date.today() + timedelta(days=60)
    ids: dict[str, str] = {}

    def request(node: Node, offset: int) -> None:
        ids[node.slug] = ask(
            node,
            "grenoble",
            resource["id"],
            start + timedelta(days=offset),
            start + timedelta(days=offset + 4),
        )

    threads = [threading.Thread(target=request, args=(n, o)) for n, o in ((lyon, 0), (annecy, 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for loan_id in ids.values():
        wait_until(
            lambda i=loan_id: in_state(grenoble, i, "requested"),
            timeout=TIMEOUT,
            what="grenoble to receive both requests",
        )

    barrier = threading.Barrier(2)
    codes: dict[str, int] = {}

    def accept(slug: str) -> None:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{grenoble.port}",
            headers={"Authorization": f"Bearer {grenoble.token}"},
            timeout=15,
        )
        with client:
            version = client.get(f"/api/loans/{ids[slug]}").json()["version"]
            barrier.wait(timeout=10)
            codes[slug] = client.post(
                f"/api/loans/{ids[slug]}/actions", json={"action": "accept", "version": version}
            ).status_code

    threads = [threading.Thread(target=accept, args=(s,)) for s in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes.values()) == [200, 409], codes
    winner = next(s for s, c in codes.items() if c == 200)
    loser = next(s for s in ids if s != winner)
    borrowers = {"lyon": lyon, "annecy": annecy}
    wait_until(
        lambda: in_state(borrowers[winner], ids[winner], "accepted"),
        timeout=TIMEOUT,
        what="the winner to see its loan accepted",
    )
    # The loser is declined with the acceptance, and its borrower told why.
    told = wait_until(
        lambda: in_state(borrowers[loser], ids[loser], "declined"),
        timeout=TIMEOUT,
        what="the loser to see its request declined",
    )
    assert told["reason_code"] == "overlap_accepted"
    held = [loan_of(grenoble, i)["state"] for i in ids.values()]  # type: ignore[index]
    assert sorted(held) == ["accepted", "declined"]


def test_a_request_made_while_the_owner_is_down_is_delivered_once_after_restart(
    line: Line,
) -> None:
    lyon, grenoble = line.a, line.b
    resource = lendable(grenoble, f"Camion {unique_word()}")
    wait_until(
        lambda: sees_resource(lyon, "grenoble", resource["id"]),
        timeout=TIMEOUT,
        what="lyon to see the resource",
    )
    grenoble.stop()
    try:
        start = date.today() + timedelta(days=90)
        loan_id = ask(lyon, "grenoble", resource["id"], start, start + timedelta(days=1))
        time.sleep(1.5)  # a few delivery attempts fail meanwhile
        assert loan_of(lyon, loan_id)["delivered"] is False  # type: ignore[index]
    finally:
        grenoble.start()
        grenoble.wait_healthy()
    wait_until(
        lambda: agreed(grenoble, lyon, loan_id),
        timeout=TIMEOUT + 10,
        what="the request to reach grenoble after its restart",
    )
    assert loan_of(lyon, loan_id)["delivered"] is True  # type: ignore[index]
    engine = make_engine(database_of(grenoble))
    try:
        with make_sessionmaker(engine)() as db:
            stored = db.scalar(
                select(func.count())
                .select_from(FedInbox)
                .where(FedInbox.kind == "loan.request", FedInbox.body.contains(loan_id))
            )
    finally:
        engine.dispose()
    assert stored == 1


@pytest.mark.parametrize("victim", ["grenoble", "lyon"])
def test_kill_9_of_either_side_mid_exchange_still_converges(line: Line, victim: str) -> None:
    lyon, grenoble = line.a, line.b
    killed = grenoble if victim == "grenoble" else lyon
    resource = lendable(grenoble, f"Salle {unique_word()}")
    wait_until(
        lambda: sees_resource(lyon, "grenoble", resource["id"]),
        timeout=TIMEOUT,
        what="lyon to see the resource",
    )
    start = date.today() + timedelta(days=120)
    loan_id = ask(lyon, "grenoble", resource["id"], start, start + timedelta(days=2))
    time.sleep(random.uniform(0.0, 1.0))
    killed.kill()
    killed.start()
    killed.wait_healthy()
    wait_until(
        lambda: agreed(grenoble, lyon, loan_id),
        timeout=TIMEOUT + 10,
        what="both sides to agree after the crash",
    )
    version = loan_of(grenoble, loan_id)["version"]  # type: ignore[index]
    accepted = grenoble.api.post(
        f"/api/loans/{loan_id}/actions", json={"action": "accept", "version": version}
    )
    assert accepted.status_code == 200, accepted.text
    time.sleep(random.uniform(0.0, 1.0))
    killed.kill()
    killed.start()
    killed.wait_healthy()
    wait_until(
        lambda: in_state(lyon, loan_id, "accepted"),
        timeout=TIMEOUT + 10,
        what="lyon to see the acceptance after the crash",
    )
    assert agreed(grenoble, lyon, loan_id)


@pytest.fixture
def default_pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """lyon and grenoble, peered, with every federation setting at its default (pulls every
    30 s, a failed delivery waits a minute, then two...)."""
    pair = [make_node(tmp_path, "lyon"), make_node(tmp_path, "grenoble")]
    for node in pair:
        node.env = {k: v for k, v in node.env.items() if k not in NODE_ENV}
    try:
        boot(pair, TERRITORIES, health_timeout=60)
        peer((pair[0], pair[1]), (pair[1], pair[0]))
        yield pair[0], pair[1]
    finally:
        for node in pair:
            node.stop()


@pytest.mark.parametrize("halt", ["stop", "kill"])
def test_a_request_queued_for_a_stopped_owner_reaches_it_within_seconds_of_its_restart(
    default_pair: tuple[Node, Node], record_property: Any, halt: str
) -> None:
    """Stopped (SIGTERM) or killed (-9: its scheduler's lease is never released)."""
    lyon, grenoble = default_pair
    resource = lendable(grenoble, f"Camion {unique_word()}")
    wait_until(
        lambda: sees_resource(lyon, "grenoble", resource["id"]),
        timeout=TIMEOUT,
        what="lyon to see the resource",
    )
    grenoble.stop() if halt == "stop" else grenoble.kill()
    start = date.today() + timedelta(days=90)
    loan_id = ask(lyon, "grenoble", resource["id"], start, start + timedelta(days=1))

    def failed_attempt() -> datetime | None:
        engine = make_engine(database_of(lyon))
        try:
            with make_sessionmaker(engine)() as db:
                row = db.scalars(
                    select(FedOutbox).where(FedOutbox.idempotency_key == f"loan.request:{loan_id}")
                ).one()
        finally:
            engine.dispose()
        return row.next_attempt_at if row.attempts else None

    retry_at = wait_until(failed_attempt, timeout=TIMEOUT, what="lyon's first failed attempt")
    # Without a sign of life, the next attempt would be close to a minute away.
    assert retry_at.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(seconds=30)

    started = time.monotonic()
    grenoble.start()
    grenoble.wait_healthy(60)  # a loaded machine starts Python slowly
    back = time.monotonic()
    wait_until(
        lambda: in_state(grenoble, loan_id, "requested"),
        timeout=TIMEOUT,
        what="the request to reach grenoble after its restart",
    )
    reached = time.monotonic()
    record_property(
        "e2e_request_after_restart_s",
        f"{reached - back:.2f} after healthy ({reached - started:.2f} after start)",
    )
    assert reached - back < 5.0
    wait_until(
        lambda: agreed(grenoble, lyon, loan_id),
        timeout=TIMEOUT,
        what="lyon to hear grenoble's answer",
    )
