"""The REST API under /api/v1: upload a CSV, list, read and fetch uploads."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tempfile
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from csvdrop import metrics
from csvdrop.auth import current_username
from csvdrop.conversion import (
    CheckedInput,
    ConversionError,
    ConversionOptions,
    ConversionSummary,
    check,
    convert,
    media_type,
)
from csvdrop.conversion.arriving import ArrivingCheck
from csvdrop.openapi import json_response, operation, problems
from csvdrop.problems import Problem
from csvdrop.storage import (
    Claim,
    Conflict,
    NotFound,
    Storage,
    StorageError,
    UploadRecord,
    new_upload_id,
    sanitize_name,
)

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STORAGE_EXTENSION = "csvdrop.storage"
OPTION_NAMES = ("format", "types", "delimiter", "encoding")
MAX_PAGE_SIZE = 100
IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_EXTENSIONS = {"application/json": "json", "application/x-ndjson": "ndjson"}
# Friendlier spellings of the tab delimiter, which is awkward in a URL or form.
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t"}
# Raw bodies are read in pieces of this size.
_BODY_PIECE = 1024 * 1024


def get_storage() -> Storage:
    """Return the storage of the current app."""
    storage: Storage = current_app.extensions[STORAGE_EXTENSION]
    return storage


def record_document(record: UploadRecord) -> dict[str, Any]:
    """Return the API's view of an upload record."""
    document: dict[str, Any] = asdict(record)
    document["content_url"] = url_for("api.get_content", upload_id=record.id)
    return document


def _storage_unavailable(err: StorageError) -> Problem:
    log.error("storage failed: %s", err)
    return Problem(
        503,
        "storage-unavailable",
        "Storage unavailable",
        "the object store did not answer; nothing was stored, try again later",
        headers={"Retry-After": "30"},
    )


# -- reading the request ------------------------------------------------------


def _read_options(
    form: Mapping[str, str], defaults: Mapping[str, str | None] | None = None
) -> ConversionOptions:
    given: dict[str, Any] = {}
    for name in OPTION_NAMES:
        value = form.get(name) or request.args.get(name) or (defaults or {}).get(name)
        if value:
            given[name] = (
                _DELIMITER_NAMES.get(value, value) if name == "delimiter" else value
            )
    try:
        return ConversionOptions(**given)
    except ConversionError as err:
        raise Problem(400, "invalid-option", "Invalid option", str(err)) from err


def _spool_body(
    options: ConversionOptions, storage: Storage
) -> tuple[BinaryIO, ArrivingCheck | None]:
    """Copy the raw body into a temporary file, checking it as it arrives.

    A body large enough for a multipart upload is checked on another
    thread while it comes in, so that its row count is known when its last
    byte is: the check then costs no time of its own (see _check_first).
    """
    limit = int(current_app.config["SPOOL_MEMORY_BYTES"])
    length = request.content_length
    arriving = (
        ArrivingCheck(options)
        if length is None or length * 2 >= storage.part_size
        else None
    )
    # Closed by create_upload once the upload is stored or refused.
    spool = tempfile.SpooledTemporaryFile(max_size=limit)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="csvdrop-check") as checking:
            # At most two pieces wait for the check: a slow check slows the
            # receiving down instead of holding the body in memory.
            waiting: deque[Future[None]] = deque()
            while chunk := request.stream.read(_BODY_PIECE):
                spool.write(chunk)
                if arriving is not None:
                    # Hashing here and checking there keeps both cores busy
                    # and neither far behind the body.
                    arriving.digest(chunk)
                    if len(waiting) == 2:
                        waiting.popleft().result()
                    waiting.append(checking.submit(arriving.follow, chunk))
            for piece in waiting:
                piece.result()
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return cast(BinaryIO, spool), arriving


