"""The persistent nonce store: a replayed request is refused even across restarts and workers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from federation.models import FedNonce

__all__ = ["DbNonceStore"]


class DbNonceStore:
    """A `NonceStore` over `fed_nonces`; the primary key makes check-and-store atomic."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def check_and_store(self, key_id: str, nonce: str, expires_at: float) -> bool:
        try:
            # Its own short transaction: a nonce is spent even if the request then fails.
            with self._sessions() as session, session.begin():
                session.add(
                    FedNonce(
                        key_id=key_id,
                        nonce=nonce,
                        expires_at=datetime.fromtimestamp(expires_at, UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def purge_expired(self, now: float) -> int:
        """Forget nonces whose signatures would be refused as too old anyway."""
        with self._sessions() as session, session.begin():
            result = session.execute(
                delete(FedNonce).where(FedNonce.expires_at < datetime.fromtimestamp(now, UTC))
            )
            return int(getattr(result, "rowcount", 0) or 0)
