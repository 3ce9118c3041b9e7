"""End to end through the service: uploads through gunicorn into SeaweedFS.

Starts a private SeaweedFS (the test suite's, on free loopback ports) and
gunicorn with the project's configuration, then measures:

- one large upload through the API against putting the same JSON bytes
  straight into the same store with boto3 (the transfer floor);
- the peak resident memory of each gunicorn worker;
- several concurrent uploads, all of which must succeed.

Run by bench/run.py with ``--service``; it needs the project venv (weed,
gunicorn, boto3) and stops everything it started.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from csvdrop.config import SETTINGS_BY_NAME

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SeaweedFS, free_port  # noqa: E402 - the suite's own server

# The app's defaults, given to both sides so that the floor sends parts of the
# same size, as many at once, as the service does.
PART_SIZE = int(str(SETTINGS_BY_NAME["S3_PART_SIZE"].default))
CONCURRENCY = int(str(SETTINGS_BY_NAME["S3_UPLOAD_CONCURRENCY"].default))


def request_token(port: int, username: str, password: str) -> str:
    """Log in through the API and return an access token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": password})
    connection.request(
        "POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    answer = connection.getresponse()
    payload = json.loads(answer.read())
    if answer.status != 200:
        raise RuntimeError(f"login failed: {answer.status} {payload}")
    token: str = payload["access_token"]
    return token


def upload(port: int, token: str, path: Path) -> tuple[float, int, dict[str, object]]:
    """Upload ``path`` as a raw text/csv body; return seconds, status, answer."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=900, blocksize=1 << 20
    )
    started = time.perf_counter()
    with path.open("rb") as body:
        connection.request(
            "POST",
            f"/api/v1/uploads?filename={path.name}",
            body,
            {
                "Content-Type": "text/csv",
                "Content-Length": str(path.stat().st_size),
                "Authorization": f"Bearer {token}",
            },
        )
        answer = connection.getresponse()
        payload = json.loads(answer.read())
    return time.perf_counter() - started, answer.status, payload


def worker_peaks_mib(master: int) -> list[int]:
    """Return the peak RSS (VmHWM) of each gunicorn worker, in MiB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = []
    for child in children:
        status = Path(f"/proc/{child}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        peaks.append(int(line.split()[1]) // 1024)
    return peaks


@dataclass
class Run:
    """One upload through the service and its floor, on fresh stores."""

    seconds: float
    floor: float
    receiving: float
    storing: float
    peak: int
    statuses: list[int]
    busy_peak: int


def measure(large: Path, small: Path, concurrent: int, runs: int = 3) -> list[str]:
    """Run the service benchmark and return its report as markdown lines."""
    # A fresh store and server per run: the test store's volumes hold about
    # 2 GB, less than several runs' worth of uploads.
    done = [
        _session(large, small, concurrent if number == 0 else 0)
        for number in range(runs)
    ]
    return _report(large, small, concurrent, done)


def phases(log: str) -> tuple[float, float]:
    """Return the seconds the upload spent arriving and then being stored.

    Read from the app's own JSON log lines: the request's whole duration,
    and the duration of the store step that starts once the body is in.
    """
    request_ms = stored_ms = None
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("path") == "/api/v1/uploads" and entry.get("status") == 201:
            request_ms = entry["duration_ms"]
        elif str(entry.get("message", "")).startswith("upload ") and (
            "stored by" in entry["message"]
        ):
            stored_ms = entry["duration_ms"]
    if request_ms is None or stored_ms is None:
        raise RuntimeError("the app did not log the upload's durations")
    return (request_ms - stored_ms) / 1000, stored_ms / 1000


def _session(large: Path, small: Path, concurrent: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="csvdrop-bench-") as scratch:
        work = Path(scratch)
        store = SeaweedFS(work)
        store.start()
        gunicorn: subprocess.Popen[bytes] | None = None
        try:
            port = free_port()
            secret = work / "token-secret"
            secret.write_text(secrets.token_urlsafe(32))
            password = secrets.token_urlsafe(16)
            environment = {
                **os.environ,
                "CSVDROP_S3_ENDPOINT_URL": store.endpoint,
                "CSVDROP_S3_BUCKET": store.bucket,
                "CSVDROP_S3_ACCESS_KEY_ID": store.access_key,
                "CSVDROP_S3_SECRET_ACCESS_KEY": store.secret_key,
                "CSVDROP_USERS_FILE": str(work / "users.json"),
                "CSVDROP_TOKEN_SECRET_FILE": str(secret),
                "CSVDROP_BIND": f"127.0.0.1:{port}",
                "CSVDROP_S3_PART_SIZE": str(PART_SIZE),
                "CSVDROP_S3_UPLOAD_CONCURRENCY": str(CONCURRENCY),
            }
            subprocess.run(  # noqa: S603 - the project's own console script
                [str(BIN / "csvdrop"), "user", "add", "bench"],
                input=password.encode(),
                env=environment,
                check=True,
                capture_output=True,
            )
            log = (work / "gunicorn.log").open("wb")
            gunicorn = subprocess.Popen(  # noqa: S603 - the project's gunicorn
                [str(BIN / "gunicorn"), "-c", "python:csvdrop.gunicorn_conf"],
                env=environment,
                stdout=log,
                stderr=log,
            )
            token = _wait_for_login(port, password)

            converted = work / "direct.json"
            subprocess.run(  # noqa: S603 - the project's own console script
                [str(BIN / "csvdrop"), "convert", str(large), "-o", str(converted)],
                check=True,
            )
            # Both sides start with no dirty pages: the JSON just written
            # would otherwise be flushed while the service uploads.
            os.sync()
            seconds, status, answer = upload(port, token, large)
            if status != 201:
                raise RuntimeError(f"upload answered {status}: {answer}")
            peak = max(worker_peaks_mib(gunicorn.pid))
            receiving, storing = phases((work / "gunicorn.log").read_text())

            statuses = []
            if concurrent:
                with ThreadPoolExecutor(concurrent) as pool:
                    results = list(
                        pool.map(
                            lambda _: upload(port, token, small), range(concurrent)
                        )
                    )
                statuses = sorted(status for _, status, _ in results)
            busy_peak = max(worker_peaks_mib(gunicorn.pid))
        finally:
            if gunicorn is not None:
                gunicorn.terminate()
                gunicorn.wait(30)
            store.stop()
        floor = _direct_upload(work / "direct", converted, large.name)
    return Run(seconds, floor, receiving, storing, peak, statuses, busy_peak)


def _direct_upload(work: Path, converted: Path, name: str) -> float:
    """Put the JSON into a store of its own, fresh as the service's was."""
    store = SeaweedFS(work)
    store.start()
    try:
        client = store.client()
        os.sync()
        started = time.perf_counter()
        client.upload_file(
            str(converted),
            store.bucket,
            "direct/direct.json",
            # What the service asks of the store for each object (its
            # default settings: SSE-S3, no KMS key), so that both sides
            # make it encrypt the same bytes.
            ExtraArgs={
                "ContentType": "application/json",
                "ServerSideEncryption": "AES256",
                "Metadata": {"source-name": name, "uploader": "bench"},
            },
            Config=TransferConfig(
                multipart_threshold=PART_SIZE,
                multipart_chunksize=PART_SIZE,
                max_concurrency=CONCURRENCY,
            ),
        )
        return time.perf_counter() - started
    finally:
        store.stop()


def _report(large: Path, small: Path, concurrent: int, done: list[Run]) -> list[str]:
    size = large.stat().st_size
    statuses = [status for run in done for status in run.statuses]
    succeeded = statuses.count(201)
    seconds = statistics.median(run.seconds for run in done)
    floor = statistics.median(run.floor for run in done)
    # Each run's own ratio: the load on the shared machine moves both sides of
    # a run together more than it moves runs minutes apart.
    ratios = sorted(run.seconds / run.floor for run in done)
    busy_peaks = [run.busy_peak for run in done if run.statuses]
    return [
        "### Through the service",
        "",
        f"Uploading {size / 1e6:.0f} MB of mixed CSV as a raw `text/csv` body "
        "to gunicorn (the project's configuration, 2 gthread workers) with "
        "SeaweedFS on loopback, against `boto3 upload_file` of the same JSON "
        "into the same store, from a file on disk, with the app's part size and "
        f"concurrency ({PART_SIZE // 2**20} MiB parts, {CONCURRENCY} at once; "
        "boto3's own default is 10 at once) and the same server-side "
        "encryption (SSE-S3, the app's default). The service receives the "
        "whole body into a temporary file while checking it (digest, "
        "encoding, every record, the row count), then converts it and sends "
        "parts while the conversion goes on. "
        f"Medians of {len(done)} runs; each upload goes into a fresh store of "
        "its own. The two phases are read from the app's log. This section "
        "alone is measured again by "
        "`.venv/bin/python bench/run.py --service-only`.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| upload through the service | {seconds:.1f} s ({size / 1e6 / seconds:.0f}"
        " MB/s of CSV) |",
        "| of which receiving and checking the body | "
        f"{statistics.median(run.receiving for run in done):.2f} s |",
        "| of which converting and storing | "
        f"{statistics.median(run.storing for run in done):.2f} s |",
        f"| boto3 put of the converted JSON | {floor:.1f} s |",
        f"| ratio of the medians (target <= 1.25x) | {seconds / floor:.2f}x |",
        f"| ratio within each run, median (range) | "
        f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}x to {ratios[-1]:.2f}x) |",
        "| each run, service / direct | "
        + ", ".join(f"{run.seconds:.1f} / {run.floor:.1f} s" for run in done)
        + " |",
        f"| peak RSS per worker (target <= 150 MiB) | "
        f"{max(run.peak for run in done)} MiB |",
        f"| {concurrent} concurrent {small.stat().st_size / 1e6:.0f} MB uploads "
        f"| {succeeded} of {concurrent} answered 201 |",
        f"| peak RSS per worker after them | {max(busy_peaks, default=0)} MiB |",
        "",
    ]


def _wait_for_login(port: int, password: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return request_token(port, "bench", password)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
