"""The local API's resource shapes: what the bureau owns and may lend to the network."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import StrictModel

LENDABLE_HELP = "Whether other bureaus of the network may see it and ask to borrow it."


class ResourceKind(StrEnum):
    equipment = "equipment"
    vehicle = "vehicle"
    room = "room"


class ResourceCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    kind: ResourceKind = ResourceKind.equipment
    description: str = Field("", max_length=10_000)
    location: str = Field("", max_length=200)
    lendable: bool = Field(False, description=LENDABLE_HELP)


class ResourceUpdate(StrictModel):
    """A partial update: only the fields present change."""

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: ResourceKind | None = None
    description: str | None = Field(None, max_length=10_000)
    location: str | None = Field(None, max_length=200)
    lendable: bool | None = Field(None, description=LENDABLE_HELP)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class ResourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    name: str
    kind: ResourceKind
    description: str
    location: str
    lendable: bool
    created_at: datetime
    updated_at: datetime
