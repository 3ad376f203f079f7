"""Licence numbers of entrepreneurs de spectacles vivants, as the register prints them.

Accepted (case and spaces around dashes do not matter; several numbers separated by `,`, `;`
or `/`, as a venue holding several categories writes them):

- the PLATESV receipt since 1 October 2019: `PLATESV-D-2021-001234` (déclaration) or
  `PLATESV-R-2021-001234` (récépissé);
- its short form: `L-D-21-1234` / `L-R-21-1234`;
- a licence granted before 2019, printed until it lapses: `1-1234567`, `2-1234567`,
  `3-1234567` (the category, then the number).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

FORMATS = (
    re.compile(r"PLATESV-[DR]-\d{4}-\d{6}"),
    re.compile(r"L-[DR]-\d{2}-\d{1,6}"),
    re.compile(r"[123]-\d{7}"),
)
EXAMPLES = "PLATESV-R-2021-001234, L-R-21-1234 or a licence from before 2019 such as 2-1234567"
_SEPARATORS = re.compile(r"\s*[,;/]\s*")


def normalise(value: str) -> str:
    """The numbers of `value` in the register's spelling; '' stays ''. Raises ValueError
    (with `EXAMPLES`) when one of them is not a licence number."""
    value = value.strip()
    if not value:
        return ""
    numbers = []
    for part in _SEPARATORS.split(value):
        number = re.sub(r"\s*-\s*", "-", part.strip().upper())
        if not any(f.fullmatch(number) for f in FORMATS):
            raise ValueError(f"{part.strip()!r} is not a licence number (expected {EXAMPLES})")
        numbers.append(number)
    return ", ".join(numbers)


def is_valid(value: str | None) -> bool:
    """Whether `value` is one or more well-formed licence numbers (not empty)."""
    try:
        return bool(value and normalise(value))
    except ValueError:
        return False


def _checked(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        raise PydanticCustomError("licence_format", str(exc)) from None


LicenceNumber = Annotated[str, AfterValidator(_checked)]
OptionalLicenceNumber = Annotated[str | None, AfterValidator(_checked)]
