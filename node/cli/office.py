"""`archipel office …`: the production office's files — pay grids, the payroll export."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from node.actors import Actor, Role
from node.cli.context import CliState, fail
from node.services import engagements, paygrids, payroll

app = typer.Typer(help="Production office: pay grids and payroll export.", no_args_is_help=True)
CLI_ACTOR = Actor(name="cli", role=Role.admin)


@app.command("load-grid")
def load_grid(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Grid CSV (see `archipel office example-grid`).")],
) -> None:
    """Replace the bureau's minimum-pay grid with FILE (all rows or none)."""
    state: CliState = ctx.obj
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    with state.transaction() as session:
        report = paygrids.load_grid(session, actor=CLI_ACTOR, text=text)
    typer.echo(f"Loaded {report.rows} grid row(s).")
    if report.example:
        typer.echo(
            "warning: this grid is marked as an EXAMPLE: its figures are fictitious.", err=True
        )


@app.command("example-grid")
def example_grid() -> None:
    """Print the example grid (fictitious figures, to copy and fill in)."""
    sys.stdout.write(paygrids.example_grid())


@app.command("export-payroll")
def export_payroll(
    ctx: typer.Context,
    production: Annotated[str | None, typer.Option(help="Only this production's id.")] = None,
    since: Annotated[str | None, typer.Option(help="Working on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Working on or before YYYY-MM-DD.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default stdout.")] = None,
) -> None:
    """Export engagements for the payroll provider: one CSV row per contract."""
    state: CliState = ctx.obj
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError as exc:
        fail(f"dates are YYYY-MM-DD: {exc}")
    with state.transaction() as session:
        rows = engagements.list_engagements(
            session, production_id=production, date_from=start, date_to=end
        )
        text = payroll.export_csv(session, rows)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}.", err=True)
