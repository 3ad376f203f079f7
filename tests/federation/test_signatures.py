"""Tests for federation.signatures: RFC 9421 vectors, signed requests and responses, refusals."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from federation.errors import (
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingSignature,
    ReplayedNonce,
    SignatureExpired,
    SignatureFromFuture,
    UnknownKey,
    WrongAudience,
)
from federation.keys import KeyPair, fingerprint, generate_keypair, load_public_pem
from federation.signatures import (
    NONCE_HEADER,
    MemoryNonceStore,
    SigningAuth,
    content_digest,
    sign_response_headers,
    signature_nonce,
    verify_request,
    verify_response,
)

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request using ed25519).
RFC_KEY_ID = "test-key-ed25519"
RFC_PRIVATE_PEM = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RFC_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
RFC_PARAMS = (
    '("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    f'"@signature-params": {RFC_PARAMS}'
).encode()
RFC_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)
RFC_BODY = b'{"hello": "world"}'

URL = "https://lyon.example/federation/inbox?after=3"
AUTHORITY = "lyon.example"
T0 = 1_700_000_000.0

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@dataclass
class RfcRequest:
    """The `test-request` of RFC 9421 B.2, in the shape the library reads."""

    method: str = "POST"
    url: str = "https://example.com/foo?param=Value&Pet=dog"
    headers: dict[str, str] = field(
        default_factory=lambda: {
            "Host": "example.com",
            "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
            "Content-Type": "application/json",
            "Content-Digest": (
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNN"
                "yealdVLvRwEmTHWXvJwew==:"
            ),
            "Content-Length": "18",
        }
    )


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pair() -> KeyPair:
    return generate_keypair("lyon#1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def rfc_verifier() -> HTTPMessageVerifier:
    keys = {RFC_KEY_ID: load_public_pem(RFC_PUBLIC_PEM)}
    return HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys=keys, private_keys={}),
    )


def rfc_signed_request() -> RfcRequest:
    request = RfcRequest()
    request.headers["Signature-Input"] = f"sig-b26={RFC_PARAMS}"
    request.headers["Signature"] = f"sig-b26=:{RFC_SIGNATURE}:"
    return request


def rfc_private_key() -> Ed25519PrivateKey:
    key = load_pem_private_key(RFC_PRIVATE_PEM, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def test_rfc9421_b26_base_signed_with_b14_key_gives_the_rfc_signature() -> None:
    """Ed25519 is deterministic: our KeyPair reproduces the RFC's signature exactly."""
    pair = KeyPair(key_id=RFC_KEY_ID, private_key=rfc_private_key())
    assert len(RFC_BASE) == 284
    assert hashlib.sha256(RFC_BASE).hexdigest() == (
        "e6402577f54303accfda63dfbde1a7b8c5e5e6f3f7898637b7d78dc07ee1896a"
    )
    assert base64.b64encode(pair.sign(RFC_BASE)).decode() == RFC_SIGNATURE


def test_rfc9421_b26_headers_verify_on_the_test_request_with_age_limit_off() -> None:
    """The library accepts the RFC's own headers once the 2021 date is not held against them."""
    [result] = rfc_verifier().verify(rfc_signed_request(), max_age=None)
    assert result.label == "sig-b26"
    assert result.parameters["keyid"] == RFC_KEY_ID


def test_rfc9421_b26_headers_are_refused_with_the_default_age_limit_or_a_changed_date() -> None:
    """The same headers fail when too old, or when a covered field changed."""
    with pytest.raises(InvalidSignature):
        rfc_verifier().verify(rfc_signed_request())
    request = rfc_signed_request()
    request.headers["Date"] = "Tue, 20 Apr 2021 02:07:56 GMT"
    with pytest.raises(InvalidSignature):
        rfc_verifier().verify(request, max_age=None)


