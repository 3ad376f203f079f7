"""Domain errors and their RFC 9457 problem-details rendering.

    DomainError            400  base; carries a title, a detail and optional field errors
    ├── NotFound           404
    ├── Conflict           409  e.g. a unique value already taken
    │   └── VersionConflict 409 someone else changed the record since you read it
    ├── PreconditionRequired 428 an update without `If-Match` or `version`
    ├── Unauthenticated    401
    ├── Forbidden          403
    └── TooManyRequests    429  with the seconds to wait (`Retry-After`)

Services raise these and never import FastAPI; `install_handlers` maps them to responses.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.common import FieldError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A request the domain refuses. `code` is a stable slug (the problem document's `code`):
    pages translate it and clients switch on it; `detail` is English for people reading the
    API and never matched."""

    status = 400
    title = "Bad Request"
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        title: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        if code:
            self.code = code
        elif len(self.errors) == 1 and self.errors[0].code != "invalid":
            self.code = self.errors[0].code
        if title:
            self.title = title
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not Found"
    code = "not_found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    code = "conflict"


class VersionConflict(Conflict):
    title = "Edit Conflict"
    code = "version_conflict"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition Required"
    code = "version_required"


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthorized"
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class TooManyRequests(DomainError):
    status = 429
    title = "Too Many Requests"
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, retry_after=retry_after)
        self.retry_after = retry_after


# What the database says when it cannot take a write now: (status, title, reason, detail).
# SQLite words it in the message; PostgreSQL in the SQLSTATE (53100 disk full, 53200 out of
# memory, 55P03 lock not available, 57014 statement timeout).
DISK_FULL = (507, "Insufficient Storage", "disk_full", "the node's disk is full")
BUSY = (503, "Service Unavailable", "database_busy", "the database is busy")
RETRY_AFTER_BUSY = "2"


def database_trouble(exc: BaseException) -> tuple[int, str, str, str] | None:
    """The problem to answer when `exc` says the database cannot take a write for now (a full
    disk, a lock held too long); None for anything else."""
    if not isinstance(exc, DBAPIError):
        return None
    message = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in {"53100", "53200"} or "disk is full" in message or "disk full" in message:
        return DISK_FULL
    if sqlstate in {"55P03", "57014"} or "database is locked" in message or "is busy" in message:
        return BUSY
    return None


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """A `application/problem+json` response (RFC 9457) with its stable `code`."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    body["code"] = code or _default_code(status)
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid value"))
        code = str(err.get("type") or "invalid")
        field = _field_path(tuple(err.get("loc", ())))
        errors.append(FieldError(field=field, message=message, code=code))
    return errors


def install_handlers(app: FastAPI) -> None:
    """Render every error of the API as problem details."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=headers,
            code=exc.code,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        fields = ", ".join(e.field for e in errors)
        return problem_response(
            422,
            "Unprocessable Content",
            f"invalid fields: {fields}" if fields else "the request is invalid",
            instance=request.url.path,
            errors=errors,
            code="invalid_request",
        )

    @app.exception_handler(StatementError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # Validation bounds the fields people use; this is the backstop for a value the
        # database cannot store (a number beyond 64 bits, a year beyond 9999): the client's
        # fault. Any other database error is ours: logged, and a plain 500.
        cause = exc.orig if isinstance(exc, StatementError) else exc
        trouble = database_trouble(exc)
        if trouble is not None:
            # Not a bug: the transaction rolled back whole, and the same request will work
            # once the condition clears. Say so, rather than a bare 500.
            status, title, reason, detail = trouble
            log.warning("database refused a request to %s: %s", request.url.path, cause)
            return problem_response(
                status,
                title,
                f"{detail}; nothing was saved, try again later",
                instance=request.url.path,
                headers={"Retry-After": RETRY_AFTER_BUSY} if status == 503 else None,
                code=reason,
                reason=reason,
            )
        if isinstance(exc, DataError) or isinstance(cause, OverflowError | ValueError):
            log.info("value refused by the database on %s: %s", request.url.path, cause)
            return problem_response(
                422,
                "Unprocessable Content",
                "a value is out of the range this node can store",
                instance=request.url.path,
                code="value_out_of_range",
            )
        log.error("database error on %s", request.url.path, exc_info=exc)
        return problem_response(500, "Internal Server Error", "", instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            _default_title(exc.status_code),
            str(exc.detail),
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )


def _default_code(status: int) -> str:
    """The code of a problem nobody named more precisely: its title as a slug."""
    return _default_title(status).lower().replace(" ", "_")


def _default_title(status: int) -> str:
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Content Too Large",
        415: "Unsupported Media Type",
        422: "Unprocessable Content",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
        507: "Insufficient Storage",
    }.get(status, "Error")
