"""Converted uploads and their records in an S3 bucket.

The bucket holds three kinds of objects:

- ``uploads/YYYY/MM/DD/<id>.<ext>``: the converted document;
- ``records/<owner>/<newest-first stamp>-<id>.json``: the upload record, so
  every app instance sees the same list without a local database, and a
  plain prefix listing returns a user's uploads newest first;
- ``idempotency/<owner>/<sha256 of the key>.json``: the claim of an
  ``Idempotency-Key`` header: the upload id it produces, when it was claimed
  and the request's options, so a retry can be told from a different request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# S3 refuses a multipart part under 5 MiB (except the last one).
MIN_PART_SIZE = 5 * 1024 * 1024
# CopyObject is limited to 5 GiB; larger objects are copied in parts.
SINGLE_COPY_LIMIT = 5 * 1024 * 1024 * 1024

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_PATTERN = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")
_STAMP_DIGITS = 13
_STAMP_LIMIT = 10**_STAMP_DIGITS - 1


class StorageError(Exception):
    """The object store failed or could not be reached."""


class NotFound(LookupError):
    """No upload with that id belongs to the caller."""


class Conflict(Exception):
    """Another request already claimed the same idempotency key."""


@dataclass(frozen=True)
class Claim:
    """An Idempotency-Key taken by a request: its upload, when, and for what."""

    upload_id: str
    claimed: float
    request: dict[str, Any] | None
    etag: str

    def is_stale(self, lease_seconds: float, now: float | None = None) -> bool:
        """Tell whether the claim is older than the lease, so it may be taken."""
        return (time.time() if now is None else now) - self.claimed > lease_seconds


@dataclass(frozen=True)
class UploadRecord:
    """What csvdrop knows about one stored upload."""

    id: str
    owner: str
    bucket: str
    key: str
    source_name: str
    format: str
    content_type: str
    rows: int
    columns: list[str]
    encoding: str
    delimiter: str
    bytes_in: int
    bytes_out: int
    sha256: str
    created: str

    def to_json(self) -> bytes:
        """Return the record as the JSON stored beside the upload."""
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> UploadRecord:
        """Read a record back from its stored JSON."""
        return cls(**json.loads(data))


def new_upload_id(now: float | None = None) -> str:
    """Return a fresh upload id: milliseconds since the epoch, then randomness."""
    millis = int((time.time() if now is None else now) * 1000)
    stamp = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -1, -5))
    return stamp + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def is_upload_id(text: str) -> bool:
    """Tell whether text has the shape of an upload id."""
    return bool(_ID_PATTERN.match(text))


def _id_millis(upload_id: str) -> int:
    millis = 0
    for char in upload_id[:10]:
        millis = millis * 32 + _ALPHABET.index(char)
    return millis


def sanitize_name(name: str, fallback: str = "upload.csv") -> str:
    """Return name reduced to a short ASCII file name safe in S3 metadata."""
    base = re.split(r"[\\/]", name)[-1]
    ascii_name = (
        unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    )
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")[:128]
    return cleaned or fallback


def _collect(
    pending: deque[Future[dict[str, Any]]], parts: list[Any], *, keep: int
) -> None:
    """Wait for the oldest parts until at most keep are in flight, in order.

    A part that failed raises here, even if older parts are still in flight,
    so a broken store stops the upload at once rather than after the file.
    """
    for future in pending:
        if future.done() and future.exception() is not None:
            future.result()
    while len(pending) > keep:
        parts.append(pending.popleft().result())


def _owner_prefix(owner: str) -> str:
    return quote(owner, safe="")


class PartBuffers:
    """The part-sized buffers of one process, shared by all its uploads.

    At most ``count`` exist, so a worker's memory stays bounded however many
    uploads it serves at once. Each is made on first need and then reused:
    a fresh 8 MiB buffer per part cost the kernel's zeroing of new pages
    and, grown by appending, several copies of the part on the way (a
    third of the converting thread's time in a large upload).
    """

    def __init__(self, size: int, count: int) -> None:
        self.size = size
        self._count = count
        self._made = 0
        self._free: list[bytearray] = []
        self._changed = threading.Condition()

    def take(self) -> bytearray:
        """Return a buffer of ``size`` bytes, waiting while all are in use."""
        with self._changed:
            while not self._free and self._made >= self._count:
                self._changed.wait()
            if self._free:
                return self._free.pop()
            self._made += 1
        return bytearray(self.size)

    def give(self, buffer: bytearray) -> None:
        """Return a buffer that nothing reads or writes any more.

        A buffer cut short (to send a last, shorter part without copying it)
        is dropped, and a whole one is made in its place when next needed.
        """
        with self._changed:
            if len(buffer) == self.size:
                self._free.append(buffer)
            else:
                self._made -= 1
            self._changed.notify()

    @property
    def available(self) -> int:
        """Return how many buffers could be taken now without waiting."""
        with self._changed:
            return len(self._free) + self._count - self._made


class Storage:
    """Stores converted uploads and their records in one bucket."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        kms_key_id: str | None = None,
        encryption: bool = True,
        part_size: int = 8 * 1024 * 1024,
        abort_seconds: float = 30,
        upload_concurrency: int = 4,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        if upload_concurrency < 1:
            raise ValueError("at least one part must be sent at a time")
        self.client = client
        self.bucket = bucket
        self.kms_key_id = kms_key_id
        self.encryption = encryption
        self.part_size = part_size
        self.abort_seconds = abort_seconds
        self.upload_concurrency = upload_concurrency
        # Enough for a lone upload to send upload_concurrency parts while it
        # fills the next.
        self.part_buffers = PartBuffers(part_size, upload_concurrency + 1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Storage:
        """Build the storage from the app's settings."""
        client = boto3.client(
            "s3",
            endpoint_url=config["S3_ENDPOINT_URL"],
            region_name=config["S3_REGION"],
            aws_access_key_id=config["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"],
            config=Config(
                connect_timeout=config["S3_CONNECT_TIMEOUT"],
                read_timeout=config["S3_READ_TIMEOUT"],
                retries={"max_attempts": config["S3_MAX_ATTEMPTS"], "mode": "standard"},
                s3={"addressing_style": "path"},
                # Each of a worker's request threads (8 by default) may send
                # S3_UPLOAD_CONCURRENCY parts at once; a smaller pool would
                # drop and reopen connections.
                max_pool_connections=max(10, 8 * config["S3_UPLOAD_CONCURRENCY"]),
                # Presigned URLs otherwise fall back to the legacy signature.
                signature_version="s3v4",
            ),
        )
        return cls(
            client,
            config["S3_BUCKET"],
            kms_key_id=config["S3_KMS_KEY_ID"],
            encryption=config["S3_SERVER_SIDE_ENCRYPTION"],
            part_size=config["S3_PART_SIZE"],
            abort_seconds=config["S3_ABORT_SECONDS"],
            upload_concurrency=config["S3_UPLOAD_CONCURRENCY"],
        )

    # -- keys ---------------------------------------------------------------

    @staticmethod
    def object_key(upload_id: str, extension: str) -> str:
        """Return the key of the converted document for an upload id."""
        created = datetime.fromtimestamp(_id_millis(upload_id) / 1000, UTC)
        return f"uploads/{created:%Y/%m/%d}/{upload_id}.{extension}"

    @staticmethod
    def record_key(owner: str, upload_id: str) -> str:
        """Return the key of an upload's record; later uploads sort first."""
        stamp = _STAMP_LIMIT - _id_millis(upload_id)
        return (
            f"records/{_owner_prefix(owner)}/{stamp:0{_STAMP_DIGITS}d}-{upload_id}.json"
        )

    @staticmethod
    def idempotency_key(owner: str, key: str) -> str:
        """Return where the upload id for a client's idempotency key is kept."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"idempotency/{_owner_prefix(owner)}/{digest}.json"

    def _encryption_args(self) -> dict[str, Any]:
        if not self.encryption:
            return {}
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    # -- health -------------------------------------------------------------

    def ping(self) -> None:
        """Check that the bucket answers; raise StorageError when it does not."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as err:
            raise StorageError(f"bucket {self.bucket} is not reachable") from err

    # -- documents ----------------------------------------------------------

    def put_document(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        final_metadata: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """Stream chunks into one object, or leave nothing behind on any failure.

        Output up to one part size goes up as a single PUT. Anything larger
        becomes a multipart upload that is aborted on any failure, including
        an error raised by ``chunks`` itself, which is re-raised unchanged.
        ``final_metadata`` is called once ``chunks`` is exhausted, for values
        such as the row count that are known only then; a multipart object
        gets them by a server-side copy onto itself.
        """
        buffers = self.part_buffers
        size = buffers.size
        buffer: bytearray | None = None
        filled = 0
        upload_id: str | None = None
        parts: list[Any] = []
        # Parts on their way to the store, oldest first, each holding its
        # buffer until it is sent (or cancelled).
        pending: deque[Future[dict[str, Any]]] = deque()
        pool: ThreadPoolExecutor | None = None
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
            "Metadata": dict(metadata),
            **self._encryption_args(),
        }
        try:
            buffer = buffers.take()
            for chunk in chunks:
                rest = memoryview(chunk)
                while rest:
                    taken = min(size - filled, len(rest))
                    buffer[filled : filled + taken] = rest[:taken]
                    filled += taken
                    rest = rest[taken:]
                    if filled < size:
                        break
                    if upload_id is None:
                        upload_id = self.client.create_multipart_upload(**args)[
                            "UploadId"
                        ]
                    if pool is None:
                        pool = ThreadPoolExecutor(
                            max_workers=self.upload_concurrency,
                            thread_name_prefix="csvdrop-part",
                        )
                    number = len(parts) + len(pending) + 1
                    part, buffer, filled = buffer, None, 0
                    future = pool.submit(
                        self._upload_part, key, upload_id, number, part
                    )
                    future.add_done_callback(self._give_back(part))
                    pending.append(future)
                    _collect(pending, parts, keep=self.upload_concurrency - 1)
                    buffer = buffers.take()

            # What is left goes up from the buffer itself, cut to its length.
            del buffer[filled:]
            if upload_id is None:
                if final_metadata is not None:
                    args["Metadata"] = {**metadata, **final_metadata()}
                self.client.put_object(Body=cast(bytes, buffer), **args)
                return
            _collect(pending, parts, keep=0)
            if filled:
                parts.append(self._upload_part(key, upload_id, len(parts) + 1, buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException as err:
            if pool is not None:
                # No part may still be arriving once the upload is aborted,
                # or the store could keep it as an orphan.
                pool.shutdown(wait=True, cancel_futures=True)
            if upload_id is not None:
                self._abort(key, upload_id)
            if isinstance(err, BotoCoreError | ClientError):
                raise StorageError(f"storing {key} failed: {err}") from err
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            if buffer is not None:
                buffers.give(buffer)

        if final_metadata is not None:
            try:
                self.replace_metadata(
                    key,
                    content_type=content_type,
                    metadata={**metadata, **final_metadata()},
                )
            except BaseException:
                self.delete_document(key)
                raise

    def _give_back(self, buffer: bytearray) -> Callable[[Future[dict[str, Any]]], None]:
        def give(_part: Future[dict[str, Any]]) -> None:
            self.part_buffers.give(buffer)

        return give

    def _upload_part(
        self, key: str, upload_id: str, number: int, body: bytes | bytearray
    ) -> dict[str, Any]:
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            # botocore takes a bytearray body as it is (its validator and
            # checksums accept one); the stubs name only bytes.
            Body=cast(bytes, body),
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _abort(self, key: str, upload_id: str) -> None:
        # The failure that brought us here is often the store going away, so
        # keep trying for a while: parts left behind cost money and would
        # show up as an open multipart upload. Parts that still stay are
        # reaped by the bucket's lifecycle rule for incomplete multipart
        # uploads (see the README, "Running in production").
        aborted = self._retry(
            f"aborting multipart upload of {key}",
            lambda: self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            ),
        )
        if aborted:
            log.info("multipart upload of %s aborted", key)

    def replace_metadata(
        self,
        key: str,
        *,
        content_type: str,
        metadata: Mapping[str, str],
    ) -> None:
        """Rewrite an object's metadata in place (a server-side copy)."""
        extra: dict[str, Any] = {
            "ContentType": content_type,
            "Metadata": dict(metadata),
            "MetadataDirective": "REPLACE",
            **self._encryption_args(),
        }
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": key},
                self.bucket,
                key,
                ExtraArgs=extra,
                Config=TransferConfig(
                    multipart_threshold=SINGLE_COPY_LIMIT,
                    multipart_chunksize=self.part_size * 64,
                ),
            )
        except (BotoCoreError, ClientError) as err:
            raise StorageError(f"updating metadata of {key} failed: {err}") from err

    def delete_document(self, key: str) -> None:
        """Remove a document, logging instead of raising when the store fails."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError):
            log.exception("deleting %s failed", key)

    def open_document(self, record: UploadRecord) -> Iterator[bytes]:
        """Return the stored document of a record as a stream of chunks."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=record.key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise NotFound(record.id) from err
            raise StorageError(f"reading {record.key} failed: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"reading {record.key} failed: {err}") from err
        body = answer["Body"]
        return body.iter_chunks(chunk_size=1024 * 1024)

    def presigned_url(self, record: UploadRecord, seconds: int) -> str:
        """Return a URL that fetches the document without credentials for a while."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": record.key},
            ExpiresIn=seconds,
        )

    # -- records ------------------------------------------------------------

    def _put_json(self, key: str, body: bytes, **conditions: Any) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            **self._encryption_args(),
            **conditions,
        )

    def _get_json(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise StorageError(f"reading {key} failed: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"reading {key} failed: {err}") from err

    def put_record(self, record: UploadRecord) -> None:
        """Store an upload's record beside the document."""
        try:
            self._put_json(self.record_key(record.owner, record.id), record.to_json())
        except (BotoCoreError, ClientError) as err:
            raise StorageError(f"storing record {record.id} failed: {err}") from err

    def get_record(self, owner: str, upload_id: str) -> UploadRecord:
        """Return the caller's record with that id, or raise NotFound."""
        if not is_upload_id(upload_id):
            raise NotFound(upload_id)
        data = self._get_json(self.record_key(owner, upload_id))
        if data is None:
            raise NotFound(upload_id)
        return UploadRecord.from_json(data)

    def list_records(
        self, owner: str, limit: int, after: str | None = None
    ) -> tuple[list[UploadRecord], str | None]:
        """Return up to limit records of owner, newest first, and the next cursor."""
        prefix = f"records/{_owner_prefix(owner)}/"
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        args["MaxKeys"] = limit
        if after is not None:
            if not is_upload_id(after):
                raise NotFound(after)
            args["StartAfter"] = self.record_key(owner, after)
        try:
            answer = self.client.list_objects_v2(**args)
        except (BotoCoreError, ClientError) as err:
            raise StorageError(f"listing records of {owner} failed: {err}") from err

        keys = [item["Key"] for item in answer.get("Contents", [])]
        # One GET per record; a few at a time keeps a page of 100 quick.
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = list(pool.map(self._get_json, keys))
        records = [UploadRecord.from_json(data) for data in found if data is not None]
        more = answer.get("IsTruncated", False) and records
        return records, records[-1].id if more else None

    # -- idempotency --------------------------------------------------------

    def find_idempotent(self, owner: str, key: str) -> Claim | None:
        """Return the claim an earlier request with this key left, if any."""
        name = self.idempotency_key(owner, key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            data = answer["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise StorageError(f"reading {name} failed: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"reading {name} failed: {err}") from err
        document = json.loads(data)
        return Claim(
            upload_id=document["id"],
            # A claim written before claims carried a time counts as fresh.
            claimed=float(document.get("claimed", time.time())),
            request=document.get("request"),
            etag=answer["ETag"],
        )

    def claim_idempotent(
        self,
        owner: str,
        key: str,
        upload_id: str,
        request: Mapping[str, Any],
        *,
        replacing: Claim | None = None,
    ) -> None:
        """Record that this key is producing upload_id; raise Conflict if taken.

        With ``replacing``, take over that stale claim, unless another request
        changed or took it over first.
        """
        body = json.dumps(
            {"id": upload_id, "claimed": time.time(), "request": dict(request)}
        ).encode()
        condition = (
            {"IfNoneMatch": "*"} if replacing is None else {"IfMatch": replacing.etag}
        )
        try:
            self._put_json(self.idempotency_key(owner, key), body, **condition)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "NoSuchKey", "404"}:
                raise Conflict(key) from err
            raise StorageError(f"storing idempotency key failed: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"storing idempotency key failed: {err}") from err

    def release_idempotent(self, owner: str, key: str) -> None:
        """Forget an idempotency key whose upload failed, so a retry can run.

        The failure is often the store going away, so this keeps trying for
        ``abort_seconds``; a claim it cannot remove expires with its lease.
        """
        name = self.idempotency_key(owner, key)
        self._retry(
            f"forgetting idempotency key {name}",
            lambda: self.client.delete_object(Bucket=self.bucket, Key=name),
        )

    def _retry(self, action: str, call: Callable[[], object]) -> bool:
        """Run call until it succeeds or abort_seconds pass; tell which."""
        deadline = time.monotonic() + self.abort_seconds
        pause = 0.25
        while True:
            try:
                call()
            except (BotoCoreError, ClientError) as err:
                if time.monotonic() + pause > deadline:
                    log.error("%s failed: %s", action, err)
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 4.0)
            else:
                return True
