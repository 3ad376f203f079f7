"""Login rate limiting: failures per account and address lock out with 429 and Retry-After."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import NodeHarness
from node.actors import Role
from node.app import create_app
from node.federated import node_jobs
from node.models import LoginFailure
from node.problems import TooManyRequests, Unauthenticated
from node.services import logins
from tests.web.pages import PASSWORD, csrf_of, make_account

LIMIT = 5  # the default of security.login_max_failures


def _api_login(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    return response.status_code


def test_failed_api_logins_lock_the_account_out_from_that_address_only(
    node: NodeHarness,
) -> None:
    """Five wrong passwords, then even the right one gets a 429 problem with Retry-After;
    another address and another account are not affected."""
    make_account(node, "claire", Role.staff)
    make_account(node, "paul", Role.staff)
    attacker = TestClient(node.app, client=("203.0.113.7", 4000))
    assert [_api_login(attacker, "claire", "wrong") for _ in range(LIMIT)] == [401] * LIMIT
    refused = attacker.post("/api/auth/login", json={"username": "claire", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    retry = int(refused.headers["Retry-After"])
    assert 0 < retry <= node.settings.security.login_window
    assert problem["retry_after"] == retry
    assert "set-cookie" not in refused.headers
    # The username is folded as at login: `Claire ` is the same account.
    assert _api_login(attacker, " Claire", PASSWORD) == 429
    assert _api_login(attacker, "paul", PASSWORD) == 200
    office = TestClient(node.app, client=("198.51.100.20", 4000))
    assert _api_login(office, "claire", PASSWORD) == 200


def test_a_success_clears_the_failures(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app, client=("203.0.113.8", 4000))
    for _ in range(2):
        assert [_api_login(client, "claire", "wrong") for _ in range(LIMIT - 1)] == [401] * (
            LIMIT - 1
        )
        assert _api_login(client, "claire", PASSWORD) == 200


def test_unknown_usernames_are_counted_like_known_ones(node: NodeHarness) -> None:
    """No difference that would tell an attacker which usernames exist."""
    client = TestClient(node.app, client=("203.0.113.9", 4000))
    codes = [_api_login(client, "nobody", "wrong") for _ in range(LIMIT + 1)]
    assert codes == [401] * LIMIT + [429]


def test_the_count_is_shared_by_every_process_of_the_node(node: NodeHarness) -> None:
    """Two apps on one database (two web processes) see the same failures."""
    make_account(node, "claire", Role.staff)
    other_process = create_app(node.settings, engine=node.engine)
    first = TestClient(node.app, client=("203.0.113.10", 4000))
    second = TestClient(other_process, client=("203.0.113.10", 4000))
    for i in range(LIMIT):
        assert _api_login(first if i % 2 else second, "claire", "wrong") == 401
    assert _api_login(second, "claire", PASSWORD) == 429
    assert _api_login(first, "claire", PASSWORD) == 429


def test_the_login_page_is_limited_too_and_says_so_in_french(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    browser = TestClient(node.app, client=("203.0.113.11", 4000))
    page = browser.get("/connexion")
    form = {"username": "claire", "password": "faux", "csrf_token": csrf_of(page.text)}
    codes = [browser.post("/connexion", data=form).status_code for _ in range(LIMIT)]
    assert codes == [401] * LIMIT
    refused = browser.post("/connexion", data=form | {"password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Trop de tentatives" in refused.text
    assert "archipel_session" not in refused.headers.get("set-cookie", "")
    # The API and the page share one count.
    assert _api_login(browser, "claire", PASSWORD) == 429


def test_the_window_slides_and_retry_after_names_when_the_oldest_failure_expires(
    node: NodeHarness,
) -> None:
    make_account(node, "claire", Role.staff)
    limit = logins.LoginLimit(max_failures=3, window=600)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def attempt(password: str, minutes: float) -> None:
        logins.log_in(
            node.sessions,
            username="claire",
            password=password,
            address="192.0.2.1",
            limit=limit,
            days=1,
            now=start + timedelta(minutes=minutes),
        )

    for minute in (0, 2, 4):
        with contextlib.suppress(Unauthenticated):
            attempt("wrong", minute)
    try:
        attempt(PASSWORD, 5)
    except TooManyRequests as exc:
        assert exc.retry_after == 5 * 60  # the failure at minute 0 expires at minute 10
    else:
        raise AssertionError("a fourth attempt within the window was let through")
    attempt(PASSWORD, 10)  # the oldest failure expired: allowed, and the count is cleared


def test_a_limit_of_zero_turns_the_lockout_off(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    limit = logins.LoginLimit(max_failures=0, window=600)
    for _ in range(LIMIT + 2):
        with contextlib.suppress(Unauthenticated):
            logins.log_in(
                node.sessions,
                username="claire",
                password="wrong",
                address="192.0.2.2",
                limit=limit,
                days=1,
            )
    logins.log_in(
        node.sessions,
        username="claire",
        password=PASSWORD,
        address="192.0.2.2",
        limit=limit,
        days=1,
    )


def test_the_nodes_job_forgets_expired_failures_of_every_key(node: NodeHarness) -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with node.sessions() as db, db.begin():
        db.add_all(
            [
                LoginFailure(key="a" * 64, nonce="old", expires_at=now - timedelta(seconds=1)),
                LoginFailure(key="b" * 64, nonce="old", expires_at=now),
                LoginFailure(key="b" * 64, nonce="live", expires_at=now + timedelta(seconds=1)),
            ]
        )
    jobs = {job.name: job for job in node_jobs(node.settings, node.sessions, clock=now.timestamp)}
    jobs["login-failures"].run()
    with node.sessions() as db:
        assert db.execute(select(LoginFailure.key, LoginFailure.nonce)).all() == [
            ("b" * 64, "live")
        ]
