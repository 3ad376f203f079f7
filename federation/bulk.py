"""Many rows into one table through the database driver, for the hot path of applying pages.

A pulled page writes thousands of rows (log entries, cards, tags, periods, index rows).
Through SQLAlchemy's executemany each row's parameters are built and processed one by one,
which cost more than the database's own work; here the statement is built once per table,
columns and dialect, and rows go to the driver as tuples: `executemany` on SQLite (one
prepared statement stepped per row), multi-row `VALUES` batches on PostgreSQL.

Values must be what the column's type would send: the columns' own bind processors are
applied (dates and timestamps on SQLite, for instance), except for JSON columns, whose value
the caller gives as JSON text already (often the canonical text it holds anyway), so that no
body is serialised twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Dialect, Table
from sqlalchemy.orm import Session

__all__ = ["insert_rows"]

_PG_PARAMETERS = 30_000
"""Bound parameters per PostgreSQL statement (its protocol allows 65,535)."""
_PG_ROWS = 1_000


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT `rows` (tuples in the order of `columns`) into `table`, in the session's
    transaction. JSON columns take JSON text; other values are processed as their type does."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = _processors(dialect, table, tuple(columns))
    if processors:
        rows = _processed(rows, processors)
    if dialect.name == "sqlite":
        connection.exec_driver_sql(_statement(dialect, table, tuple(columns), 1), list(rows))
        return
    per_statement = max(1, min(_PG_ROWS, _PG_PARAMETERS // len(columns)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        statement = _statement(dialect, table, tuple(columns), len(chunk))
        connection.exec_driver_sql(statement, tuple(value for row in chunk for value in row))


def _processed(
    rows: Sequence[Sequence[Any]], processors: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> list[tuple[Any, ...]]:
    """`rows` with their values processed; a value shared by consecutive rows (a batch's
    timestamp) is processed once."""
    last: dict[int, tuple[Any, Any]] = {}
    processed = []
    for row in rows:
        values = list(row)
        for index, process in processors:
            value = values[index]
            if value is None:
                continue
            seen = last.get(index)
            if seen is not None and seen[0] is value:
                values[index] = seen[1]
            else:
                values[index] = process(value)
                last[index] = (value, values[index])
        processed.append(tuple(values))
    return processed


@lru_cache(maxsize=64)
def _processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The bind processors of `columns` that change values, JSON columns left out."""
    found = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type.dialect_impl(dialect)
        if isinstance(column_type, JSON):
            continue
        process = column_type.bind_processor(dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)


@lru_cache(maxsize=256)
def _statement(dialect: Dialect, table: Table, columns: tuple[str, ...], rows: int) -> str:
    """`INSERT INTO table (columns) VALUES (...)`, with `rows` rows of driver placeholders."""
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES " + ", ".join([one] * rows)
