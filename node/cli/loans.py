"""`archipel loan …` and `archipel hosting …`: loans between bureaus and hosting offers, from
the command line. Messages leave through the outbox: the running node delivers them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.cli.context import CliState, fail
from node.cli.listing import AsJson, print_json_lines, print_table
from node.federated import wire
from node.services import host_area, hosting, loans
from node.services.loans import Exchange
from schemas.loans import LoanAction, LoanActionCreate, LoanRequestCreate

app = typer.Typer(help="Loans of resources between bureaus.", no_args_is_help=True)
hosting_app = typer.Typer(
    help="Hosting touring productions of other bureaus.", no_args_is_help=True
)
CLI_ACTOR = Actor(name="cli", role=Role.admin)


@contextmanager
def exchanging(ctx: typer.Context) -> Iterator[tuple[Session, Exchange]]:
    """A transaction whose shared changes reach the log, and the node's outbox."""
    state: CliState = ctx.obj
    wiring = wire(state.settings(), state.engine())
    try:
        with wiring.sessions.begin() as session:
            yield session, wiring.exchange
    finally:
        wiring.federation.stop()


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} is a date YYYY-MM-DD, not {value!r}")


def _invalid(exc: ValidationError) -> None:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    fail(f"{where}: {first['msg']}")


@app.command("list")
def list_loans(
    ctx: typer.Context,
    side: Annotated[
        str | None, typer.Option(help="`owner` (what we lend) or `borrower` (what we borrow).")
    ] = None,
    state: Annotated[str | None, typer.Option(help="Only loans in this state.")] = None,
    as_json: AsJson = False,
) -> None:
    """The bureau's loans, the latest first."""
    if side not in (None, "owner", "borrower"):
        fail("--side is `owner` or `borrower`")
    cli: CliState = ctx.obj
    with cli.transaction() as session:
        rows, total = loans.list_loans(session, role=side, state=state, limit=500)
        if as_json:
            print_json_lines(loans.loan_payload(loan) for loan in rows)
            return
        table = Table("resource", "side", "period", "state")
        table.add_column("id", no_wrap=True, min_width=32)
        for loan in rows:
            other = loan.borrower if loan.role == "owner" else loan.owner
            table.add_row(
                loan.resource_name,
                f"{'lent to' if loan.role == 'owner' else 'borrowed from'} {other}",
                f"{loan.starts_on} → {loan.ends_on}",
                loan.state + (f" (pending {loan.pending})" if loan.pending else ""),
                loan.id,
            )
    print_table(table)
    typer.echo(f"{total} loan(s).")


@app.command("show")
def show(ctx: typer.Context, loan_id: str) -> None:
    """One loan, with its history, as JSON."""
    cli: CliState = ctx.obj
    with cli.transaction() as session:
        loan = loans.get_loan(session, loan_id=loan_id)
        data: dict[str, Any] = {**loans.loan_payload(loan), "history": loan.history}
        data["delivered"] = loans.delivered(session, loan)
        data["allowed"] = [a.value for a in loans.available_actions(session, loan)]
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("request")
def request(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="The owning bureau's slug.")],
    resource: Annotated[str, typer.Option(help="The resource's id (archipel directory…).")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (included), YYYY-MM-DD.")],
    purpose: Annotated[str, typer.Option(help="What it is for.")],
    contact: Annotated[str, typer.Option(help="Who to call about it.")],
    pickup: Annotated[str, typer.Option(help="Pick-up place.")] = "",
    give_back: Annotated[str, typer.Option("--return-place", help="Return place.")] = "",
) -> None:
    """Ask another bureau to lend one of its resources."""
    try:
        data = LoanRequestCreate(
            owner=owner,
            resource_id=resource,
            starts_on=_day(start, "--from"),
            ends_on=_day(end, "--to"),
            purpose=purpose,
            contact=contact,
            pickup_place=pickup,
            return_place=give_back,
        )
    except ValidationError as exc:
        _invalid(exc)
        return
    with exchanging(ctx) as (session, exchange):
        loan = loans.request_loan(session, exchange, actor=CLI_ACTOR, data=data)
        loan_id = loan.id
    typer.echo(f"Loan {loan_id} requested from {owner}; the running node delivers it.")


@app.command("act")
def act(
    ctx: typer.Context,
    loan_id: str,
    action: Annotated[LoanAction, typer.Argument(help="What to do.")],
    reason: Annotated[str, typer.Option(help="Required to decline or cancel.")] = "",
    start: Annotated[str | None, typer.Option("--from", help="Counter-offer: first day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Counter-offer: last day.")] = None,
) -> None:
    """Accept, decline, counter, pick_up, return (owner); accept_counter (borrower); cancel."""
    try:
        data = LoanActionCreate(
            action=action,
            reason=reason,
            starts_on=_day(start, "--from") if start else None,
            ends_on=_day(end, "--to") if end else None,
        )
    except ValidationError as exc:
        _invalid(exc)
        return
    with exchanging(ctx) as (session, exchange):
        current = loans.get_loan(session, loan_id=loan_id)
        loan = loans.act(
            session,
            exchange,
            actor=CLI_ACTOR,
            loan_id=loan_id,
            data=data,
            expected_version=current.version,
        )
        state, pending = loan.state, loan.pending
    if pending:
        typer.echo(f"Sent {action.value} to the owner; the loan shows it pending until then.")
    else:
        typer.echo(f"Loan {loan_id} is now {state}.")


@hosting_app.command("coming")
def coming(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Network dates of other bureaus coming to the bureau's hosting area."""
    cli: CliState = ctx.obj
    settings = cli.settings()
    with cli.transaction() as session:
        area = host_area.entries(session, setting=settings.node.host_area)
        if not area:
            fail("set the hosting area first (« Accueil de tournées » page, or node.host_area)")
        rows = hosting.coming_dates(session, own=settings.node.slug, area=area)
    if as_json:
        print_json_lines(
            {
                "id": row.record_id,
                "origin": row.origin,
                "production_title": row.production_title,
                "day": row.day,
                "starts_at": row.starts_at,
                "timezone": row.timezone,
                "venue_name": row.venue_name,
                "city": row.city,
                "postal_code": row.postal_code,
                "offers": row.offers,
            }
            for row in rows
        )
        return
    table = Table("day", "production", "venue", "bureau", "offers")
    table.add_column("date id", no_wrap=True, min_width=32)
    for row in rows:
        table.add_row(
            row.day.isoformat(),
            row.production_title,
            f"{row.venue_name} {row.city}".strip(),
            row.origin,
            str(row.offers),
            row.record_id,
        )
    print_table(table)
