"""Tests for federation.chain: hashes, checkpoints, and verification of log pages."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from federation.canonical import canonical_bytes
from federation.chain import (
    EMPTY_BODY_HASH,
    GENESIS,
    body_hash,
    build_entry,
    entry_hash,
    sign_checkpoint,
    verify_checkpoint,
    verify_page,
)
from federation.errors import (
    BadCheckpoint,
    BodyHashMismatch,
    BrokenChain,
    OriginMismatch,
    UnknownKey,
)
from federation.keys import generate_keypair
from schemas.federation import Checkpoint, LogEntry

ORIGIN = "lyon"
PAIR = generate_keypair("lyon#1")
KEYS = {"lyon#1": PAIR.public_key}
SIGNED_AT = 1_700_000_000


def make_chain(n: int = 10, *, origin: str = ORIGIN) -> list[LogEntry]:
    """n entries of `origin`'s log from genesis; every fifth one is a tombstone."""
    entries: list[LogEntry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        body = None if seq % 5 == 0 else {"name": f"Régisseuse {seq}", "skills": ["son"], "n": seq}
        entry = build_entry(
            origin=origin,
            seq=seq,
            kind="member",
            record_id=f"m{seq % 4}",
            version=seq,
            op="delete" if body is None else "upsert",
            body=body,
            prev_hash=prev,
        )
        entries.append(entry)
        prev = entry.hash
    return entries


def checkpoint_for(entries: list[LogEntry], *, pair: Any = PAIR) -> Checkpoint:
    last = entries[-1]
    return sign_checkpoint(pair, origin=ORIGIN, seq=last.seq, head=last.hash, signed_at=SIGNED_AT)


def check(
    entries: list[LogEntry],
    checkpoint: Checkpoint,
    *,
    origin: str = ORIGIN,
    after_seq: int = 0,
    after_hash: str = GENESIS,
) -> None:
    verify_page(
        entries,
        origin=origin,
        after_seq=after_seq,
        after_hash=after_hash,
        checkpoint=checkpoint,
        resolve_key=KEYS.__getitem__,
    )


def replace(entries: list[LogEntry], index: int, **changes: Any) -> list[LogEntry]:
    """A copy of the page with one entry's fields changed (and nothing recomputed)."""
    copy = list(entries)
    copy[index] = entries[index].model_copy(update=changes)
    return copy


def test_hashes_are_sha256_hex_of_canonical_json() -> None:
    """body_hash and entry_hash hash the RFC 8785 form; a tombstone hashes b""."""
    assert GENESIS == "0" * 64
    assert body_hash(None) == EMPTY_BODY_HASH == hashlib.sha256(b"").hexdigest()
    assert body_hash({"b": 1, "a": "é"}) == hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()
    expected = (
        '{"body_hash":"' + EMPTY_BODY_HASH + '","id":"m1","kind":"member","op":"delete",'
        '"origin":"lyon","prev":"' + GENESIS + '","seq":1,"version":2}'
    )
    assert (
        entry_hash(
            origin="lyon",
            seq=1,
            kind="member",
            record_id="m1",
            version=2,
            op="delete",
            body_hash=EMPTY_BODY_HASH,
            prev_hash=GENESIS,
        )
        == hashlib.sha256(expected.encode()).hexdigest()
    )


def test_a_valid_chain_of_ten_entries_verifies() -> None:
    """Ten linked entries under the origin's checkpoint pass."""
    entries = make_chain()
    check(entries, checkpoint_for(entries))


def test_a_chain_verifies_page_by_page_from_a_cursor() -> None:
    """The second page continues from the first page's last seq and hash."""
    entries = make_chain()
    check(entries[:4], checkpoint_for(entries[:4]))
    check(entries[4:], checkpoint_for(entries), after_seq=4, after_hash=entries[3].hash)


def test_an_empty_page_verifies_against_a_checkpoint_at_the_cursor() -> None:
    """Nothing new: the checkpoint must sit exactly at the cursor."""
    entries = make_chain(3)
    check([], checkpoint_for(entries), after_seq=3, after_hash=entries[-1].hash)


def test_a_compacted_upsert_without_body_still_verifies() -> None:
    """The chain covers body hashes, so a dropped body leaves the chain intact."""
    entries = make_chain()
    check(replace(entries, 2, body=None), checkpoint_for(entries))


def test_build_entry_refuses_an_upsert_without_body_or_a_delete_with_one() -> None:
    with pytest.raises(ValueError):
        build_entry(
            origin=ORIGIN,
            seq=1,
            kind="member",
            record_id="m",
            version=1,
            op="delete",
            body={"a": 1},
            prev_hash=GENESIS,
        )


def test_a_tampered_body_is_refused() -> None:
    """A body that no longer matches its body_hash: BodyHashMismatch (422)."""
    entries = make_chain()
    tampered = replace(entries, 3, body={"name": "Someone else", "skills": ["son"], "n": 4})
    with pytest.raises(BodyHashMismatch) as info:
        check(tampered, checkpoint_for(entries))
    assert info.value.status == 422


def test_a_delete_carrying_a_body_is_refused() -> None:
    """A tombstone must carry no body."""
    entries = make_chain()
    with pytest.raises(BodyHashMismatch):
        check(replace(entries, 4, body={"name": "back from the dead"}), checkpoint_for(entries))


def test_a_tampered_body_hash_is_refused() -> None:
    """Changing body_hash breaks the entry's hash: BrokenChain."""
    entries = make_chain()
    forged = body_hash({"name": "forged"})
    with pytest.raises(BrokenChain):
        check(
            replace(entries, 3, body={"name": "forged"}, body_hash=forged), checkpoint_for(entries)
        )


def test_a_tampered_prev_is_refused() -> None:
    """A `prev` that does not link to the previous hash: BrokenChain."""
    entries = make_chain()
    with pytest.raises(BrokenChain):
        check(replace(entries, 6, prev=entries[4].hash), checkpoint_for(entries))


def test_a_gap_in_seqs_is_refused() -> None:
    """A missing entry: BrokenChain."""
    entries = make_chain()
    with pytest.raises(BrokenChain):
        check(entries[:5] + entries[6:], checkpoint_for(entries))


def test_a_page_not_starting_at_the_cursor_is_refused() -> None:
    """The first entry must link to the receiver's cursor."""
    entries = make_chain()
    with pytest.raises(BrokenChain):
        check(entries[4:], checkpoint_for(entries), after_seq=4, after_hash=entries[2].hash)


def test_an_entry_of_another_origin_is_refused() -> None:
    """An entry claiming another origin: OriginMismatch."""
    entries = make_chain()
    with pytest.raises(OriginMismatch):
        check(replace(entries, 2, origin="paris"), checkpoint_for(entries))


def test_a_checkpoint_of_another_origin_is_refused() -> None:
    """A checkpoint for another origin than the page's: OriginMismatch."""
    entries = make_chain()
    with pytest.raises(OriginMismatch):
        check(entries, checkpoint_for(entries), origin="paris")


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    """Another key claiming the origin's key id: BadCheckpoint."""
    entries = make_chain()
    impostor = type(PAIR)(key_id="lyon#1", private_key=generate_keypair("x").private_key)
    with pytest.raises(BadCheckpoint):
        check(entries, checkpoint_for(entries, pair=impostor))


def test_a_checkpoint_naming_an_unknown_key_is_refused() -> None:
    """A checkpoint by a key the origin never announced: UnknownKey."""
    entries = make_chain()
    with pytest.raises(UnknownKey):
        check(entries, checkpoint_for(entries, pair=generate_keypair("lyon#2")))


@pytest.mark.parametrize("field", ["seq", "head"])
def test_a_checkpoint_not_at_the_last_entry_is_refused(field: str) -> None:
    """A checkpoint whose seq or head is not the page's last: BadCheckpoint."""
    entries = make_chain()
    signed = checkpoint_for(entries[:9]) if field == "seq" else checkpoint_for(entries)
    if field == "head":
        signed = sign_checkpoint(
            PAIR, origin=ORIGIN, seq=10, head=entries[8].hash, signed_at=SIGNED_AT
        )
    with pytest.raises(BadCheckpoint):
        check(entries, signed)


def test_a_checkpoint_with_altered_fields_does_not_verify() -> None:
    """The signature covers every checkpoint field, and garbage base64 is refused."""
    cp = checkpoint_for(make_chain(3))
    verify_checkpoint(cp, KEYS.__getitem__)
    for changes in ({"signed_at": SIGNED_AT + 1}, {"seq": 2}, {"signature": "not base64!"}):
        with pytest.raises(BadCheckpoint):
            verify_checkpoint(cp.model_copy(update=changes), KEYS.__getitem__)


def test_a_relay_recomputing_the_whole_chain_cannot_forge_a_body() -> None:
    """Rehashing a forged body all the way up still fails at the origin's checkpoint."""
    entries = make_chain()
    forged = make_chain()
    forged[3] = build_entry(
        origin=ORIGIN,
        seq=4,
        kind="member",
        record_id="m0",
        version=4,
        op="upsert",
        body={"name": "forged"},
        prev_hash=forged[2].hash,
    )
    for i in range(4, 10):
        forged[i] = forged[i].model_copy(update={"prev": forged[i - 1].hash})
        forged[i] = forged[i].model_copy(
            update={
                "hash": entry_hash(
                    origin=ORIGIN,
                    seq=forged[i].seq,
                    kind=forged[i].kind,
                    record_id=forged[i].id,
                    version=forged[i].version,
                    op=forged[i].op,
                    body_hash=forged[i].body_hash,
                    prev_hash=forged[i].prev,
                )
            }
        )
    with pytest.raises(BadCheckpoint):
        check(forged, checkpoint_for(entries))


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(st.characters(codec="ascii", min_codepoint=0x20), max_size=12)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.dictionaries(st.text(max_size=6), json_values, min_size=1, max_size=4)


@given(body=bodies, byte=st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_to_a_canonical_body_fails_verification(
    body: dict[str, Any], byte: int
) -> None:
    """Change each byte of the canonical body in turn: it stops being a JSON object, or fails."""
    raw = canonical_bytes(body)
    entry = build_entry(
        origin=ORIGIN,
        seq=1,
        kind="member",
        record_id="m",
        version=1,
        op="upsert",
        body=body,
        prev_hash=GENESIS,
    )
    checkpoint = checkpoint_for([entry])
    check([entry], checkpoint)
    for index, original in enumerate(raw):
        # Flipping the low bit mostly keeps a letter a letter and a digit a digit, so the
        # result often still parses; the drawn byte covers every other value.
        for new in {original ^ 1, byte} - {original}:
            value = _parse_json(raw[:index] + bytes([new]) + raw[index + 1 :])
            if not isinstance(value, dict):
                event("no longer a JSON object")
                continue  # nothing a LogEntry could carry
            if _same_value(value, raw):
                event("same value")
                continue  # another spelling of the same value (\u001F for \u001f)
            event("changed value")
            with pytest.raises(BodyHashMismatch):
                check([entry.model_copy(update={"body": value})], checkpoint)


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _same_value(value: dict[str, Any], raw: bytes) -> bool:
    try:
        return canonical_bytes(value) == raw
    except ValueError:
        return False  # e.g. an integer pushed past 2**53: verification must refuse it too
