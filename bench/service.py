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


def measure(large: Path, small: Path, concurrent: int, runs: int = 3) -> list[str]:
    """Run the service benchmark and return its report as markdown lines."""
    # A fresh store and server per run: the test store's volumes hold about
    # 2 GB, less than several runs' worth of uploads.
    through: list[float] = []
    direct: list[float] = []
    peaks: list[int] = []
    statuses: list[int] = []
    busy_peaks: list[int] = []
    for run in range(runs):
        seconds, floor, peak, answered, busy_peak = _session(
            large, small, concurrent if run == 0 else 0
        )
        through.append(seconds)
        direct.append(floor)
        peaks.append(peak)
        statuses += answered
        busy_peaks += [busy_peak] if answered else []
    return _report(
        large,
        small,
        concurrent,
        runs,
        (through, direct),
        (peaks, busy_peaks),
        statuses,
    )


def _session(
    large: Path, small: Path, concurrent: int
) -> tuple[float, float, int, list[int], int]:
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
    return seconds, floor, peak, statuses, busy_peak


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


def _report(
    large: Path,
    small: Path,
    concurrent: int,
    runs: int,
    times: tuple[list[float], list[float]],
    memory: tuple[list[int], list[int]],
    statuses: list[int],
) -> list[str]:
    through, direct = times
    peaks, busy_peaks = memory
    size = large.stat().st_size
    succeeded = statuses.count(201)
    seconds = statistics.median(through)
    floor = statistics.median(direct)
    # Each run's own ratio: the load on the shared machine moves both sides of
    # a run together more than it moves runs minutes apart.
    ratios = sorted(t / d for t, d in zip(through, direct, strict=True))
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
        "whole body into a temporary file, checks it (digest, encoding, every "
        "record, the row count), then converts it and sends parts while the "
        "conversion goes on. "
        f"Medians of {runs} runs; each upload goes into a fresh store of its own. "
        "This section alone is "
        "measured again by `.venv/bin/python bench/run.py --service-only`.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| upload through the service | {seconds:.1f} s ({size / 1e6 / seconds:.0f}"
        " MB/s of CSV) |",
        f"| boto3 put of the converted JSON | {floor:.1f} s |",
        f"| ratio of the medians (target <= 1.25x) | {seconds / floor:.2f}x |",
        f"| ratio within each run, median (range) | "
        f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}x to {ratios[-1]:.2f}x) |",
        "| each run, service / direct | "
        + ", ".join(
            f"{t:.1f} / {d:.1f} s" for t, d in zip(through, direct, strict=True)
        )
        + " |",
        f"| peak RSS per worker (target <= 150 MiB) | {max(peaks)} MiB |",
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
