"""The log of a login and an upload holds no password, token, cookie or CSV."""

from __future__ import annotations

import logging
import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient

from csvdrop.auth import users_file
from csvdrop.logs import JSONFormatter


def _secret(label: str) -> str:
    return f"{label}-{secrets.token_hex(8)}"


def test_log_of_login_and_upload_holds_no_secret_or_content(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    name, password = _secret("user"), _secret("password")
    users_file(app).add(name, password)
    cells = [_secret("cell") for _ in range(4)]
    good_csv = f"name,note\n{cells[0]},{cells[1]}\n".encode()
    # A fault after a secret cell: the error must name the line, not the cell.
    bad_csv = f'name,note\n{cells[2]},"{cells[3]}" trailing\n'.encode()
    wrong_password = _secret("wrong")
    # People type their password into the name field; that must not be logged.
    password_as_name = _secret("typed-in-name-field")
    caplog.set_level(logging.DEBUG)

    client.post(
        "/api/v1/auth/token", json={"username": name, "password": wrong_password}
    )
    client.post(
        "/api/v1/auth/token", json={"username": password_as_name, "password": "x"}
    )
    tokens = client.post(
        "/api/v1/auth/token", json={"username": name, "password": password}
    ).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    login = client.post(
        "/api/v1/auth/login", json={"username": name, "password": password}
    )
    client.post(
        "/api/v1/auth/refresh",
        headers={"Authorization": f"Bearer {tokens['refresh_token']}"},
    )
    stored = client.post(
        "/api/v1/uploads?filename=notes.csv",
        data=good_csv,
        content_type="text/csv",
        headers=bearer,
    )
    rejected = client.post(
        "/api/v1/uploads?filename=bad.csv",
        data=bad_csv,
        content_type="text/csv",
        headers=bearer,
    )
    upload_id = stored.get_json()["id"]
    content = client.get(f"/api/v1/uploads/{upload_id}/content", headers=bearer)
    forged = client.get(
        "/api/v1/uploads", headers={"Authorization": f"Bearer {_secret('forged')}"}
    )

    assert (stored.status_code, rejected.status_code) == (201, 422)
    assert (content.status_code, forged.status_code) == (200, 401)
    cookie_values = [
        header.split(";", 1)[0].split("=", 1)[1]
        for header in login.headers.getlist("Set-Cookie")
    ]
    assert len(cookie_values) == 4
    forbidden = {
        "password": password,
        "wrong password": wrong_password,
        "password typed as name": password_as_name,
        **{f"cell {i}": cell for i, cell in enumerate(cells)},
        **{f"cookie {i}": value for i, value in enumerate(cookie_values)},
    }
    for kind in ("access_token", "refresh_token"):
        # Header, claims and signature: none of them, not even apart.
        _header, claims, signature = tokens[kind].split(".")
        forbidden[kind] = tokens[kind]
        forbidden[f"{kind} claims"] = claims
        forbidden[f"{kind} signature"] = signature

    formatter = JSONFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    log_text = "\n".join(lines)
    leaks = [label for label, value in forbidden.items() if value in log_text]
    assert leaks == []
    # The log still says what happened, so the check above is not vacuous.
    assert f"tokens issued to {name}" in log_text
    assert f"upload {upload_id} stored by {name}" in log_text
    assert "login refused" in log_text


def test_log_line_of_a_refused_token_names_no_token(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = _secret("not-a-jwt")

    answer = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401
    assert caplog.records, "the request is logged"
    assert token not in caplog.text
    assert token not in answer.get_data(as_text=True)
