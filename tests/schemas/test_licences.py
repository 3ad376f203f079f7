"""Licence numbers are checked against the formats the register of entrepreneurs prints."""

from __future__ import annotations

import pytest

from schemas.licences import is_valid, normalise


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("PLATESV-R-2021-001234", "PLATESV-R-2021-001234"),
        (" platesv-d-2019-000001 ", "PLATESV-D-2019-000001"),
        ("L-D-19-1172", "L-D-19-1172"),
        ("l-r-21 - 42", "L-R-21-42"),
        ("2-1056789", "2-1056789"),
        ("1-1056788, 2-1056789 / 3-1056790", "1-1056788, 2-1056789, 3-1056790"),
        ("", ""),
    ],
)
def test_each_format_of_the_register_is_accepted_and_spelt_as_printed(
    typed: str, stored: str
) -> None:
    assert normalise(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "n'importe quoi",
        "PLATESV-X-2021-001234",
        "PLATESV-R-21-001234",
        "4-1056789",
        "2-105678",
        "L-D-2019-1172",
        "PLATESV-R-2021-001234, rien",
    ],
)
def test_anything_else_is_refused_naming_the_accepted_formats(typed: str) -> None:
    with pytest.raises(ValueError, match="PLATESV-R-2021-001234, L-R-21-1234"):
        normalise(typed)
    assert not is_valid(typed)
