"""A GET reads beside a writer instead of queueing behind it; a write in a read fails at once,
and the few writes a read needs (a token's last use, a dashboard visit) still happen."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from node.actors import Role
from node.db import reading, writable
from node.models import ApiToken
from node.services import accounts
from tests.conftest import NodeHarness


def _member(node: NodeHarness, name: str) -> None:
    created = node.client.post(
        "/api/members",
        json={"display_name": name, "trades": ["Régie son"], "visibility": "network"},
        headers=node.headers("staff"),
    )
    assert created.status_code == 201, created.text


def _names(node: NodeHarness) -> list[str]:
    listed = node.client.get("/api/directory", headers=node.headers("staff"))
    assert listed.status_code == 200, listed.text
    return [item["display_name"] for item in listed.json()["items"]]


def test_a_get_answers_while_a_writer_holds_the_database(node: NodeHarness) -> None:
    _member(node, "Camille Martin")
    assert _names(node) == ["Camille Martin"]
    # A writer holds the database (on SQLite, its one write lock), as a pull applying a
    # page does: reads answer meanwhile, with what was committed before it.
    with node.sessions() as writer, writer.begin():
        accounts.create_token(writer, role=Role.staff)
        writer.flush()
        assert _names(node) == ["Camille Martin"]
        assert node.client.get("/api/members", headers=node.headers("staff")).status_code == 200
    _member(node, "Alix Durand")
    assert _names(node) == ["Alix Durand", "Camille Martin"]


def test_a_write_in_a_read_fails_and_the_connection_writes_again_after(
    node: NodeHarness,
) -> None:
    for _round in range(2):  # the pooled connection switches modes back and forth
        with pytest.raises(DBAPIError), reading(node.sessions) as session:
            accounts.create_token(session, role=Role.staff)
        with node.sessions() as session, session.begin():
            accounts.create_token(session, role=Role.staff)
    with node.sessions() as session:
        assert len(accounts.list_tokens(session)) == 2 + 2  # the fixture's two, and ours


def test_the_writes_a_read_needs_go_through_a_transaction_of_their_own(
    node: NodeHarness,
) -> None:
    with node.sessions() as session, session.begin():
        issued = accounts.create_token(session, role=Role.staff)
    used = node.client.get("/api/members", headers={"Authorization": f"Bearer {issued.token}"})
    assert used.status_code == 200, used.text
    with node.sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.id == issued.id))
        assert row is not None and row.last_used_at is not None
    # Outside a read, `writable` is the session itself.
    with node.sessions() as session, session.begin(), writable(session) as same:
        assert same is session
