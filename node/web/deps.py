"""What the pages depend on: who is looking, the CSRF check of forms, posted fields."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from node.actors import Actor, Role
from node.api.deps import SESSION_COOKIE, Db
from node.models import Account
from node.problems import DomainError, Forbidden, Unauthenticated
from node.services import accounts

# Pages an account that must change its password may still open.
FIRST_RUN_PATHS = frozenset({"/bienvenue", "/mot-de-passe", "/deconnexion", "/langue"})


class Redirect(DomainError):
    """Send the browser elsewhere (to log in, or to change a first password)."""

    status = 303
    title = "See Other"

    def __init__(self, location: str) -> None:
        super().__init__(f"see {location}")
        self.location = location


@dataclass(frozen=True)
class Viewer:
    """The logged-in person looking at a page (plain values: pages outlive the transaction)."""

    account_id: str
    username: str
    must_change_password: bool
    csrf_token: str
    actor: Actor

    @property
    def is_staff(self) -> bool:
        return self.actor.can(Role.staff)

    @property
    def is_admin(self) -> bool:
        return self.actor.can(Role.admin)


def optional_viewer(request: Request, db: Db) -> Viewer | None:
    """The viewer when a valid login cookie comes with the request, else None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        account, login = accounts.session_account(db, cookie)
    except Unauthenticated:
        return None
    viewer = Viewer(
        account.id,
        account.username,
        account.must_change_password,
        login.csrf_token,
        accounts.actor_for_account(account),
    )
    request.state.viewer = viewer
    request.state.csrf = login.csrf_token
    return viewer


def current_viewer(
    request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]
) -> Viewer:
    """The viewer; the login page when nobody is, the first-run page when a password is due."""
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Redirect(f"/connexion?suivant={quote(target, safe='')}")
    if viewer.must_change_password and request.url.path not in FIRST_RUN_PATHS:
        raise Redirect("/bienvenue")
    return viewer


def account_of(db: Session, viewer: Viewer) -> Account:
    """The viewer's account row, in this request's transaction."""
    account = db.get(Account, viewer.account_id)
    if account is None:
        raise Unauthenticated(
            "the account of this session no longer exists", code="session_expired"
        )
    return account


def staff_viewer(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if not viewer.is_staff:
        raise Forbidden("reserved to the bureau's staff", code="staff_only")
    return viewer


def admin_viewer(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if not viewer.is_admin:
        raise Forbidden("reserved to administrators", code="admin_only")
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]
StaffViewer = Annotated[Viewer, Depends(staff_viewer)]
AdminViewer = Annotated[Viewer, Depends(admin_viewer)]


async def posted_form(request: Request) -> FormData:
    """The posted form fields (read once, before the synchronous route runs)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


def check_csrf(form: FormData, expected: str) -> None:
    """Refuse a form whose hidden `csrf_token` does not match the one this page gave out."""
    given = form.get("csrf_token")
    if not isinstance(given, str) or not expected or not hmac.compare_digest(given, expected):
        raise Forbidden(
            "the form expired or does not come from this site; reload the page",
            code="form_expired",
        )


def safe_next(target: str | None) -> str:
    """A local path to go back to after login; anything else goes to the dashboard."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"
