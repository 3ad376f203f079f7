"""Shapes of the network-wide queries: directory, tours, lendable resources."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from schemas.loans import BusyPeriod

T = TypeVar("T")


class DirectoryItem(BaseModel):
    """One member's card, from this bureau or another."""

    origin: str = Field(description="Slug of the bureau the member belongs to.")
    id: str
    own: bool = Field(description="True for this bureau's own members.")
    display_name: str
    city: str
    territory: str
    trades: list[str]
    skills: list[str]
    languages: list[str]
    visibility: str
    synced_at: datetime | None = Field(
        description="When this node last received data from the member's bureau."
    )


class DirectoryPage(BaseModel):
    items: list[DirectoryItem]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class NetworkTourDateItem(BaseModel):
    origin: str
    id: str
    own: bool
    production_id: str
    production_title: str
    starts_at: datetime
    timezone: str
    city: str
    venue_name: str
    status: str


class NetworkResourceItem(BaseModel):
    origin: str
    id: str
    own: bool
    name: str
    kind: str
    description: str
    location: str
    busy: list[BusyPeriod] = Field(
        default_factory=list, description="Periods it is lent (never to whom), from today on."
    )


class NetworkList(BaseModel, Generic[T]):
    """A page of a network-wide list."""

    items: list[T]
    next_cursor: str | None = None