def _read_source(
    storage: Storage,
) -> tuple[BinaryIO, str, ConversionOptions, ArrivingCheck | None]:
    """Return the uploaded bytes, their sanitized name, the options and check."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if not isinstance(upload, FileStorage):
            if "file" in request.form:
                raise Problem(
                    400,
                    "file-sent-as-text",
                    "File sent as a text field",
                    "field 'file' arrived as a plain text field, which cannot"
                    " keep the file's bytes and encoding: send it as a file part"
                    " (curl -F file=@data.csv) or as a text/csv request body",
                )
            raise Problem(
                400,
                "file-missing",
                "No file",
                "the multipart form has no part named 'file'",
            )
        options = _read_options(request.form)
        source = cast(BinaryIO, upload.stream)
        # The form's fields may follow its file, so the options are known
        # only once the file is in: it is checked afterwards.
        return source, sanitize_name(upload.filename or ""), options, None
    if mimetype in {"text/csv", "application/csv"}:
        # A charset in the Content-Type is the client naming the encoding;
        # the encoding query option, being more specific, wins over it.
        charset = request.mimetype_params.get("charset")
        options = _read_options({}, {"encoding": charset})
        name = sanitize_name(request.args.get("filename", ""))
        source, arriving = _spool_body(options, storage)
        return source, name, options, arriving
    raise Problem(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        "send a multipart/form-data form with field 'file', or a text/csv body",
    )


# -- storing ------------------------------------------------------------------


def _store(
    storage: Storage,
    owner: str,
    upload_id: str,
    source: BinaryIO,
    source_name: str,
    options: ConversionOptions,
    arriving: ArrivingCheck | None = None,
) -> tuple[UploadRecord, ConversionSummary]:
    content_type = media_type(options.format)
    key = storage.object_key(upload_id, _EXTENSIONS.get(content_type, "json"))
    metadata = {
        "source-name": source_name,
        "uploader": quote(owner, safe=""),
        "upload-id": upload_id,
    }
    checked = _check_first(storage, source, options, arriving)
    if checked is not None:
        metadata |= {"sha256": checked.sha256, "rows": str(checked.rows)}
    conversion = convert(source, options, checked)

    def final_metadata() -> dict[str, str]:
        return {
            "sha256": conversion.summary.sha256,
            "rows": str(conversion.summary.rows),
        }

    storage.put_document(
        key,
        conversion,
        content_type=content_type,
        metadata=metadata,
        final_metadata=None if checked is not None else final_metadata,
    )
    summary = conversion.summary
    if checked is not None and checked.rows != summary.rows:
        # The metadata went up before the records were converted; an object
        # whose metadata disagrees with its content must not stay.
        storage.delete_document(key)
        raise RuntimeError(f"upload {upload_id}: checked and converted rows differ")
    record = UploadRecord(
        id=upload_id,
        owner=owner,
        bucket=storage.bucket,
        key=key,
        source_name=source_name,
        format=options.format,
        content_type=content_type,
        rows=summary.rows,
        columns=list(summary.columns),
        encoding=summary.encoding,
        delimiter=summary.delimiter,
        bytes_in=summary.bytes_in,
        bytes_out=summary.bytes_out,
        sha256=summary.sha256,
        created=datetime.now(UTC).isoformat(timespec="milliseconds"),
    )
    try:
        storage.put_record(record)
    except BaseException:
        storage.delete_document(key)
        raise
    return record, summary


def _check_first(
    storage: Storage,
    source: BinaryIO,
    options: ConversionOptions,
    arriving: ArrivingCheck | None,
) -> CheckedInput | None:
    """Prove a large source converts and count its rows before storing it.

    The row count and sha256 belong in the object's metadata, which a
    multipart upload takes only when it starts. Learning them afterwards
    means a server-side copy of the whole object onto itself, which took
    six to ten times as long as this pass (see docs/benchmarks.md). A source
    that fits one part goes up with a single PUT that takes them at the end.
    A faulty file is refused here, before any part is sent. A body checked
    while it arrived is read again only when that check left it to check().
    """
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    if size * 2 < storage.part_size:
        return None
    if arriving is not None:
        return arriving.finish(source)
    return check(source, options)


def _sha256(source: BinaryIO) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(1024 * 1024):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def _key_reused(upload_id: str, what: str) -> Problem:
    return Problem(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        f"this Idempotency-Key already stored upload {upload_id} from a"
        f" different {what}; use a new key for a new upload",
    )


def _in_progress() -> Problem:
    return Problem(
        409,
        "upload-in-progress",
        "Upload in progress",
        "an upload with this Idempotency-Key is still being stored;"
        " retry when it has finished",
        headers={"Retry-After": "5"},
    )


def _replay(
    storage: Storage,
    owner: str,
    claim: Claim,
    source: BinaryIO,
    wanted: Mapping[str, Any],
) -> Response | None:
    """Answer a retry with the record its first attempt stored.

    Return None when the claim is stale: its request died without storing
    anything or releasing the key, so this request may take the key over.
    """
    # A key reused with other options must not answer the first record.
    if claim.request is not None and claim.request != dict(wanted):
        raise _key_reused(claim.upload_id, "request (other options)")
    try:
        record = storage.get_record(owner, claim.upload_id)
    except NotFound:
        lease = float(current_app.config["IDEMPOTENCY_LEASE_SECONDS"])
        if claim.is_stale(lease):
            return None
        raise _in_progress() from None
    # A key reused for another file must not answer the first file's record.
    if _sha256(source) != record.sha256:
        raise _key_reused(record.id, "file")
    response = jsonify(record_document(record))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(
    storage: Storage,
    owner: str,
    idempotency_key: str,
    upload_id: str,
    source: BinaryIO,
    options: ConversionOptions,
) -> Response | None:
    """Reserve the key for this upload, or answer the earlier attempt's record."""
    wanted = asdict(options)
    # Look, then claim; a request that claims in between makes us look again.
    for _ in range(2):
        claim = storage.find_idempotent(owner, idempotency_key)
        if claim is not None:
            replayed = _replay(storage, owner, claim, source, wanted)
            if replayed is not None:
                return replayed
            log.warning(
                "upload %s takes over the idempotency key of upload %s,"
                " claimed %.0f s ago and never stored",
                upload_id,
                claim.upload_id,
                time.time() - claim.claimed,
                extra={"upload_id": upload_id},
            )
        try:
            storage.claim_idempotent(
                owner, idempotency_key, upload_id, wanted, replacing=claim
            )
        except Conflict:
            continue
        return None
    raise _in_progress()


