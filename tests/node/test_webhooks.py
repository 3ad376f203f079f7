"""The bureau's webhook: loan events are stored in the transaction that causes them, posted
with an HMAC signature, retried with backoff when the other tool fails, parked at last."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from node.db import make_engine, make_sessionmaker
from node.federated import node_jobs
from node.migrations import upgrade
from node.models import WebhookEvent
from node.services import webhooks
from node.settings import Settings, load_settings
from tests.archipelago import line
from tests.node.test_loans import ask, lendable


class Follows:
    webhook = True


def test_events_are_posted_signed_and_retried(new_db_url: Callable[[str], str]) -> None:
    engine = make_engine(new_db_url("hooks"))
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    received: list[httpx.Request] = []
    answers = iter([503, 200])

    def tool(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(next(answers))

    try:
        with sessions() as db, db.begin():
            webhooks.record(db, Follows(), "loan.requested", {"id": "l1", "state": "requested"})
        post = dict(
            url="http://tool.test/hook",
            secret="s3cret",
            timeout=2,
            sender="lyon",
            transport=httpx.MockTransport(tool),
        )
        assert webhooks.deliver_once(sessions, **post) == 0  # 503: kept for later
        with sessions() as db:
            event = db.scalars(select(WebhookEvent)).one()
            assert event.attempts == 1 and event.last_error == "HTTP 503"
            assert event.next_attempt_at is not None
            assert event.next_attempt_at > datetime.now(UTC)
        assert webhooks.deliver_once(sessions, **post) == 0  # not due yet: nothing posted
        assert len(received) == 1
        with sessions() as db, db.begin():
            db.scalars(select(WebhookEvent)).one().next_attempt_at = datetime.now(UTC)
        assert webhooks.deliver_once(sessions, **post) == 1
        body = received[-1].content
        assert json.loads(body)["event"] == "loan.requested"
        assert json.loads(body)["data"] == {"id": "l1", "state": "requested"}
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert received[-1].headers["X-Archipel-Signature"] == f"sha256={expected}"
        assert webhooks.deliver_once(sessions, **post) == 0  # delivered once
        assert len(received) == 2
    finally:
        engine.dispose()


def test_an_unreachable_tool_is_given_up_after_the_last_attempt(
    new_db_url: Callable[[str], str],
) -> None:
    engine = make_engine(new_db_url("hooks"))
    upgrade(engine)
    sessions = make_sessionmaker(engine)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    try:
        with sessions() as db, db.begin():
            webhooks.record(db, Follows(), "loan.updated", {"id": "l2"})
        for _attempt in range(webhooks.MAX_ATTEMPTS):
            with sessions() as db, db.begin():
                db.scalars(select(WebhookEvent)).one().next_attempt_at = datetime.now(UTC)
            webhooks.deliver_once(
                sessions,
                url="http://tool.test/",
                secret="",
                timeout=1,
                sender="lyon",
                transport=httpx.MockTransport(down),
            )
        with sessions() as db:
            event = db.scalars(select(WebhookEvent)).one()
        assert event.attempts == webhooks.MAX_ATTEMPTS
        assert event.next_attempt_at is None and event.delivered_at is None
        assert "ConnectError" in (event.last_error or "")
    finally:
        engine.dispose()


def test_a_loan_request_records_an_event_only_when_a_webhook_is_set(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        assert ask(lyon, "grenoble", van["id"], "2027-01-01", "2027-01-02").status_code == 201
        with lyon.engine.connect() as conn:
            assert conn.execute(select(WebhookEvent.id)).all() == []
        state = lyon.client.app.state  # type: ignore[attr-defined]
        state.exchange = dataclasses.replace(state.exchange, webhook=True)
        assert ask(lyon, "grenoble", van["id"], "2027-02-01", "2027-02-02").status_code == 201
        with lyon.engine.connect() as conn:
            events = conn.execute(select(WebhookEvent.event, WebhookEvent.payload)).all()
        assert [(e, p["owner"], p["state"]) for e, p in events] == [
            ("loan.requested", "grenoble", "requested")
        ]


def test_the_nodes_job_posts_the_events_only_when_a_webhook_is_set(
    new_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    engine = make_engine(new_db_url("jobs"))
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    received: list[httpx.Request] = []

    def tool(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    def settings(**webhook: str) -> Settings:
        return load_settings(tmp_path, node={"slug": "lyon"}, webhook=webhook)

    try:
        with sessions() as db, db.begin():
            webhooks.record(db, Follows(), "loan.requested", {"id": "l1", "state": "requested"})
        transport = httpx.MockTransport(tool)
        unset = node_jobs(settings(), sessions, transport=transport)
        assert [job.name for job in unset] == ["login-failures"]
        jobs = node_jobs(settings(url="http://tool.test/hook"), sessions, transport=transport)
        webhook = next(job for job in jobs if job.name == "webhook")
        assert webhook.seconds == 0.5
        webhook.run()
        assert [json.loads(r.content)["event"] for r in received] == ["loan.requested"]
    finally:
        engine.dispose()
