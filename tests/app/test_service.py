"""Errors, headers, probes, metrics and logs that every route shares."""

from __future__ import annotations

import importlib.metadata
import io
import json
import logging
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from csvdrop.auth import public
from csvdrop.logs import JSONFormatter, RequestContextFilter

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    ("method", "path", "status", "slug"),
    [
        ("GET", "/no/such/page", 404, "not-found"),
        ("GET", "/api/v1/nothing-here", 404, "not-found"),
        ("DELETE", "/api/v1/uploads", 405, "method-not-allowed"),
        ("PUT", "/healthz", 405, "method-not-allowed"),
    ],
)
def test_routing_errors_are_problems(
    client: FlaskClient, method: str, path: str, status: int, slug: str
) -> None:
    answer = client.open(path, method=method)

    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"] == f"/api/problems/{slug}"
    assert problem["status"] == status
    assert problem["instance"] == path
    if status == 405:
        assert "GET" in answer.headers["Allow"]


def test_unexpected_failure_is_a_500_problem_without_a_trace(
    create_test_app: Callable[..., Flask],
) -> None:
    app = create_test_app()

    @public
    def explode() -> str:
        raise RuntimeError("secret internals /srv/csvdrop/app.py line 12")

    app.add_url_rule("/explode", "explode", explode)

    answer = app.test_client().get("/explode")

    assert answer.status_code == 500
    assert answer.mimetype == "application/problem+json"
    text = answer.get_data(as_text=True)
    assert "Traceback" not in text
    assert "secret internals" not in text
    assert answer.get_json()["type"] == "/api/problems/internal-error"


class Unprintable(Exception):
    """An error whose message cannot even be formatted for the log."""

    def __str__(self) -> str:
        raise ValueError("no message")


def recurse(depth: int) -> int:
    """Recurse until the interpreter's stack limit is hit."""
    return recurse(depth + 1) + 1


@pytest.mark.parametrize(
    "failure",
    [lambda: recurse(0), lambda: (_ for _ in ()).throw(Unprintable())],
    ids=["recursion", "unprintable"],
)
def test_unexpected_failure_of_any_kind_is_a_500_problem(
    create_test_app: Callable[..., Flask], failure: Callable[[], object]
) -> None:
    app = create_test_app()

    @public
    def explode() -> str:
        failure()
        return "unreachable"

    app.add_url_rule("/explode", "explode", explode)

    answer = app.test_client().get("/explode")

    assert answer.status_code == 500
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["type"] == "/api/problems/internal-error"


@pytest.mark.parametrize("path", ["/", "/healthz", "/no/such/page", "/api/v1/uploads"])
def test_every_response_carries_the_security_headers(
    client: FlaskClient, path: str
) -> None:
    answer = client.get(path)

    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_page_has_no_inline_script_or_style(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert "<script>" not in page
    assert "<style" not in page
    assert "style=" not in page
    assert " on" + "click=" not in page
    assert '<script src="/static/csvdrop.js" defer></script>' in page


@pytest.mark.parametrize("asset", ["/static/csvdrop.js", "/static/csvdrop.css"])
def test_page_assets_are_served_by_the_app(client: FlaskClient, asset: str) -> None:
    answer = client.get(asset)

    assert answer.status_code == 200
    answer.close()


def test_healthz_answers_without_storage(
    create_test_app: Callable[..., Flask],
) -> None:
    client = create_test_app(S3_ENDPOINT_URL="http://127.0.0.1:9").test_client()

    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "version": importlib.metadata.version("csvdrop"),
    }


def test_readyz_checks_the_bucket(
    client: FlaskClient, create_test_app: Callable[..., Flask]
) -> None:
    missing = create_test_app(S3_BUCKET="no-such-bucket").test_client()

    assert client.get("/readyz").status_code == 200
    assert missing.get("/readyz").status_code == 503


def test_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = client.get("/healthz")
    refused = client.get("/healthz", headers={"X-Request-ID": "bad id; spaces"})

    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32
    assert len(refused.headers["X-Request-ID"]) == 32


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Yield what the app logs, formatted as the stderr handler formats it."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield output
    root.removeHandler(handler)


def test_upload_log_line_is_json_with_request_and_upload_ids(
    client: FlaskClient, auth: Auth, log_output: io.StringIO
) -> None:
    headers = {**auth(), "X-Request-ID": "log-test-1", "Content-Type": "text/csv"}

    answer = client.post(
        "/api/v1/uploads?filename=a.csv", headers=headers, data=b"a\nsecret-cell\n"
    )

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    stored = [line for line in lines if line["message"].startswith("upload ")]
    upload_id = answer.get_json()["id"]
    assert stored == [
        {
            "time": stored[0]["time"],
            "level": "INFO",
            "logger": "csvdrop.api",
            "message": f"upload {upload_id} stored by alice",
            "upload_id": upload_id,
            "rows": 1,
            "bytes_in": 14,
            "bytes_out": answer.get_json()["bytes_out"],
            "duration_ms": stored[0]["duration_ms"],
            "request_id": "log-test-1",
            "user": "alice",
        }
    ]
    assert [
        line["message"] for line in lines if line["request_id"] == "log-test-1"
    ] == [f"upload {upload_id} stored by alice", "POST /api/v1/uploads 201"]
    assert "secret-cell" not in json.dumps(lines)


def test_metrics_count_requests_and_uploads(client: FlaskClient, auth: Auth) -> None:
    client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=b"a\n1\n",
    )
    client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=b"",
    )

    text = client.get("/metrics").get_data(as_text=True)

    assert 'csvdrop_uploads_total{outcome="stored"} 1.0' in text
    assert 'csvdrop_uploads_total{outcome="rejected"} 1.0' in text
    assert (
        'csvdrop_http_requests_total{method="POST",route="/api/v1/uploads",'
        'status="201"} 1.0'
    ) in text
    assert "csvdrop_upload_bytes_in_total 4.0" in text


def test_live_metrics_sum_every_gunicorn_worker(server_url: str) -> None:
    for _ in range(6):
        with urllib.request.urlopen(server_url + "/healthz", timeout=5):  # noqa: S310
            pass

    with urllib.request.urlopen(server_url + "/metrics", timeout=5) as answer:  # noqa: S310
        text = answer.read().decode()

    counts = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("csvdrop_http_requests_total{")
        and 'route="/healthz"' in line
        and 'status="200"' in line
    ]
    assert sum(counts) >= 6
