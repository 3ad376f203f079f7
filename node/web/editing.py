"""The pages' one form pipeline: parse a posted form, validate it with the API's model, call
the service, and explain a refusal in the reader's language next to the field concerned."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.problems import DomainError, Forbidden, NotFound, VersionConflict
from node.web.errors import field_errors, problem_errors
from node.web.forms import Field, money, parse
from node.web.templating import render, speaker

T = TypeVar("T")


def posted_version(form: FormData) -> int | None:
    """The record version a form was filled from (its hidden `version` field), if any."""
    raw = str(form.get("version", ""))
    return int(raw) if raw.isdigit() else None


@dataclass
class Outcome(Generic[T]):
    """What a submitted form gave: the saved record, or the values and errors to show again."""

    record: T | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False


def submit(
    request: Request,
    form: FormData,
    fields: Sequence[Field],
    model: type[BaseModel],
    action: Callable[[Any], T],
    *,
    versioned: bool = False,
    extra: Mapping[str, Any] | None = None,
    money_fields: Sequence[str] = (),
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    db: Session | None = None,
) -> Outcome[T]:
    """Parse `form`, validate it with `model`, and run `action` on the valid data.

    `money_fields` are amounts typed the French way; `prepare` turns the shown values into
    the model's (a percentage into a fraction, say). With `db`, the action runs in a
    savepoint: a refusal leaves nothing of it behind, even what the service had flushed
    before refusing. Forbidden and NotFound go on to the error page.
    """
    _ = speaker(request).gettext
    values = parse(fields, form)
    for name in money_fields:
        if isinstance(values.get(name), str):
            values[name] = money(values[name]) or None
    values.update(extra or {})
    if versioned:
        values["version"] = posted_version(form)
    shown = dict(values)
    try:
        data = model.model_validate(prepare(dict(values)) if prepare else values)
    except ValidationError as exc:
        return Outcome(None, shown, field_errors(exc, _))
    try:
        if db is None:
            return Outcome(action(data), shown)
        with db.begin_nested():
            return Outcome(action(data), shown)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        conflict = isinstance(exc, VersionConflict)
        return Outcome(None, shown, problem_errors(exc, _, shown), conflict=conflict)


def form_page(
    request: Request,
    *,
    title: str,
    fields: Sequence[Field],
    outcome_or_values: Outcome[Any] | Mapping[str, Any],
    action: str,
    cancel: str,
    version: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """The form page, with inline errors when a submission failed (status 422 or 409)."""
    status = 200
    if isinstance(outcome_or_values, Outcome):
        values, errors = outcome_or_values.values, outcome_or_values.errors
        status = 409 if outcome_or_values.conflict else 422
    else:
        values, errors = dict(outcome_or_values), {}
    context = {
        "title": title,
        "fields": fields,
        "values": values,
        "errors": errors,
        "action": action,
        "cancel": cancel,
        "version": version,
        **(extra or {}),
    }
    return render(request, "form.html", context, status_code=status)
