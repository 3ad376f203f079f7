"""Loans of lendable resources between bureaus.

The owner of a resource is authoritative. The borrower creates the loan and asks through a
signed `loan.request`; it later acts (accept a counter-offer, cancel) through `loan.action`.
The owner decides in its own transactions (accept, decline, counter, picked up, returned,
cancel) and after every change sends its full state (`loan.state`, with a growing
revision) back, so both bureaus show the same loan. Every message goes through the
federation outbox (retried until delivered, once per idempotency key) and is handled from
the inbox idempotently.

Two loans that hold a resource (accepted or picked up) never overlap: the check runs at
the owner, in the transaction that accepts, after locking the resource's row (SQLite
transactions already take the database's one write lock when they begin).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.service import QueuedMessage, inbox_pending, queued_message, withdraw_message
from node.actors import Actor, Role
from node.models import HostingOffer, Loan, NetworkResource, Resource
from node.problems import Conflict, DomainError, Forbidden, NotFound
from node.services import webhooks
from node.services.common import audit, check_version, paginate
from node.services.editing import require_staff
from node.services.sharing import share_resource
from schemas.common import FieldError
from schemas.loans import (
    FINAL_STATES,
    HOLDING_STATES,
    KIND_LOAN_ACTION,
    KIND_LOAN_REQUEST,
    KIND_LOAN_STATE,
    KIND_LOAN_UNKNOWN,
    OPEN_STATES,
    LoanAction,
    LoanActionCreate,
    LoanActionMessage,
    LoanEvent,
    LoanRequestCreate,
    LoanRequestMessage,
    LoanState,
    LoanStateMessage,
    LoanUnknownMessage,
)

OWNER = "owner"
BORROWER = "borrower"


class Side(StrEnum):
    owner = OWNER
    borrower = BORROWER


# Why the node itself ended or noted a step of a loan: `reason_code` on the loan and in its
# history, beside `reason`/`note`, which hold only what a person typed. Pages translate them.
UNKNOWN_AT_OWNER = "unknown_at_owner"
NOT_LENDABLE = "resource_not_lendable"
PERIOD_TAKEN = "period_taken"
# The owner accepted another loan of the resource over part of this one's period, so this
# request was declined automatically; the borrower never learns who was preferred.
OVERLAP_ACCEPTED = "overlap_accepted"


# States after which a resource's busy periods, shown to the network, may have changed.
REPUBLISH = frozenset(
    {LoanState.accepted, LoanState.returned, LoanState.cancelled, LoanState.declined}
)


class Overlap(Conflict):
    """The resource is already lent over part of the period."""

    code = "loan_overlap"


class Messenger(Protocol):
    """Queues a signed message to a peer in the caller's transaction (the federation)."""

    def send_message(
        self,
        session: Session,
        *,
        recipient: str,
        kind: str,
        body: dict[str, Any],
        idempotency_key: str,
    ) -> Any: ...


class Peers(Protocol):
    def __call__(self, session: Session) -> Sequence[str]: ...


@dataclass(frozen=True)
class Exchange:
    """What the loan and hosting services need from the node: its slug, its outbox, its
    active peers, and whether a webhook follows its events."""

    own: str
    messenger: Messenger
    peers: Peers
    webhook: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _peer_actor(slug: str) -> Actor:
    return Actor(name=f"bureau:{slug}", role=Role.staff)


# -- reading ---------------------------------------------------------------------------------


def get_loan(session: Session, *, loan_id: str) -> Loan:
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"no loan with id {loan_id!r}")
    return loan


def _locked(session: Session, loan_id: str) -> tuple[Loan | None, Resource | None]:
    """The loan read again under row locks, its resource's first (at the owner), so every
    path that changes a loan (staff, inbox) sees the other's committed change: the state
    and overlap checks then run on fresh rows. (SQLite transactions already hold the
    database's one write lock from their first statement.)"""
    loan = session.get(Loan, loan_id)
    if loan is None:
        return None, None
    resource = None
    if loan.role == OWNER:
        resource = session.get(
            Resource, loan.resource_id, with_for_update=True, populate_existing=True
        )
    fresh = session.get(Loan, loan_id, with_for_update=True, populate_existing=True)
    return fresh, resource


