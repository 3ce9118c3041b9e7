"""Tokens, cookies and the token check in front of every route."""

from __future__ import annotations

import re
import secrets
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from csvdrop import create_app
from csvdrop.auth import AuthConfigError, users_file
from csvdrop.auth.marks import is_public

PROBLEM = "application/problem+json"

# Paths that may answer without a token: the page shell, health, metrics
# (kept off the internet by nginx), the routes that take credentials, the
# API description and docs, and static files. Anything else marked public
# is a hole.
ALLOWED_PUBLIC_PATHS = re.compile(
    r"/|/healthz|/readyz|/metrics|/static/.*|/favicon\.ico"
    r"|/api/v1/auth/(token|login|refresh|logout)"
    r"|/api/openapi\.json|/api/docs.*|/docs.*"
)


class Account(NamedTuple):
    name: str
    password: str

    def login(self) -> dict[str, str]:
        """Return the JSON body of a login as this account."""
        return {"username": self.name, "password": self.password}


@pytest.fixture
def create_account(app: Flask) -> Callable[[], Account]:
    """Return a factory of fresh users, each with its own random password."""

    def create() -> Account:
        account = Account("user-" + secrets.token_hex(4), secrets.token_urlsafe(16))
        users_file(app).add(*account)
        return account

    return create


def _problem_type(response: Any) -> str:
    assert response.mimetype == PROBLEM
    return str(response.get_json()["type"]).rsplit("/", 1)[-1]


def _cookies(response: Any) -> dict[str, str]:
    """Map each cookie set by the response to its Set-Cookie attributes."""
    return {
        header.split("=", 1)[0]: header
        for header in response.headers.getlist("Set-Cookie")
    }


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every rule, with dummy arguments."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        values = {name: "01jzzzzzzzzzzzzzzzzzzzzzzz" for name in rule.arguments}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = adapter.build(rule.endpoint, values, method=method)
            routes.append((rule.endpoint, method, url))
    return routes


def test_every_route_not_marked_public_refuses_an_anonymous_call(
    app: Flask, client: FlaskClient
) -> None:
    protected = [
        route
        for route in _routes(app)
        if not is_public(app.view_functions[route[0]]) and route[0] != "static"
    ]
    assert len(protected) >= 5, "the API routes should be among the protected"

    for endpoint, method, url in protected:
        response = client.open(url, method=method)
        assert response.status_code == 401, (endpoint, method, url)
        assert _problem_type(response) == "token-missing"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_only_the_expected_routes_are_public(app: Flask) -> None:
    public_rules = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "static" or is_public(app.view_functions[rule.endpoint])
    ]

    unexpected = [r for r in public_rules if not ALLOWED_PUBLIC_PATHS.fullmatch(r)]
    assert unexpected == []
    assert "/api/v1/auth/token" in public_rules
    assert "/healthz" in public_rules


def test_token_route_answers_tokens_that_open_protected_routes(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    account = create_account()

    response = client.post("/api/v1/auth/token", json=account.login())

    assert response.status_code == 200
    body = response.get_json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 15 * 60)
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.get_json() == {"username": account.name}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "wrong",
    [
        {"password": "not the password"},
        {"password": ""},
        {"username": "mallory"},
        {"username": "../users"},
    ],
)
def test_token_route_refuses_wrong_credentials_alike(
    client: FlaskClient, create_account: Callable[[], Account], wrong: dict[str, str]
) -> None:
    login = {**create_account().login(), **wrong}

    response = client.post("/api/v1/auth/token", json=login)

    assert response.status_code == 401
    assert _problem_type(response) == "invalid-credentials"
    assert response.get_json()["detail"] == "Unknown user name or wrong password."


@pytest.mark.parametrize(
    "body",
    [
        {"data": "username=alice&password=x"},
        {"json": ["alice", "password"]},
        {"json": {"username": "alice"}},
        {"json": {"username": "alice", "password": 12345678}},
        {"data": "{not json", "content_type": "application/json"},
    ],
)
def test_token_route_refuses_a_malformed_body(
    client: FlaskClient, body: dict[str, Any]
) -> None:
    response = client.post("/api/v1/auth/token", **body)

    assert response.status_code == 400
    assert _problem_type(response) == "invalid-login-request"


@pytest.mark.parametrize("route", ["/api/v1/auth/token", "/api/v1/auth/login"])
@pytest.mark.parametrize(
    "nesting", ["[" * 8000 + "]" * 8000, '{"a":' * 2000 + "1" + "}" * 2000]
)
def test_login_routes_refuse_deeply_nested_json(
    client: FlaskClient, route: str, nesting: str
) -> None:
    response = client.post(route, data=nesting, content_type="application/json")

    assert response.status_code == 400
    assert _problem_type(response) == "invalid-login-request"


