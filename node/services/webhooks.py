"""The bureau's optional webhook: loan and hosting events POSTed to another tool.

Events are stored in the transaction that causes them (only when a webhook URL is set) and
posted later by the scheduler, retried with backoff, so a slow or absent tool never delays
a page or loses an event. With a secret, each POST carries
`X-Archipel-Signature: sha256=<hex HMAC-SHA256 of the body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.models import WebhookEvent

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Archipel-Signature"
MAX_ATTEMPTS = 20
BACKOFF_MAX = 3600.0


class Follows(Protocol):
    @property
    def webhook(self) -> bool: ...


def record(session: Session, follows: Follows, event: str, payload: dict[str, Any]) -> None:
    """Store `event` for the webhook, if the bureau has one."""
    if not follows.webhook:
        return
    session.add(
        WebhookEvent(
            event=event,
            payload=payload,
            created_at=datetime.now(UTC),
            attempts=0,
            next_attempt_at=datetime.now(UTC),
        )
    )


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> float:
    return float(min(BACKOFF_MAX, 5 * 2 ** min(attempts, 20)))


def deliver_once(
    factory: sessionmaker[Session],
    *,
    url: str,
    secret: str,
    timeout: float,
    sender: str,
    transport: httpx.BaseTransport | None = None,
    batch: int = 20,
) -> int:
    """Post each due event once (outside any transaction); returns how many were delivered.

    An event that keeps failing is parked after `MAX_ATTEMPTS` (its `last_error` says why).
    """
    now = datetime.now(UTC)
    with factory() as session:
        due = session.execute(
            select(
                WebhookEvent.id, WebhookEvent.event, WebhookEvent.payload, WebhookEvent.created_at
            )
            .where(
                WebhookEvent.delivered_at.is_(None),
                WebhookEvent.next_attempt_at.is_not(None),
                WebhookEvent.next_attempt_at <= now,
            )
            .order_by(WebhookEvent.id)
            .limit(batch)
        ).all()
    if not due:
        return 0
    delivered = 0
    with httpx.Client(timeout=timeout, transport=transport) as client:
        for event_id, name, payload, created_at in due:
            body = json.dumps(
                {
                    "id": event_id,
                    "event": name,
                    "bureau": sender,
                    "at": created_at.isoformat(),
                    "data": payload,
                },
                ensure_ascii=False,
                sort_keys=True,
            ).encode()
            headers = {"Content-Type": "application/json", "User-Agent": "archipel-webhook"}
            if secret:
                headers[SIGNATURE_HEADER] = signature(secret, body)
            error: str | None = None
            unreachable = False
            try:
                response = client.post(url, content=body, headers=headers)
                if response.status_code >= 300:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                unreachable = isinstance(exc, httpx.TransportError)
            with factory() as session, session.begin():
                row = session.get(WebhookEvent, event_id)
                if row is None:
                    continue
                row.attempts += 1
                if error is None:
                    row.delivered_at, row.last_error, row.next_attempt_at = now, None, None
                    delivered += 1
                else:
                    row.last_error = error
                    row.next_attempt_at = (
                        None
                        if row.attempts >= MAX_ATTEMPTS
                        else now + timedelta(seconds=backoff(row.attempts))
                    )
                    log.warning("webhook event %s not delivered: %s", event_id, error)
            if unreachable:
                break  # the tool is down: one timeout per run, the rest wait their turn
    return delivered
