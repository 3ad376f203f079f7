"""The federation's exceptions, one class per reason a message or a log page is refused.

Our exception hierarchy (HTTP status in brackets, `reason` slug after the name):

* FederationError [400] federation_error
  x SignatureError [401] signature_error
    + MissingSignature unsigned
    + MalformedSignature malformed_signature
    + UnknownKey unknown_key
    + BadSignature bad_signature
    + DigestMismatch digest_mismatch
    + SignatureExpired expired
    + SignatureFromFuture created_in_future
    + ReplayedNonce replayed_nonce
  x WrongAudience [403] wrong_audience
  x NotPeered [403] not_peered
  x BodyTooLarge [413] body_too_large
  x OverLimit [422] over_limit
    + ResponseTooLarge response_too_large
    + PageTooLarge page_too_large
    + RecordTooLarge record_too_large
  x ChainError [422] chain_error
    + BrokenChain broken_chain
    + BadCheckpoint bad_checkpoint
    + OriginMismatch origin_mismatch
    + BodyHashMismatch body_hash_mismatch
  x InsecureKeyFile [400] insecure_key_file

`reason` is stable: it labels metrics and appears in problem details, so never rename one.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadCheckpoint",
    "BadSignature",
    "BodyHashMismatch",
    "BodyTooLarge",
    "BrokenChain",
    "ChainError",
    "DigestMismatch",
    "FederationError",
    "InsecureKeyFile",
    "MalformedSignature",
    "MissingSignature",
    "NotPeered",
    "OriginMismatch",
    "OverLimit",
    "PageTooLarge",
    "RecordTooLarge",
    "ReplayedNonce",
    "ResponseTooLarge",
    "SignatureError",
    "SignatureExpired",
    "SignatureFromFuture",
    "UnknownKey",
    "WrongAudience",
]


class FederationError(Exception):
    """Base class: a federation message, page or key was refused."""

    reason: ClassVar[str] = "federation_error"
    status: ClassVar[int] = 400


class SignatureError(FederationError):
    """An HTTP message signature is absent or does not authenticate the message."""

    reason = "signature_error"
    status = 401


class MissingSignature(SignatureError):
    """The message carries no `Signature-Input`/`Signature` headers."""

    reason = "unsigned"


class MalformedSignature(SignatureError):
    """The signature headers do not parse, or lack a required component or parameter."""

    reason = "malformed_signature"


class UnknownKey(SignatureError):
    """The signature names a key id nobody vouched for."""

    reason = "unknown_key"


class BadSignature(SignatureError):
    """The signature does not verify with the named key."""

    reason = "bad_signature"


class DigestMismatch(SignatureError):
    """The body is not the one the signed `Content-Digest` describes."""

    reason = "digest_mismatch"


class SignatureExpired(SignatureError):
    """The signature is older than the accepted age, or past its `expires`."""

    reason = "expired"


class SignatureFromFuture(SignatureError):
    """The signature was created further in the future than the clock skew allows."""

    reason = "created_in_future"


class ReplayedNonce(SignatureError):
    """The nonce was already seen, or a response answers another request."""

    reason = "replayed_nonce"


class WrongAudience(FederationError):
    """A validly signed request meant for another node."""

    reason = "wrong_audience"
    status = 403


class NotPeered(FederationError):
    """A valid signature by a node no admin accepted."""

    reason = "not_peered"
    status = 403


class BodyTooLarge(FederationError):
    """The body exceeds the size this node accepts."""

    reason = "body_too_large"
    status = 413


class OverLimit(FederationError):
    """What a peer sent exceeds a bound this node sets (docs/protocol.md, "Limits")."""

    reason = "over_limit"
    status = 422


class ResponseTooLarge(OverLimit):
    """A peer's answer ran past `max_response_bytes`; reading it was abandoned there."""

    reason = "response_too_large"


class PageTooLarge(OverLimit):
    """A log page holds more entries than any page may."""

    reason = "page_too_large"


class RecordTooLarge(OverLimit):
    """A record's body exceeds the byte bound, or a field bound of its kind."""

    reason = "record_too_large"


class ChainError(FederationError):
    """A log page does not verify against its origin's hash chain and checkpoint."""

    reason = "chain_error"
    status = 422


class BrokenChain(ChainError):
    """Sequence numbers skip, a `prev` link breaks, or an entry hash does not recompute."""

    reason = "broken_chain"


class BadCheckpoint(ChainError):
    """The checkpoint is not the origin's signature over the page's last entry."""

    reason = "bad_checkpoint"


class OriginMismatch(ChainError):
    """An entry or checkpoint belongs to another origin than the page's."""

    reason = "origin_mismatch"


class BodyHashMismatch(ChainError):
    """A body does not hash to the `body_hash` its entry carries."""

    reason = "body_hash_mismatch"


class InsecureKeyFile(FederationError):
    """A private key file is readable, or writable, by group or others."""

    reason = "insecure_key_file"
