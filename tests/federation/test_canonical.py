"""Tests for federation.canonical: the fast path writes exactly what `rfc8785` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import canonical_bytes, sha256_hex
from federation.chain import body_hash, entry_hash

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

# Keys and strings with what differs between encoders: controls, quotes, backslashes, DEL,
# non-ASCII, characters on both sides of U+FFFF (UTF-16 order), lone surrogates.
TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x7F),
        st.sampled_from(["é", "ö", "€", "\u2028", "\ufb33", "\uffff", "😀", "\U0010ffff"]),
        st.characters(),
    ),
    max_size=8,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2),
    st.integers(),
    st.floats(),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(TEXT, inner, max_size=5),
    ),
    max_leaves=20,
)


def _outcome(encode: Any, value: Any) -> bytes | str:
    try:
        return bytes(encode(value))
    except ValueError:  # rfc8785's errors, and UnicodeEncodeError for lone surrogates
        return "refused"


@settings(max_examples=400)
@given(JSON_VALUES)
def test_canonical_bytes_are_those_of_rfc8785(value: Any) -> None:
    assert _outcome(canonical_bytes, value) == _outcome(rfc8785.dumps, value)


def test_rfc8785_sorts_keys_by_utf16_code_units() -> None:
    """RFC 8785 §3.2.3's example: the emoji (a surrogate pair) sorts before U+FB33."""
    value = {
        "€": "Euro",
        "\r": "CR",
        "\ufb33": "Hebrew",
        "1": "One",
        "😀": "Emoji",
        "\u0080": "C1",
        "ö": "o",
    }
    assert (
        canonical_bytes(value)
        == (
            '{"\\r":"CR","1":"One","\u0080":"C1","ö":"o","€":"Euro","😀":"Emoji","\ufb33":"Hebrew"}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": [1, True, None, 'x\u001f\n"\\']}, b'{"b":[1,true,null,"x\\u001f\\n\\"\\\\"]}'),
        ({"n": 1.0, "m": 1e21, "k": -0.0}, b'{"k":0,"m":1e+21,"n":1}'),
        ({"big": 2**53 - 1}, b'{"big":9007199254740991}'),
        ("\u007f\u2028", '"\u007f\u2028"'.encode()),
    ],
)
def test_canonical_bytes_examples(value: Any, expected: bytes) -> None:
    assert canonical_bytes(value) == expected


@pytest.mark.parametrize(
    "value", [2**53, -(2**53), float("nan"), float("inf"), "\ud800", {1: "x"}, {"a": [{2: 1}]}]
)
def test_values_json_cannot_carry_exactly_are_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"v": value})


def test_the_protocol_examples_still_hash_as_published() -> None:
    """The log page of docs/protocol.md §7.3: every body hash and entry hash recomputes."""
    text = PROTOCOL.read_text(encoding="utf-8")
    section = text[text.index("### 7.3") :]
    page = json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))  # type: ignore[union-attr]
    assert [e["seq"] for e in page["entries"]] == [1, 2]
    for entry in page["entries"]:
        assert body_hash(entry["body"]) == entry["body_hash"]
        assert sha256_hex(rfc8785.dumps(entry["body"])) == entry["body_hash"]
        assert (
            entry_hash(
                origin=entry["origin"],
                seq=entry["seq"],
                kind=entry["kind"],
                record_id=entry["id"],
                version=entry["version"],
                op=entry["op"],
                body_hash=entry["body_hash"],
                prev_hash=entry["prev"],
            )
            == entry["hash"]
        )
    assert page["entries"][1]["body_hash"] == (
        "751a7a665c0944d1842143873fbae7febaa1493a18f812530a464bef81004578"
    )


@settings(max_examples=300)
@given(
    st.lists(TEXT, min_size=6, max_size=6),
    st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2),
    st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2),
)
def test_entry_hash_is_the_hash_of_the_rfc8785_entry_object(
    texts: list[str], seq: int, version: int
) -> None:
    origin, kind, record_id, op, digest, prev = texts
    fields = {
        "origin": origin,
        "seq": seq,
        "kind": kind,
        "id": record_id,
        "version": version,
        "op": op,
        "body_hash": digest,
        "prev": prev,
    }
    expected = _outcome(rfc8785.dumps, fields)

    def hashed() -> str:
        return entry_hash(
            origin=origin,
            seq=seq,
            kind=kind,
            record_id=record_id,
            version=version,
            op=op,
            body_hash=digest,
            prev_hash=prev,
        )

    if expected == "refused":
        with pytest.raises(ValueError):
            hashed()
    else:
        assert isinstance(expected, bytes)
        assert hashed() == sha256_hex(expected)
