"""An ActivityPub-style baseline, for comparison only: one signed POST per change, applied at once.

This is not how Archipel syncs. It mimics how fediverse servers deliver activities: the
sender POSTs each change on its own, signed with RFC 9421 (`SigningAuth`, Ed25519 with
Content-Digest); the receiver verifies the signature (`verify_request`), then stores the
record in the same replica tables with the same applier, in one transaction per activity.
Run as `python -m bench.baseline --db URL --port N --key-pem FILE --key-id ID` (receiver).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench import cards
from bench.nodes import create_node
from federation.errors import FederationError
from federation.keys import generate_keypair, load_public_pem
from federation.signatures import MemoryNonceStore, SigningAuth, verify_request
from node.db import make_engine, make_sessionmaker
from node.replica.appliers import CardKind
from tests.processes import answers, free_port, wait_for

HERE = Path(__file__).resolve().parent.parent


def inbox_app(db_url: str, public_pem: str, key_id: str, authority: str) -> Starlette:
    """The receiving server: verify each POST, then apply its one record at once."""
    sessions = make_sessionmaker(make_engine(db_url))
    key = load_public_pem(public_pem)
    nonces = MemoryNonceStore()
    applier = CardKind()

    def resolve(wanted: str) -> Any:
        if wanted != key_id:
            raise FederationError(f"unknown key {wanted!r}")
        return key

    async def inbox(request: Request) -> Response:
        body = await request.body()
        try:
            verify_request(
                method="POST",
                url=str(request.url),
                headers=request.headers,
                body=body,
                resolve_key=resolve,
                nonces=nonces,
                expected_authority=authority,
            )
        except FederationError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=401)
        activity = json.loads(body)
        with sessions() as session, session.begin():
            applier.apply(
                session,
                origin=activity["actor"],
                record_id=activity["object"]["id"],
                version=activity["object"]["version"],
                body=activity["object"]["card"],
            )
        return Response(status_code=202)

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])


def deliver(root: Path, count: int, *, db_url: Any = None) -> dict[str, float]:
    """Deliver `count` card changes one signed POST at a time to a receiver process."""
    import subprocess

    receiver = create_node(root, "inbox", db_url=db_url("inbox") if db_url else "")
    pair = generate_keypair("a-k1")
    pem = root / "sender.pem"
    pem.write_text(pair.public_pem())
    port = free_port()
    log = (root / "inbox.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.baseline", "--db", receiver.settings.database_url,
         "--port", str(port), "--key-pem", str(pem), "--key-id", pair.key_id],
        cwd=HERE, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{url}/health") or process.poll() is not None, timeout=60)
        bodies = cards.cards(cards.BUREAUS[0], count)
        with httpx.Client(auth=SigningAuth(pair), timeout=30) as client:
            started = time.perf_counter()
            for i, body in enumerate(bodies):
                activity = {
                    "type": "Update",
                    "actor": "a",
                    "object": {"id": f"m{i:07d}", "version": 1, "card": body},
                }
                response = client.post(f"{url}/inbox", json=activity)
                if response.status_code != 202:
                    raise RuntimeError(f"inbox refused: {response.status_code} {response.text}")
            elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    return {
        "entries": count,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(count / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-pem", required=True)
    parser.add_argument("--key-id", required=True)
    args = parser.parse_args()
    pem = Path(args.key_pem).read_text()
    serialization.load_pem_public_key(pem.encode())  # fail early on a bad key file
    app = inbox_app(args.db, pem, args.key_id, f"127.0.0.1:{args.port}")
    app.router.routes.append(Route("/health", lambda _r: Response("ok"), methods=["GET"]))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
