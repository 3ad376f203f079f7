"""Shapes shared by every API: problem details, pages of results, visibility."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")


class Visibility(StrEnum):
    """What leaves the bureau: nothing, the network's peers, or also the public web."""

    local = "local"
    network = "network"
    public = "public"


def refusal(code: str, message: str, **context: Any) -> PydanticCustomError:
    """A validator's refusal with a stable code: the error's `type`, hence `errors[].code` in
    the problem document and the key pages translate (raise it where a `ValueError` would
    only say `value_error`)."""
    return PydanticCustomError(code, message, context or None)


def _email(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        raise refusal("email_invalid", "value is not a valid email address") from exc


# An e-mail address whose refusal carries the code `email_invalid`.
Email = Annotated[EmailStr, WrapValidator(_email)]


class FieldError(BaseModel):
    """One invalid field of a request: where it is and what is wrong with it."""

    field: str = Field(description="Dotted path of the field at fault, e.g. `body.display_name`.")
    message: str
    code: str = Field(
        "invalid",
        description="A stable slug naming what is wrong (`missing`, `string_too_long`, "
        "`licence_format` ...): clients and pages switch on it, never on `message`.",
    )


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str | None = None
    code: str | None = Field(
        None, description="A stable slug naming the error; clients switch on it, never on text."
    )
    errors: list[FieldError] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    """A page of a list: its items, the total matching, and where the next page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(
        None, description="Offset of the next page, or null on the last page."
    )

    @classmethod
    def of(cls, items: list[T], *, total: int, limit: int, offset: int) -> Page[T]:
        """A page, with `next_offset` worked out from the total."""
        more = offset + limit < total
        return cls(
            items=items,
            total=total,
            limit=limit,
            offset=offset,
            next_offset=offset + limit if more else None,
        )


class StrictModel(BaseModel):
    """Base of request bodies: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
