"""Request limits: each one answers 413 problem+json naming the limit it hit."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Gunicorn, SeaweedFS
from csvdrop.limits import describe_bytes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

Auth = Callable[..., dict[str, str]]
LIMIT = 64 * 1024


def stored_keys(s3: S3Client) -> list[str]:
    """Return the keys of every document in the test bucket."""
    listing = s3.list_objects_v2(Bucket="csvdrop-test", Prefix="uploads/")
    return [item["Key"] for item in listing.get("Contents", [])]


def csv_of_size(size: int) -> bytes:
    """Return a valid one-column CSV of exactly size bytes."""
    header = b"value\n"
    row = b"x" * 99 + b"\n"
    body = header + row * ((size - len(header)) // len(row))
    return body + b"y" * (size - len(body) - 1) + b"\n"


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """Return a multipart body of plain text fields and its content type.

    Built by hand: Werkzeug's test client spools a large form to a temporary
    file that it never closes.
    """
    boundary = "csvdrop-test-boundary"
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name.encode(), value)
        for name, value in fields.items()
    )
    body += b"--%s--\r\n" % boundary.encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def limited_client(create_test_app: Callable[..., Flask]) -> FlaskClient:
    """Return a client of an app whose upload limit is 64 KiB."""
    return create_test_app(MAX_UPLOAD_BYTES=LIMIT).test_client()


# Gunicorn says it ends the body itself (wsgi.input_terminated), and the app
# then reads it directly, enforcing the limit on its own; Werkzeug's test
# client does not, and the app reads through Werkzeug's limited stream.
SERVERS = [
    pytest.param({}, id="werkzeug-stream"),
    pytest.param({"wsgi.input_terminated": True}, id="server-terminated"),
]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize(
    ("size", "status"),
    [(LIMIT, 201), (LIMIT + 1, 413)],
)
def test_raw_upload_limit_is_exact(
    limited_client: FlaskClient,
    auth: Auth,
    size: int,
    status: int,
    server: dict[str, object],
) -> None:
    answer = limited_client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=csv_of_size(size),
        environ_overrides=server,
    )

    assert answer.status_code == status


@pytest.mark.parametrize(
    ("size", "status"),
    [(LIMIT - 1, 201), (LIMIT, 201), (LIMIT + 1, 413), (3 * LIMIT, 413)],
)
def test_body_of_unknown_length_is_held_to_the_limit(
    limited_client: FlaskClient, auth: Auth, s3: S3Client, size: int, status: int
) -> None:
    # A chunked body: no Content-Length, only the server knows where it ends
    # (and has decoded the chunks when the app reads it).
    before = stored_keys(s3)

    answer = limited_client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={
            **auth(),
            "Content-Type": "text/csv",
            "Transfer-Encoding": "chunked",
        },
        input_stream=io.BytesIO(csv_of_size(size)),
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert answer.status_code == status
    if status == 413:
        assert answer.get_json()["limit"] == LIMIT
        assert stored_keys(s3) == before
    else:
        assert answer.get_json()["bytes_in"] == size


@pytest.mark.parametrize("server", SERVERS)
def test_upload_one_byte_over_the_limit_names_the_limit(
    limited_client: FlaskClient, auth: Auth, s3: S3Client, server: dict[str, object]
) -> None:
    before = stored_keys(s3)

    answer = limited_client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=csv_of_size(LIMIT + 1),
        environ_overrides=server,
    )

    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"] == "/api/problems/upload-too-large"
    assert problem["limit"] == LIMIT
    assert "64 KiB (65536 bytes)" in problem["detail"]
    assert stored_keys(s3) == before


def test_multipart_upload_over_the_limit_names_the_limit(
    limited_client: FlaskClient, auth: Auth
) -> None:
    answer = limited_client.post(
        "/api/v1/uploads",
        headers=auth(),
        data={"file": (io.BytesIO(csv_of_size(LIMIT)), "a.csv")},
    )

    assert answer.status_code == 413
    assert answer.get_json()["type"] == "/api/problems/upload-too-large"


def test_csv_in_a_600_kb_text_field_is_told_to_send_a_file(
    client: FlaskClient, auth: Auth, s3: S3Client
) -> None:
    before = stored_keys(s3)
    body, content_type = multipart({"file": csv_of_size(600_000)})

    answer = client.post(
        "/api/v1/uploads",
        headers=auth(),
        data=body,
        content_type=content_type,
    )

    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["type"] == "/api/problems/file-sent-as-text"
    assert "too large" not in problem["detail"]
    assert stored_keys(s3) == before


def test_text_field_over_the_form_memory_limit_says_so(
    client: FlaskClient, auth: Auth
) -> None:
    body, content_type = multipart({"file": csv_of_size(2 * 1024 * 1024)})

    answer = client.post(
        "/api/v1/uploads",
        headers=auth(),
        data=body,
        content_type=content_type,
    )

    assert answer.status_code == 413
    problem = answer.get_json()
    assert problem["type"] == "/api/problems/form-field-too-large"
    assert problem["limit"] == 1024 * 1024
    assert "1 MiB" in problem["detail"]
    assert "file part" in problem["detail"]


def test_two_thousand_form_parts_get_a_fast_413_naming_the_parts_limit(
    client: FlaskClient, auth: Auth
) -> None:
    body, content_type = multipart({f"field{n}": b"x" for n in range(2000)})
    started = time.perf_counter()

    answer = client.post(
        "/api/v1/uploads",
        headers=auth(),
        data=body,
        content_type=content_type,
    )

    assert time.perf_counter() - started < 2
    assert answer.status_code == 413
    problem = answer.get_json()
    assert problem["type"] == "/api/problems/too-many-form-parts"
    assert problem["limit"] == 100
    assert "more than 100 parts" in problem["detail"]


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (512, "512 bytes"),
        (64 * 1024, "64 KiB (65536 bytes)"),
        (1536 * 1024, "1.5 MiB (1572864 bytes)"),
        (1 << 30, "1 GiB (1073741824 bytes)"),
    ],
)
def test_describe_bytes_reads_like_people_write_sizes(count: int, text: str) -> None:
    assert describe_bytes(count) == text


CUT_CSV = b"a,b\n" + b"".join(b"%d,x\n" % n for n in range(1000))


def cut_requests(token: str) -> list[tuple[str, bytes, str]]:
    """Return requests whose body stops short, with the detail each must get."""
    head = (
        "POST /api/v1/uploads?filename=cut.csv HTTP/1.1\r\nHost: csvdrop\r\n"
        f"Authorization: {token}\r\n"
    )
    form, form_type = multipart({"format": b"json"})
    form = form.replace(b"--csvdrop-test-boundary--\r\n", b"") + (
        b"--csvdrop-test-boundary\r\nContent-Disposition: form-data;"
        b' name="file"; filename="cut.csv"\r\nContent-Type: text/csv\r\n\r\n' + CUT_CSV
    )
    return [
        (
            "raw",
            (
                head + "Content-Type: text/csv\r\n"
                f"Content-Length: {2 * len(CUT_CSV)}\r\n\r\n"
            ).encode()
            + CUT_CSV,
            f"ended after {len(CUT_CSV)} of {2 * len(CUT_CSV)} bytes",
        ),
        (
            "chunked",
            (
                head + "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
            + b"%x\r\n%s\r\n" % (len(CUT_CSV), CUT_CSV),
            "the chunked request body ended before its last chunk",
        ),
        (
            "multipart",
            (
                head + f"Content-Type: {form_type}\r\n"
                f"Content-Length: {len(form) + 100}\r\n\r\n"
            ).encode()
            + form,
            f"ended after {len(form)} of {len(form) + 100} bytes",
        ),
    ]


def send_cut(url: str, request: bytes) -> tuple[int, dict[str, Any]]:
    """Send request, shut the write side as a cut-off client does, read the answer."""
    address = urlsplit(url)
    with socket.create_connection(
        (address.hostname or "127.0.0.1", address.port or 80), timeout=30
    ) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


@pytest.mark.parametrize("kind", ["raw", "chunked", "multipart"])
def test_body_cut_short_is_refused_storing_nothing(
    server_url: str, auth: Auth, s3: S3Client, kind: str
) -> None:
    token = auth()["Authorization"]
    request, detail = {
        name: (request, detail) for name, request, detail in cut_requests(token)
    }[kind]
    before = stored_keys(s3)

    status, problem = send_cut(server_url, request)

    assert status == 400
    assert problem["type"] == "/api/problems/body-incomplete"
    assert detail in problem["detail"]
    assert stored_keys(s3) == before
    uploads = s3.list_multipart_uploads(Bucket="csvdrop-test").get("Uploads", [])
    assert uploads == []


def send_chunked(url: str, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST body as a chunked text/csv request and return the answer."""
    address = urlsplit(url)
    head = (
        "POST /api/v1/uploads?filename=chunked.csv HTTP/1.1\r\nHost: csvdrop\r\n"
        f"Authorization: {token}\r\nContent-Type: text/csv\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[at : at + 10_000]), body[at : at + 10_000])
        for at in range(0, len(body), 10_000)
    )
    with socket.create_connection(
        (address.hostname or "127.0.0.1", address.port or 80), timeout=30
    ) as connection:
        try:
            connection.sendall(head + chunks + b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the body is in
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head_text, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_text.split(b" ", 2)[1]), json.loads(payload)


@pytest.fixture(scope="module")
def limited_server_url(
    seaweedfs: SeaweedFS, users_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run the app under gunicorn with a 64 KiB upload limit; yield its URL."""
    server = Gunicorn(
        seaweedfs,
        users_path,
        tmp_path_factory.mktemp("limited-gunicorn"),
        settings={"CSVDROP_MAX_UPLOAD_BYTES": str(LIMIT)},
    )
    yield server.url
    server.stop()


@pytest.mark.parametrize(
    ("size", "status"), [(LIMIT, 201), (LIMIT + 1, 413), (3 * LIMIT, 413)]
)
def test_gunicorn_holds_a_chunked_body_to_the_limit(
    limited_server_url: str, auth: Auth, s3: S3Client, size: int, status: int
) -> None:
    # Gunicorn decodes the chunks and ends the body itself; the app reads
    # its input directly and must still refuse what passes the limit.
    before = stored_keys(s3)

    answered, document = send_chunked(
        limited_server_url, auth()["Authorization"], csv_of_size(size)
    )

    assert answered == status
    if status == 413:
        assert document["type"] == "/api/problems/upload-too-large"
        assert document["limit"] == LIMIT
        assert stored_keys(s3) == before
    else:
        assert document["bytes_in"] == size
