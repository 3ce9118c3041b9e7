"""The gunicorn settings under slow uploads and restarts, against real servers."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import csvdrop
from conftest import TEST_PASSWORD, Gunicorn, SeaweedFS

ROW = b"1,slow\n"


def token(url: str) -> str:
    """Log in to a live server as alice and return the access token."""
    request = urllib.request.Request(  # noqa: S310 (a loopback URL of our own)
        url + "/api/v1/auth/token",
        data=json.dumps({"username": "alice", "password": TEST_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        access_token: str = json.load(answer)["access_token"]
        return access_token


def trickle_upload(
    server: Gunicorn, seconds: float, during: threading.Event | None = None
) -> int:
    """Send a CSV slowly, over about seconds, and return the answer's status."""
    chunks = int(seconds / 0.25)
    body_length = len(b"id,note\n") + chunks * len(ROW)
    access_token = token(server.url)
    host, port = server.address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest("POST", "/api/v1/uploads?filename=slow.csv")
        connection.putheader("Authorization", f"Bearer {access_token}")
        connection.putheader("Content-Type", "text/csv")
        connection.putheader("Content-Length", str(body_length))
        connection.endheaders()
        connection.send(b"id,note\n")
        for number in range(chunks):
            time.sleep(0.25)
            connection.send(ROW)
            if during is not None and number == 2:
                during.set()
        return connection.getresponse().status
    finally:
        connection.close()


def upload_under_way(server: Gunicorn) -> tuple[threading.Thread, list[int]]:
    """Start a 4 s trickle upload; return once its body is being sent.

    The thread puts the answer's status in the returned list when it ends.
    """
    sending = threading.Event()
    statuses: list[int] = []
    upload = threading.Thread(
        target=lambda: statuses.append(trickle_upload(server, 4, sending))
    )
    upload.start()
    assert sending.wait(timeout=30)
    return upload, statuses


@pytest.fixture
def create_gunicorn(
    seaweedfs: SeaweedFS, users_path: Path, tmp_path: Path
) -> Iterator[Callable[..., Gunicorn]]:
    """Return a factory of gunicorn servers with extra arguments, all stopped after."""
    servers: list[Gunicorn] = []

    def create(*arguments: str) -> Gunicorn:
        state = tmp_path / f"gunicorn-{len(servers)}"
        state.mkdir()
        servers.append(Gunicorn(seaweedfs, users_path, state, *arguments))
        return servers[-1]

    yield create
    for server in servers:
        server.stop()


def test_gthread_worker_outlives_its_timeout_during_a_slow_upload(
    create_gunicorn: Callable[..., Gunicorn],
) -> None:
    server = create_gunicorn("--timeout", "2")

    assert trickle_upload(server, seconds=6) == 201


def test_sync_worker_is_killed_by_its_timeout_during_a_slow_upload(
    create_gunicorn: Callable[..., Gunicorn],
) -> None:
    # The reason for gthread: the same slow upload kills a sync worker.
    # (gunicorn swaps sync for gthread whenever threads is above 1.)
    server = create_gunicorn(
        "--timeout", "2", "--worker-class", "sync", "--threads", "1"
    )

    with pytest.raises((http.client.HTTPException, ConnectionError)):
        trickle_upload(server, seconds=6)


def test_graceful_restart_lets_an_upload_in_flight_finish(
    create_gunicorn: Callable[..., Gunicorn],
) -> None:
    server = create_gunicorn()
    upload, statuses = upload_under_way(server)

    server.process.terminate()
    upload.join(timeout=60)

    assert statuses == [201]
    assert server.process.wait(timeout=60) == 0


def send_head(url: str, target: str, headers: dict[str, str]) -> tuple[int, str]:
    """Send a GET with that target and headers; return the status and media type."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.headers.get_content_type()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("target", "headers", "status", "media_type"),
    [
        # Up to nginx's 8 KiB the app itself answers, as problem+json.
        ("/no/such/page?q=" + "x" * 8000, {}, 404, "application/problem+json"),
        ("/no/such/page", {"X-Big": "x" * 8000}, 404, "application/problem+json"),
        (
            "/no/such/page",
            {f"X-Header-{n}": "x" for n in range(90)},
            404,
            "application/problem+json",
        ),
        # Past them gunicorn refuses the head itself, as HTML.
        ("/no/such/page?q=" + "x" * 8200, {}, 414, "text/html"),
        ("/no/such/page", {"X-Big": "x" * 8200}, 431, "text/html"),
        ("/no/such/page", {f"X-Header-{n}": "x" for n in range(101)}, 431, "text/html"),
    ],
)
def test_request_head_limits_are_those_documented(
    server_url: str,
    target: str,
    headers: dict[str, str],
    status: int,
    media_type: str,
) -> None:
    assert send_head(server_url, target, headers) == (status, media_type)


def health(server: Gunicorn) -> dict[str, str]:
    """Return the answer of the server's /healthz."""
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as answer:  # noqa: S310
        document: dict[str, str] = json.load(answer)
        return document


def test_reload_runs_a_new_release_and_keeps_the_upload_in_flight(
    seaweedfs: SeaweedFS, users_path: Path, tmp_path: Path
) -> None:
    # A release of csvdrop of its own, ahead of the installed one on the
    # path, that the test can replace as a deploy replaces the venv's.
    release = tmp_path / "release"
    shutil.copytree(
        Path(csvdrop.__file__).parent,
        release / "csvdrop",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    state = tmp_path / "state"
    state.mkdir()
    server = Gunicorn(
        seaweedfs, users_path, state, settings={"PYTHONPATH": str(release)}
    )
    try:
        before = health(server)["version"]
        # The master itself has imported the package (its settings module
        # lives there): the new version is set in the package's __init__.
        package = release / "csvdrop" / "__init__.py"
        package.write_text(package.read_text() + '\n__version__ = "next"\n')
        upload, statuses = upload_under_way(server)

        server.process.send_signal(signal.SIGHUP)

        deadline = time.monotonic() + 30
        while health(server)["version"] != "next" and time.monotonic() < deadline:
            time.sleep(0.2)
        after = health(server)["version"]
        upload.join(timeout=60)
    finally:
        server.stop()

    assert before == csvdrop.__version__
    assert after == "next"
    assert statuses == [201]