def test_rfc9421_b26_library_signing_reproduces_the_rfc_headers() -> None:
    """Signing the test request the way B.2.6 does yields the RFC's header values."""
    keys = {RFC_KEY_ID: rfc_private_key()}
    request = RfcRequest()
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys=keys),
    ).sign(
        request,
        key_id=RFC_KEY_ID,
        created=dt.datetime.fromtimestamp(1618884473, tz=dt.UTC),
        label="sig-b26",
        include_alg=False,
        covered_component_ids=RFC_COMPONENTS,
        use_existing_digest=True,
    )
    assert request.headers["Signature-Input"] == f"sig-b26={RFC_PARAMS}"
    assert request.headers["Signature"] == f"sig-b26=:{RFC_SIGNATURE}:"


def send(
    pair: KeyPair,
    clock: FakeClock,
    *,
    method: str = "POST",
    url: str = URL,
    content: bytes = b'{"kind":"loan_request"}',
    ttl: int = 60,
) -> httpx.Request:
    """The request as a MockTransport received it from a client using SigningAuth."""
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    auth = SigningAuth(pair, ttl=ttl, clock=clock)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.request(method, url, content=content or None)
    return captured[0]


def check(
    request: httpx.Request,
    keys: Mapping[str, Ed25519PublicKey],
    clock: FakeClock,
    *,
    nonces: MemoryNonceStore | None = None,
    authority: str = AUTHORITY,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """verify_request over what the server received."""
    return verify_request(
        method=request.method,
        url=str(request.url),
        headers=request.headers if headers is None else headers,
        body=request.content if body is None else body,
        resolve_key=keys.__getitem__,
        nonces=MemoryNonceStore(clock=clock) if nonces is None else nonces,
        expected_authority=authority,
        clock=clock,
    )


def test_signed_request_round_trips_through_an_httpx_client(
    pair: KeyPair, clock: FakeClock
) -> None:
    """SigningAuth's request verifies and names its key; it carries every required part."""
    request = send(pair, clock)
    assert check(request, {"lyon#1": pair.public_key}, clock) == "lyon#1"
    assert request.headers["Content-Digest"] == content_digest(request.content)
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    sig_input = request.headers["Signature-Input"]
    assert sig_input.startswith('arch=("@method" "@target-uri" "@authority" "content-digest");')
    for param in (f"created={int(T0)}", f"expires={int(T0) + 60}", 'keyid="lyon#1"'):
        assert param in sig_input
    assert 'alg="ed25519"' in sig_input
    assert len(signature_nonce(request.headers)) == 22  # 128 random bits, base64url


def test_signing_auth_works_with_an_async_client(pair: KeyPair, clock: FakeClock) -> None:
    """The same auth signs requests sent through httpx.AsyncClient."""
    captured: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    async def main() -> None:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, auth=SigningAuth(pair, clock=clock)) as c:
            await c.post(URL, content=b'{"a":1}')

    asyncio.run(main())
    assert check(captured[0], {"lyon#1": pair.public_key}, clock) == "lyon#1"


def test_a_request_without_body_is_signed_without_digest(pair: KeyPair, clock: FakeClock) -> None:
    """A GET carries no Content-Digest and still verifies."""
    request = send(pair, clock, method="GET", content=b"")
    assert "content-digest" not in request.headers
    assert check(request, {"lyon#1": pair.public_key}, clock) == "lyon#1"


def test_two_requests_get_different_nonces(pair: KeyPair, clock: FakeClock) -> None:
    """Each request carries a fresh nonce."""
    first, second = send(pair, clock), send(pair, clock)
    assert signature_nonce(first.headers) != signature_nonce(second.headers)


def test_an_unsigned_request_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """No signature headers: MissingSignature (401, `unsigned`)."""
    request = send(pair, clock)
    headers = {k: v for k, v in request.headers.items() if not k.startswith("signature")}
    with pytest.raises(MissingSignature) as info:
        check(request, {"lyon#1": pair.public_key}, clock, headers=headers)
    assert (info.value.status, info.value.reason) == (401, "unsigned")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Signature-Input", "arch=(not a list"),
        ("Signature-Input", 'other=("@method");created=1;keyid="lyon#1"'),
        ("Signature", "arch=notbytes"),
        ("Signature-Input", 'arch=("@method" "@authority");created=1;keyid="lyon#1"'),
    ],
)
def test_a_malformed_signature_is_refused(
    pair: KeyPair, clock: FakeClock, name: str, value: str
) -> None:
    """Unparseable headers, another label, or too few covered components: MalformedSignature."""
    request = send(pair, clock)
    headers = dict(request.headers) | {name.lower(): value}
    with pytest.raises(MalformedSignature):
        check(request, {"lyon#1": pair.public_key}, clock, headers=headers)


