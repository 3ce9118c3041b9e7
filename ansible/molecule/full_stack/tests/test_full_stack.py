"""Promises of the whole stack on a host converged from the local inventory."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

# pytest collects the TLS version tests from this module too.
from test_tls_versions import (  # noqa: F401
    test_current_tls_version_accepted,
    test_old_tls_version_refused,
    test_only_tls12_and_tls13_configured,
)

REPO = Path(__file__).resolve().parents[4]
CA_FILE = REPO / ".tools" / "local" / "tls" / "ca.crt"
PORT = os.environ["TEST_HTTPS_PORT"]
BASE = f"https://localhost:{PORT}"
CORPUS = REPO.parent / "shared" / "corpus" / "fivethirtyeight"
CSV = CORPUS / "thanksgiving-2015" / "thanksgiving-2015-poll-data.csv"
# The side effect raised the limit from 8 MiB to this before the verifier.
UPLOAD_LIMIT = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def token():
    answer = requests.post(
        f"{BASE}/api/v1/auth/token",
        json={"username": "tester", "password": "molecule test password"},
        verify=CA_FILE,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.mark.parametrize("name", ["nginx", "csvdrop", "seaweedfs", "nftables"])
def test_service_running_and_enabled(host, name):
    service = host.service(name)
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ],
)
def test_security_header_sent(header, value):
    answer = requests.get(f"{BASE}/healthz", verify=CA_FILE, timeout=30)
    assert answer.status_code == 200
    assert answer.headers[header] == value


def test_sslyze_mozilla_intermediate_compliant():
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "sslyze",
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={CA_FILE}",
            f"localhost:{PORT}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scan.returncode == 0, scan.stdout[-3000:]
    assert f"localhost:{PORT}: OK - Compliant." in scan.stdout


def test_upload_stored_identical_to_cli(host, token, tmp_path):
    expected = tmp_path / "expected.json"
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "csvdrop"), "convert", str(CSV), "-o", expected],
        check=True,
        timeout=120,
    )
    headers = {"Authorization": f"Bearer {token}"}
    with CSV.open("rb") as source:
        created = requests.post(
            f"{BASE}/api/v1/uploads",
            files={"file": (CSV.name, source, "text/csv")},
            headers=headers,
            verify=CA_FILE,
            timeout=120,
        )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["bucket"] == "csvdrop-local"
    assert record["rows"] == 1058

    # The object is in the SeaweedFS bucket, under the key the record names.
    listing = host.run(
        "curl --silent --fail -H 'Accept: application/json' "
        f"http://127.0.0.1:8888/buckets/csvdrop-local/{record['key']}?metadata=true"
    )
    assert listing.rc == 0, listing.stderr

    content = requests.get(
        f"{BASE}{record['content_url']}", headers=headers, verify=CA_FILE, timeout=120
    )
    assert content.status_code == 200
    assert content.content == expected.read_bytes()


def test_upload_over_app_limit_answers_json_413(token):
    # Above the app's limit but within nginx's margin: the app answers.
    answer = requests.post(
        f"{BASE}/api/v1/uploads?filename=big.csv",
        data=b"a\n" * ((UPLOAD_LIMIT + 512 * 1024) // 2),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        verify=CA_FILE,
        timeout=120,
    )
    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/api/problems/upload-too-large"
    assert problem["limit"] == UPLOAD_LIMIT
    assert problem["detail"].endswith(f"16 MiB ({UPLOAD_LIMIT} bytes)")


def test_upload_over_nginx_limit_answers_json_413(token):
    answer = requests.post(
        f"{BASE}/api/v1/uploads?filename=big.csv",
        data=b"a\n" * ((UPLOAD_LIMIT + 2 * 1024 * 1024) // 2),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        verify=CA_FILE,
        timeout=120,
    )
    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/problem+json"
    # nginx's own page names the limit the operator set, as the app's does.
    assert answer.json() == {
        "type": "/api/problems/upload-too-large",
        "title": "Upload too large",
        "status": 413,
        "detail": "the request body is larger than the upload limit of "
        f"16 MiB ({UPLOAD_LIMIT} bytes)",
        "limit": UPLOAD_LIMIT,
    }


def test_metrics_refused_from_outside():
    answer = requests.get(f"{BASE}/metrics", verify=CA_FILE, timeout=30)
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_metrics_served_on_host(host):
    answer = host.run(
        "curl --silent --insecure --output /dev/null --write-out '%{http_code}' "
        "https://127.0.0.1/metrics"
    )
    assert answer.stdout == "200"


def test_upload_limit_raised_by_second_converge(host):
    config = host.file("/etc/csvdrop/config.yml")
    assert config.contains(f"^MAX_UPLOAD_BYTES: {UPLOAD_LIMIT}$")
    nginx = host.file("/etc/nginx/nginx.conf")
    assert nginx.contains(f"client_max_body_size {UPLOAD_LIMIT + 1024 * 1024};")


@pytest.mark.parametrize(
    ("path", "user", "group", "mode"),
    [
        ("/etc/nginx/tls/csvdrop.key", "root", "root", 0o600),
        ("/run/csvdrop", "csvdrop", "csvdrop-web", 0o750),
        ("/run/csvdrop/gunicorn.sock", "csvdrop", "csvdrop-web", 0o770),
        ("/etc/csvdrop/token-secret", "root", "csvdrop", 0o640),
        ("/var/lib/csvdrop/users.json", "csvdrop", "csvdrop-web", 0o600),
    ],
)
def test_permissions_as_designed(host, path, user, group, mode):
    found = host.file(path)
    assert (found.user, found.group, found.mode) == (user, group, mode)


def test_firewall_admits_docker_networks_to_web_ports(host):
    rules = host.run("nft list chain inet filter input").stdout
    assert "ip saddr 172.16.0.0/12 tcp dport { 80, 443 } accept" in rules
    assert "dport 22" not in rules


def test_s3_only_on_loopback(host):
    # Every socket SeaweedFS listens on, whatever its port, is on loopback;
    # its sockets are known by their owner (ss cannot name the process here).
    uid = host.user("seaweedfs").uid
    answer = host.run("ss --no-header --listening --numeric --tcp --udp --extended")
    addresses = [
        line.split()[4]
        for line in answer.stdout.splitlines()
        if re.search(rf"\buid:{uid}\b", line)
    ]
    assert "127.0.0.1:8333" in addresses
    for address in addresses:
        assert address.rpartition(":")[0] in ("127.0.0.1", "[::1]"), address


def test_users_file_from_cli_format(host):
    users = json.loads(host.file("/var/lib/csvdrop/users.json").content_string)
    assert list(users["users"]) == ["tester"]
