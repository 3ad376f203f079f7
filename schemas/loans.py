"""Loans of lendable resources between bureaus: the local API's shapes and the messages the
two bureaus exchange (`loan.request`, `loan.action`, `loan.state`).

The owner of the resource is authoritative: the borrower asks and acts through messages, the
owner decides, and every change at the owner travels back as a full `loan.state` snapshot
with a growing `revision`, so both sides show the same loan at every step.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.common import StrictModel, refusal

KIND_LOAN_REQUEST = "loan.request"
KIND_LOAN_ACTION = "loan.action"
KIND_LOAN_STATE = "loan.state"
KIND_LOAN_UNKNOWN = "loan.unknown"

MAX_LOAN_DAYS = 366
# The error code (API field error and page message) of a loan asked to start before today.
STARTS_IN_PAST = "loan_starts_in_past"


def not_started(starts_on: date | None) -> date | None:
    """A loan asked for (or proposed) must not start before today: the day has gone, and the
    owner could only decline it."""
    if starts_on is not None and starts_on < date.today():
        raise PydanticCustomError(
            STARTS_IN_PAST,
            "a loan cannot start in the past: starts_on is before today ({today})",
            {"today": date.today().isoformat()},
        )
    return starts_on


class LoanState(StrEnum):
    requested = "requested"
    countered = "countered"
    accepted = "accepted"
    declined = "declined"
    picked_up = "picked_up"
    returned = "returned"
    cancelled = "cancelled"


OPEN_STATES = frozenset({LoanState.requested, LoanState.countered})
# The states that hold the resource: two of them can never overlap for one resource.
HOLDING_STATES = frozenset({LoanState.accepted, LoanState.picked_up})
FINAL_STATES = frozenset({LoanState.declined, LoanState.returned, LoanState.cancelled})


class LoanAction(StrEnum):
    """What someone does to a loan. Owner: accept, decline, counter, pick_up, return, cancel.
    Borrower: accept_counter, cancel."""

    accept = "accept"
    decline = "decline"
    counter = "counter"
    accept_counter = "accept_counter"
    pick_up = "pick_up"
    give_back = "return"
    cancel = "cancel"


class Period(BaseModel):
    """Whole days, both ends included."""

    model_config = ConfigDict(extra="forbid")

    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        check_period(self.starts_on, self.ends_on)
        return self


def period_end(ends_on: date | None, info: ValidationInfo) -> date | None:
    """`ends_on` checked against the `starts_on` beside it, so a refusal names `ends_on`."""
    starts_on = info.data.get("starts_on")
    if starts_on is not None and ends_on is not None:
        check_period(starts_on, ends_on)
    return ends_on


def check_period(starts_on: date, ends_on: date) -> None:
    """Refuse a loan period that ends before it starts or lasts too long."""
    if ends_on < starts_on:
        raise refusal("period_ends_before_start", "ends_on must be on or after starts_on")
    if (ends_on - starts_on).days >= MAX_LOAN_DAYS:
        raise refusal(
            "loan_too_long", "a loan lasts at most {max_days} days", max_days=MAX_LOAN_DAYS
        )


class LoanRequestCreate(StrictModel):
    """Ask the bureau `owner` to lend its resource `resource_id` over a period."""

    owner: str = Field(min_length=1, max_length=40, description="The owning bureau's slug.")
    resource_id: str = Field(min_length=1, max_length=64)
    starts_on: date
    ends_on: date
    purpose: str = Field(min_length=1, max_length=2000)
    pickup_place: str = Field("", max_length=200)
    return_place: str = Field("", max_length=200)
    contact: str = Field(
        min_length=1, max_length=300, description="Who to call about this loan (name, phone)."
    )

    _not_started = field_validator("starts_on")(not_started)
    _period_end = field_validator("ends_on")(period_end)


class LoanActionCreate(StrictModel):
    """Act on a loan; `reason` is required to decline or cancel, the dates to counter."""

    action: LoanAction
    reason: str = Field("", max_length=2000)
    starts_on: date | None = None
    ends_on: date | None = None
    version: int | None = Field(
        None, description="The version you acted on; alternatively send `If-Match`."
    )

    _not_started = field_validator("starts_on")(not_started)
    _period_end = field_validator("ends_on")(period_end)

    @model_validator(mode="after")
    def _complete(self) -> LoanActionCreate:
        if self.action in (LoanAction.decline, LoanAction.cancel) and not self.reason.strip():
            raise refusal("reason_required", f"a reason is required to {self.action.value}")
        if self.action is LoanAction.counter and (self.starts_on is None or self.ends_on is None):
            raise refusal("counter_needs_dates", "a counter-offer needs starts_on and ends_on")
        return self


class LoanEvent(BaseModel):
    """One step of a loan's history, as the owner recorded it."""

    model_config = ConfigDict(extra="allow")

    at: datetime
    by: str = Field(description="The bureau that acted.")
    action: str
    state: LoanState
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = Field("", description="What a person typed, if anything.")
    reason_code: str = Field(
        "", max_length=40, description="What the owner's node says about this step (a slug)."
    )


class LoanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role: str = Field(description="`owner` when this bureau lends, `borrower` when it borrows.")
    owner: str
    borrower: str
    resource_id: str
    resource_name: str
    starts_on: date
    ends_on: date
    proposed_starts_on: date | None
    proposed_ends_on: date | None
    purpose: str
    pickup_place: str
    return_place: str
    contact: str
    state: LoanState
    reason: str = Field(description="What a person typed: a decline's reason, a message.")
    reason_code: str = Field(
        description="Why the node itself declined or cancelled (`period_taken` ...), or empty."
    )
    revision: int
    pending: str = Field(
        description="Borrower side: an action sent to the owner and not yet confirmed by it."
    )
    delivered: bool = Field(description="Whether the last message about it reached the peer.")
    offer_id: str | None
    history: list[LoanEvent]
    version: int
    created_at: datetime
    updated_at: datetime


class BusyPeriod(BaseModel):
    """A period a resource is lent: shown to the network without saying to whom."""

    model_config = ConfigDict(extra="allow")

    start: date
    end: date


# -- messages --------------------------------------------------------------------------------


class LoanRequestMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    loan_id: str = Field(min_length=8, max_length=64)
    resource_id: str = Field(min_length=1, max_length=64)
    starts_on: date
    ends_on: date
    purpose: str = Field(max_length=2000)
    pickup_place: str = Field("", max_length=200)
    return_place: str = Field("", max_length=200)
    contact: str = Field("", max_length=300)
    offer_id: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _period(self) -> LoanRequestMessage:
        check_period(self.starts_on, self.ends_on)
        return self


class LoanActionMessage(BaseModel):
    """A borrower's action: accept the owner's counter-offer, or cancel."""

    model_config = ConfigDict(extra="allow")

    loan_id: str = Field(min_length=8, max_length=64)
    action: LoanAction
    reason: str = Field("", max_length=2000)
    seen_revision: int = Field(ge=0, description="The owner's revision the borrower acted on.")


class LoanUnknownMessage(BaseModel):
    """The owner's answer to an action on a loan it does not hold (lost in a restore, say)."""

    model_config = ConfigDict(extra="allow")

    loan_id: str = Field(min_length=8, max_length=64)
    action: LoanAction = Field(description="The borrower's action that found no loan.")


class LoanStateMessage(BaseModel):
    """The owner's full view of a loan after a change."""

    model_config = ConfigDict(extra="allow")

    loan_id: str = Field(min_length=8, max_length=64)
    revision: int = Field(ge=1)
    resource_id: str
    resource_name: str = ""
    state: LoanState
    starts_on: date
    ends_on: date
    proposed_starts_on: date | None = None
    proposed_ends_on: date | None = None
    reason: str = ""
    reason_code: str = Field("", max_length=40)
    history: list[LoanEvent] = Field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
