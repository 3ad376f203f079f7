"""`archipel init`, `migrate` and `serve`: bring a node to life and keep its schema current."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from node.cli.context import CliState, fail
from node.migrations import upgrade
from node.settings import validate_slug


def _slug(value: str) -> str:
    try:
        return validate_slug(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def init(
    ctx: typer.Context,
    slug: Annotated[str, typer.Option(help="Short unique name, e.g. lyon.", callback=_slug)],
    name: Annotated[str, typer.Option(help='Human name, e.g. "Bureau de Lyon".')],
    url: Annotated[str, typer.Option(help="Public base URL, e.g. https://lyon.example.org.")],
    territory: Annotated[str, typer.Option(help="Territory the bureau covers.")] = "",
    db: Annotated[
        str, typer.Option("--db", help="SQLAlchemy URL; default SQLite in the home folder.")
    ] = "",
) -> None:
    """Create a node: home folder, settings, keys, database, first admin account."""
    from node.services.setup import init_node

    state: CliState = ctx.obj
    try:
        result = init_node(
            state.home, slug=slug, name=name, territory=territory, url=url, database_url=db
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    typer.echo(f"Node {result.settings.node.slug!r} created in {state.home}")
    typer.echo(f"Key fingerprint: {result.key_fingerprint}")
    typer.echo(f"Admin login: {result.username} — password in {result.credentials_path}")


def migrate(ctx: typer.Context) -> None:
    """Apply pending database migrations (safe to run any time)."""
    state: CliState = ctx.obj
    upgrade(state.engine())
    typer.echo("Database schema is up to date.")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface; default from settings.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port; default from settings.")] = None,
) -> None:
    """Serve the node's API, pages and federation endpoints."""
    import uvicorn

    from node.app import create_app

    state: CliState = ctx.obj
    settings = state.settings()
    upgrade(state.engine())
    app = create_app(settings, engine=state.engine())
    uvicorn.run(
        app,
        host=host or settings.server.host,
        port=port or settings.server.port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(migrate)
    app.command()(serve)


__all__ = ["Path", "register"]
