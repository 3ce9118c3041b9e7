"""One user's uploads are invisible to every other user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

Auth = Callable[..., dict[str, str]]


def _upload(client: FlaskClient, headers: dict[str, str], **extra: Any) -> Any:
    return client.post(
        "/api/v1/uploads?filename=payroll.csv",
        data=b"name,salary\nada,100\n",
        content_type="text/csv",
        headers={**headers, **extra},
    )


def test_user_lists_reads_and_fetches_only_their_own_uploads(
    client: FlaskClient, auth: Auth, create_user: Callable[[], str]
) -> None:
    owner, other = create_user(), create_user()
    created = _upload(client, auth(owner))
    assert created.status_code == 201
    upload_id = created.get_json()["id"]

    own_list = client.get("/api/v1/uploads", headers=auth(owner)).get_json()
    other_list = client.get("/api/v1/uploads", headers=auth(other)).get_json()

    assert [item["id"] for item in own_list["items"]] == [upload_id]
    assert other_list["items"] == []
    for path in (
        f"/api/v1/uploads/{upload_id}",
        f"/api/v1/uploads/{upload_id}/content",
    ):
        assert client.get(path, headers=auth(owner)).status_code == 200, path
        refused = client.get(path, headers=auth(other))
        assert refused.status_code == 404, path
        assert refused.mimetype == "application/problem+json"
        assert "ada" not in refused.get_data(as_text=True)


def test_same_idempotency_key_from_another_user_stores_their_own_upload(
    client: FlaskClient, auth: Auth, create_user: Callable[[], str]
) -> None:
    owner, other = create_user(), create_user()
    key = {"Idempotency-Key": "shared-key-1"}

    first = _upload(client, auth(owner), **key)
    second = _upload(client, auth(other), **key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    assert second.get_json()["owner"] == other
    assert "Idempotent-Replayed" not in second.headers
