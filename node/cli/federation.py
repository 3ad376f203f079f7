"""`archipel peer|keys|sync|directory`: peering, keys, syncing now, searching the network."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from federation.service import ConfirmationRequired, Federation, FederationStatus
from federation.service import fingerprint as key_fingerprint
from node.cli.context import CliState, fail
from node.cli.listing import AsJson, print_json_lines, print_table
from node.federated import wire
from node.keystore import create_key, load_keys
from node.services import network
from node.services.origins import known_origins

peer_app = typer.Typer(
    help="Peer with other bureaus: add, list, remove, block.", no_args_is_help=True
)
keys_app = typer.Typer(help="The node's signing keys.", no_args_is_help=True)
directory_app = typer.Typer(help="Search the network's directory.", no_args_is_help=True)


@contextmanager
def engine_of(ctx: typer.Context) -> Iterator[tuple[CliState, Federation]]:
    """The node's federation engine, without its scheduler (the CLI acts once)."""
    state: CliState = ctx.obj
    federation = wire(state.settings(), state.engine()).federation
    try:
        yield state, federation
    finally:
        federation.stop()


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "never"


@peer_app.command("add")
def peer_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Base URL of the other bureau's node.")],
    fingerprint: Annotated[
        str | None, typer.Option(help="The key fingerprint the other admin gave you.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Accept the fingerprint shown.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Accept a new key for an existing peer.")
    ] = False,
) -> None:
    """Fetch a node's identity, show its key fingerprint, and pin it once confirmed."""
    with engine_of(ctx) as (state, federation):
        try:
            peer = federation.add_peer(url=url, fingerprint=fingerprint, yes=yes, replace=replace)
        except ConfirmationRequired as pending:
            identity = pending.identity
            typer.echo(f"{identity.name} ({identity.slug}), {identity.territory or '-'}")
            typer.echo(f"URL: {identity.url}")
            typer.echo(f"Key fingerprint: {pending.fingerprint}")
            if not sys.stdin.isatty():
                fail("confirm the fingerprint with --fingerprint FP (or --yes)")
            if not typer.confirm("Does it match the fingerprint the other admin gave you?"):
                fail("not peered: fingerprint not confirmed")
            peer = federation.add_peer(url=url, fingerprint=pending.fingerprint, replace=replace)
        own = federation.current_key()
        typer.echo(f"Peered with {peer.slug} ({peer.url}), key {peer.fingerprint}.")
        typer.echo(
            f"Peering is mutual: {peer.slug}'s admin must now run "
            f"`archipel peer add {state.settings().node.url}` and check {own.fingerprint()}."
        )


@peer_app.command("list")
def peer_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Each peer: state, last successful sync, lag, last error; then the incomplete bureaus."""
    with engine_of(ctx) as (state, federation), state.transaction() as session:
        status = federation.status(session)
    if as_json:
        print_json_lines(
            {**peer.model_dump(mode="json"), "lag": sum(c.lag for c in peer.cursors)}
            for peer in status.peers
        )
        return
    table = Table("peer", "url", "state", "last success", "lag", "last error")
    for peer in status.peers:
        lag = sum(c.lag for c in peer.cursors)
        table.add_row(
            peer.slug,
            peer.url,
            peer.state,
            _when(peer.last_success_at),
            str(lag),
            peer.last_error or "",
        )
    print_table(table)
    _echo_incomplete(status)


def _echo_incomplete(status: FederationStatus) -> None:
    """One line per bureau whose records are held back (their latest change came without
    its content): the node fetches it from the bureau or another peer on its own."""
    for origin in status.origins:
        if not origin.complete:
            typer.echo(
                f"{origin.origin}: incomplete, {origin.missing_bodies} record(s) waiting for "
                f"their content since {_when(origin.incomplete_since)}"
            )


@peer_app.command("remove")
def peer_remove(ctx: typer.Context, slug: Annotated[str, typer.Argument()]) -> None:
    """Stop trusting a peer at once: its requests are refused, nothing is pulled from it."""
    with engine_of(ctx) as (state, federation), state.transaction() as session:
        if not federation.remove_peer(session, slug):
            fail(f"{slug!r} is not a peer")
    typer.echo(f"Peer {slug} removed.")


@peer_app.command("block")
def peer_block(ctx: typer.Context, origin: Annotated[str, typer.Argument()]) -> None:
    """Refuse an origin's records, even relayed, and purge everything held of it."""
    with engine_of(ctx) as (_state, federation):
        federation.block_origin(origin)
    typer.echo(f"Origin {origin} blocked and purged.")


