"""Errors as RFC 9457 problem details, for every route and every failure."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/problems/"


class Problem(Exception):
    """An error the API reports to the client as problem+json."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """Return the problem document."""
        return {
            "type": TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request.path,
            **self.extra,
        }


# Werkzeug's own titles for its errors, as stable slugs.
_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "unprocessable-content",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


INTERNAL_ERROR = Problem(
    500,
    "internal-error",
    "Internal Server Error",
    "the server failed; the failure is logged with this request's id",
)
# The same problem without an instance, for when even the request is broken.
_INTERNAL_ERROR_DOCUMENT = {
    "type": TYPE_BASE + INTERNAL_ERROR.slug,
    "title": INTERNAL_ERROR.title,
    "status": INTERNAL_ERROR.status,
    "detail": INTERNAL_ERROR.detail,
}


def response(problem: Problem) -> Response:
    """Return the HTTP response that reports problem."""
    answer = Response(
        json.dumps(problem.to_dict()), status=problem.status, mimetype=MEDIA_TYPE
    )
    answer.headers.update(problem.headers)
    return answer


def from_http_exception(err: HTTPException) -> Problem:
    """Translate a Werkzeug HTTP error into a problem."""
    status = err.code or 500
    headers = {}
    if status == 405 and err.response is None:
        allowed = getattr(err, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    detail = err.description or err.name
    if status == 404:
        detail = f"nothing at {request.path}"
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.path}"
    return Problem(
        status,
        _HTTP_SLUGS.get(status, "http-error"),
        err.name,
        detail,
        headers=headers,
    )


def init_app(app: Flask) -> None:
    """Answer every error of the app as problem+json, never as an HTML page."""

    @app.errorhandler(Problem)
    def handle_problem(err: Problem) -> Response:
        return response(err)

    @app.errorhandler(HTTPException)
    def handle_http_exception(err: HTTPException) -> Response:
        if isinstance(err, InternalServerError) and err.original_exception:
            return handle_unexpected(err.original_exception)
        return response(from_http_exception(err))

    @app.errorhandler(Exception)
    def handle_unexpected(err: BaseException) -> Response:
        # This handler is the last line: if it raised too, the client would
        # get Werkzeug's HTML page, so neither logging nor a broken request
        # context may stop it from answering.
        try:
            log.error("unexpected failure: %s", type(err).__name__, exc_info=err)
        except Exception:  # noqa: S110 (nothing is left to report the failure to)
            pass
        try:
            return response(INTERNAL_ERROR)
        except Exception:
            return Response(
                json.dumps(_INTERNAL_ERROR_DOCUMENT),
                status=500,
                mimetype=MEDIA_TYPE,
            )
