"""How listing commands print: a table for people, one JSON object per line for scripts.

Off a terminal (piped, redirected, run from a script) rich would assume 80 columns and cut
cells to fit (`2027-…`); a table there is printed at its full width instead, one row per line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

# Wider than any row: rich sizes a table to its content, so no line is padded to this.
UNBOUNDED_WIDTH = 1_000_000

AsJson = Annotated[
    bool,
    typer.Option("--json", help="One JSON object per line, for scripts, instead of the table."),
]


def print_table(table: Table) -> None:
    """Print the table; on a terminal, long cells wrap; elsewhere, nothing is cut or wrapped."""
    for column in table.columns:
        column.overflow = "fold"
    width = None if sys.stdout.isatty() else UNBOUNDED_WIDTH
    Console(width=width).print(table)


def _plain(value: object) -> str:
    if isinstance(value, date):  # datetimes too: ISO 8601, with their UTC offset
        return value.isoformat()
    raise TypeError(f"a listing cannot hold a {type(value).__name__} in JSON")


def print_json_lines(rows: Iterable[Mapping[str, Any]]) -> None:
    """Print each row as one JSON object on its own line (JSON Lines, UTF-8)."""
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False, default=_plain))
