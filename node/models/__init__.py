"""The node's tables, one aggregate per module."""

from node.models.accounts import Account, ApiToken, LoginSession
from node.models.audit import AuditEvent
from node.models.base import Base
from node.models.members import Member
from node.models.organisations import Contact, Organisation
from node.models.productions import Production, TeamMember
from node.models.replica import (
    CardAvailability,
    CardTag,
    DirectoryCard,
    NetworkProduction,
    NetworkResource,
    NetworkTourDate,
    NetworkVenue,
)
from node.models.resources import Resource
from node.models.tourdates import TourDate

__all__ = [
    "Account",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CardAvailability",
    "CardTag",
    "Contact",
    "DirectoryCard",
    "LoginSession",
    "Member",
    "NetworkProduction",
    "NetworkResource",
    "NetworkTourDate",
    "NetworkVenue",
    "Organisation",
    "Production",
    "Resource",
    "TeamMember",
    "TourDate",
]
