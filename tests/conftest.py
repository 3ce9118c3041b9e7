"""Shared fixtures: a real SeaweedFS for the session, the app, its client, S3."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask
from flask.testing import FlaskClient

from csvdrop import create_app
from csvdrop.auth.users import UsersFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
WEED = Path(sys.executable).parent / "weed"
GUNICORN = Path(sys.executable).parent / "gunicorn"

TEST_PASSWORD = "test password that is long enough"  # noqa: S105 (test users only)
TOKEN_SECRET = "t" * 48


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SeaweedFS:
    """One SeaweedFS server (master, volume, filer, S3) on loopback ports."""

    bucket = "csvdrop-test"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.access_key = "test-" + secrets.token_hex(8)
        self.secret_key = secrets.token_hex(24)
        self.ports = {name: free_port() for name in _PORT_FLAGS}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "weed.log"

    @property
    def endpoint(self) -> str:
        """Return the S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def client(self, attempts: int = 3) -> S3Client:
        """Return a boto3 S3 client for this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                connect_timeout=2,
                read_timeout=30,
                retries={"max_attempts": attempts, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
        )

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until its bucket accepts requests."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identities = self.data_dir / "s3.json"
        identity = {
            "name": "test",
            "credentials": [
                {"accessKey": self.access_key, "secretKey": self.secret_key}
            ],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        # SeaweedFS's local KMS makes keys on first use and keeps them in
        # memory only: good for one test session, not for data kept longer.
        kms = {
            "default_provider": "local",
            "providers": {"local": {"type": "local", "enableOnDemandCreate": True}},
        }
        identities.write_text(json.dumps({"identities": [identity], "kms": kms}))
        command = [
            str(WEED),
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            # SeaweedFS reports usage to a public server unless told not to.
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=128",
            "-volume.max=16",
            "-s3",
            f"-s3.config={identities}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            *(f"-{flag}={self.ports[name]}" for name, flag in _PORT_FLAGS.items()),
        ]
        # SSE-S3 needs a key-encryption key; without one SeaweedFS refuses
        # every request that asks for server-side encryption.
        environment = {**os.environ, "WEED_S3_SSE_KEY": "test-" + self.secret_key}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        client = self.client(attempts=1)
        deadline = time.monotonic() + timeout
        while not self._try(self._create_bucket, client):
            self._wait_or_give_up(deadline)
        # The S3 gateway answers before the volume server has joined the
        # master: the first writes then wait seconds for a volume (seen as
        # "Not enough data nodes found!" in weed.log). Ready means an object
        # can be stored.
        while not self._try(self._store_probe, client):
            self._wait_or_give_up(deadline)

    def _try(self, step: Callable[[S3Client], None], client: S3Client) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"weed exited early; see {self.log_path}")
        try:
            step(client)
        except (BotoCoreError, ClientError):
            return False
        return True

    def _create_bucket(self, client: S3Client) -> None:
        try:
            client.create_bucket(Bucket=self.bucket)
        except ClientError as err:
            if err.response["Error"]["Code"] not in {
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            }:
                raise

    def _store_probe(self, client: S3Client) -> None:
        client.put_object(Bucket=self.bucket, Key="ready-probe", Body=b"ready")
        client.delete_object(Bucket=self.bucket, Key="ready-probe")

    def _wait_or_give_up(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"weed did not get ready; see {self.log_path}")
        time.sleep(0.3)

    def kill(self) -> None:
        """Stop the server at once, as a crash would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server by its PID, forcefully if it lingers."""
        if self.process is None or self.process.poll() is not None:
            self._remove_sockets()
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # weed's graceful shutdown can take most of a minute; the test
            # data is disposable.
            self.process.kill()
            self.process.wait(timeout=10)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        # weed puts a unix socket per gRPC port in /tmp, named by the port,
        # and leaves it there; only this server's ports are ours to remove.
        for port in self.ports.values():
            for socket_path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                socket_path.unlink(missing_ok=True)


_PORT_FLAGS = {
    "master": "master.port",
    "master_grpc": "master.port.grpc",
    "volume": "volume.port",
    "volume_grpc": "volume.port.grpc",
    "filer": "filer.port",
    "filer_grpc": "filer.port.grpc",
    "s3": "s3.port",
    "s3_grpc": "s3.port.grpc",
    "metrics": "metricsPort",
}


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """Yield the session's SeaweedFS, shared by every test that needs S3."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_seaweedfs(tmp_path: Path) -> Iterator[SeaweedFS]:
    """Yield a SeaweedFS of the test's own, for tests that stop or kill it."""
    server = SeaweedFS(tmp_path / "private-seaweedfs")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(seaweedfs: SeaweedFS) -> S3Client:
    """Return an S3 client for the session's SeaweedFS."""
    return seaweedfs.client()


