"""`archipel backup` and `archipel restore`: the whole node in one file, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.cli.context import CliState
from node.services import backup as service


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Archive to write, e.g. lyon-2026-11-26.tar.gz.")],
) -> None:
    """Back up settings, keys and a consistent copy of the database (safe while serving)."""
    state: CliState = ctx.obj
    written = service.backup(state.settings(), path)
    typer.echo(f"Backup written to {written} (it holds the private key: keep it safe).")


def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Archive written by `archipel backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Restore a backup over this node (stop the node first); it then resumes syncing."""
    state: CliState = ctx.obj
    settings = state.settings()
    if not yes and not typer.confirm(
        f"Replace the data of node {settings.node.slug!r} with {path}?"
    ):
        raise typer.Exit(1)
    state.close()
    typer.echo(f"{service.restore(settings, path).capitalize()} from {path}.")
