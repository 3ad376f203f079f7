"""Input guards in front of every route: text that no database can store is refused early.

PostgreSQL text cannot hold the NUL character, and no person types one: a query string or a
JSON or form body carrying it gets a 400 problem instead of reaching a query (where it would
be a 500 on PostgreSQL and silently accepted on SQLite).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.problems import problem_response

# `%00` in URLs and forms, `\u0000` in JSON (an even number of backslashes before it would
# be an escaped backslash followed by text; people do not type that either).
NUL = re.compile(rb"%00|\\u0000|\x00", re.IGNORECASE)
CHECKED_TYPES = (b"application/json", b"application/x-www-form-urlencoded")


class NulGuard:
    """Refuse requests whose query string or JSON/form body contains a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/federation/"):
            # Federation bodies are bounded and checked by the federation server itself.
            await self.app(scope, receive, send)
            return
        if NUL.search(scope.get("query_string", b"")) or NUL.search(scope["path"].encode()):
            await self._refuse(scope, receive, send)
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if not content_type.startswith(CHECKED_TYPES):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if NUL.search(body):
            await self._refuse(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            400,
            "Bad Request",
            "the request contains a NUL character (%00 or \\u0000), which no field accepts",
            instance=scope["path"],
            code="nul_character",
        )
        await response(scope, receive, send)
