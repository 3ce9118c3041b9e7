"""Request limits: each one answers 413 problem+json naming the limit it hit."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient

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


@pytest.mark.parametrize(
    ("size", "status"),
    [(LIMIT, 201), (LIMIT + 1, 413)],
)
def test_raw_upload_limit_is_exact(
    limited_client: FlaskClient, auth: Auth, size: int, status: int
) -> None:
    answer = limited_client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=csv_of_size(size),
    )

    assert answer.status_code == status


def test_upload_one_byte_over_the_limit_names_the_limit(
    limited_client: FlaskClient, auth: Auth, s3: S3Client
) -> None:
    before = stored_keys(s3)

    answer = limited_client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv"},
        data=csv_of_size(LIMIT + 1),
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
