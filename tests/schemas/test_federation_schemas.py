"""Tests for schemas.federation: strict, immutable wire models that keep unknown fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from federation.chain import GENESIS, build_entry, sign_checkpoint, verify_page
from federation.keys import generate_keypair
from schemas.federation import (
    Checkpoint,
    Heads,
    IdentityDocument,
    InboxMessage,
    KeyRotation,
    LogEntry,
    LogPage,
    Notify,
    OriginHead,
    PublicKey,
)

PAIR = generate_keypair("lyon#1")


def a_page() -> LogPage:
    entry = build_entry(
        origin="lyon",
        seq=1,
        kind="member",
        record_id="m1",
        version=1,
        op="upsert",
        body={"name": "Régisseuse", "skills": ["son"]},
        prev_hash=GENESIS,
    )
    checkpoint = sign_checkpoint(PAIR, origin="lyon", seq=1, head=entry.hash, signed_at=1)
    return LogPage(origin="lyon", entries=[entry], checkpoint=checkpoint, head_seq=1)


def entry_json(**changes: Any) -> dict[str, Any]:
    return a_page().entries[0].model_dump() | changes


def test_a_log_page_survives_the_wire_and_still_verifies() -> None:
    """JSON out and back in gives an equal page whose chain verifies."""
    page = a_page()
    received = LogPage.model_validate_json(page.model_dump_json())
    assert received == page
    assert received.checkpoint is not None
    verify_page(
        received.entries,
        origin="lyon",
        after_seq=0,
        after_hash=GENESIS,
        checkpoint=received.checkpoint,
        resolve_key={"lyon#1": PAIR.public_key}.__getitem__,
    )


def test_unknown_fields_from_a_newer_peer_are_kept_and_relayed() -> None:
    """Extra fields at any level survive parsing and serialisation."""
    data = json.loads(a_page().model_dump_json())
    data["compression"] = "none"
    data["entries"][0]["schema_hint"] = 2
    page = LogPage.model_validate_json(json.dumps(data))
    out = json.loads(page.model_dump_json())
    assert out["compression"] == "none"
    assert out["entries"][0]["schema_hint"] == 2


def test_identity_document_defaults_to_schema_version_1_and_accepts_a_newer_one() -> None:
    """A newer peer's identity, with a higher version and new fields, still parses."""
    key = PublicKey(id="lyon#1", public_key_pem=PAIR.public_pem())
    doc = IdentityDocument(
        slug="lyon",
        name="Bureau de Lyon",
        territory="Métropole de Lyon",
        url="https://lyon.example",
        software_version="0.1.0",
        keys=[key],
    )
    assert doc.schema_version == 1
    newer = IdentityDocument.model_validate(doc.model_dump() | {"schema_version": 2, "x": 1})
    assert newer.schema_version == 2
    assert newer.model_dump()["x"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": "1"},
        {"seq": 0},
        {"op": "update"},
        {"hash": "ABC"},
        {"prev": "0" * 63},
        {"origin": "Lyon"},
        {"body": "not an object"},
        {"version": 1.0},
        {"kind": "k" * 101},
        {"id": "i" * 201},
    ],
)
def test_log_entries_are_strict(changes: dict[str, Any]) -> None:
    """No coercion and no malformed hashes, slugs or ops."""
    with pytest.raises(ValidationError):
        LogEntry.model_validate(entry_json(**changes))


def test_a_compacted_or_deleted_entry_has_a_null_body() -> None:
    """body may be None on the wire."""
    assert LogEntry.model_validate(entry_json(body=None)).body is None


def test_wire_models_are_immutable() -> None:
    """Received data cannot be edited in place; model_copy makes a changed copy."""
    page = a_page()
    with pytest.raises(ValidationError):
        page.head_seq = 2  # type: ignore[misc]


def test_the_other_wire_models_parse() -> None:
    """Heads, Notify, InboxMessage and KeyRotation accept their documented fields."""
    cp = a_page().checkpoint
    assert isinstance(cp, Checkpoint)
    heads = Heads(
        node="lyon", origins=[OriginHead(origin="lyon", seq=1, head=cp.head, checkpoint=cp)]
    )
    assert Heads.model_validate_json(heads.model_dump_json()) == heads
    assert Notify(origins=["lyon", "paris"]).origins == ["lyon", "paris"]
    message = InboxMessage(
        id="msg-1",
        kind="loan_request",
        sender="lyon",
        recipient="paris",
        body={"resource": "r1"},
        idempotency_key="lyon:loan:1",
    )
    assert InboxMessage.model_validate_json(message.model_dump_json()) == message
    rotation = KeyRotation(
        old_key_id="lyon#1",
        new_key=PublicKey(id="lyon#2", public_key_pem=generate_keypair("lyon#2").public_pem()),
        signed_at=1,
        signature="c2ln",
    )
    assert KeyRotation.model_validate_json(rotation.model_dump_json()) == rotation
