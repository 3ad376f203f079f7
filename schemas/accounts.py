"""Shapes of login, the current account and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import StrictModel


class LoginRequest(StrictModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=500)


class LoginResult(BaseModel):
    username: str
    role: str
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` on writes made with the cookie.")
    expires_at: datetime
    must_change_password: bool


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=500)
    new_password: str = Field(min_length=10, max_length=500)


class Me(BaseModel):
    name: str
    role: str
    member_id: str | None


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    summary: str
    fields: list[str]
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Ids and counts only (a transition's `from`/`to`, a merge's moved rows).",
    )


class NodeInfo(BaseModel):
    slug: str
    name: str
    territory: str
    url: str
    software_version: str
