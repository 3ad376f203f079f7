"""Who is acting: a role, a name for the audit trail, and the member they are, if any."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles, each including the rights of the ones below it: admin ⊇ staff ⊇ member."""

    member = "member"
    staff = "staff"
    admin = "admin"

    @property
    def rank(self) -> int:
        return {"member": 0, "staff": 1, "admin": 2}[self.value]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class Actor:
    """The authenticated caller of a service."""

    name: str
    role: Role
    member_id: str | None = None

    def can(self, role: Role) -> bool:
        return self.role.includes(role)


SYSTEM = Actor(name="system", role=Role.admin)
