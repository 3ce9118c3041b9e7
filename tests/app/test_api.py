"""The upload API against a real SeaweedFS: store, read back, list, refuse."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from csvdrop import api
from csvdrop.conversion import arriving
from csvdrop.storage import Storage, new_upload_id

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CSVDROP = Path(sys.executable).parent / "csvdrop"
BUCKET = "csvdrop-test"
# The Idempotency-Key lease of the tests that age a claim past it.
LEASE = 3600

Auth = Callable[..., dict[str, str]]


def all_keys(s3: S3Client) -> set[str]:
    """Return every key in the test bucket."""
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def post_raw(client: FlaskClient, headers: dict[str, str], content: bytes) -> Any:
    """Upload content as a text/csv body.

    Large tests use this: Werkzeug's test client spools a large multipart
    body to a temporary file that it never closes.
    """
    return client.post(
        "/api/v1/uploads?filename=big.csv",
        headers={**headers, "Content-Type": "text/csv"},
        data=content,
    )


def post_file(
    client: FlaskClient,
    headers: dict[str, str],
    content: bytes,
    filename: str = "data.csv",
    **fields: str,
) -> Any:
    """Upload content as the multipart field 'file' with option fields."""
    data: dict[str, Any] = {**fields, "file": (io.BytesIO(content), filename)}
    return client.post("/api/v1/uploads", headers=headers, data=data)


def test_upload_multipart_answers_the_record(client: FlaskClient, auth: Auth) -> None:
    answer = post_file(client, auth(), b"id,city\r\n1,Oslo\r\n2,Lima\r\n", "cities.csv")

    assert answer.status_code == 201
    record = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/uploads/{record['id']}"
    assert record["rows"] == 2
    assert record["columns"] == ["id", "city"]
    assert record["encoding"] == "utf-8"
    assert record["delimiter"] == ","
    assert record["bytes_in"] == 25
    assert record["owner"] == "alice"
    assert record["bucket"] == BUCKET
    assert record["source_name"] == "cities.csv"
    assert record["key"] == Storage.object_key(record["id"], "json")
    assert record["preview"] == [
        {"id": "1", "city": "Oslo"},
        {"id": "2", "city": "Lima"},
    ]


def test_upload_raw_body_uses_filename_and_query_options(
    client: FlaskClient, auth: Auth
) -> None:
    answer = client.post(
        "/api/v1/uploads?filename=events.csv&format=ndjson&types=infer",
        headers={**auth(), "Content-Type": "text/csv"},
        data=b"event;ts\nok;1700000000\n",
    )

    assert answer.status_code == 201
    record = answer.get_json()
    assert record["source_name"] == "events.csv"
    assert record["delimiter"] == ";"
    assert record["format"] == "ndjson"
    assert record["content_type"] == "application/x-ndjson"
    assert record["key"].endswith(".ndjson")
    content = client.get(record["content_url"], headers=auth())
    assert content.mimetype == "application/x-ndjson"
    assert content.data == b'{"event":"ok","ts":1700000000}\n'


def test_upload_form_options_reach_the_engine(client: FlaskClient, auth: Auth) -> None:
    answer = post_file(
        client, auth(), b"a|b\n1|x\n", delimiter="|", types="infer", format="json"
    )

    assert answer.status_code == 201
    assert answer.get_json()["preview"] == [{"a": 1, "b": "x"}]


def test_upload_tab_delimiter_may_be_named(client: FlaskClient, auth: Auth) -> None:
    answer = post_file(client, auth(), b"a,b\tc\n1,2\t3\n", delimiter="tab")

    assert answer.status_code == 201
    assert answer.get_json()["columns"] == ["a,b", "c"]


def test_upload_object_carries_type_metadata_and_encryption(
    client: FlaskClient, auth: Auth, s3: S3Client
) -> None:
    record = post_file(
        client, auth(), b"item,note\n1,caf\xe9 \x96 bar\n", "caf\xe9 list.csv"
    ).get_json()

    head = s3.head_object(Bucket=BUCKET, Key=record["key"])
    assert head["ContentType"] == "application/json"
    assert head["ContentLength"] == record["bytes_out"]
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"] == {
        "source-name": "cafe_list.csv",
        "sha256": record["sha256"],
        "rows": "1",
        "uploader": "alice",
        "upload-id": record["id"],
    }
    assert record["encoding"] == "cp1252"


def test_upload_larger_than_a_part_goes_up_in_parts(
    create_test_app: Callable[..., Flask], auth: Auth, s3: S3Client
) -> None:
    client = create_test_app(S3_PART_SIZE=5 * 1024 * 1024).test_client()
    rows = b"".join(b"%d,%s\n" % (n, b"v" * 40) for n in range(400_000))
    csv = b"id,value\n" + rows

    record = post_raw(client, auth(), csv).get_json()

    assert record["rows"] == 400_000
    assert record["bytes_out"] > 3 * 5 * 1024 * 1024
    head = s3.head_object(Bucket=BUCKET, Key=record["key"])
    # A multipart object's ETag ends with the number of its parts.
    parts = -(-record["bytes_out"] // (5 * 1024 * 1024))
    assert head["ETag"].strip('"').endswith(f"-{parts}")
    assert head["ContentLength"] == record["bytes_out"]
    assert head["Metadata"]["rows"] == "400000"
    assert head["Metadata"]["sha256"] == record["sha256"]
    assert head["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket=BUCKET, Key=record["key"])["Body"].read()
    document = json.loads(body)
    assert len(document) == 400_000
    assert document[-1] == {"id": "399999", "value": "v" * 40}
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize(
    ("path"),
    [
        "biopics/biopics.csv",
        "cabinet-turnover/cabinet-turnover.csv",
        "bob-ross/elements-by-episode.csv",
    ],
)
def test_upload_content_equals_the_cli_output(
    client: FlaskClient, auth: Auth, tmp_path: Path, path: str
) -> None:
    source = CORPUS / "fivethirtyeight" / path
    output = tmp_path / "out.json"
    subprocess.run([CSVDROP, "convert", source, "-o", output], check=True)

    record = post_file(client, auth(), source.read_bytes(), source.name).get_json()
    content = client.get(record["content_url"], headers=auth())

    assert content.status_code == 200
    assert content.data == output.read_bytes()
    assert content.headers["Content-Length"] == str(record["bytes_out"])
    assert content.headers["Content-Disposition"].startswith("attachment;")


CSV_FAULTS = [
    # (body, type slug, line)
    (b"", "empty-file", 1),
    (b"a,b,c\n1,2,3\n4,5\n", "field-count", 3),
    (b"id,bin\n1,a\x00b\n", "binary-data", 2),
    (b'id,note\n1,"never closed\n2,x\n', "unclosed-quote", 2),
    (b'id,note\n1,"quoted"stray\n', "stray-quote", 2),
]


@pytest.mark.parametrize(("body", "slug", "line"), CSV_FAULTS)
def test_upload_csv_fault_is_a_422_problem_storing_nothing(
    client: FlaskClient,
    auth: Auth,
    s3: S3Client,
    body: bytes,
    slug: str,
    line: int | None,
) -> None:
    before = all_keys(s3)

    answer = post_file(client, auth(), body)

    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"] == f"/api/problems/{slug}"
    assert problem["status"] == 422
    assert problem["line"] == line
    if line is not None:
        assert f"line {line}" in problem["detail"]
    assert all_keys(s3) == before


@pytest.mark.parametrize(
    ("csv", "checked_again"),
    [
        pytest.param(b"id,value\n" + b"1,v\n" * 800_000, False, id="utf-8"),
        pytest.param(b"id,value\n" + b"1,caf\xe9\n" * 600_000, True, id="cp1252"),
    ],
)
def test_raw_upload_is_checked_while_it_arrives(
    create_test_app: Callable[..., Flask],
    auth: Auth,
    s3: S3Client,
    monkeypatch: pytest.MonkeyPatch,
    csv: bytes,
    checked_again: bool,
) -> None:
    client = create_test_app(S3_PART_SIZE=5 * 1024 * 1024).test_client()
    second_checks: list[object] = []
    check_after = api.check

    def counted_check(*args: Any) -> Any:
        second_checks.append(args)
        return check_after(*args)

    # Only the check after the body is in goes through api.check: a UTF-8
    # body is known by then, a cp1252 one needs the stored copy.
    monkeypatch.setattr(arriving, "check", counted_check)
    monkeypatch.setattr(api, "check", counted_check)

    record = post_raw(client, auth(), csv).get_json()

    assert len(second_checks) == int(checked_again)
    assert record["rows"] == csv.count(b"\n") - 1
    head = s3.head_object(Bucket=BUCKET, Key=record["key"])
    assert head["Metadata"]["rows"] == str(record["rows"])
    assert head["Metadata"]["sha256"] == hashlib.sha256(csv).hexdigest()


def test_upload_fault_after_many_parts_aborts_the_multipart_upload(
    create_test_app: Callable[..., Flask], auth: Auth, s3: S3Client
) -> None:
    client = create_test_app(S3_PART_SIZE=5 * 1024 * 1024).test_client()
    rows = b"".join(b"%d,%s\n" % (n, b"w" * 40) for n in range(300_000))
    before = all_keys(s3)

    answer = post_raw(client, auth(), b"id,value\n" + rows + b"1,2,3\n")

    assert answer.status_code == 422
    assert answer.get_json()["line"] == 300_002
    assert all_keys(s3) == before
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


REQUEST_FAULTS = [
    # (content type, body, status, slug)
    ("application/json", b"{}", 415, "unsupported-media-type"),
    ("multipart/form-data; boundary=x", b"--x--\r\n", 400, "file-missing"),
]


@pytest.mark.parametrize(("content_type", "body", "status", "slug"), REQUEST_FAULTS)
def test_upload_malformed_request_is_a_problem(
    client: FlaskClient,
    auth: Auth,
    s3: S3Client,
    content_type: str,
    body: bytes,
    status: int,
    slug: str,
) -> None:
    before = all_keys(s3)

    answer = client.post(
        "/api/v1/uploads",
        headers={**auth(), "Content-Type": content_type},
        data=body,
    )

    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["type"] == f"/api/problems/{slug}"
    assert all_keys(s3) == before


@pytest.mark.parametrize(
    ("fields"),
    [{"format": "xml"}, {"types": "guess"}, {"delimiter": "::"}],
)
def test_upload_invalid_option_is_a_400_problem(
    client: FlaskClient, auth: Auth, s3: S3Client, fields: dict[str, str]
) -> None:
    before = all_keys(s3)

    answer = post_file(client, auth(), b"a,b\n1,2\n", **fields)

    assert answer.status_code == 400
    assert answer.get_json()["type"] == "/api/problems/invalid-option"
    assert all_keys(s3) == before


def test_upload_file_sent_as_text_field_says_how_to_send_it(
    client: FlaskClient, auth: Auth
) -> None:
    answer = client.post(
        "/api/v1/uploads",
        headers=auth(),
        data={"file": "id,name\n1,Ada\n"},
        content_type="multipart/form-data",
    )

    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["type"] == "/api/problems/file-sent-as-text"
    assert "curl -F file=@" in problem["detail"]


def test_list_uploads_pages_newest_first(
    client: FlaskClient, auth: Auth, create_user: Callable[[], str]
) -> None:
    # A user of their own, so other tests' uploads do not show in the list.
    headers = auth(create_user())
    ids = [
        post_file(client, headers, b"n\n%d\n" % n).get_json()["id"] for n in range(3)
    ]

    first = client.get("/api/v1/uploads?limit=2", headers=headers)
    page = first.get_json()
    second = client.get(
        f"/api/v1/uploads?limit=2&cursor={page['next_cursor']}", headers=headers
    ).get_json()

    assert [item["id"] for item in page["items"]] == [ids[2], ids[1]]
    assert first.headers["Link"].endswith('rel="next"')
    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None
    assert "preview" not in page["items"][0]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("limit=0", "invalid-limit"),
        ("limit=x", "invalid-limit"),
        ("cursor=no", "invalid-cursor"),
    ],
)
def test_list_uploads_bad_query_is_a_400_problem(
    client: FlaskClient, auth: Auth, query: str, slug: str
) -> None:
    answer = client.get(f"/api/v1/uploads?{query}", headers=auth())

    assert answer.status_code == 400
    assert answer.get_json()["type"] == f"/api/problems/{slug}"


def test_get_upload_answers_the_stored_record(client: FlaskClient, auth: Auth) -> None:
    created = post_file(client, auth(), b"a\n1\n").get_json()

    answer = client.get(f"/api/v1/uploads/{created['id']}", headers=auth())

    assert answer.status_code == 200
    created.pop("preview")
    assert answer.get_json() == created


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/uploads/{id}",
        "/api/v1/uploads/{id}/content",
    ],
)
def test_get_upload_of_another_user_is_404(
    client: FlaskClient, auth: Auth, path: str
) -> None:
    created = post_file(client, auth("alice"), b"a\n1\n").get_json()

    answer = client.get(path.format(id=created["id"]), headers=auth("bob"))

    assert answer.status_code == 404
    assert answer.get_json()["type"] == "/api/problems/upload-not-found"


@pytest.mark.parametrize("upload_id", ["nope", "0" * 26, "../../etc/passwd"])
def test_get_upload_unknown_id_is_404(
    client: FlaskClient, auth: Auth, upload_id: str
) -> None:
    answer = client.get(f"/api/v1/uploads/{upload_id}", headers=auth())

    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


def test_get_content_presigned_redirects_to_s3(
    create_test_app: Callable[..., Flask], auth: Auth, s3: S3Client
) -> None:
    client = create_test_app(CONTENT_PRESIGNED=True).test_client()
    record = post_file(client, auth(), b"a\n1\n").get_json()

    answer = client.get(record["content_url"], headers=auth())

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert record["key"] in location
    assert "X-Amz-Signature=" in location
    assert "X-Amz-Expires=300" in location


def test_upload_with_idempotency_key_stores_once(
    client: FlaskClient, auth: Auth, s3: S3Client
) -> None:
    headers = {**auth(), "Idempotency-Key": "retry-me-0001"}
    before = all_keys(s3)

    first = post_file(client, headers, b"a\n1\n")
    second = post_file(client, headers, b"a\n1\n")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    added = all_keys(s3) - before
    assert len([key for key in added if key.startswith("uploads/")]) == 1


def test_upload_with_idempotency_key_after_a_fault_can_be_retried(
    client: FlaskClient, auth: Auth
) -> None:
    headers = {**auth(), "Idempotency-Key": "retry-me-0002"}

    refused = post_file(client, headers, b"a,b\n1\n")
    stored = post_file(client, headers, b"a,b\n1,2\n")

    assert refused.status_code == 422
    assert stored.status_code == 201


def test_upload_invalid_idempotency_key_is_a_400_problem(
    client: FlaskClient, auth: Auth
) -> None:
    headers = {**auth(), "Idempotency-Key": "x" * 256}

    answer = post_file(client, headers, b"a\n1\n")

    assert answer.status_code == 400
    assert answer.get_json()["type"] == "/api/problems/invalid-idempotency-key"


def test_upload_concurrent_retries_with_one_key_store_once(
    create_test_app: Callable[..., Flask], auth: Auth, s3: S3Client
) -> None:
    app = create_test_app()
    headers = {
        **auth(),
        "Idempotency-Key": "concurrent-0001",
        "Content-Type": "text/csv",
    }
    body = b"id,value\n" + b"".join(b"%d,x\n" % n for n in range(200_000))
    before = all_keys(s3)
    answers: list[Any] = []

    def send() -> None:
        answers.append(
            app.test_client().post(
                "/api/v1/uploads?filename=a.csv", headers=headers, data=body
            )
        )

    senders = [threading.Thread(target=send) for _ in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    ids = {answer.get_json()["id"] for answer in answers if answer.status_code < 300}
    assert len(ids) == 1
    added = all_keys(s3) - before
    assert len([key for key in added if key.startswith("uploads/")]) == 1


@pytest.mark.parametrize("rows", [10, 300_000])
def test_upload_with_kms_key_is_encrypted_with_that_key(
    create_test_app: Callable[..., Flask], auth: Auth, s3: S3Client, rows: int
) -> None:
    client = create_test_app(
        S3_KMS_KEY_ID="csvdrop-test-key", S3_PART_SIZE=5 * 1024 * 1024
    ).test_client()
    csv = b"id,value\n" + b"".join(b"%d,%s\n" % (n, b"k" * 40) for n in range(rows))

    record = post_raw(client, auth(), csv).get_json()

    head = s3.head_object(Bucket=BUCKET, Key=record["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == "csvdrop-test-key"
    assert head["Metadata"]["rows"] == str(rows)
    content = client.get(record["content_url"], headers=auth())
    assert len(json.loads(content.data)) == rows


def test_upload_idempotency_key_reused_for_another_file_is_refused(
    client: FlaskClient, auth: Auth, s3: S3Client
) -> None:
    headers = {**auth(), "Idempotency-Key": "reused-0001"}
    first = post_file(client, headers, b"a\n1\n")
    before = all_keys(s3)

    second = post_file(client, headers, b"a\n2\n")

    assert second.status_code == 422
    problem = second.get_json()
    assert problem["type"] == "/api/problems/idempotency-key-reused"
    assert first.get_json()["id"] in problem["detail"]
    assert all_keys(s3) == before


@pytest.mark.parametrize(
    ("content_type", "query", "value"),
    [
        ("text/csv", "", "café"),
        ("text/csv; charset=iso-8859-1", "", "cafÃ©"),
        ("text/csv; charset=ISO-8859-1", "&encoding=utf-8", "café"),
        ("application/csv; charset=utf-8", "&encoding=latin-1", "cafÃ©"),
    ],
)
def test_upload_raw_charset_is_the_encoding_unless_the_query_names_one(
    client: FlaskClient, auth: Auth, content_type: str, query: str, value: str
) -> None:
    answer = client.post(
        f"/api/v1/uploads?filename=a.csv{query}",
        headers={**auth(), "Content-Type": content_type},
        data="name\ncafé\n".encode(),
    )

    assert answer.status_code == 201
    assert answer.get_json()["preview"] == [{"name": value}]


def test_upload_raw_unknown_charset_is_an_invalid_option(
    client: FlaskClient, auth: Auth
) -> None:
    answer = client.post(
        "/api/v1/uploads?filename=a.csv",
        headers={**auth(), "Content-Type": "text/csv; charset=no-such-codec"},
        data=b"a\n1\n",
    )

    assert answer.status_code == 400
    assert answer.get_json()["type"] == "/api/problems/invalid-option"


@pytest.mark.parametrize(
    "option",
    [
        {"format": "ndjson"},
        {"types": "infer"},
        {"delimiter": ";"},
        {"encoding": "latin-1"},
    ],
)
def test_upload_idempotency_key_reused_with_other_options_is_refused(
    client: FlaskClient, auth: Auth, s3: S3Client, option: dict[str, str]
) -> None:
    headers = {**auth(), "Idempotency-Key": f"options-{next(iter(option))}"}
    first = post_file(client, headers, b"a\n1\n")
    before = all_keys(s3)

    second = post_file(client, headers, b"a\n1\n", **option)
    again = post_file(client, headers, b"a\n1\n")

    assert second.status_code == 422
    problem = second.get_json()
    assert problem["type"] == "/api/problems/idempotency-key-reused"
    assert first.get_json()["id"] in problem["detail"]
    assert "options" in problem["detail"]
    assert all_keys(s3) == before
    assert again.status_code == 200


def claim_of_a_dead_request(
    app: Flask, username: str, idempotency_key: str, claimed: float
) -> str:
    """Leave the claim a request leaves when it dies before storing; return its id."""
    storage = app.extensions["csvdrop.storage"]
    dead_upload = new_upload_id()
    options = {"format": "json", "types": "string", "delimiter": None}
    storage.claim_idempotent(
        username, idempotency_key, dead_upload, {**options, "encoding": None}
    )
    # Age the claim as the clock would have, without waiting for it.
    name = Storage.idempotency_key(username, idempotency_key)
    document = json.loads(
        storage.client.get_object(Bucket=BUCKET, Key=name)["Body"].read()
    )
    storage.client.put_object(
        Bucket=BUCKET, Key=name, Body=json.dumps({**document, "claimed": claimed})
    )
    return dead_upload


@pytest.mark.parametrize(
    ("age", "status"),
    [(10, 409), (LEASE + 10, 201)],
)
def test_upload_claim_of_a_dead_request_is_taken_over_after_its_lease(
    create_test_app: Callable[..., Flask],
    auth: Auth,
    age: float,
    status: int,
) -> None:
    app = create_test_app(IDEMPOTENCY_LEASE_SECONDS=LEASE)
    client = app.test_client()
    key = f"dead-request-{age}"
    dead_upload = claim_of_a_dead_request(app, "alice", key, time.time() - age)

    answer = post_file(client, {**auth(), "Idempotency-Key": key}, b"a\n1\n")
    retry = post_file(client, {**auth(), "Idempotency-Key": key}, b"a\n1\n")

    assert answer.status_code == status
    if status == 201:
        assert answer.get_json()["id"] != dead_upload
        assert retry.status_code == 200
        assert retry.get_json()["id"] == answer.get_json()["id"]
    else:
        assert answer.get_json()["type"] == "/api/problems/upload-in-progress"
        assert answer.headers["Retry-After"]
        assert retry.status_code == 409
