"""The object store failing under the service: 503, and nothing left behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from conftest import SeaweedFS

Auth = Callable[..., dict[str, str]]
PART_SIZE = 5 * 1024 * 1024


def big_csv(rows: int) -> bytes:
    """Return a CSV whose JSON is several multipart parts long."""
    return b"id,value\n" + b"".join(b"%d,%s\n" % (n, b"x" * 60) for n in range(rows))


def test_upload_store_killed_mid_upload_leaves_no_object_or_parts(
    create_test_app: Callable[..., Flask],
    private_seaweedfs: SeaweedFS,
    auth: Auth,
) -> None:
    server = private_seaweedfs
    app = create_test_app(server, S3_PART_SIZE=PART_SIZE, S3_ABORT_SECONDS=60)
    client = app.test_client()
    headers = {
        **auth(),
        "Content-Type": "text/csv",
        "Idempotency-Key": "store-killed-0001",
    }
    body = big_csv(1_000_000)
    s3 = server.client(attempts=1)
    answers: list[Any] = []

    upload = threading.Thread(
        target=lambda: answers.append(
            client.post("/api/v1/uploads?filename=big.csv", headers=headers, data=body)
        )
    )
    upload.start()
    deadline = time.monotonic() + 60
    while not s3.list_multipart_uploads(Bucket=server.bucket).get("Uploads"):
        assert upload.is_alive(), "the upload ended before it went multipart"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    server.kill()
    server.start()
    upload.join(timeout=120)

    assert not upload.is_alive()
    answer = answers[0]
    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["type"] == "/api/problems/storage-unavailable"
    assert answer.headers["Retry-After"]
    s3 = server.client()
    assert s3.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []) == []
    # The failed request released its Idempotency-Key once the store was back.
    assert s3.list_objects_v2(Bucket=server.bucket).get("Contents", []) == []
    retry = client.post(
        "/api/v1/uploads?filename=big.csv", headers=headers, data=big_csv(10)
    )
    assert retry.status_code == 201


def test_upload_store_down_is_a_503_problem(
    create_test_app: Callable[..., Flask],
    private_seaweedfs: SeaweedFS,
    auth: Auth,
) -> None:
    client = create_test_app(private_seaweedfs, S3_MAX_ATTEMPTS=1).test_client()
    headers = auth()
    private_seaweedfs.stop()

    answer = client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**headers, "Content-Type": "text/csv"},
        data=b"a\n1\n",
    )
    listing = client.get("/api/v1/uploads", headers=headers)
    ready = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.get_json()["type"] == "/api/problems/storage-unavailable"
    assert listing.status_code == 503
    assert listing.mimetype == "application/problem+json"
    assert ready.status_code == 503
