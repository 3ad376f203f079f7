"""`archipel token`: API tokens for scripts and other tools."""

from __future__ import annotations

from typing import Annotated

import typer

from node.actors import Role
from node.cli.context import CliState
from node.cli.listing import AsJson, print_json_lines
from node.services import accounts

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option(help="What the token may do.")],
    member: Annotated[
        str | None, typer.Option(help="Member id the token acts as (required for member).")
    ] = None,
    label: Annotated[str, typer.Option(help="A note to recognise the token later.")] = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the token.")] = False,
) -> None:
    """Print a new API token (shown once; only its hash is stored)."""
    state: CliState = ctx.obj
    with state.transaction() as session:
        issued = accounts.create_token(session, role=role, member_id=member, label=label)
    if quiet:
        typer.echo(issued.token)
    else:
        typer.echo(f"Token {issued.id} ({issued.role.value}) — keep it secret, it is shown once:")
        typer.echo(issued.token)


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: Annotated[str, typer.Argument(help="Token id.")]) -> None:
    """Revoke a token at once."""
    state: CliState = ctx.obj
    with state.transaction() as session:
        accounts.revoke_token(session, token_id=token_id)
    typer.echo(f"Token {token_id} revoked.")


@app.command("list")
def list_tokens(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List tokens: id, role, member, state, last use, label."""
    state: CliState = ctx.obj
    with state.transaction() as session:
        rows = accounts.list_tokens(session)
        if as_json:
            print_json_lines(
                {
                    "id": row.id,
                    "role": row.role,
                    "member_id": row.member_id,
                    "state": "revoked" if row.revoked_at else "active",
                    "label": row.label,
                    "created_at": row.created_at,
                    "last_used_at": row.last_used_at,
                    "revoked_at": row.revoked_at,
                }
                for row in rows
            )
            return
        for row in rows:
            revoked = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            typer.echo(
                f"{row.id}  {row.role:<6}  {row.member_id or '-':<32}  {revoked:<18}  "
                f"{used:<16}  {row.label}"
            )
