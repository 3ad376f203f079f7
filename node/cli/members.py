"""`archipel member import|export`: members as CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from node.actors import Actor, Role
from node.cli.context import CliState, fail
from node.federated import wire
from node.services import member_csv

app = typer.Typer(help="Import and export members as CSV.", no_args_is_help=True)
CLI_ACTOR = Actor(name="cli", role=Role.admin)


@app.command("import")
def import_members(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8; , or ; separated).")],
) -> None:
    """Import members from CSV: all rows or none; every bad line and field is reported."""
    state: CliState = ctx.obj
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    rows, errors = member_csv.parse(text)
    if errors:
        for error in errors:
            print(f"{file}: {error}", file=sys.stderr)
        fail(f"{len(errors)} error(s) in {file}; nothing was imported")
    # The wired sessions carry the publisher: shared cards reach the replica and the log.
    wiring = wire(state.settings(), state.engine())
    try:
        with Progress(transient=True) as progress, wiring.sessions.begin() as session:
            task = progress.add_task("Importing members", total=len(rows))
            created, updated = member_csv.import_rows(
                session,
                actor=CLI_ACTOR,
                rows=rows,
                progress=lambda n: progress.advance(task, n),
            )
    finally:
        wiring.federation.stop()
    typer.echo(f"Imported {created} new member(s), updated {updated}.")


@app.command("export")
def export_members(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")
    ] = None,
) -> None:
    """Export every member as CSV (UTF-8 with BOM), private fields included."""
    state: CliState = ctx.obj
    with state.transaction() as session:
        text = member_csv.export(session)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}.", err=True)
