"""Accounts and tokens: who is calling, and which routes need nobody.

The service's views use three names from here and nothing else:
``init_app(app)`` attaches authentication to the app, ``public(view)`` marks a
view that answers without a token, and ``current_username()`` names the caller
of the current request.

Every other view needs a valid access token, checked before the request
reaches it, so a route added later is protected without anyone remembering
to protect it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import JWTManager, get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import CSRFError
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from csvdrop.auth import views
from csvdrop.auth.marks import is_public, public
from csvdrop.auth.users import UserError, UsersFile
from csvdrop.config import SETTINGS_BY_NAME
from csvdrop.problems import Problem, response

EXTENSION_KEY = views.EXTENSION_KEY
# An HS256 key shorter than the hash it feeds is guessable offline from any
# token; 32 characters of token_urlsafe carry about 190 bits.
MIN_SECRET_LENGTH = 32

__all__ = [
    "AuthConfigError",
    "current_username",
    "init_app",
    "public",
    "users_file",
]

log = logging.getLogger(__name__)


class AuthConfigError(RuntimeError):
    """The app cannot start because an auth setting is missing or wrong."""


@dataclass(frozen=True)
class AuthState:
    """What init_app attached to one app: its users file and rate limiter."""

    users: UsersFile
    limiter: Limiter


def current_username() -> str:
    """Return the name of the user making the current request."""
    username: str | None = g.get("csvdrop_username")
    if username is None:
        raise LookupError("no authenticated user: this request reached a public view")
    return username


def users_file(app: Flask | None = None) -> UsersFile:
    """Return the users file of the app (the current one by default)."""
    state: AuthState = (app or current_app).extensions[EXTENSION_KEY]
    return state.users


def init_app(app: Flask) -> None:
    """Attach tokens, cookies, login limits and token enforcement to the app."""
    setting = _settings_reader(app)
    users_path = setting("USERS_FILE")
    if not users_path:
        raise AuthConfigError(
            "setting USERS_FILE is not set: name the JSON file that"
            " 'csvdrop user add' writes (CSVDROP_USERS_FILE)"
        )
    users = UsersFile(str(users_path))
    try:
        # A damaged file stops the start here rather than every login later.
        users.load()
    except UserError as err:
        raise AuthConfigError(str(err)) from err

    app.config.update(_jwt_config(app, setting))
    manager = JWTManager(app)
    _answer_token_faults(app, manager, users)

    login_rate_limit = str(setting("LOGIN_RATE_LIMIT"))
    try:
        parse_many(login_rate_limit)
    except ValueError as err:
        raise AuthConfigError(
            f"setting LOGIN_RATE_LIMIT: {err}; write it like '10 per minute'"
        ) from err
    limiter = Limiter(
        views.client_address,
        app=app,
        storage_uri=str(setting("RATE_LIMIT_STORAGE_URI")),
        strategy="moving-window",
        headers_enabled=True,
    )
    # More specific than any HTTPException handler of the service, so the
    # answer keeps its own wording; the limiter adds Retry-After afterwards.
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_blueprint(views.create_blueprint(limiter, login_rate_limit))
    app.extensions[EXTENSION_KEY] = AuthState(users, limiter)
    app.before_request(_require_token)


def _settings_reader(app: Flask) -> Callable[[str], Any]:
    # create_app fills in every setting; an app built some other way (a bare
    # Flask in a test) falls back to the same documented defaults.
    def setting(name: str) -> Any:
        value = app.config.get(name)
        return SETTINGS_BY_NAME[name].default if value is None else value

    return setting


def _jwt_config(app: Flask, setting: Callable[[str], Any]) -> dict[str, object]:
    secret = setting("TOKEN_SECRET")
    if not secret:
        if not app.testing:
            raise AuthConfigError(
                "setting TOKEN_SECRET is not set: give every instance the same"
                " random secret (CSVDROP_TOKEN_SECRET or CSVDROP_TOKEN_SECRET_FILE)"
            )
        # Tests that do not care about the key get one per app.
        secret = secrets.token_urlsafe(MIN_SECRET_LENGTH)
    if len(str(secret)) < MIN_SECRET_LENGTH:
        raise AuthConfigError(
            f"setting TOKEN_SECRET is too short: use at least {MIN_SECRET_LENGTH}"
            " random characters"
        )
    access_minutes = int(setting("ACCESS_TOKEN_MINUTES"))
    refresh_hours = int(setting("REFRESH_TOKEN_HOURS"))
    if access_minutes < 1 or refresh_hours < 1:
        raise AuthConfigError(
            "settings ACCESS_TOKEN_MINUTES and REFRESH_TOKEN_HOURS must be at least 1"
        )
    return {
        "JWT_SECRET_KEY": str(secret),
        "JWT_ALGORITHM": "HS256",
        # Only the algorithm we sign with is accepted: no "none", no
        # public-key confusion.
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_ENCODE_ISSUER": "csvdrop",
        "JWT_DECODE_ISSUER": "csvdrop",
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=access_minutes),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(hours=refresh_hours),
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_COOKIE_SECURE": True,
        "JWT_COOKIE_SAMESITE": "Strict",
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_IN_COOKIES": True,
        "JWT_ACCESS_COOKIE_PATH": "/",
        # The refresh cookie travels only to the auth routes, not with every
        # upload.
        "JWT_REFRESH_COOKIE_PATH": views.URL_PREFIX + "/",
    }


def _unauthorized(slug: str, title: str, detail: str) -> Response:
    challenge = {"WWW-Authenticate": 'Bearer realm="csvdrop"'}
    return response(Problem(401, slug, title, detail, headers=challenge))


def _answer_token_faults(app: Flask, manager: JWTManager, users: UsersFile) -> None:
    @manager.user_lookup_loader
    def load_user(_header: dict[str, Any], claims: dict[str, Any]) -> object:
        user = users.get(str(claims["sub"]))
        # A password change or removal ends every token issued before it.
        if user is None or int(claims.get("iat", 0)) < user.password_changed:
            return None
        return user

    @manager.unauthorized_loader
    def missing_token(_reason: str) -> Response:
        return _unauthorized(
            "token-missing",
            "Authentication required",
            "This route needs an access token: send 'Authorization: Bearer"
            " <token>' from POST /api/v1/auth/token, or log in on the page.",
        )

    @manager.invalid_token_loader
    def invalid_token(reason: str) -> Response:
        return _unauthorized(
            "token-invalid", "Invalid token", f"The token was refused: {reason}."
        )

    @manager.expired_token_loader
    def expired_token(_header: dict[str, Any], claims: dict[str, Any]) -> Response:
        remedy = (
            "log in again"
            if claims.get("type") == "refresh"
            else "get a new one from POST /api/v1/auth/refresh"
        )
        return _unauthorized(
            "token-expired", "Token expired", f"The token has expired: {remedy}."
        )

    @manager.user_lookup_error_loader
    def unknown_user(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
        return _unauthorized(
            "token-revoked",
            "Token no longer valid",
            "The token's user was removed or changed password since it was"
            " issued: log in again.",
        )

    # Registered after JWTManager's own handler, so this one answers.
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> Response:
        return response(
            Problem(
                403,
                "csrf-failed",
                "CSRF check failed",
                "A request authenticated by cookie must repeat the"
                " csrf_access_token cookie (csrf_refresh_token for refresh) in"
                " the X-CSRF-TOKEN header.",
            )
        )


def _rate_limited(error: RateLimitExceeded) -> Response:
    log.warning("login rate limit hit by %s", views.client_address())
    return response(
        Problem(
            429,
            "rate-limited",
            "Too many login attempts",
            f"Too many login attempts from this address (limit:"
            f" {error.limit.limit}): retry after the number of seconds in the"
            " Retry-After header.",
        )
    )


def _is_public(endpoint: str | None) -> bool:
    # No endpoint means routing failed: the app answers 404 or 405 itself,
    # revealing nothing a token would protect.
    if endpoint is None:
        return True
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return is_public(current_app.view_functions.get(endpoint))


def _require_token() -> None:
    # A preflight carries no credentials by design; it only lists methods.
    if request.method == "OPTIONS" or _is_public(request.endpoint):
        return
    verify_jwt_in_request()
    g.csvdrop_username = str(get_jwt_identity())
