"""scripts/run.sh, the body of `make run`: start, serve, stop, keep the data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from conftest import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RUN = Path(__file__).resolve().parents[2] / "scripts" / "run.sh"
PORT_NAMES = ["s3", "app", *(f"other{n}" for n in range(8))]


def start(
    state: Path, ports: dict[str, int], **settings: str
) -> tuple[subprocess.Popen[str], str]:
    """Start run.sh and return it with everything it printed until it was up."""
    environment = {
        **os.environ,
        **settings,
        "CSVDROP_RUN_STATE": str(state),
        "CSVDROP_RUN_S3_PORT": str(ports["s3"]),
        "CSVDROP_RUN_APP_PORT": str(ports["app"]),
        "CSVDROP_RUN_OTHER_PORTS": " ".join(str(ports[f"other{n}"]) for n in range(8)),
    }
    process = subprocess.Popen(
        ["bash", str(RUN)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    printed = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        printed.append(line)
        if "csvdrop is at" in line:
            return process, "".join(printed)
        assert time.monotonic() < deadline, "".join(printed)
    raise AssertionError("run.sh ended before it was up:\n" + "".join(printed))


def stop(process: subprocess.Popen[str]) -> None:
    """Send SIGTERM and wait for run.sh to stop what it started."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.stdout is not None
    process.stdout.close()


def call(
    url: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    token: str | None = None,
) -> dict[str, Any]:
    """Send a request to the running app and return its JSON answer."""
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        document: dict[str, Any] = json.load(answer)
        return document


def log_in(base: str, password: str) -> str:
    """Return an access token for admin."""
    login = json.dumps({"username": "admin", "password": password}).encode()
    return str(call(base + "/api/v1/auth/token", login)["access_token"])


def local_s3(state: Path, port: int) -> S3Client:
    """Return a client of run.sh's SeaweedFS, with the keys it made."""
    identity = json.loads((state / "csvdrop" / "s3.json").read_text())
    credentials = identity["identities"][0]["credentials"][0]
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=credentials["accessKey"],
        aws_secret_access_key=credentials["secretKey"],
    )


def listening(port: int) -> bool:
    """Tell whether something accepts connections on a loopback port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_run_script_serves_stops_on_sigterm_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    ports = {name: free_port() for name in PORT_NAMES}
    state = tmp_path / "local"
    base = f"http://127.0.0.1:{ports['app']}"

    process, printed = start(state, ports)
    lines = printed.splitlines()
    announced = next(n for n, line in enumerate(lines) if "password is shown" in line)
    password = lines[announced + 1]
    stored = call(
        base + "/api/v1/uploads?filename=kept.csv",
        b"id,city\n1,Oslo\n",
        "text/csv",
        log_in(base, password),
    )
    s3 = local_s3(state, ports["s3"])
    left_open = s3.create_multipart_upload(Bucket="csvdrop", Key="uploads/crashed")
    stop(process)
    stopped = [listening(port) for port in ports.values()]

    # An upload counts as stale at once, so the one left open must go.
    process, printed_again = start(state, ports, CSVDROP_RUN_STALE_SECONDS="0")
    listing = call(base + "/api/v1/uploads", token=log_in(base, password))
    still_open = s3.list_multipart_uploads(Bucket="csvdrop").get("Uploads", [])
    rules = s3.get_bucket_lifecycle_configuration(Bucket="csvdrop")["Rules"]
    stop(process)

    assert left_open["UploadId"]
    assert stopped == [False] * len(ports)
    assert "password is shown" not in printed_again
    assert (
        "run: user admin exists; to reset its password:"
        " .venv/bin/csvdrop user passwd admin"
    ) in printed_again
    assert "run: aborted 1 multipart uploads older than 0 s in csvdrop" in (
        printed_again
    )
    assert still_open == []
    assert [rule["ID"] for rule in rules] == ["abort-incomplete-multipart-uploads"]
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
    assert [item["id"] for item in listing["items"]] == [stored["id"]]
    assert list(Path("/tmp").glob(f"seaweedfs-*-{ports['s3']}.sock")) == []