@peer_app.command("unblock")
def peer_unblock(ctx: typer.Context, origin: Annotated[str, typer.Argument()]) -> None:
    """Accept an origin's records again (they are pulled anew)."""
    with engine_of(ctx) as (state, federation), state.transaction() as session:
        if not federation.unblock_origin(session, origin):
            fail(f"{origin!r} is not blocked")
    typer.echo(f"Origin {origin} unblocked.")


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """The node's keys, oldest first; the last one signs."""
    state: CliState = ctx.obj
    settings = state.settings()
    pairs = load_keys(settings.home, settings.node.slug)
    if as_json:
        print_json_lines(
            {
                "key_id": pair.key_id,
                "fingerprint": key_fingerprint(pair.public_key),
                "signing": index == len(pairs) - 1,
            }
            for index, pair in enumerate(pairs)
        )
        return
    for pair in pairs:
        typer.echo(f"{pair.key_id}  {key_fingerprint(pair.public_key)}")


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context) -> None:
    """Make a new key, announced to peers in a statement signed by the old one."""
    with engine_of(ctx) as (state, federation):
        settings = state.settings()
        federation.ensure_genesis()
        pair = create_key(settings.home, settings.node.slug)
        federation.rotate_key(pair)
    typer.echo(f"New key {pair.key_id}: {pair.fingerprint()}")
    typer.echo("Running node processes sign with it from their next request on.")


def sync(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Option(help="Only this peer.")] = None,
) -> None:
    """Pull from every peer (or one) now, and say what was applied."""
    with engine_of(ctx) as (state, federation):
        with state.transaction() as session:
            peers = [p.slug for p in federation.status(session).peers if p.state == "active"]
        if peer is not None:
            if peer not in peers:
                fail(f"{peer!r} is not an active peer")
            peers = [peer]
        failed = 0
        total = 0
        started = time.perf_counter()
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("Syncing", total=len(peers))
            for slug in peers:
                progress.update(task, description=f"Pulling {slug}")
                report = federation.sync.pull_peer(slug)
                applied = sum(report.applied.values())
                total += applied
                progress.advance(task)
                if report.error:
                    failed += 1
                    typer.echo(f"{slug}: error: {report.error}", err=True)
                else:
                    recovered = sum(report.recovered.values())
                    fetched = f", {recovered} held-back record(s) completed" if recovered else ""
                    typer.echo(f"{slug}: {applied} entries applied{fetched}")
        elapsed = time.perf_counter() - started
        rate = f" ({total / elapsed:,.0f} entries/s)" if total and elapsed > 0 else ""
        typer.echo(f"{total} entries applied in {elapsed:.2f} s{rate}")
        with state.transaction() as session:
            _echo_incomplete(federation.status(session))
    if failed:
        raise typer.Exit(1)


@directory_app.command("search")
def directory_search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find (accents optional).")] = "",
    skill: Annotated[str | None, typer.Option()] = None,
    trade: Annotated[str | None, typer.Option()] = None,
    territory: Annotated[str | None, typer.Option()] = None,
    origin: Annotated[str | None, typer.Option(help="Bureau slug.")] = None,
    available_on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    as_json: AsJson = False,
) -> None:
    """Search the directory of the whole network, from this node's replica."""
    state: CliState = ctx.obj
    day: date | None = available_on.date() if available_on else None
    with state.transaction() as session:
        rows, _next = network.search_directory(
            session,
            q=query or None,
            skill=skill,
            trade=trade,
            territory=territory,
            origin=origin,
            available_on=day,
            limit=limit,
        )
        names = {slug: info.name for slug, info in known_origins(session).items()}
    if as_json:
        print_json_lines(
            {
                "origin": r.origin,
                "bureau": names.get(r.origin, r.origin),
                "id": r.record_id,
                "display_name": r.display_name,
                "city": r.city,
                "territory": r.territory,
                "trades": r.trades,
                "skills": r.skills,
            }
            for r in rows
        )
        return
    table = Table("name", "trades", "skills", "city", "bureau")
    for r in rows:
        table.add_row(
            r.display_name,
            ", ".join(r.trades),
            ", ".join(r.skills),
            r.city,
            names.get(r.origin, r.origin),
        )
    print_table(table)
