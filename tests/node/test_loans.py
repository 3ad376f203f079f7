"""Loans between in-process bureaus: request → counter-offer → acceptance → pick-up → return,
the owner deciding, both sides showing the same loan, overlaps refused (and the overlapping
requests declined once one is accepted), loans starting in the past refused, duplicates
harmless."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from federation.models import FedEntry, FedInbox, FedOutbox
from federation.registry import MessageHandler
from node.actors import Actor, Role
from node.db import make_sessionmaker
from node.models import Loan
from node.problems import Conflict, Forbidden
from node.services import accounts
from node.services import loans as loans_service
from schemas.federation import InboxMessage
from schemas.loans import STARTS_IN_PAST, LoanAction, LoanActionCreate
from tests.archipelago import Bureau, line
from tests.web.pages import browser, csrf_of

STAFF = Actor(name="régie", role=Role.staff)


def exchange(*bureaus: Bureau, rounds: int = 3) -> None:
    """Let the bureaus' messages cross: each delivers its outbox and handles its inbox."""
    for _round in range(rounds):
        for bureau in bureaus:
            bureau.federation.exchange_messages()


def lendable(owner: Bureau, name: str = "Camion 20 m³") -> dict[str, Any]:
    response = owner.client.post(
        "/api/resources",
        json={"name": name, "kind": "vehicle", "lendable": True, "location": "Dépôt"},
        headers=owner.staff,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def ask(
    borrower: Bureau, owner: str, resource_id: str, starts: str, ends: str, **extra: Any
) -> Any:
    return borrower.client.post(
        "/api/loans",
        json={
            "owner": owner,
            "resource_id": resource_id,
            "starts_on": starts,
            "ends_on": ends,
            "purpose": "Tournée d'hiver",
            "contact": "Camille, 06 00 00 00 00",
            **extra,
        },
        headers=borrower.staff,
    )


def loan(bureau: Bureau, loan_id: str) -> dict[str, Any]:
    response = bureau.client.get(f"/api/loans/{loan_id}", headers=bureau.staff)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def act(bureau: Bureau, loan_id: str, action: str, **data: Any) -> Any:
    current = loan(bureau, loan_id)
    return bureau.client.post(
        f"/api/loans/{loan_id}/actions",
        json={"action": action, "version": current["version"], **data},
        headers=bureau.staff,
    )


def same_view(a: dict[str, Any], b: dict[str, Any]) -> None:
    keys = ("state", "starts_on", "ends_on", "revision", "history", "reason")
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}


def stored_message(bureau: Bureau, kind: str) -> InboxMessage:
    """The one message of `kind` in `bureau`'s inbox, as its handler receives it."""
    with bureau.engine.connect() as conn:
        stored = conn.execute(select(FedInbox.body).where(FedInbox.kind == kind))
        return InboxMessage.model_validate(json.loads(stored.scalar_one()))


def handler_of(bureau: Bureau, kind: str) -> MessageHandler:
    handler = bureau.federation.registry.message_handler(kind)
    assert handler is not None
    return handler


def busy_seen_by(bureau: Bureau, owner: str) -> list[dict[str, str]]:
    bureau.pull(owner)
    response = bureau.client.get("/api/network/resources", headers=bureau.staff)
    assert response.status_code == 200, response.text
    items = [r for r in response.json()["items"] if r["origin"] == owner]
    return [p for r in items for p in r.get("busy", [])]


