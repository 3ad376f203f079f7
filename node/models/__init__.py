"""The node's tables, one aggregate per module."""

from node.models.accounts import Account, ApiToken, LoginFailure, LoginSession
from node.models.audit import AuditEvent
from node.models.base import Base
from node.models.budgets import BudgetLine
from node.models.compliance import ComplianceMark
from node.models.contracts import ContractDate, DocumentTemplate, OfficeSetting, SaleContract
from node.models.crm import Interaction, Prospection
from node.models.daysheets import DaySheet, DaySheetLink
from node.models.engagements import Engagement, PayGridRow
from node.models.feeds import FeedToken
from node.models.hints import ContactHint, NetworkContactHint
from node.models.loans import HostArea, HostingOffer, Loan, WebhookEvent
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
from node.models.visits import AccountVisit

__all__ = [
    "Account",
    "AccountVisit",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BudgetLine",
    "CardAvailability",
    "CardTag",
    "ComplianceMark",
    "Contact",
    "ContactHint",
    "ContractDate",
    "DaySheet",
    "DaySheetLink",
    "DirectoryCard",
    "DocumentTemplate",
    "Engagement",
    "FeedToken",
    "HostArea",
    "HostingOffer",
    "Interaction",
    "Loan",
    "LoginFailure",
    "LoginSession",
    "Member",
    "NetworkContactHint",
    "NetworkProduction",
    "NetworkResource",
    "NetworkTourDate",
    "NetworkVenue",
    "OfficeSetting",
    "Organisation",
    "PayGridRow",
    "Production",
    "Prospection",
    "Resource",
    "SaleContract",
    "TeamMember",
    "TourDate",
    "WebhookEvent",
]