@pytest.fixture(scope="session")
def users_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a users file holding alice and bob, both with TEST_PASSWORD."""
    path = tmp_path_factory.mktemp("users") / "users.json"
    users = UsersFile(path)
    for name in ("alice", "bob"):
        users.add(name, TEST_PASSWORD)
    return path


@pytest.fixture
def create_user(users_path: Path) -> Callable[[], str]:
    """Return a factory of fresh users (password TEST_PASSWORD) in the users file."""

    def create() -> str:
        name = "user-" + secrets.token_hex(4)
        UsersFile(users_path).add(name, TEST_PASSWORD)
        return name

    return create


def storage_config(server: SeaweedFS, users_path: Path) -> dict[str, Any]:
    """Return the settings that point an app at a SeaweedFS server."""
    return {
        "TESTING": True,
        "S3_ENDPOINT_URL": server.endpoint,
        "S3_ACCESS_KEY_ID": server.access_key,
        "S3_SECRET_ACCESS_KEY": server.secret_key,
        "S3_BUCKET": server.bucket,
        "S3_CONNECT_TIMEOUT": 2,
        "USERS_FILE": str(users_path),
        "TOKEN_SECRET": TOKEN_SECRET,
    }


@pytest.fixture
def create_test_app(seaweedfs: SeaweedFS, users_path: Path) -> Callable[..., Flask]:
    """Return a factory of apps, on the session's SeaweedFS unless told otherwise."""

    def create(server: SeaweedFS | None = None, **overrides: Any) -> Flask:
        config = storage_config(server or seaweedfs, users_path)
        return create_app({**config, **overrides})

    return create


@pytest.fixture
def app(create_test_app: Callable[..., Flask]) -> Flask:
    """Return the app with its default settings on the session's SeaweedFS."""
    return create_test_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


def bearer(client: FlaskClient, username: str = "alice") -> dict[str, str]:
    """Log in through the token route and return the Authorization header."""
    answer = client.post(
        "/api/v1/auth/token", json={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {"Authorization": "Bearer " + answer.get_json()["access_token"]}


@pytest.fixture(scope="session")
def token_cache() -> dict[str, dict[str, str]]:
    """Hold one login per user for the session: scrypt makes each one slow."""
    return {}


@pytest.fixture
def auth(
    client: FlaskClient, token_cache: dict[str, dict[str, str]]
) -> Callable[[str], dict[str, str]]:
    """Return a function giving a user's Authorization header."""

    def headers(username: str = "alice") -> dict[str, str]:
        if username not in token_cache:
            token_cache[username] = bearer(client, username)
        return token_cache[username]

    return headers


class Gunicorn:
    """The app under gunicorn with its production settings, on a free port."""

    def __init__(
        self,
        server: SeaweedFS,
        users_path: Path,
        state: Path,
        *arguments: str,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.address}"
        self.log_path = state / "gunicorn.log"
        environment = {
            **os.environ,
            "CSVDROP_BIND": self.address,
            # Two workers, as in production, so metrics must be summed.
            "CSVDROP_WORKERS": "2",
            "CSVDROP_S3_ENDPOINT_URL": server.endpoint,
            "CSVDROP_S3_BUCKET": server.bucket,
            "CSVDROP_S3_ACCESS_KEY_ID": server.access_key,
            "CSVDROP_S3_SECRET_ACCESS_KEY": server.secret_key,
            "CSVDROP_USERS_FILE": str(users_path),
            "CSVDROP_TOKEN_SECRET": TOKEN_SECRET,
            # The fuzzer and the browser both log in; the limit has its own tests.
            "CSVDROP_LOGIN_RATE_LIMIT": "1000 per minute",
            "PROMETHEUS_MULTIPROC_DIR": str(state),
            **(settings or {}),
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "-c", "python:csvdrop.gunicorn_conf", *arguments],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):  # noqa: S310
                    return
            except OSError:  # refused, reset or timed out while gunicorn boots
                assert self.process.poll() is None, f"gunicorn exited: {self.log_path}"
                assert time.monotonic() < deadline, f"no answer: {self.log_path}"
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop gunicorn by its PID and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=60)


@pytest.fixture(scope="session")
def server_url(
    seaweedfs: SeaweedFS, users_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run the app under gunicorn with its production settings; yield its URL."""
    server = Gunicorn(seaweedfs, users_path, tmp_path_factory.mktemp("gunicorn"))
    yield server.url
    server.stop()
