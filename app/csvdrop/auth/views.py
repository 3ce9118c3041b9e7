"""The token routes under /api/v1/auth: tokens for scripts, cookies for the page.

``POST /token`` answers an access and a refresh token in JSON, for an
``Authorization: Bearer`` header. ``POST /login`` sets the same tokens as
HttpOnly cookies instead, with readable CSRF cookies for the page to echo.
``POST /refresh`` trades a refresh token (header or cookie) for a new access
token, ``POST /logout`` clears the cookies and ``GET /me`` names the caller.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    get_jwt_request_location,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_limiter import Limiter

from csvdrop.auth.marks import public
from csvdrop.auth.users import User, UsersFile
from csvdrop.problems import Problem, response

URL_PREFIX = "/api/v1/auth"
EXTENSION_KEY = "csvdrop.auth"
BEARER = "Bearer"
MAX_LOGIN_BODY_BYTES = 16 * 1024

log = logging.getLogger(__name__)


def client_address() -> str:
    """Return the address of the client, which the login limit counts against."""
    # A TCP peer is the client itself (or a proxy the app was told to see
    # through). An empty address means the unix socket, which only the local
    # nginx can open: it appends the client it saw, after its real-IP step,
    # as the last X-Forwarded-For entry.
    if request.remote_addr:
        return request.remote_addr
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.rsplit(",", 1)[-1].strip() or "unknown"


def _users() -> UsersFile:
    users: UsersFile = current_app.extensions[EXTENSION_KEY].users
    return users


def _access_seconds() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _check_credentials() -> User | Response:
    # The upload limit is far too generous for a login: without this, every
    # attempt could make the app parse up to that much JSON.
    if (request.content_length or 0) > MAX_LOGIN_BODY_BYTES:
        return response(
            Problem(
                413,
                "login-request-too-large",
                "Login request too large",
                f"A login request body is at most {MAX_LOGIN_BODY_BYTES} bytes.",
            )
        )
    # A body sent without a length is cut off at the same size as it is read.
    request.max_content_length = MAX_LOGIN_BODY_BYTES
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # A few kilobytes of nested brackets exhaust the JSON parser's stack;
        # that is a malformed login, not a failure of the server.
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str):
        return response(
            Problem(
                400,
                "invalid-login-request",
                "Invalid login request",
                "Send a JSON object with string fields 'username' and 'password'.",
            )
        )

    user = _users().authenticate(username, password)
    if user is None:
        # The name is left out: people type their password into it.
        log.warning("login refused from %s", client_address())
        return response(
            Problem(
                401,
                "invalid-credentials",
                "Login refused",
                "Unknown user name or wrong password.",
                headers={"WWW-Authenticate": 'Bearer realm="csvdrop"'},
            )
        )
    g.csvdrop_username = user.name
    return user


def issue_tokens() -> Response:
    """Answer an access and a refresh token for a username and password."""
    user = _check_credentials()
    if isinstance(user, Response):
        return user

    log.info("tokens issued to %s", user.name)
    return jsonify(
        access_token=create_access_token(identity=user.name, fresh=True),
        refresh_token=create_refresh_token(identity=user.name),
        token_type=BEARER,
        expires_in=_access_seconds(),
    )


def log_in() -> Response:
    """Set the access and refresh cookies for a username and password."""
    user = _check_credentials()
    if isinstance(user, Response):
        return user

    answer = jsonify(username=user.name, expires_in=_access_seconds())
    set_access_cookies(answer, create_access_token(identity=user.name, fresh=True))
    set_refresh_cookies(answer, create_refresh_token(identity=user.name))
    log.info("%s logged in", user.name)
    return answer


def refresh() -> Response:
    """Answer a new access token for a refresh token, in the same place."""
    verify_jwt_in_request(refresh=True)
    username = str(get_jwt_identity())
    g.csvdrop_username = username
    access_token = create_access_token(identity=username)

    log.info("access token refreshed for %s", username)
    if get_jwt_request_location() == "cookies":
        answer = jsonify(username=username, expires_in=_access_seconds())
        set_access_cookies(answer, access_token)
        return answer
    return jsonify(
        access_token=access_token, token_type=BEARER, expires_in=_access_seconds()
    )


def log_out() -> Response:
    """Clear the token cookies of the browser."""
    # Public, so that a browser whose access token has already expired can
    # still drop its cookies. Bearer tokens stay valid until they expire.
    answer = Response(status=204)
    unset_jwt_cookies(answer)
    return answer


def who_am_i() -> Response:
    """Name the user that the access token belongs to."""
    return jsonify(username=g.csvdrop_username)


def create_blueprint(limiter: Limiter, login_rate_limit: str) -> Blueprint:
    """Return the auth routes, the credential ones sharing one rate limit."""
    blueprint = Blueprint("auth", __name__, url_prefix=URL_PREFIX)
    # One budget per client address across the three routes that take
    # credentials or mint tokens, so spreading guesses over them gains nothing.
    limited = limiter.shared_limit(login_rate_limit, scope="login")
    for rule, view in (
        ("/token", issue_tokens),
        ("/login", log_in),
        ("/refresh", refresh),
    ):
        blueprint.add_url_rule(rule, view_func=public(limited(view)), methods=["POST"])
    blueprint.add_url_rule("/logout", view_func=public(log_out), methods=["POST"])
    blueprint.add_url_rule("/me", view_func=who_am_i, methods=["GET"])
    return blueprint
