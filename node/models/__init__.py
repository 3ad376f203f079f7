"""The node's tables, one aggregate per module."""

from node.models.accounts import Account, ApiToken, LoginSession
from node.models.audit import AuditEvent
from node.models.base import Base
from node.models.members import Member
from node.models.organisations import Contact, Organisation
from node.models.productions import Production, TeamMember
from node.models.resources import Resource
from node.models.tourdates import TourDate

__all__ = [
    "Account",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Contact",
    "LoginSession",
    "Member",
    "Organisation",
    "Production",
    "Resource",
    "TeamMember",
    "TourDate",
]