_OPTION_PARAMETERS = [
    {
        "in": "query",
        "name": "format",
        "schema": {"type": "string", "enum": ["json", "ndjson"]},
        "description": "output format (also a form field)",
    },
    {
        "in": "query",
        "name": "types",
        "schema": {"type": "string", "enum": ["string", "infer"]},
        "description": "keep values as strings, or infer numbers and booleans",
    },
    {
        "in": "query",
        "name": "delimiter",
        "schema": {"type": "string"},
        "description": "one of , ; | or tab; detected when absent",
    },
    {
        "in": "query",
        "name": "encoding",
        "schema": {"type": "string"},
        "description": "a Python codec name; detected when absent",
    },
]
_UPLOAD_ID = {
    "in": "path",
    "name": "upload_id",
    "required": True,
    "schema": {"type": "string"},
}


@bp.post("/uploads")
@operation(
    post={
        "summary": "Convert a CSV and store its JSON",
        "tags": ["uploads"],
        "parameters": [
            {
                "in": "query",
                "name": "filename",
                "schema": {"type": "string"},
                "description": "name of the file, for a text/csv body",
            },
            *_OPTION_PARAMETERS,
            {
                "in": "header",
                "name": IDEMPOTENCY_HEADER,
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
                "description": "a retry with the same key answers the first record",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": "UploadFormSchema"},
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "responses": {
            201: json_response("stored", "UploadCreatedSchema"),
            200: json_response("the record of the first try", "UploadRecordSchema"),
            **problems(
                400,
                401,
                403,
                409,
                413,
                415,
                422,
                503,
                s422="the CSV is invalid (the problem names the line), or the"
                " Idempotency-Key was used for another file",
            ),
        },
    }
)
def create_upload() -> ResponseReturnValue:
    """Convert the uploaded CSV, store the JSON and answer the upload record."""
    source, source_name, options, arriving = _read_source(get_storage())
    with source:
        return _create_upload(source, source_name, options, arriving)


def _create_upload(
    source: BinaryIO,
    source_name: str,
    options: ConversionOptions,
    arriving: ArrivingCheck | None,
) -> ResponseReturnValue:
    owner = current_username()
    storage = get_storage()
    counters = metrics.get()
    idempotency_key = request.headers.get(IDEMPOTENCY_HEADER)
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise Problem(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key",
            "an Idempotency-Key is 1 to 255 printable ASCII characters",
        )

    upload_id = new_upload_id()
    started = time.perf_counter()
    try:
        if idempotency_key is not None:
            replayed = _claim(
                storage, owner, idempotency_key, upload_id, source, options
            )
            if replayed is not None:
                return replayed
        try:
            record, summary = _store(
                storage, owner, upload_id, source, source_name, options, arriving
            )
        except BaseException:
            if idempotency_key is not None:
                storage.release_idempotent(owner, idempotency_key)
            raise
    except ConversionError as err:
        counters.uploads.labels("rejected").inc()
        log.info(
            "upload %s by %s rejected: %s",
            upload_id,
            owner,
            err.kind,
            extra={"upload_id": upload_id, "line": err.line},
        )
        status, title = (
            (400, "Invalid option")
            if err.kind == "invalid-option"
            else (422, "Invalid CSV")
        )
        raise Problem(status, err.kind, title, str(err), line=err.line) from err
    except StorageError as err:
        counters.uploads.labels("failed").inc()
        raise _storage_unavailable(err) from err

    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    counters.uploads.labels("stored").inc()
    counters.bytes_in.inc(record.bytes_in)
    counters.bytes_out.inc(record.bytes_out)
    log.info(
        "upload %s stored by %s",
        record.id,
        owner,
        extra={
            "upload_id": record.id,
            "rows": record.rows,
            "bytes_in": record.bytes_in,
            "bytes_out": record.bytes_out,
            "duration_ms": duration_ms,
        },
    )
    document = record_document(record)
    document["preview"] = summary.preview
    location = url_for("api.get_upload", upload_id=record.id)
    return jsonify(document), 201, {"Location": location}


# -- reading uploads ----------------------------------------------------------


def _page_size() -> int:
    default = int(current_app.config["PAGE_SIZE"])
    text = request.args.get("limit")
    if text is None:
        return min(default, MAX_PAGE_SIZE)
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise Problem(
            400,
            "invalid-limit",
            "Invalid limit",
            f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}",
        )
    return int(text)


@bp.get("/uploads")
@operation(
    get={
        "summary": "List the caller's uploads, newest first",
        "tags": ["uploads"],
        "parameters": [
            {
                "in": "query",
                "name": "limit",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "in": "query",
                "name": "cursor",
                "schema": {"type": "string"},
                "description": "next_cursor of the previous page",
            },
        ],
        "responses": {
            200: json_response("one page", "UploadPageSchema"),
            **problems(400, 401, 503),
        },
    }
)
def list_uploads() -> Response:
    """List the caller's uploads, newest first, one page at a time."""
    owner = current_username()
    limit = _page_size()
    cursor = request.args.get("cursor") or None
    try:
        records, next_cursor = get_storage().list_records(owner, limit, cursor)
    except NotFound:
        raise Problem(
            400,
            "invalid-cursor",
            "Invalid cursor",
            "cursor must be the next_cursor of an earlier page",
        ) from None
    except StorageError as err:
        raise _storage_unavailable(err) from err

    response = jsonify(
        {
            "items": [record_document(record) for record in records],
            "next_cursor": next_cursor,
        }
    )
    if next_cursor is not None:
        next_url = url_for("api.list_uploads", limit=limit, cursor=next_cursor)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _own_record(upload_id: str) -> UploadRecord:
    try:
        return get_storage().get_record(current_username(), upload_id)
    except NotFound:
        raise Problem(
            404, "upload-not-found", "Upload not found", f"no upload {upload_id}"
        ) from None
    except StorageError as err:
        raise _storage_unavailable(err) from err


@bp.get("/uploads/<upload_id>")
@operation(
    get={
        "summary": "Read one upload record",
        "tags": ["uploads"],
        "parameters": [_UPLOAD_ID],
        "responses": {
            200: json_response("the record", "UploadRecordSchema"),
            **problems(401, 404, 503),
        },
    }
)
def get_upload(upload_id: str) -> Response:
    """Answer the caller's upload record with that id."""
    return jsonify(record_document(_own_record(upload_id)))


@bp.get("/uploads/<upload_id>/content")
@operation(
    get={
        "summary": "Fetch the converted document",
        "tags": ["uploads"],
        "parameters": [_UPLOAD_ID],
        "responses": {
            200: {
                "description": "the JSON (or NDJSON) document, streamed",
                "content": {
                    "application/json": {},
                    "application/x-ndjson": {},
                },
            },
            302: {"description": "redirect to a presigned S3 URL (if configured)"},
            **problems(401, 404, 503),
        },
    }
)
def get_content(upload_id: str) -> ResponseReturnValue:
    """Stream the converted document, or redirect to a presigned URL."""
    record = _own_record(upload_id)
    storage = get_storage()
    if current_app.config["CONTENT_PRESIGNED"]:
        seconds = int(current_app.config["PRESIGNED_URL_SECONDS"])
        return redirect(storage.presigned_url(record, seconds), 302)

    try:
        chunks = storage.open_document(record)
    except NotFound:
        raise Problem(
            404, "upload-not-found", "Upload not found", f"no upload {upload_id}"
        ) from None
    except StorageError as err:
        raise _storage_unavailable(err) from err
    stem = record.source_name.rsplit(".", 1)[0] or "upload"
    download = replace(record, source_name=f"{stem}.{record.key.rsplit('.', 1)[-1]}")
    return Response(
        stream_with_context(chunks),
        mimetype=record.content_type,
        headers={
            "Content-Length": str(record.bytes_out),
            "Content-Disposition": f'attachment; filename="{download.source_name}"',
        },
    )
