"""The OpenAPI 3.1 document, built from the app's URL map and its schemas.

Each view carries its operation (set with :func:`operation`), with request
and response bodies as marshmallow schemas; the document walks the URL map,
so a route without a description fails the test that compares the two. The
token routes belong to the accounts package and are described here under
their endpoint names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from marshmallow import INCLUDE, Schema, fields

from csvdrop.auth import public

View = TypeVar("View", bound=Callable[..., object])

ATTRIBUTE = "csvdrop_openapi"
PROBLEM_TYPE = "application/problem+json"

bp = Blueprint("openapi", __name__)


# -- schemas --------------------------------------------------------------------


class ProblemSchema(Schema):
    """An RFC 9457 problem: every error the API answers."""

    class Meta:
        # RFC 9457 lets a problem carry members of its own type.
        unknown = INCLUDE

    type = fields.String(
        required=True, metadata={"example": "/api/problems/field-count"}
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    line = fields.Integer(
        allow_none=True,
        metadata={"description": "1-based line of the CSV fault, for 422 answers"},
    )
    limit = fields.Integer(metadata={"description": "the limit a 413 refers to"})


class UploadRecordSchema(Schema):
    """What csvdrop keeps about one stored upload."""

    id = fields.String(
        required=True, metadata={"example": "01m913hkmz8r6whxt8q5fxgapd"}
    )
    owner = fields.String(required=True)
    bucket = fields.String(required=True)
    key = fields.String(required=True)
    source_name = fields.String(required=True)
    format = fields.String(required=True, metadata={"enum": ["json", "ndjson"]})
    content_type = fields.String(required=True)
    rows = fields.Integer(required=True)
    columns = fields.List(fields.String(), required=True)
    encoding = fields.String(required=True, metadata={"example": "cp1252"})
    delimiter = fields.String(required=True)
    bytes_in = fields.Integer(required=True)
    bytes_out = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    created = fields.String(required=True, metadata={"format": "date-time"})
    content_url = fields.String(required=True)


class UploadCreatedSchema(UploadRecordSchema):
    """The record of a new upload, with the first records of its JSON."""

    preview = fields.List(fields.Dict(), required=True)


class UploadPageSchema(Schema):
    """One page of the caller's uploads, newest first."""

    items = fields.List(fields.Nested(UploadRecordSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class UploadFormSchema(Schema):
    """The multipart form of an upload."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    format = fields.String(metadata={"enum": ["json", "ndjson"]})
    types = fields.String(metadata={"enum": ["string", "infer"]})
    delimiter = fields.String(metadata={"example": ";"})
    encoding = fields.String(metadata={"example": "cp1252"})


class HealthSchema(Schema):
    """The answer of a probe."""

    status = fields.String(required=True)
    version = fields.String()
    storage = fields.String()


class CredentialsSchema(Schema):
    """A user name and password."""

    username = fields.String(required=True)
    password = fields.String(required=True)


class TokenPairSchema(Schema):
    """An access token and the refresh token that renews it."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class AccessTokenSchema(Schema):
    """A renewed access token, or the user of renewed cookies."""

    access_token = fields.String()
    token_type = fields.String()
    username = fields.String()
    expires_in = fields.Integer(required=True)


class SessionSchema(Schema):
    """The user that cookies or a token belong to."""

    username = fields.String(required=True)
    expires_in = fields.Integer()


# -- operations -----------------------------------------------------------------


def problems(*statuses: int, **descriptions: str) -> dict[int, Any]:
    """Return the problem+json responses for the given statuses.

    A keyword such as ``s401="..."`` replaces the usual description of 401.
    """
    return {
        status: {
            "description": descriptions.get(
                f"s{status}", _STATUS_TEXT.get(status, "error")
            ),
            "content": {PROBLEM_TYPE: {"schema": "ProblemSchema"}},
        }
        for status in statuses
    }


def json_response(description: str, schema: str) -> dict[str, Any]:
    """Return a JSON response of a schema."""
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


_STATUS_TEXT = {
    400: "the request, an option or a parameter is invalid",
    401: "no valid access token",
    403: "the CSRF check failed",
    404: "no such upload for the caller",
    409: "the same Idempotency-Key is still being handled",
    413: "a request limit was exceeded; the problem names it",
    415: "the body is neither a multipart form nor text/csv",
    422: "the CSV is invalid; the problem names the line",
    429: "too many login attempts",
    503: "the object store did not answer; nothing was stored",
}

_PUBLIC: list[dict[str, list[str]]] = []


def operation(**operations: dict[str, Any]) -> Callable[[View], View]:
    """Attach the OpenAPI operations (by lower-case method) to a view."""

    def attach(view: View) -> View:
        setattr(view, ATTRIBUTE, operations)
        return view

    return attach


_WRONG_CREDENTIALS = "unknown user name or wrong password"
_CREDENTIALS_BODY = {
    "required": True,
    "content": {"application/json": {"schema": "CredentialsSchema"}},
}

# The accounts package's views, by endpoint.
AUTH_OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "auth.issue_tokens": {
        "post": {
            "summary": "Trade a user name and password for tokens",
            "tags": ["auth"],
            "security": _PUBLIC,
            "requestBody": _CREDENTIALS_BODY,
            "responses": {
                200: json_response("the tokens", "TokenPairSchema"),
                **problems(400, 401, 429, s401=_WRONG_CREDENTIALS),
            },
        }
    },
    "auth.log_in": {
        "post": {
            "summary": "Log in the page: set the token cookies",
            "tags": ["auth"],
            "security": _PUBLIC,
            "requestBody": _CREDENTIALS_BODY,
            "responses": {
                200: json_response("logged in", "SessionSchema"),
                **problems(400, 401, 429, s401=_WRONG_CREDENTIALS),
            },
        }
    },
    "auth.refresh": {
        "post": {
            "summary": "Trade a refresh token (header or cookie) for an access token",
            "tags": ["auth"],
            "security": [{"refreshToken": []}],
            "responses": {
                200: json_response("a new access token", "AccessTokenSchema"),
                **problems(401, 403, 429),
            },
        }
    },
    "auth.log_out": {
        "post": {
            "summary": "Clear the token cookies",
            "tags": ["auth"],
            "security": _PUBLIC,
            "responses": {204: {"description": "cookies cleared"}},
        }
    },
    "auth.who_am_i": {
        "get": {
            "summary": "Name the caller",
            "tags": ["auth"],
            "responses": {
                200: json_response("the caller", "SessionSchema"),
                **problems(401),
            },
        }
    },
}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operations(app: Flask, endpoint: str) -> dict[str, dict[str, Any]] | None:
    view = app.view_functions.get(endpoint)
    described = getattr(view, ATTRIBUTE, None)
    if described is not None:
        return dict(described)
    return AUTH_OPERATIONS.get(endpoint)


def undocumented_routes(app: Flask) -> list[str]:
    """Return the routes (other than static files) that have no operation."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        operations = _operations(app, rule.endpoint) or {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in operations:
                missing.append(f"{method} {rule.rule}")
    return missing


def build(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI document of the app."""
    spec = APISpec(
        title="csvdrop",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Convert CSV files to JSON documents stored in S3.",
        },
        security=[{"bearerToken": []}, {"accessCookie": []}],
    )
    spec.components.security_scheme(
        "bearerToken", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.security_scheme(
        "accessCookie",
        {"type": "apiKey", "in": "cookie", "name": "access_token_cookie"},
    )
    spec.components.security_scheme(
        "refreshToken", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for schema in (
        ProblemSchema,
        UploadRecordSchema,
        UploadCreatedSchema,
        UploadPageSchema,
        UploadFormSchema,
        HealthSchema,
        CredentialsSchema,
        TokenPairSchema,
        AccessTokenSchema,
        SessionSchema,
    ):
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)

    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint == "static":
            continue
        operations = _operations(app, rule.endpoint) or {}
        methods = {method.lower() for method in rule.methods or set()}
        for method, described in operations.items():
            if method in methods:
                paths.setdefault(_openapi_path(rule.rule), {})[method] = described
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/api/openapi.json")
@public
def openapi_document() -> Response:
    """Serve the OpenAPI document."""
    document = current_app.extensions.get("csvdrop.openapi")
    if document is None:
        document = current_app.extensions["csvdrop.openapi"] = build(current_app)
    return jsonify(document)


@bp.get("/api/docs")
@public
def docs_page() -> str:
    """Serve the page that renders the OpenAPI document, from local assets."""
    return render_template("docs.html")


setattr(
    openapi_document,
    ATTRIBUTE,
    {
        "get": {
            "summary": "This OpenAPI document",
            "tags": ["docs"],
            "security": _PUBLIC,
            "responses": {
                200: {
                    "description": "the document",
                    "content": {"application/json": {}},
                }
            },
        }
    },
)
setattr(
    docs_page,
    ATTRIBUTE,
    {
        "get": {
            "summary": "The API documentation page",
            "tags": ["docs"],
            "security": _PUBLIC,
            "responses": {
                200: {"description": "an HTML page", "content": {"text/html": {}}}
            },
        }
    },
)


def init_app(app: Flask) -> None:
    """Serve the document and its page."""
    app.register_blueprint(bp)
