"""The page shell at /, the health probes and the security headers."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
)

import csvdrop
from csvdrop.api import get_storage
from csvdrop.auth import public
from csvdrop.openapi import json_response, operation
from csvdrop.storage import StorageError

log = logging.getLogger(__name__)

# The release this worker runs, read once: what a deploy checks to know that
# the new release is the one answering.
RELEASE = csvdrop.__version__

bp = Blueprint("web", __name__)

# Every script and style comes from the app itself; nothing inline, no CDN.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@bp.get("/")
@public
@operation(
    get={
        "summary": "The web page",
        "tags": ["page"],
        "security": [],
        "responses": {200: {"description": "the page", "content": {"text/html": {}}}},
    }
)
def index() -> str:
    """Serve the page shell; the script fetches everything else."""
    return render_template("index.html")


@bp.get("/favicon.ico")
@public
@operation(
    get={
        "summary": "The page's icon, for clients that ask for it by its old name",
        "tags": ["page"],
        "security": [],
        "responses": {
            200: {"description": "the icon", "content": {"image/svg+xml": {}}}
        },
    }
)
def favicon() -> Response:
    """Serve the page's SVG icon where browsers look for one by default."""
    return send_from_directory(
        str(current_app.static_folder), "favicon.svg", mimetype="image/svg+xml"
    )


@bp.get("/healthz")
@public
@operation(
    get={
        "summary": "Liveness: the process answers",
        "tags": ["probes"],
        "security": [],
        "responses": {200: json_response("alive", "HealthSchema")},
    }
)
def healthz() -> Response:
    """Say the process is alive and which release it runs, touching nothing else."""
    return jsonify({"status": "ok", "version": RELEASE})


@bp.get("/readyz")
@public
@operation(
    get={
        "summary": "Readiness: the bucket answers",
        "tags": ["probes"],
        "security": [],
        "responses": {
            200: json_response("ready", "HealthSchema"),
            503: json_response("storage unreachable", "HealthSchema"),
        },
    }
)
def readyz() -> Response | tuple[Response, int]:
    """Say whether the bucket answers, for deploys and monitoring."""
    try:
        get_storage().ping()
    except StorageError as err:
        log.warning("not ready: %s", err)
        return jsonify({"status": "unavailable", "storage": "unreachable"}), 503
    return jsonify({"status": "ok", "storage": "ok"})


def init_app(app: Flask) -> None:
    """Register the page and add the security headers to every response."""
    app.register_blueprint(bp)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
