"""Create and edit forms: validate with the API's models, call the service, explain failures."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.problems import DomainError, Forbidden, NotFound, VersionConflict
from node.web.forms import Field, parse, validate
from node.web.i18n import N_
from node.web.templating import render, speaker

T = TypeVar("T")
CONFLICT = N_(
    "Quelqu'un d'autre a modifié cette fiche pendant que vous la modifiiez. Vos changements "
    "n'ont pas été enregistrés : rechargez la fiche pour voir sa version actuelle, puis "
    "refaites vos changements."
)


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
) -> Outcome[T]:
    """Parse `form`, validate it with `model`, and run `action` on the valid data."""
    _ = speaker(request).gettext
    values = parse(fields, form)
    values.update(extra or {})
    if versioned:
        values["version"] = posted_version(form)
    data, errors = validate(model, values, _)
    if data is None:
        return Outcome(None, values, errors)
    try:
        return Outcome(action(data), values)
    except VersionConflict:
        return Outcome(None, values, {"": _(CONFLICT)}, conflict=True)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        found = {e.field.removeprefix("body."): e.message for e in exc.errors}
        return Outcome(None, values, found or {"": exc.detail})


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