def test_a_signature_without_nonce_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """Dropping the nonce parameter leaves a malformed signature."""
    request = send(pair, clock)
    nonce = signature_nonce(request.headers)
    stripped = request.headers["signature-input"].replace(f';nonce="{nonce}"', "")
    headers = dict(request.headers) | {"signature-input": stripped}
    with pytest.raises(MalformedSignature):
        check(request, {"lyon#1": pair.public_key}, clock, headers=headers)


def test_a_request_signed_by_an_unknown_key_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """A key id the resolver does not know: UnknownKey."""
    with pytest.raises(UnknownKey):
        check(send(pair, clock), {}, clock)


def test_a_request_signed_by_another_key_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """Another key claiming our key id: BadSignature."""
    impostor = KeyPair(key_id="lyon#1", private_key=generate_keypair("x").private_key)
    with pytest.raises(BadSignature):
        check(send(impostor, clock), {"lyon#1": pair.public_key}, clock)


def test_a_request_whose_method_changed_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """A covered component altered in transit: BadSignature."""
    request = send(pair, clock)
    altered = httpx.Request("PUT", request.url, headers=request.headers, content=request.content)
    with pytest.raises(BadSignature):
        check(altered, {"lyon#1": pair.public_key}, clock)


def test_a_body_changed_after_signing_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """The signed Content-Digest no longer matches: DigestMismatch."""
    request = send(pair, clock)
    with pytest.raises(DigestMismatch):
        check(request, {"lyon#1": pair.public_key}, clock, body=b'{"kind":"loan_decision"}')


def test_an_old_request_is_refused_as_expired(pair: KeyPair, clock: FakeClock) -> None:
    """Older than max_age (300 s) even with a long ttl: SignatureExpired."""
    request = send(pair, clock, ttl=3600)
    clock.now += 301
    with pytest.raises(SignatureExpired):
        check(request, {"lyon#1": pair.public_key}, clock)


def test_a_request_past_its_expires_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """Past `expires` by more than the skew: SignatureExpired; within the skew it passes."""
    request = send(pair, clock, ttl=10)
    clock.now += 10 + 30
    assert check(request, {"lyon#1": pair.public_key}, clock) == "lyon#1"
    clock.now += 1
    with pytest.raises(SignatureExpired):
        check(request, {"lyon#1": pair.public_key}, clock)


def test_a_request_created_in_the_future_beyond_skew_is_refused(
    pair: KeyPair, clock: FakeClock
) -> None:
    """A sender clock 31 s ahead: SignatureFromFuture; 30 s ahead is tolerated."""
    request = send(pair, clock)
    verifier_clock = FakeClock(T0 - 30)
    assert check(request, {"lyon#1": pair.public_key}, verifier_clock) == "lyon#1"
    verifier_clock.now -= 1
    with pytest.raises(SignatureFromFuture):
        check(request, {"lyon#1": pair.public_key}, verifier_clock)


def test_a_replayed_request_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """The same request verified twice with one nonce store: ReplayedNonce."""
    request = send(pair, clock)
    nonces = MemoryNonceStore(clock=clock)
    check(request, {"lyon#1": pair.public_key}, clock, nonces=nonces)
    with pytest.raises(ReplayedNonce):
        check(request, {"lyon#1": pair.public_key}, clock, nonces=nonces)


def test_a_refused_request_does_not_use_up_its_nonce(pair: KeyPair, clock: FakeClock) -> None:
    """Only a request that passed every other check stores its nonce."""
    request = send(pair, clock)
    nonces = MemoryNonceStore(clock=clock)
    with pytest.raises(WrongAudience):
        check(request, {"lyon#1": pair.public_key}, clock, nonces=nonces, authority="x.example")
    assert check(request, {"lyon#1": pair.public_key}, clock, nonces=nonces) == "lyon#1"