def list_loans(
    session: Session,
    *,
    role: str | None = None,
    state: str | None = None,
    resource_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Loan], int]:
    """Loans of this bureau, the latest first; filter by side, state or resource."""
    stmt = select(Loan).order_by(Loan.starts_on.desc(), Loan.id)
    if role:
        stmt = stmt.where(Loan.role == role)
    if state:
        stmt = stmt.where(Loan.state == state)
    if resource_id:
        stmt = stmt.where(Loan.resource_id == resource_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def coming_loans(session: Session, *, resource_id: str, limit: int = 100) -> Sequence[Loan]:
    """Loans of an own resource that end today or later, in date order."""
    return session.scalars(
        select(Loan)
        .where(Loan.role == OWNER, Loan.resource_id == resource_id, Loan.ends_on >= _now().date())
        .order_by(Loan.starts_on, Loan.id)
        .limit(limit)
    ).all()


def awaiting_decision(session: Session) -> int:
    """Requests other bureaus made for our resources that nobody answered yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Loan)
            .where(Loan.role == OWNER, Loan.state == "requested")
        )
        or 0
    )


def shared_resource(session: Session, *, owner: str, resource_id: str) -> NetworkResource:
    """The lendable resource `owner` shares, as our replica holds it."""
    card = session.scalars(
        select(NetworkResource).where(
            NetworkResource.origin == owner, NetworkResource.record_id == resource_id
        )
    ).first()
    if card is None:
        raise DomainError(
            f"{owner!r} shares no lendable resource {resource_id!r}",
            errors=[
                FieldError(
                    field="body.resource_id", message="unknown resource", code="resource_unknown"
                )
            ],
        )
    return card


def _queued(session: Session, loan: Loan, key: str) -> QueuedMessage | None:
    """The message this bureau queued about `loan` under `key`, if it is in the outbox."""
    recipient = loan.owner if loan.role == BORROWER else loan.borrower
    return queued_message(session, recipient=recipient, idempotency_key=key)


def delivered(session: Session, loan: Loan) -> bool:
    """Whether the last message this bureau queued about `loan` reached the other bureau."""
    if not loan.last_message_key:
        return True
    row = _queued(session, loan, loan.last_message_key)
    return row is not None and row.delivered


def undelivered(session: Session, loan: Loan) -> QueuedMessage | None:
    """The last message this bureau queued about `loan`, while it has not reached the other
    bureau: since when it waits (`created_at`), its attempts and when it is tried next."""
    if not loan.last_message_key:
        return None
    row = _queued(session, loan, loan.last_message_key)
    return row if row is not None and not row.delivered else None


# -- borrower side ---------------------------------------------------------------------------


def request_loan(
    session: Session, exchange: Exchange, *, actor: Actor, data: LoanRequestCreate
) -> Loan:
    """Ask another bureau for one of its lendable resources (the request waits in the outbox
    while that bureau is offline)."""
    require_staff(actor, "ask for loans")
    return send_request(
        session,
        exchange,
        actor=actor,
        owner=data.owner,
        resource_id=data.resource_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        purpose=data.purpose,
        pickup_place=data.pickup_place,
        return_place=data.return_place,
        contact=data.contact,
        offer_id=None,
    )


def send_request(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    owner: str,
    resource_id: str,
    starts_on: date,
    ends_on: date,
    purpose: str,
    pickup_place: str,
    return_place: str,
    contact: str,
    offer_id: str | None,
) -> Loan:
    if owner == exchange.own:
        raise DomainError(
            "this resource is the bureau's own: no loan is needed",
            errors=[FieldError(field="body.owner", message="your own bureau", code="own_resource")],
        )
    if owner not in exchange.peers(session):
        raise DomainError(
            f"{owner!r} is not a peer of this bureau",
            errors=[FieldError(field="body.owner", message="not a peer", code="peer_unknown")],
        )
    card = shared_resource(session, owner=owner, resource_id=resource_id)
    loan = Loan(
        id=uuid.uuid4().hex,
        role=BORROWER,
        owner=owner,
        borrower=exchange.own,
        resource_id=resource_id,
        resource_name=card.name,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=purpose,
        pickup_place=pickup_place,
        return_place=return_place,
        contact=contact,
        state=LoanState.requested.value,
        revision=0,
        pending="request",
        offer_id=offer_id,
        requested_by=actor.name,
        history=[],
    )
    session.add(loan)
    message = LoanRequestMessage(
        loan_id=loan.id,
        resource_id=resource_id,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=purpose,
        pickup_place=pickup_place,
        return_place=return_place,
        contact=contact,
        offer_id=offer_id,
    )
    _send(
        session,
        exchange,
        loan,
        recipient=owner,
        kind=KIND_LOAN_REQUEST,
        body=message.model_dump(mode="json"),
        key=f"{KIND_LOAN_REQUEST}:{loan.id}",
    )
    session.flush()
    audit(
        session,
        actor=actor,
        action="loan.request",
        entity="loan",
        entity_id=loan.id,
        summary=f"{card.name} ({owner}) {starts_on}–{ends_on}",
    )
    webhooks.record(session, exchange, "loan.requested", loan_payload(loan))
    return loan


def _send(
    session: Session,
    exchange: Exchange,
    loan: Loan,
    *,
    recipient: str,
    kind: str,
    body: dict[str, Any],
    key: str,
) -> None:
    exchange.messenger.send_message(
        session, recipient=recipient, kind=kind, body=body, idempotency_key=key
    )
    loan.last_message_key = key


def handle_state(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Borrower: mirror the owner's state when it is newer than ours."""
    message = LoanStateMessage.model_validate(body)
    loan, _resource = _locked(session, message.loan_id)
    if loan is None or loan.role != BORROWER:
        return  # not a loan this bureau asked for: nothing to mirror
    if loan.owner != sender:
        raise Forbidden(
            f"loan {loan.id} belongs to {loan.owner!r}, not {sender!r}", code="loan_not_yours"
        )
    if message.revision <= loan.revision:
        return  # a late or repeated state
    before = loan.state
    loan.revision = message.revision
    loan.state = message.state.value
    loan.resource_name = message.resource_name or loan.resource_name
    loan.starts_on, loan.ends_on = message.starts_on, message.ends_on
    loan.proposed_starts_on = message.proposed_starts_on
    loan.proposed_ends_on = message.proposed_ends_on
    loan.reason = message.reason
    loan.reason_code = message.reason_code
    loan.history = [event.model_dump(mode="json") for event in message.history]
    loan.pending = ""
    loan.version += 1
    if before != loan.state:
        audit(
            session,
            actor=_peer_actor(sender),
            action=f"loan.{loan.state}",
            entity="loan",
            entity_id=loan.id,
            summary=f"{loan.resource_name} ({sender})",
        )
    webhooks.record(session, exchange, "loan.updated", loan_payload(loan))


def handle_unknown(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Borrower: the owner holds no such loan, so it ends here (cancelled, with the reason)
    and no longer waits for the owner's answer."""
    message = LoanUnknownMessage.model_validate(body)
    loan, _resource = _locked(session, message.loan_id)
    if loan is None or loan.role != BORROWER:
        return
    if loan.owner != sender:
        raise Forbidden(
            f"loan {loan.id} belongs to {loan.owner!r}, not {sender!r}", code="loan_not_yours"
        )
    if is_final(loan) and not loan.pending:
        return  # already ended: a repeated answer
    loan.pending = ""
    if not is_final(loan):
        loan.reason, loan.reason_code = "", UNKNOWN_AT_OWNER
        _change(
            loan, LoanState.cancelled, by=sender, action="unknown", reason_code=UNKNOWN_AT_OWNER
        )
    loan.version += 1
    audit(
        session,
        actor=_peer_actor(sender),
        action="loan.unknown",
        entity="loan",
        entity_id=loan.id,
        summary=f"{loan.resource_name} ({sender})",
    )
    webhooks.record(session, exchange, "loan.updated", loan_payload(loan))


# -- owner side ------------------------------------------------------------------------------


def handle_request(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Owner: record a request from a peer (once) and answer with its state."""
    message = LoanRequestMessage.model_validate(body)
    resource = session.get(
        Resource, message.resource_id, with_for_update=True, populate_existing=True
    )
    if session.get(Loan, message.loan_id) is not None:
        return  # a duplicate delivery
    loan = Loan(
        id=message.loan_id,
        role=OWNER,
        owner=exchange.own,
        borrower=sender,
        resource_id=message.resource_id,
        resource_name=resource.name if resource is not None else "",
        starts_on=message.starts_on,
        ends_on=message.ends_on,
        purpose=message.purpose,
        pickup_place=message.pickup_place,
        return_place=message.return_place,
        contact=message.contact,
        state=LoanState.requested.value,
        revision=0,
        pending="",
        offer_id=message.offer_id,
        requested_by=f"bureau:{sender}",
        history=[],
    )
    session.add(loan)
    _event(loan, by=sender, action="request", note=message.purpose[:300])
    actor = _peer_actor(sender)
    if resource is None or not resource.lendable:
        _change(
            loan,
            LoanState.declined,
            by=exchange.own,
            action="decline",
            reason_code=NOT_LENDABLE,
        )
        loan.reason_code = NOT_LENDABLE
    elif message.offer_id and _take_offered(session, message, sender, resource.id):
        # We offered this resource to the producer for that day: accepted if still free.
        if _overlaps(session, loan):
            _event(
                loan,
                by=exchange.own,
                action="conflict",
                reason_code="overlap_manual_decision",
            )
        else:
            _change(
                loan,
                LoanState.accepted,
                by=exchange.own,
                action="accept",
                reason_code="offered_in_hosting",
            )
            _decline_overlapping(session, exchange, loan, actor=actor)
    session.flush()
    audit(
        session,
        actor=actor,
        action="loan.request",
        entity="loan",
        entity_id=loan.id,
        summary=f"{loan.resource_name} ← {sender} {loan.starts_on}–{loan.ends_on}",
    )
    _publish_state(session, exchange, loan, resource)
    webhooks.record(session, exchange, "loan.requested", loan_payload(loan))


def _take_offered(
    session: Session, message: LoanRequestMessage, producer: str, resource_id: str
) -> bool:
    """Whether the request takes up a resource item of our hosting offer to `producer`:
    the same resource, for the offer's day only, and once (the item keeps the loan's id)."""
    offer = session.get(
        HostingOffer, message.offer_id, with_for_update=True, populate_existing=True
    )
    if offer is None or offer.role != "host" or offer.producer != producer:
        return False
    if not message.starts_on == message.ends_on == offer.day:
        return False
    items = [dict(item) for item in offer.items]
    for item in items:
        details = item.get("details") or {}
        if (
            item.get("type") == "resource"
            and details.get("resource_id") == resource_id
            and not item.get("loan_id")
        ):
            item["loan_id"] = message.loan_id
            offer.items = items
            return True
    return False


def handle_action(
    session: Session, exchange: Exchange, *, sender: str, body: dict[str, Any]
) -> None:
    """Owner: apply a borrower's action when it still applies; answer with the state either
    way, so the borrower's pending flag clears."""
    message = LoanActionMessage.model_validate(body)
    loan, resource = _locked(session, message.loan_id)
    if loan is None:
        asked = inbox_pending(
            session, sender=sender, idempotency_key=f"{KIND_LOAN_REQUEST}:{message.loan_id}"
        )
        if asked:  # its request failed once and waits for a retry: so does this
            raise Conflict(
                f"the request of loan {message.loan_id} is not handled yet",
                code="loan_request_pending",
            )
        # Not a loan of ours (lost in a restore, say): say so, or the borrower would wait
        # for an answer forever.
        answer = LoanUnknownMessage(loan_id=message.loan_id, action=message.action)
        exchange.messenger.send_message(
            session,
            recipient=sender,
            kind=KIND_LOAN_UNKNOWN,
            body=answer.model_dump(mode="json"),
            idempotency_key=f"{KIND_LOAN_UNKNOWN}:{message.loan_id}:{message.seen_revision}",
        )
        return
    if loan.role != OWNER:
        return
    if loan.borrower != sender:
        raise Forbidden(
            f"loan {loan.id} was asked by {loan.borrower!r}, not {sender!r}", code="loan_not_yours"
        )
    state = LoanState(loan.state)
    if (
        message.action is LoanAction.accept_counter
        and state is LoanState.countered
        and message.seen_revision != loan.revision
    ):
        # The owner changed its counter-offer since the borrower saw it: dates the
        # borrower never saw are not taken for accepted.
        _event(
            loan,
            by=exchange.own,
            action="refused",
            reason_code="counter_changed",
        )
    elif message.action is LoanAction.accept_counter and state is LoanState.countered:
        assert loan.proposed_starts_on is not None and loan.proposed_ends_on is not None
        loan.starts_on, loan.ends_on = loan.proposed_starts_on, loan.proposed_ends_on
        loan.proposed_starts_on = loan.proposed_ends_on = None
        if _overlaps(session, loan):
            loan.reason, loan.reason_code = "", PERIOD_TAKEN
            _change(
                loan,
                LoanState.declined,
                by=exchange.own,
                action="decline",
                reason_code=PERIOD_TAKEN,
            )
        else:
            _change(loan, LoanState.accepted, by=sender, action="accept_counter")
            _decline_overlapping(session, exchange, loan, actor=_peer_actor(sender))
    elif message.action is LoanAction.cancel and state in OPEN_STATES | {LoanState.accepted}:
        loan.reason, loan.reason_code = message.reason, ""
        _change(loan, LoanState.cancelled, by=sender, action="cancel", note=message.reason)
    else:
        _event(
            loan,
            by=exchange.own,
            action="refused",
            reason_code="action_refused",
            asked=message.action.value,
        )
    loan.version += 1
    audit(
        session,
        actor=_peer_actor(sender),
        action=f"loan.{message.action.value}",
        entity="loan",
        entity_id=loan.id,
        summary=f"{loan.resource_name} ← {sender}",
    )
    _publish_state(session, exchange, loan, resource)
    webhooks.record(session, exchange, "loan.updated", loan_payload(loan))


# -- acting ----------------------------------------------------------------------------------

OWNER_ACTIONS: dict[LoanAction, frozenset[LoanState]] = {
    LoanAction.accept: frozenset({LoanState.requested}),
    LoanAction.decline: frozenset(OPEN_STATES),
    LoanAction.counter: frozenset(OPEN_STATES),
    LoanAction.pick_up: frozenset({LoanState.accepted}),
    LoanAction.give_back: frozenset({LoanState.picked_up}),
    LoanAction.cancel: frozenset(OPEN_STATES | {LoanState.accepted}),
}
BORROWER_ACTIONS: dict[LoanAction, frozenset[LoanState]] = {
    LoanAction.accept_counter: frozenset({LoanState.countered}),
    LoanAction.cancel: frozenset(OPEN_STATES | {LoanState.accepted}),
}
TARGET: dict[LoanAction, LoanState] = {
    LoanAction.accept: LoanState.accepted,
    LoanAction.decline: LoanState.declined,
    LoanAction.counter: LoanState.countered,
    LoanAction.pick_up: LoanState.picked_up,
    LoanAction.give_back: LoanState.returned,
    LoanAction.cancel: LoanState.cancelled,
}


def allowed_actions(loan: Loan) -> list[LoanAction]:
    """What this bureau may do to `loan` now (nothing while an action awaits the owner)."""
    table = OWNER_ACTIONS if loan.role == OWNER else BORROWER_ACTIONS
    if loan.pending:
        return []
    state = LoanState(loan.state)
    return [action for action, states in table.items() if state in states]


def available_actions(session: Session, loan: Loan) -> list[LoanAction]:
    """`allowed_actions`, plus taking back a request the owner never received."""
    if _undelivered_request(session, loan) is not None:
        return [LoanAction.cancel]
    return allowed_actions(loan)


def act(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    loan_id: str,
    data: LoanActionCreate,
    expected_version: int | None,
) -> Loan:
    """Do `data.action` to a loan: at the owner it takes effect at once; at the borrower it is
    sent to the owner, and the loan shows it pending until the owner's answer."""
    require_staff(actor, "act on loans")
    locked, resource = _locked(session, loan_id)
    if locked is None:
        raise NotFound(f"no loan with id {loan_id!r}")
    loan = locked
    check_version(loan, expected_version, "loan")
    action = data.action
    if action is LoanAction.cancel:
        request = _undelivered_request(session, loan)
        if request is not None:
            return _withdraw(
                session, exchange, actor=actor, loan=loan, request=request, reason=data.reason
            )
    if action not in allowed_actions(loan):
        side = "the owner" if loan.role == OWNER else "the borrower"
        if loan.pending:
            detail = f"the loan waits for {loan.owner!r} to confirm {loan.pending!r}"
        else:
            detail = f"{side} cannot {action.value} a loan that is {loan.state}"
        refused = FieldError(field="body.action", message=detail, code="loan_action_not_allowed")
        raise Conflict(detail, errors=[refused])
    if loan.role == BORROWER:
        loan.pending = action.value
        loan.version += 1
        message = LoanActionMessage(
            loan_id=loan.id, action=action, reason=data.reason, seen_revision=loan.revision
        )
        _send(
            session,
            exchange,
            loan,
            recipient=loan.owner,
            kind=KIND_LOAN_ACTION,
            body=message.model_dump(mode="json"),
            key=f"{KIND_LOAN_ACTION}:{loan.id}:{loan.revision}:{action.value}",
        )
        audit(
            session,
            actor=actor,
            action=f"loan.{action.value}",
            entity="loan",
            entity_id=loan.id,
            summary=f"{loan.resource_name} ({loan.owner})",
        )
        webhooks.record(session, exchange, "loan.updated", loan_payload(loan))
        return loan
    if action is LoanAction.accept and _overlaps(session, loan):
        detail = "this resource is already lent over part of that period"
        raise Overlap(
            detail, errors=[FieldError(field="body.action", message=detail, code="loan_overlap")]
        )
    if action is LoanAction.counter:
        assert data.starts_on is not None and data.ends_on is not None
        loan.proposed_starts_on, loan.proposed_ends_on = data.starts_on, data.ends_on
        loan.reason, loan.reason_code = data.reason, ""
        note = f"{data.starts_on.isoformat()} → {data.ends_on.isoformat()} {data.reason}".strip()
    else:
        if action in (LoanAction.decline, LoanAction.cancel):
            loan.reason, loan.reason_code = data.reason, ""
        note = data.reason
    _change(loan, TARGET[action], by=exchange.own, action=action.value, note=note)
    loan.version += 1
    audit(
        session,
        actor=actor,
        action=f"loan.{action.value}",
        entity="loan",
        entity_id=loan.id,
        summary=f"{loan.resource_name} → {loan.borrower}",
    )
    _publish_state(session, exchange, loan, resource)
    webhooks.record(session, exchange, "loan.updated", loan_payload(loan))
    if action is LoanAction.accept:
        _decline_overlapping(session, exchange, loan, actor=actor)
    return loan


# -- internals -------------------------------------------------------------------------------


def _undelivered_request(session: Session, loan: Loan) -> QueuedMessage | None:
    """The borrower's request, while it never reached the owner (still in our outbox)."""
    if loan.role != BORROWER or loan.pending != "request":
        return None
    row = _queued(session, loan, f"{KIND_LOAN_REQUEST}:{loan.id}")
    return row if row is not None and not row.delivered else None


def _withdraw(
    session: Session,
    exchange: Exchange,
    *,
    actor: Actor,
    loan: Loan,
    request: QueuedMessage,
    reason: str,
) -> Loan:
    """Borrower: take back a request the owner never received (it leaves the outbox), so an
    owner that stays away never leaves a loan pending for ever."""
    withdraw_message(session, request)
    loan.pending, loan.last_message_key = "", ""
    loan.reason, loan.reason_code = reason, ""
    _change(loan, LoanState.cancelled, by=exchange.own, action="withdraw", note=reason)
    loan.version += 1
    audit(
        session,
        actor=actor,
        action="loan.withdraw",
        entity="loan",
        entity_id=loan.id,
        summary=f"{loan.resource_name} ({loan.owner})",
    )
    webhooks.record(session, exchange, "loan.updated", loan_payload(loan))
    return loan


def _decline_overlapping(session: Session, exchange: Exchange, loan: Loan, *, actor: Actor) -> None:
    """Owner: `loan` now holds its resource, so the requests for part of the same period can
    no longer be granted: each is declined (reason `OVERLAP_ACCEPTED`) and its borrower told,
    rather than left « demandé » until someone declines it by hand. The caller holds the
    resource's row lock, so no request is accepted meanwhile."""
    losers = session.scalars(
        select(Loan)
        .where(
            Loan.role == OWNER,
            Loan.resource_id == loan.resource_id,
            Loan.id != loan.id,
            Loan.state == LoanState.requested.value,
            Loan.starts_on <= loan.ends_on,
            Loan.ends_on >= loan.starts_on,
        )
        .order_by(Loan.starts_on, Loan.id)
        .with_for_update()
    ).all()
    for other in losers:
        other.reason, other.reason_code = "", OVERLAP_ACCEPTED
        _change(
            other,
            LoanState.declined,
            by=exchange.own,
            action="decline",
            reason_code=OVERLAP_ACCEPTED,
        )
        other.version += 1
        audit(
            session,
            actor=actor,
            action="loan.decline",
            entity="loan",
            entity_id=other.id,
            summary=f"{other.resource_name} → {other.borrower} ({OVERLAP_ACCEPTED})",
        )
        # Declining a request frees nothing: the busy periods the network sees stay as they are.
        _publish_state(session, exchange, other, None)
        webhooks.record(session, exchange, "loan.updated", loan_payload(other))


def _overlaps(session: Session, loan: Loan) -> bool:
    """Whether another loan holds `loan`'s resource over part of its period (the caller
    holds the resource's row lock)."""
    other = session.scalar(
        select(Loan.id)
        .where(
            Loan.role == OWNER,
            Loan.resource_id == loan.resource_id,
            Loan.id != loan.id,
            Loan.state.in_([s.value for s in HOLDING_STATES]),
            Loan.starts_on <= loan.ends_on,
            Loan.ends_on >= loan.starts_on,
        )
        .limit(1)
    )
    return other is not None


def _event(
    loan: Loan, *, by: str, action: str, note: str = "", reason_code: str = "", **extra: str
) -> None:
    """Add a step to the loan's history: `note` is what a person typed, `reason_code` what
    the node says (a slug), `extra` the figures its sentence quotes."""
    loan.history = [
        *loan.history,
        {
            "at": _now().isoformat(),
            "by": by,
            "action": action,
            "state": loan.state,
            "starts_on": loan.starts_on.isoformat(),
            "ends_on": loan.ends_on.isoformat(),
            "note": note[:500],
            "reason_code": reason_code,
            **extra,
        },
    ]


def _change(
    loan: Loan,
    state: LoanState,
    *,
    by: str,
    action: str,
    note: str = "",
    reason_code: str = "",
) -> None:
    loan.state = state.value
    if state is not LoanState.countered:
        loan.proposed_starts_on = loan.proposed_ends_on = None
    _event(loan, by=by, action=action, note=note, reason_code=reason_code)


def _publish_state(
    session: Session, exchange: Exchange, loan: Loan, resource: Resource | None
) -> None:
    """Owner: bump the revision, send the state to the borrower, and republish the
    resource's busy periods when they may have changed."""
    loan.revision += 1
    session.flush()
    message = LoanStateMessage(
        loan_id=loan.id,
        revision=loan.revision,
        resource_id=loan.resource_id,
        resource_name=loan.resource_name,
        state=LoanState(loan.state),
        starts_on=loan.starts_on,
        ends_on=loan.ends_on,
        proposed_starts_on=loan.proposed_starts_on,
        proposed_ends_on=loan.proposed_ends_on,
        reason=loan.reason,
        reason_code=loan.reason_code,
        history=[LoanEvent.model_validate(event) for event in loan.history],
    )
    _send(
        session,
        exchange,
        loan,
        recipient=loan.borrower,
        kind=KIND_LOAN_STATE,
        body=message.model_dump(mode="json"),
        key=f"{KIND_LOAN_STATE}:{loan.id}:{loan.revision}",
    )
    if resource is not None and resource.lendable and loan.state in REPUBLISH:
        # The resource itself is unchanged (its version, the edit token, stays); the shared
        # record's busy periods move, and the publisher gives it the next shared version.
        share_resource(session, resource)


def loan_payload(loan: Loan) -> dict[str, Any]:
    """A loan as the webhook receives it."""
    return {
        "id": loan.id,
        "role": loan.role,
        "owner": loan.owner,
        "borrower": loan.borrower,
        "resource_id": loan.resource_id,
        "resource_name": loan.resource_name,
        "starts_on": loan.starts_on.isoformat(),
        "ends_on": loan.ends_on.isoformat(),
        "state": loan.state,
        "pending": loan.pending,
        "revision": loan.revision,
    }


def is_final(loan: Loan) -> bool:
    return LoanState(loan.state) in FINAL_STATES
