"""Forms of the pages: field descriptions and parsing posted fields.

A page describes its form as a list of `Field`s; `parse` turns the posted strings into the
dict a pydantic model of `schemas/` validates; `node/web/errors.py` says what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.datastructures import FormData

Translate = Callable[[str], str]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Field:
    """One field of a form: its name (the model's), label, input kind and choices."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, select, checkbox, date, datetime, tags, lines, number
    choices: Sequence[tuple[str, str]] = ()
    required: bool = False
    help: str = ""
    optional_none: bool = False  # empty means null (e-mail, dates, URLs), not ""
    attrs: Mapping[str, str] = field(default_factory=dict)


def split_tags(raw: str) -> list[str]:
    """`son, lumière` → `["son", "lumière"]`: commas or new lines separate tags."""
    parts = raw.replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def parse(fields: Sequence[Field], form: FormData) -> dict[str, Any]:
    """The posted values, typed the way the models expect them."""
    values: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "checkbox":
            values[f.name] = raw is not None
        elif f.kind in ("tags", "lines"):
            values[f.name] = (
                split_tags(text) if f.kind == "tags" else [ln for ln in text.split() if ln]
            )
        elif f.kind == "number":
            values[f.name] = text or 0
        elif f.optional_none or f.kind in ("date", "datetime"):
            values[f.name] = text or None
        else:
            values[f.name] = text
    return values


def values_of(record: object, fields: Sequence[Field]) -> dict[str, Any]:
    """A record's current values, as a form shows them."""
    return {f.name: getattr(record, f.name, "") for f in fields}


def as_text(value: Any, kind: str) -> str:
    """A value as an input shows it (tags joined with commas, dates in ISO)."""
    if value is None:
        return ""
    if kind == "tags" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "datetime" and hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%dT%H:%M"))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def money(text: str) -> str:
    """`1 234,50` → `1234.50`: amounts as typed in France, for the models."""
    return text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
