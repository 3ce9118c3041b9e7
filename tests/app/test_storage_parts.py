"""Multipart parts sent a few at a time: in order, bounded, nothing left on failure."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from conftest import SeaweedFS
from csvdrop.storage import MIN_PART_SIZE, Storage, StorageError

PART = MIN_PART_SIZE


class CountingStorage(Storage):
    """A storage that records how many parts are on their way at once."""

    def __init__(self, *args: Any, fail_part: int | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fail_part = fail_part
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        # Every body a whole part was sent from, kept alive so that two
        # different buffers never share an id.
        self.bodies: list[bytes] = []

    def _upload_part(
        self, key: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if len(body) == self.part_size:
                self.bodies.append(body)
        try:
            # Slow enough that the parts overlap even on a loaded machine.
            time.sleep(0.05)
            # A part sent to an upload id the store never issued: a real
            # NoSuchUpload answer from SeaweedFS, in the middle of the upload.
            target = "no-such-upload" if number == self.fail_part else upload_id
            return super()._upload_part(key, target, number, body)
        finally:
            with self.lock:
                self.in_flight -= 1


def document(parts: float) -> bytes:
    """Return random bytes that fill the given number of parts."""
    return random.Random(7).randbytes(int(PART * parts))  # noqa: S311 - test data


def chunked(data: bytes, fail_after: int | None = None) -> Iterator[bytes]:
    """Yield data in uneven pieces, as the converter does; fail midway if asked."""
    sizes = random.Random(3)  # noqa: S311 - test data
    offset = 0
    while offset < len(data):
        if fail_after is not None and offset >= fail_after:
            raise ValueError("line 9: expected 2 fields, found 3")
        step = sizes.randint(1, 1024 * 1024)
        yield data[offset : offset + step]
        offset += step


def leftovers(s3: S3Client, bucket: str, key: str) -> tuple[list[Any], list[Any]]:
    """Return the objects and open multipart uploads under key."""
    objects = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
    return objects, uploads


def free_slots(storage: Storage) -> int:
    """Return how many part buffers no upload holds."""
    return storage.part_buffers.available


def new_key() -> str:
    """Return a key no other test writes."""
    return f"uploads/parts-test/{secrets.token_hex(8)}.json"


@pytest.mark.parametrize(
    ("concurrency", "parts"),
    [(1, 3.5), (2, 6.2), (4, 9.0), (4, 9.7), (8, 2.5)],
)
def test_put_document_parts_arrive_in_order_with_bounded_concurrency(
    seaweedfs: SeaweedFS, s3: S3Client, concurrency: int, parts: float
) -> None:
    storage = CountingStorage(
        s3,
        seaweedfs.bucket,
        part_size=PART,
        upload_concurrency=concurrency,
    )
    data = document(parts)
    key = new_key()

    storage.put_document(
        key,
        chunked(data),
        content_type="application/json",
        metadata={"upload-id": "x"},
        final_metadata=lambda: {"rows": "42"},
    )

    stored = s3.get_object(Bucket=seaweedfs.bucket, Key=key)
    assert stored["Body"].read() == data
    assert stored["Metadata"] == {"upload-id": "x", "rows": "42"}
    # Whole parts go up concurrency at a time, never more.
    assert storage.most_in_flight == min(concurrency, int(parts))
    assert leftovers(s3, seaweedfs.bucket, key)[1] == []
    assert free_slots(storage) == concurrency + 1
    # Parts are sent from the same few buffers, reused rather than made anew.
    assert len({id(body) for body in storage.bodies}) <= concurrency + 1


def test_put_document_uploads_at_once_share_the_part_slots(
    seaweedfs: SeaweedFS, s3: S3Client
) -> None:
    storage = CountingStorage(
        s3, seaweedfs.bucket, part_size=PART, upload_concurrency=2
    )
    data = document(4.5)
    keys = [new_key() for _ in range(3)]

    def put(key: str) -> None:
        storage.put_document(
            key, chunked(data), content_type="application/json", metadata={}
        )

    with ThreadPoolExecutor(len(keys)) as pool:
        list(pool.map(put, keys))

    for key in keys:
        assert s3.get_object(Bucket=seaweedfs.bucket, Key=key)["Body"].read() == data
    # Every part in flight, a last short one included, holds one of the 3
    # slots of the storage; each upload on its own would send up to 3.
    assert 2 <= storage.most_in_flight <= 3
    assert free_slots(storage) == 3


@pytest.mark.parametrize("concurrency", [1, 4])
def test_put_document_conversion_error_midway_leaves_nothing(
    seaweedfs: SeaweedFS, s3: S3Client, concurrency: int
) -> None:
    storage = CountingStorage(
        s3, seaweedfs.bucket, part_size=PART, upload_concurrency=concurrency
    )
    key = new_key()

    with pytest.raises(ValueError, match=r"^line 9: expected 2 fields, found 3$"):
        storage.put_document(
            key,
            chunked(document(8), fail_after=PART * 6),
            content_type="application/json",
            metadata={},
        )

    assert leftovers(s3, seaweedfs.bucket, key) == ([], [])
    assert storage.in_flight == 0
    assert free_slots(storage) == concurrency + 1


@pytest.mark.parametrize(("concurrency", "fail_part"), [(1, 2), (4, 1), (4, 3)])
def test_put_document_store_refusing_a_part_leaves_nothing(
    seaweedfs: SeaweedFS, s3: S3Client, concurrency: int, fail_part: int
) -> None:
    storage = CountingStorage(
        s3,
        seaweedfs.bucket,
        part_size=PART,
        upload_concurrency=concurrency,
        fail_part=fail_part,
    )
    key = new_key()

    with pytest.raises(StorageError, match="NoSuchUpload"):
        storage.put_document(
            key, chunked(document(7.5)), content_type="application/json", metadata={}
        )

    assert leftovers(s3, seaweedfs.bucket, key) == ([], [])
    assert storage.in_flight == 0
    assert free_slots(storage) == concurrency + 1


@pytest.mark.parametrize("concurrency", [0, -1])
def test_storage_refuses_fewer_than_one_part_at_a_time(
    s3: S3Client, concurrency: int
) -> None:
    with pytest.raises(ValueError, match="at least one part"):
        Storage(s3, "csvdrop", upload_concurrency=concurrency)
