"""Error answers of the auth routes as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, json

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Relative URIs: stable names that need no server to resolve them.
TYPE_PREFIX = "/problems/"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return a problem+json response with a stable type built from the slug."""
    body = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
