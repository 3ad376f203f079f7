"""A GET reads beside a writer instead of queueing behind it; a write in a read fails at once,
and the few writes a read needs (a token's last use, a dashboard visit) still happen."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from node.actors import Role
from node.db import READ_ONLY, reading, write_beside
from node.models import ApiToken, Member
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
    with node.engine.connect() as conn:  # one connection, switching modes back and forth
        for _round in range(2):
            conn.execution_options(**{READ_ONLY: True})
            with pytest.raises(DBAPIError), Session(bind=conn) as session, session.begin():
                accounts.create_token(session, role=Role.staff)
            conn.execution_options(**{READ_ONLY: False})
            with Session(bind=conn) as session, session.begin():
                accounts.create_token(session, role=Role.staff)
    with node.sessions() as session:
        assert len(accounts.list_tokens(session)) == 2 + 2  # the fixture's two, and ours


def test_the_writes_a_read_needs_go_through_a_transaction_of_their_own(
    node: NodeHarness,
) -> None:
    seen: list[bool] = []
    with node.sessions() as session, session.begin():
        issued = accounts.create_token(session, role=Role.staff)
    used = node.client.get("/api/members", headers={"Authorization": f"Bearer {issued.token}"})
    assert used.status_code == 200, used.text
    with node.sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.id == issued.id))
        assert row is not None and row.last_used_at is not None
    # Outside a read, the write runs in the session itself.
    with node.sessions() as session, session.begin():
        assert write_beside(session, lambda writing: seen.append(writing is session))
    assert seen == [True]
    # Beside a read, it gives up soon when a writer holds the database (SQLite's one lock,
    # or the row on PostgreSQL), and the read goes on.
    with node.sessions() as writer, writer.begin():
        writer.execute(update(ApiToken).where(ApiToken.id == issued.id).values(label="x"))
        with reading(node.sessions) as session:
            touch = update(ApiToken).where(ApiToken.id == issued.id).values(label="y")
            assert write_beside(session, lambda writing: writing.execute(touch)) is False
            assert session.scalar(select(func.count()).select_from(ApiToken)) == 3


def test_a_write_is_committed_before_its_answer_leaves(node: NodeHarness) -> None:
    """A client that reads right after an answer sees what the answer acknowledged (the page
    a form redirects to, say), on SQLite too, where reads no longer wait for writers."""
    held_at_answer: list[int] = []

    async def watched(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_after_looking(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                looking = node.engine.connect().execution_options(**{READ_ONLY: True})
                with looking as conn:
                    count = select(func.count()).select_from(Member)
                    held_at_answer.append(conn.execute(count).scalar_one())
            await send(message)

        await node.app(scope, receive, send_after_looking)

    created = TestClient(watched).post(
        "/api/members",
        json={"display_name": "Camille Martin", "visibility": "network"},
        headers=node.headers("staff"),
    )
    assert created.status_code == 201, created.text
    assert held_at_answer == [1]
