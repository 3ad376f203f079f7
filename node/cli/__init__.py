"""The `archipel` command: set up, serve and administer a bureau node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from federation.errors import FederationError
from node.cli import backup, demo, federation, loans, members, office, setup, tokens
from node.cli.context import CliState
from node.problems import DomainError


class ArchipelGroup(TyperGroup):
    """Turns a domain error raised by any command into one line on stderr and exit status 2."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(2) from exc
        except FederationError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc


app = typer.Typer(
    cls=ArchipelGroup,
    name="archipel",
    help="Archipel: one production bureau's node in the archipelago.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click errors: one line naming the fault, exit status 2.
    rich_markup_mode=None,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path,
        typer.Option(
            "--home",
            envvar="ARCHIPEL_HOME",
            help="The node's home folder (settings, keys, SQLite database).",
            show_default=True,
        ),
    ] = Path("var/node"),
) -> None:
    """Archipel: one production bureau's node in the archipelago."""
    ctx.obj = CliState(home=home)
    ctx.call_on_close(ctx.obj.close)


setup.register(app)
app.command()(demo.demo)
app.add_typer(tokens.app, name="token")
app.add_typer(members.app, name="member")
app.add_typer(office.app, name="office")
app.add_typer(loans.app, name="loan")
app.add_typer(loans.hosting_app, name="hosting")
app.add_typer(federation.peer_app, name="peer")
app.add_typer(federation.keys_app, name="keys")
app.add_typer(federation.directory_app, name="directory")
app.command()(federation.sync)
app.command()(backup.backup)
app.command()(backup.restore)


def main() -> None:
    """Console-script entry point."""
    app()