def test_token_route_refuses_a_body_larger_than_a_login_needs(
    client: FlaskClient,
) -> None:
    body = {"username": "alice", "password": "x" * 20_000}

    response = client.post("/api/v1/auth/token", json=body)

    assert response.status_code == 413
    assert _problem_type(response) == "login-request-too-large"
    assert "16384 bytes" in response.get_json()["detail"]


def _token(
    app: Flask, key: str | None = None, algorithm: str = "HS256", **claims: Any
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": "alice",
        "type": "access",
        "fresh": False,
        "iss": "csvdrop",
        "jti": "test",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    payload.update(claims)
    secret = app.config["JWT_SECRET_KEY"] if key is None else key
    with warnings.catch_warnings():
        # HS512 wants a longer key than the app's; the token is meant to fail.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, secret, algorithm=algorithm)


def _alg_none(app: Flask, name: str) -> str:
    _header, payload, _signature = _token(app, sub=name).split(".")
    none_header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    return f"{none_header}.{payload}."


TOKENS: dict[str, tuple[Callable[[Flask, str], str], str]] = {
    "expired": (
        lambda app, name: _token(
            app, sub=name, iat=int(time.time()) - 600, exp=int(time.time()) - 60
        ),
        "token-expired",
    ),
    "forged with another key": (
        lambda app, name: _token(
            app, sub=name, key="another key that is at least 32 chars"
        ),
        "token-invalid",
    ),
    "alg none": (_alg_none, "token-invalid"),
    "other algorithm, right key": (
        lambda app, name: _token(app, sub=name, algorithm="HS512"),
        "token-invalid",
    ),
    "refresh used as access": (
        lambda app, name: _token(app, sub=name, type="refresh"),
        "token-invalid",
    ),
    "other issuer": (
        lambda app, name: _token(app, sub=name, iss="someone-else"),
        "token-invalid",
    ),
    "not yet valid": (
        lambda app, name: _token(app, sub=name, nbf=int(time.time()) + 600),
        "token-invalid",
    ),
    "unknown user": (lambda app, _name: _token(app, sub="mallory"), "token-revoked"),
    "issued before the password changed": (
        lambda app, name: _token(app, sub=name, iat=int(time.time()) - 10),
        "token-revoked",
    ),
    "garbage": (lambda _app, _name: "not.a.token", "token-invalid"),
}


def test_crafted_token_with_nothing_wrong_is_accepted(
    app: Flask, client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    # The control for the table below: each refusal there is due to its one
    # change, not to how these tests build tokens.
    account = create_account()
    token = _token(app, sub=account.name)

    response = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert response.get_json() == {"username": account.name}


@pytest.mark.parametrize("case", TOKENS)
def test_bad_token_is_refused_with_its_reason(
    app: Flask, client: FlaskClient, create_account: Callable[[], Account], case: str
) -> None:
    account = create_account()
    # Made after the account, so "issued before the password changed" is.
    users_file(app).set_password(account.name, "a brand new password")
    make_token, problem_type = TOKENS[case]

    for url in ("/api/v1/auth/me", "/api/v1/uploads"):
        response = client.get(
            url, headers={"Authorization": f"Bearer {make_token(app, account.name)}"}
        )
        assert response.status_code == 401, url
        assert _problem_type(response) == problem_type


def test_removed_user_loses_access_at_once(
    app: Flask, client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    account = create_account()
    token = client.post("/api/v1/auth/token", json=account.login()).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200

    users_file(app).remove(account.name)

    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert _problem_type(response) == "token-revoked"


def test_refresh_token_in_header_gives_a_new_access_token(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    account = create_account()
    tokens = client.post("/api/v1/auth/token", json=account.login()).get_json()

    refreshed = client.post(
        "/api/v1/auth/refresh",
        headers={"Authorization": f"Bearer {tokens['refresh_token']}"},
    )
    with_access = client.post(
        "/api/v1/auth/refresh",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert refreshed.status_code == 200
    access = refreshed.get_json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert me.get_json() == {"username": account.name}
    assert with_access.status_code == 401
    assert _problem_type(with_access) == "token-invalid"


def _log_in(client: FlaskClient, create_account: Callable[[], Account]) -> Any:
    account = create_account()
    response = client.post("/api/v1/auth/login", json=account.login())
    assert response.status_code == 200
    assert response.get_json()["username"] == account.name
    return response


def test_log_in_sets_http_only_secure_strict_cookies(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    response = _log_in(client, create_account)

    cookies = _cookies(response)
    assert set(cookies) == {
        "access_token_cookie",
        "refresh_token_cookie",
        "csrf_access_token",
        "csrf_refresh_token",
    }
    for name, header in cookies.items():
        assert "; Secure" in header, name
        assert "; SameSite=Strict" in header, name
        assert ("; HttpOnly" in header) == name.endswith("_token_cookie"), name
    assert "; Path=/;" in cookies["access_token_cookie"] + ";"
    assert "; Path=/api/v1/auth/;" in cookies["refresh_token_cookie"] + ";"
    assert "access_token" not in response.get_json()


def test_cookie_get_needs_no_csrf_header(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    name = _log_in(client, create_account).get_json()["username"]

    response = client.get("/api/v1/auth/me")

    assert response.status_code == 200
    assert response.get_json() == {"username": name}


@pytest.mark.parametrize("csrf", [None, "wrong-value"])
def test_cookie_post_without_matching_csrf_header_is_refused(
    client: FlaskClient, create_account: Callable[[], Account], csrf: str | None
) -> None:
    _log_in(client, create_account)
    headers = {} if csrf is None else {"X-CSRF-TOKEN": csrf}

    response = client.post(
        "/api/v1/uploads?filename=a.csv",
        data=b"a,b\n1,2\n",
        content_type="text/csv",
        headers=headers,
    )

    assert response.status_code == 403
    assert _problem_type(response) == "csrf-failed"


def test_cookie_post_with_csrf_header_passes_the_token_check(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    _log_in(client, create_account)
    csrf = client.get_cookie("csrf_access_token")
    assert csrf is not None

    # An empty form: the token check passes and the upload itself is refused.
    response = client.post("/api/v1/uploads", headers={"X-CSRF-TOKEN": csrf.value})

    assert response.status_code not in (401, 403)
    assert response.mimetype == PROBLEM


def test_cookie_refresh_needs_the_refresh_csrf_header(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    _log_in(client, create_account)
    csrf = client.get_cookie("csrf_refresh_token")
    assert csrf is not None

    refused = client.post("/api/v1/auth/refresh")
    refreshed = client.post(
        "/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf.value}
    )

    assert refused.status_code == 403
    assert refreshed.status_code == 200
    assert "access_token_cookie" in _cookies(refreshed)
    assert "access_token" not in refreshed.get_json()


def test_log_out_clears_the_cookies(
    client: FlaskClient, create_account: Callable[[], Account]
) -> None:
    _log_in(client, create_account)

    response = client.post("/api/v1/auth/logout")

    assert response.status_code == 204
    assert client.get_cookie("access_token_cookie") is None
    assert client.get_cookie("refresh_token_cookie") is None
    assert client.get("/api/v1/auth/me").status_code == 401


def test_login_routes_share_a_rate_limit_per_client_address(
    create_test_app: Callable[..., Flask],
) -> None:
    client = create_test_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    # Malformed bodies: each attempt counts without spending a password hash.
    for url in ("/api/v1/auth/token", "/api/v1/auth/login", "/api/v1/auth/token"):
        assert client.post(url, json=[]).status_code == 400

    limited = client.post("/api/v1/auth/login", json=[])
    other_address = client.post(
        "/api/v1/auth/token", json=[], environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )

    assert limited.status_code == 429
    assert _problem_type(limited) == "rate-limited"
    assert "3 per 1 minute" in limited.get_json()["detail"]
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert other_address.status_code == 400


@pytest.mark.parametrize(
    ("peer", "proxy_count"),
    # gunicorn on a unix socket gives no peer address; over TCP the peer is
    # nginx, which PROXY_COUNT=1 sees through.
    [("", 0), ("127.0.0.1", 1)],
)
def test_login_limit_behind_nginx_counts_each_forwarded_client(
    create_test_app: Callable[..., Flask], peer: str, proxy_count: int
) -> None:
    client = create_test_app(
        LOGIN_RATE_LIMIT="2 per minute", PROXY_COUNT=proxy_count
    ).test_client()

    def attempt(forwarded: str) -> int:
        return client.post(
            "/api/v1/auth/token",
            json=[],
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code

    # The first entries are whatever the client claimed; only the last counts.
    first = [attempt(f"10.0.0.{n}, 198.51.100.1") for n in range(3)]
    second = attempt("198.51.100.2")

    assert first == [400, 400, 429]
    assert second == 400


def test_app_refuses_to_start_on_a_damaged_users_file(tmp_path: Any) -> None:
    users = tmp_path / "users.json"
    users.write_text('{"users": {"alice": {"password": "plain"}}}', encoding="utf-8")

    with pytest.raises(AuthConfigError, match="entry for 'alice' is invalid"):
        create_app({"TESTING": True, "USERS_FILE": str(users)})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "TOKEN_SECRET is not set"),
        ({"TOKEN_SECRET": "short"}, "TOKEN_SECRET is too short"),
        ({"TOKEN_SECRET": "x" * 40, "USERS_FILE": None}, "USERS_FILE is not set"),
        ({"TOKEN_SECRET": "x" * 40, "ACCESS_TOKEN_MINUTES": 0}, "at least 1"),
        ({"TOKEN_SECRET": "x" * 40, "LOGIN_RATE_LIMIT": "ten a minute"}, "like '10"),
    ],
)
def test_app_outside_tests_refuses_to_start_without_auth_settings(
    tmp_path: Any, settings: dict[str, Any], message: str
) -> None:
    config = {"USERS_FILE": str(tmp_path / "users.json"), **settings}

    with pytest.raises(AuthConfigError, match=message):
        create_app(config)
