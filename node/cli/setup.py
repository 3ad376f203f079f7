"""`archipel init`, `migrate` and `serve`: bring a node to life and keep its schema current."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from node.cli.context import CliState, fail
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
    from node.migrations import upgrade  # Alembic loads only where a command migrates

    state: CliState = ctx.obj
    upgrade(state.engine())
    typer.echo("Database schema is up to date.")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface; default from settings.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port; default from settings.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Web processes. Above 1, run `archipel worker` too.")
    ] = 1,
) -> None:
    """Serve the node's API, pages and federation endpoints.

    With one process (the default) it also runs the sync scheduler. With `--workers N > 1`
    the web processes never schedule: start `archipel worker` for sync and deliveries.
    """
    from node.migrations import upgrade  # Alembic goes away with this process image
    from node.server import command

    state: CliState = ctx.obj
    state.settings()
    try:
        upgrade(state.engine())
    except Exception:
        traceback.print_exc()
        fail("the database could not be migrated (the error is above)")
    state.close()
    if workers > 1:
        typer.echo(f"{workers} web processes; sync runs in `archipel worker`.", err=True)
    # The serving process is a fresh interpreter in this same process (same id and signals):
    # none of the command line's modules stay resident while it serves (see node/server.py).
    argv = command(state.home, host=host, port=port, workers=workers)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def worker(ctx: typer.Context) -> None:
    """Run the sync scheduler, outbox delivery and housekeeping, without serving HTTP.

    Several workers (or a worker beside a single `serve`) may run: one leads, the others
    stand by and take over within one sync interval if it stops.
    """
    from node.federated import wire
    from node.migrations import current_revision, head_revision

    state: CliState = ctx.obj
    settings = state.settings()
    with state.engine().connect() as conn:
        if current_revision(conn) != head_revision():
            fail("the database is not migrated to this version: run `archipel migrate` first")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    wiring = wire(settings, state.engine())
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    wiring.start(elect=True)
    typer.echo(f"Worker for {settings.node.slug} started (pid {os.getpid()}).", err=True)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        # In-flight pulls finish or roll back before the process exits.
        wiring.stop()
    typer.echo("Worker stopped.", err=True)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(migrate)
    app.command()(serve)
    app.command()(worker)


__all__ = ["Path", "register"]
