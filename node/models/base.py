"""The declarative base and column helpers shared by every node table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# One naming convention and one timestamp type for the node's tables and the federation
# engine's: the migrations and the schema comparison treat them alike.
from federation.columns import NAMING, JSONType, UTCDateTime


def new_id() -> str:
    """A new stable record id (UUID, 32 hex digits)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of the node's own tables (the federation package has its own metadata)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


__all__ = ["Base", "JSONType", "UTCDateTime", "new_id", "utcnow"]