def test_a_loan_goes_from_request_to_return_and_both_bureaus_agree_at_every_step(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        asked = ask(lyon, "grenoble", van["id"], "2027-01-10", "2027-01-12")
        assert asked.status_code == 201, asked.text
        loan_id = asked.json()["id"]
        assert asked.json()["pending"] == "request"
        assert asked.json()["delivered"] is False
        exchange(lyon, grenoble)
        owner_view, borrower_view = loan(grenoble, loan_id), loan(lyon, loan_id)
        assert owner_view["role"] == "owner" and borrower_view["role"] == "borrower"
        assert owner_view["state"] == "requested" and owner_view["borrower"] == "lyon"
        assert borrower_view["pending"] == "" and borrower_view["delivered"] is True
        same_view(owner_view, borrower_view)

        # The owner proposes other dates; the borrower takes them.
        countered = act(
            grenoble,
            loan_id,
            "counter",
            starts_on="2027-01-14",
            ends_on="2027-01-16",
            reason="Le camion part en révision le 11",
        )
        assert countered.status_code == 200, countered.text
        exchange(grenoble, lyon)
        assert loan(lyon, loan_id)["state"] == "countered"
        assert loan(lyon, loan_id)["proposed_starts_on"] == "2027-01-14"
        taken = act(lyon, loan_id, "accept_counter")
        assert taken.status_code == 200 and taken.json()["pending"] == "accept_counter"
        assert act(lyon, loan_id, "cancel", reason="x").status_code == 409  # one at a time
        exchange(lyon, grenoble)
        accepted = loan(grenoble, loan_id)
        assert accepted["state"] == "accepted"
        assert (accepted["starts_on"], accepted["ends_on"]) == ("2027-01-14", "2027-01-16")
        same_view(accepted, loan(lyon, loan_id))
        assert busy_seen_by(lyon, "grenoble") == [{"start": "2027-01-14", "end": "2027-01-16"}]

        for step, state in (("pick_up", "picked_up"), ("return", "returned")):
            assert act(grenoble, loan_id, step).status_code == 200
            exchange(grenoble, lyon)
            same_view(loan(grenoble, loan_id), loan(lyon, loan_id))
            assert loan(lyon, loan_id)["state"] == state
        history = [e["action"] for e in loan(lyon, loan_id)["history"]]
        assert history == ["request", "counter", "accept_counter", "pick_up", "return"]
        assert busy_seen_by(lyon, "grenoble") == []  # returned: free again
        # The borrower cannot act on a returned loan; the owner neither.
        assert act(lyon, loan_id, "cancel", reason="trop tard").status_code == 409
        assert act(grenoble, loan_id, "accept").status_code == 409


def test_a_loan_leaves_the_resources_edit_version_alone_and_peers_still_follow(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        url = f"/api/resources/{van['id']}"
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-02-01", "2027-02-03").json()["id"]
        exchange(lyon, grenoble)
        # Staff open the van's form, then a colleague accepts the loan: the edit still saves,
        # since the loan changed the shared busy periods, not the resource.
        opened = grenoble.client.get(url, headers=grenoble.staff).json()
        assert act(grenoble, loan_id, "accept").status_code == 200
        now = grenoble.client.get(url, headers=grenoble.staff).json()
        assert now["version"] == opened["version"]
        edited = grenoble.client.patch(
            url,
            json={"location": "Dépôt nord", "version": opened["version"]},
            headers=grenoble.staff,
        )
        assert edited.status_code == 200, edited.text
        # Each shared change still reaches the peer with a higher version than the last.
        assert busy_seen_by(lyon, "grenoble") == [{"start": "2027-02-01", "end": "2027-02-03"}]
        seen = lyon.client.get("/api/network/resources", headers=lyon.staff).json()["items"]
        assert [r["location"] for r in seen if r["id"] == van["id"]] == ["Dépôt nord"]
        with make_sessionmaker(grenoble.engine)() as session:
            versions = session.scalars(
                select(FedEntry.version)
                .where(FedEntry.kind == "resource", FedEntry.record_id == van["id"])
                .order_by(FedEntry.seq)
            ).all()
        assert len(versions) == 3 and versions == sorted(set(versions))


def test_two_overlapping_loans_are_never_both_accepted(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble", "annecy") as (lyon, grenoble, annecy):
        desk = lendable(grenoble, "Console son 32 voies")
        lyon.pull("grenoble")
        annecy.pull("grenoble")
        first = ask(lyon, "grenoble", desk["id"], "2027-03-01", "2027-03-05").json()["id"]
        second = ask(annecy, "grenoble", desk["id"], "2027-03-04", "2027-03-08").json()["id"]
        apart = ask(annecy, "grenoble", desk["id"], "2027-03-06", "2027-03-08").json()["id"]
        exchange(lyon, annecy, grenoble)
        ids = (first, second, apart)
        assert {loan(grenoble, i)["state"] for i in ids} == {"requested"}

        # Two staff members accept the two overlapping requests at the same moment.
        barrier = threading.Barrier(2)
        answers: dict[str, int] = {}

        def accept(loan_id: str) -> None:
            version = loan(grenoble, loan_id)["version"]
            barrier.wait(timeout=10)
            response = grenoble.client.post(
                f"/api/loans/{loan_id}/actions",
                json={"action": "accept", "version": version},
                headers=grenoble.staff,
            )
            answers[loan_id] = response.status_code

        threads = [threading.Thread(target=accept, args=(i,)) for i in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(answers.values()) == [200, 409], answers
        winner = first if answers[first] == 200 else second
        loser = second if winner == first else first
        assert loan(grenoble, loser)["state"] == "declined"  # declined with the acceptance
        refused = act(grenoble, loser, "accept")
        assert refused.status_code == 409
        assert act(grenoble, apart, "accept").status_code == 200 or winner == second
        exchange(grenoble, lyon, annecy)
        holding = [i for i in ids if loan(grenoble, i)["state"] in ("accepted", "picked_up")]
        periods = sorted(
            (loan(grenoble, i)["starts_on"], loan(grenoble, i)["ends_on"]) for i in holding
        )
        for (_s1, e1), (s2, _e2) in itertools.pairwise(periods):
            assert e1 < s2, periods  # no two holding loans overlap
        for bureau in (lyon, annecy):
            for i in ids:
                mirrored = bureau.client.get(f"/api/loans/{i}", headers=bureau.staff)
                if mirrored.status_code == 200:
                    same_view(loan(grenoble, i), mirrored.json())


def test_a_duplicate_or_misdirected_message_changes_nothing(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble", "annecy") as (lyon, grenoble, _annecy):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-02-01", "2027-02-02").json()["id"]
        exchange(lyon, grenoble)
        before = loan(grenoble, loan_id)
        message = stored_message(grenoble, "loan.request")
        # The same request again, straight into the handler: nothing changes.
        handler = handler_of(grenoble, "loan.request")
        with grenoble.federation._sessions() as session, session.begin():
            handler(session, message)
        assert loan(grenoble, loan_id) == before
        # A state about lyon's loan claimed by annecy: refused, lyon's loan untouched.
        state_handler = handler_of(lyon, "loan.state")
        forged = message.model_copy(
            update={
                "sender": "annecy",
                "kind": "loan.state",
                "body": {
                    "loan_id": loan_id,
                    "revision": 99,
                    "resource_id": van["id"],
                    "state": "accepted",
                    "starts_on": "2027-02-01",
                    "ends_on": "2027-02-02",
                },
            }
        )
        with (
            pytest.raises(Forbidden, match="belongs to 'grenoble'"),
            lyon.federation._sessions() as session,
            session.begin(),
        ):
            state_handler(session, forged)
        assert loan(lyon, loan_id)["state"] == "requested"
        assert loan(lyon, loan_id)["revision"] == 1


def test_a_request_waits_in_the_outbox_while_the_owner_is_unreachable(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        lyon.transport.down.add("grenoble.test")  # grenoble goes offline
        try:
            loan_id = ask(lyon, "grenoble", van["id"], "2027-04-01", "2027-04-03").json()["id"]
            lyon.federation.exchange_messages()
            with lyon.engine.connect() as conn:
                row = conn.execute(select(FedOutbox).where(FedOutbox.kind == "loan.request")).one()
            assert row.delivered_at is None and row.attempts == 1 and row.last_error
            assert loan(lyon, loan_id)["delivered"] is False
        finally:
            lyon.transport.down.discard("grenoble.test")  # back online
        with lyon.engine.begin() as conn:  # its backoff is over
            conn.execute(FedOutbox.__table__.update().values(next_attempt_at=None))
        exchange(lyon, grenoble)
        exchange(lyon, grenoble)  # delivered again? the idempotency key says no
        with grenoble.engine.connect() as conn:
            assert conn.execute(select(Loan.id)).scalars().all() == [loan_id]
            kinds = conn.execute(select(FedInbox.kind)).scalars().all()
        assert kinds.count("loan.request") == 1
        assert loan(lyon, loan_id)["delivered"] is True
        same_view(loan(grenoble, loan_id), loan(lyon, loan_id))


def test_bad_loan_requests_are_refused_with_what_is_wrong(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble", "annecy") as (lyon, grenoble, _annecy):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        backwards = ask(lyon, "grenoble", van["id"], "2027-01-12", "2027-01-10")
        assert backwards.status_code == 422
        assert "ends_on" in backwards.text
        unknown = ask(lyon, "grenoble", "nope", "2027-01-10", "2027-01-12")
        assert unknown.status_code == 400
        assert unknown.json()["errors"][0]["field"] == "body.resource_id"
        not_peer = ask(lyon, "annecy", van["id"], "2027-01-10", "2027-01-12")
        assert not_peer.status_code == 400 and "not a peer" in not_peer.text
        own = ask(grenoble, "grenoble", van["id"], "2027-01-10", "2027-01-12")
        assert own.status_code == 400
        loan_id = ask(lyon, "grenoble", van["id"], "2027-01-10", "2027-01-12").json()["id"]
        no_reason = act(lyon, loan_id, "cancel")
        assert no_reason.status_code == 422 and "reason" in no_reason.text
        unversioned = lyon.client.post(
            f"/api/loans/{loan_id}/actions",
            json={"action": "cancel", "reason": "x"},
            headers=lyon.staff,
        )
        assert unversioned.status_code == 428
        assert act(lyon, loan_id, "accept").status_code == 409  # the owner decides
        assert lyon.client.get("/api/loans/unknown", headers=lyon.staff).status_code == 404
        anonymous = lyon.client.get("/api/loans")
        assert anonymous.status_code == 401


def test_an_accept_of_an_outdated_counter_offer_is_refused(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-01-10", "2027-01-12").json()["id"]
        exchange(lyon, grenoble)
        act(grenoble, loan_id, "counter", starts_on="2027-01-14", ends_on="2027-01-15")
        exchange(grenoble, lyon)
        assert act(lyon, loan_id, "accept_counter").status_code == 200
        # Before the acceptance arrives, the owner changes its mind again.
        act(grenoble, loan_id, "counter", starts_on="2027-06-01", ends_on="2027-06-20")
        exchange(lyon, grenoble)
        owner_view = loan(grenoble, loan_id)
        assert owner_view["state"] == "countered"
        assert owner_view["proposed_starts_on"] == "2027-06-01"
        assert owner_view["history"][-1]["action"] == "refused"
        same_view(owner_view, loan(lyon, loan_id))
        assert loan(lyon, loan_id)["pending"] == ""


def test_an_inbox_cancel_waits_for_a_staff_acceptance_and_sees_it(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    """The borrower's cancel and the owner's acceptance race: the cancel is applied after the
    acceptance, on the loan as the acceptance left it (no stale read, no lost revision)."""
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-01-10", "2027-01-12").json()["id"]
        exchange(lyon, grenoble)
        assert act(lyon, loan_id, "cancel", reason="Plus besoin").status_code == 200
        lyon.federation.exchange_messages()  # the cancel waits in grenoble's inbox
        staff = grenoble.client.app.state.sessions  # type: ignore[attr-defined]
        exchange_of = grenoble.client.app.state.exchange  # type: ignore[attr-defined]
        holding = staff()
        holding.begin()
        loans_service.act(
            holding,
            exchange_of,
            actor=STAFF,
            loan_id=loan_id,
            data=LoanActionCreate(action=LoanAction.accept),
            expected_version=loan(grenoble, loan_id)["version"],
        )
        inbox = threading.Thread(target=grenoble.federation.exchange_messages)
        inbox.start()
        inbox.join(timeout=1.0)  # it waits for the staff transaction's locks
        holding.commit()
        holding.close()
        inbox.join(timeout=30)
        assert not inbox.is_alive()
        owner_view = loan(grenoble, loan_id)
        assert [e["action"] for e in owner_view["history"]] == ["request", "accept", "cancel"]
        assert owner_view["state"] == "cancelled" and owner_view["revision"] == 3
        exchange(grenoble, lyon)
        same_view(owner_view, loan(lyon, loan_id))


def test_a_request_the_owner_never_received_can_be_taken_back(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        lyon.transport.down.add("grenoble.test")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-04-01", "2027-04-03").json()["id"]
        lyon.federation.exchange_messages()
        assert loan(lyon, loan_id)["pending"] == "request"
        taken_back = act(lyon, loan_id, "cancel", reason="Trouvé ailleurs")
        assert taken_back.status_code == 200, taken_back.text
        assert taken_back.json()["state"] == "cancelled" and taken_back.json()["pending"] == ""
        lyon.transport.down.discard("grenoble.test")
        with lyon.engine.begin() as conn:
            conn.execute(FedOutbox.__table__.update().values(next_attempt_at=None))
        exchange(lyon, grenoble)
        assert (
            grenoble.client.get(f"/api/loans/{loan_id}", headers=grenoble.staff).status_code == 404
        )


def test_an_action_on_a_loan_the_owner_lost_ends_it_at_the_borrower(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-05-01", "2027-05-03").json()["id"]
        exchange(lyon, grenoble)
        assert act(grenoble, loan_id, "accept").status_code == 200
        exchange(grenoble, lyon)
        # Grenoble restores a backup older than the loan: it no longer holds it.
        with grenoble.engine.begin() as conn:
            conn.execute(Loan.__table__.delete().where(Loan.__table__.c.id == loan_id))
        assert act(lyon, loan_id, "cancel", reason="Plus besoin").status_code == 200
        exchange(lyon, grenoble)
        ended = loan(lyon, loan_id)
        assert (ended["state"], ended["pending"]) == ("cancelled", "")
        assert (ended["reason_code"], ended["reason"]) == (loans_service.UNKNOWN_AT_OWNER, "")
        assert [e["action"] for e in ended["history"]][-1] == "unknown"
        # The same answer again changes nothing; nor does one from another bureau.
        message = stored_message(lyon, "loan.unknown")
        handler = handler_of(lyon, "loan.unknown")
        with lyon.federation._sessions() as session, session.begin():
            handler(session, message)
        assert loan(lyon, loan_id) == ended
        forged = message.model_copy(update={"sender": "annecy"})
        with (
            pytest.raises(Forbidden, match="belongs to 'grenoble'"),
            lyon.federation._sessions() as session,
            session.begin(),
        ):
            handler(session, forged)
        # The loan's page says why it ended.
        with browser(lyon) as pages:
            page = pages.get(f"/prets/{loan_id}")
        assert page.status_code == 200
        assert "Prêt inconnu du bureau propriétaire" in page.text
        assert "Le bureau propriétaire ne connaît pas ce prêt." in page.text
        assert loans_service.UNKNOWN_AT_OWNER not in page.text  # the code, never shown


def test_an_action_whose_request_waits_in_the_inbox_waits_for_it(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-06-01", "2027-06-02").json()["id"]
        lyon.federation.exchange_messages()  # delivered to grenoble's inbox, not handled yet
        with grenoble.engine.connect() as conn:
            assert conn.execute(select(FedInbox.state)).scalars().all() == ["pending"]
        request = stored_message(grenoble, "loan.request")
        action = request.model_copy(
            update={
                "kind": "loan.action",
                "idempotency_key": f"loan.action:{loan_id}:0:cancel",
                "body": {"loan_id": loan_id, "action": "cancel", "seen_revision": 0},
            }
        )
        handler = handler_of(grenoble, "loan.action")
        # Its request failed once and waits for a retry: the action fails too (and is
        # retried after it), rather than answering that the loan is unknown.
        with (
            pytest.raises(Conflict, match="not handled yet"),
            grenoble.federation._sessions() as session,
            session.begin(),
        ):
            handler(session, action)
        with grenoble.engine.connect() as conn:
            assert (
                conn.execute(select(FedOutbox.id).where(FedOutbox.kind == "loan.unknown")).all()
                == []
            )
        exchange(grenoble, lyon)
        assert loan(grenoble, loan_id)["state"] == "requested"


def test_loans_are_for_staff_and_for_periods_not_over(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        past = ask(lyon, "grenoble", van["id"], "2020-01-01", "2020-01-02")
        assert past.status_code == 422
        assert [e["code"] for e in past.json()["errors"]] == [STARTS_IN_PAST]
        someone = lyon.client.post(
            "/api/members", json={"display_name": "Sociétaire"}, headers=lyon.staff
        ).json()
        with make_sessionmaker(lyon.engine)() as db, db.begin():
            token = accounts.create_token(db, role=Role.member, member_id=someone["id"]).token
        member = {"Authorization": f"Bearer {token}"}
        assert lyon.client.get("/api/loans", headers=member).status_code == 403
        assert lyon.client.get("/api/hosting/offers", headers=member).status_code == 403


def test_accepting_a_loan_declines_the_requests_it_overlaps_and_tells_their_borrowers(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble", "annecy") as (lyon, grenoble, annecy):
        desk = lendable(grenoble, "Console son 32 voies")
        lyon.pull("grenoble")
        annecy.pull("grenoble")
        chosen = ask(lyon, "grenoble", desk["id"], "2027-03-01", "2027-03-05").json()["id"]
        loser = ask(annecy, "grenoble", desk["id"], "2027-03-04", "2027-03-08").json()["id"]
        apart = ask(annecy, "grenoble", desk["id"], "2027-03-06", "2027-03-08").json()["id"]
        exchange(lyon, annecy, grenoble)
        assert act(grenoble, chosen, "accept").status_code == 200
        declined = loan(grenoble, loser)
        assert (declined["state"], declined["reason_code"]) == ("declined", "overlap_accepted")
        assert declined["reason"] == ""
        assert declined["history"][-1]["action"] == "decline"
        assert loan(grenoble, apart)["state"] == "requested"  # no day in common: still open
        exchange(grenoble, lyon, annecy)
        told = loan(annecy, loser)
        assert (told["state"], told["pending"]) == ("declined", "")
        same_view(declined, told)

        # The borrower's acceptance of a counter-offer declines what it overlaps too.
        counter = act(grenoble, apart, "counter", starts_on="2027-03-20", ends_on="2027-03-22")
        assert counter.status_code == 200
        late = ask(lyon, "grenoble", desk["id"], "2027-03-21", "2027-03-24").json()["id"]
        exchange(grenoble, annecy, lyon)
        assert act(annecy, apart, "accept_counter").status_code == 200
        exchange(annecy, grenoble, lyon)
        assert loan(grenoble, apart)["state"] == "accepted"
        assert (loan(lyon, late)["state"], loan(lyon, late)["reason_code"]) == (
            "declined",
            "overlap_accepted",
        )
        with browser(annecy) as pages:  # last: leaving it stops the bureau's federation
            page = pages.get(f"/prets/{loser}").text
        assert "le bureau propriétaire a accordé la ressource à une autre demande" in page
        assert "Bureau de Lyon" not in page and "lyon" not in page  # never to whom


def test_a_loan_starting_in_the_past_is_refused_and_nothing_is_stored(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        today = date.today()
        started = ask(
            lyon,
            "grenoble",
            van["id"],
            (today - timedelta(days=1)).isoformat(),
            (today + timedelta(days=5)).isoformat(),
        )
        assert started.status_code == 422, started.text
        problem = started.json()
        assert problem["code"] == "invalid_request"
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            ("body.starts_on", STARTS_IN_PAST)
        ]
        with lyon.engine.connect() as conn:
            assert conn.execute(select(Loan.id)).all() == []
            assert conn.execute(select(FedOutbox.id)).all() == []
        # Starting today is fine; so is a counter-offer, but not one starting yesterday.
        loan_id = ask(lyon, "grenoble", van["id"], today.isoformat(), today.isoformat()).json()[
            "id"
        ]
        exchange(lyon, grenoble)
        late = act(
            grenoble,
            loan_id,
            "counter",
            starts_on=(today - timedelta(days=1)).isoformat(),
            ends_on=today.isoformat(),
        )
        assert late.status_code == 422
        assert [e["code"] for e in late.json()["errors"]] == [STARTS_IN_PAST]
        assert loan(grenoble, loan_id)["state"] == "requested"
        with browser(lyon) as pages:  # last: leaving it stops the bureau's federation
            form_url = f"/prets/demander/grenoble/{van['id']}"
            form = pages.get(form_url)
            refused = pages.post(
                form_url,
                data={
                    "csrf_token": csrf_of(form.text),
                    "starts_on": (today - timedelta(days=1)).isoformat(),
                    "ends_on": (today + timedelta(days=5)).isoformat(),
                    "purpose": "Résidence",
                    "contact": "Inès",
                },
            )
        assert refused.status_code == 422
        assert "Un prêt ne peut pas commencer avant aujourd&#39;hui." in refused.text
        with lyon.engine.connect() as conn:  # the refused form stored nothing either
            assert conn.execute(select(Loan.id)).scalars().all() == [loan_id]
