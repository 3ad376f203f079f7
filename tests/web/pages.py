"""Helpers of the page tests: log a browser-like TestClient in, read a form's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient

from conftest import NodeHarness
from node.actors import Role
from node.db import make_sessionmaker
from node.services import accounts
from tests.archipelago import Bureau

PASSWORD = "un-mot-de-passe-solide"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def make_account(
    node: NodeHarness,
    username: str,
    role: Role,
    *,
    member_id: str | None = None,
    must_change: bool = False,
) -> None:
    with node.sessions() as db, db.begin():
        accounts.create_account(
            db,
            username=username,
            password=PASSWORD,
            role=role,
            member_id=member_id,
            must_change_password=must_change,
        )


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a browser does."""
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@contextmanager
def browser(bureau: Bureau) -> Iterator[TestClient]:
    """A staff member logged in on `bureau`'s pages (a bureau of `tests.archipelago`)."""
    with make_sessionmaker(bureau.engine)() as db, db.begin():
        accounts.create_account(db, username="regie", password=PASSWORD, role=Role.staff)
    with TestClient(bureau.client.app) as client:
        login(client, "regie")
        yield client


def submit(
    client: TestClient, page: str, action: str, data: dict[str, str], code: int = 303
) -> httpx.Response:
    """Open `page`, post its form to `action` with the page's CSRF token, check the status."""
    token = csrf_of(client.get(page).text)
    response = client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)
    assert response.status_code == code, response.text
    return response