def test_a_request_for_another_node_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """A valid signature over another authority: WrongAudience (403)."""
    request = send(pair, clock, url="https://paris.example/federation/inbox")
    with pytest.raises(WrongAudience) as info:
        check(request, {"lyon#1": pair.public_key}, clock)
    assert info.value.status == 403


def test_memory_nonce_store_forgets_expired_nonces_and_fails_closed_when_full() -> None:
    """Expired entries are dropped; a store full of live nonces refuses new ones."""
    clock = FakeClock()
    store = MemoryNonceStore(max_entries=2, clock=clock)
    assert store.check_and_store("k", "a", T0 + 10)
    assert store.check_and_store("k", "b", T0 + 20)
    assert not store.check_and_store("k", "c", T0 + 30)
    clock.now = T0 + 11
    assert store.check_and_store("k", "c", T0 + 30)
    assert not store.check_and_store("k", "a", T0 + 40)  # full again: b and c are live
    assert not store.check_and_store("k", "b", T0 + 40)  # still seen


def respond(
    pair: KeyPair,
    clock: FakeClock,
    nonce: str | None,
    body: bytes = b'{"ok":true}',
) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    return headers | sign_response_headers(
        status=200, headers=headers, body=body, pair=pair, request_nonce=nonce, clock=clock
    )


def test_signed_response_round_trips_and_is_bound_to_its_request(
    pair: KeyPair, clock: FakeClock
) -> None:
    """The response verifies, covering status, digest and the request's echoed nonce."""
    nonce = signature_nonce(send(pair, clock).headers)
    headers = respond(pair, clock, nonce)
    assert headers[NONCE_HEADER] == nonce
    assert headers["Signature-Input"].startswith(
        'arch=("@status" "content-digest" "archipel-request-nonce");'
    )
    key_id = verify_response(
        status=200,
        headers=headers,
        body=b'{"ok":true}',
        resolve_key={"lyon#1": pair.public_key}.__getitem__,
        expected_nonce=nonce,
        clock=clock,
    )
    assert key_id == "lyon#1"


def test_a_response_to_another_request_is_refused(pair: KeyPair, clock: FakeClock) -> None:
    """A response echoing another request's nonce: ReplayedNonce."""
    headers = respond(pair, clock, "nonce-of-request-a")
    with pytest.raises(ReplayedNonce):
        verify_response(
            status=200,
            headers=headers,
            body=b'{"ok":true}',
            resolve_key={"lyon#1": pair.public_key}.__getitem__,
            expected_nonce="nonce-of-request-b",
            clock=clock,
        )


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [(500, b'{"ok":true}', BadSignature), (200, b'{"ok":false}', DigestMismatch)],
)
def test_a_tampered_response_is_refused(
    pair: KeyPair, clock: FakeClock, status: int, body: bytes, error: type[Exception]
) -> None:
    """A changed status or body fails verification."""
    headers = respond(pair, clock, "n")
    with pytest.raises(error):
        verify_response(
            status=status,
            headers=headers,
            body=body,
            resolve_key={"lyon#1": pair.public_key}.__getitem__,
            expected_nonce="n",
            clock=clock,
        )


def test_the_protocol_request_example_verifies_with_the_appendix_key() -> None:
    """docs/protocol.md §4.1's signed pull request, checked with `grenoble-1` from its appendix."""
    text = PROTOCOL.read_text(encoding="utf-8")
    section = text[text.index("### 4.1") : text.index("### 4.2")]
    example = section[section.index("```http\nGET") + len("```http\n") :]
    request_line, *lines = example[: example.index("```")].strip().splitlines()
    method, target, _version = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in lines)
    row = re.search(r"\| `grenoble-1` \| `([0-9a-f]{64})` \| `(SHA256:[^`]+)` \|", text)
    assert row is not None, "the appendix lists grenoble-1's private key"
    public = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(row.group(1))).public_key()
    assert fingerprint(public) == row.group(2)
    key_id = verify_request(
        method=method,
        url=f"https://{headers['Host']}{target}",
        headers=headers,
        body=b"",
        resolve_key={"grenoble-1": public}.__getitem__,
        nonces=MemoryNonceStore(),
        expected_authority=headers["Host"],
        clock=lambda: 1_750_000_001,
    )
    assert key_id == "grenoble-1"
