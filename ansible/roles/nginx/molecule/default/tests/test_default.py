"""Promises of the nginx role on a converged host, with no app behind it."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# pytest collects the TLS version tests from this module too.
from test_tls_versions import (  # noqa: F401
    test_current_tls_version_accepted,
    test_old_tls_version_refused,
    test_only_tls12_and_tls13_configured,
)

CURL = "curl --silent --show-error --cacert /etc/nginx/tls/csvdrop.crt"


def test_nginx_running_and_enabled(host):
    service = host.service("nginx")
    assert service.is_running
    assert service.is_enabled


def test_nginx_configuration_valid(host):
    assert host.run("nginx -t").rc == 0


def test_key_readable_by_root_only(host):
    key = host.file("/etc/nginx/tls/csvdrop.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)


def _sha256(data):
    return hashlib.sha256(data.strip()).hexdigest()


@pytest.mark.parametrize("name", ["server.crt", "server.key"])
def test_refused_pairs_left_live_pair_in_place(host, name):
    # The side effect offered a stray key and a cut certificate; the live
    # files are still the test CA's pair. Compared by digest, so that a
    # failure never prints the key.
    given = (Path(os.environ["TEST_CA_DIR"]) / name).read_bytes()
    live = host.file(f"/etc/nginx/tls/csvdrop.{name.split('.')[1]}").content
    assert _sha256(live) == _sha256(given)


def test_no_candidate_pair_left(host):
    assert host.file("/etc/nginx/tls").listdir() == ["csvdrop.crt", "csvdrop.key"]


def test_live_certificate_served(host):
    fingerprint = "openssl x509 -noout -fingerprint -sha256"
    served = host.run(
        "openssl s_client -connect 127.0.0.1:443 -servername localhost </dev/null "
        f"2>/dev/null | {fingerprint}"
    )
    live = host.run(f"{fingerprint} -in /etc/nginx/tls/csvdrop.crt")
    assert served.rc == 0
    assert served.stdout == live.stdout


def test_server_name_set(host):
    assert host.file("/etc/nginx/nginx.conf").contains("server_name localhost;")


def test_worker_connections_set(host):
    assert host.file("/etc/nginx/nginx.conf").contains("worker_connections 512;")


def test_trusted_proxy_set(host):
    assert host.file("/etc/nginx/nginx.conf").contains("set_real_ip_from 10.11.0.0/16;")


def test_refused_configuration_never_installed(host):
    # The side effect ran the role with a server name nginx refuses.
    assert not host.file("/etc/nginx/nginx.conf").contains("bogus_directive")
    assert host.run("nginx -t").rc == 0


def test_default_site_not_loaded(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists


def _get(host, path, extra=""):
    answer = host.run(
        f"{CURL} --include {extra} --resolve localhost:443:127.0.0.1 "
        f"https://localhost{path}"
    )
    assert answer.rc == 0, answer.stderr
    head, _, body = answer.stdout.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("strict-transport-security", "max-age=63072000; includeSubDomains"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ],
)
def test_security_header_sent(host, header, value):
    _, headers, _ = _get(host, "/healthz")
    assert headers[header] == value


def test_missing_app_answers_json_502(host):
    status, headers, body = _get(host, "/healthz")
    assert status == 502
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 502


def test_body_over_limit_answers_json_413(host):
    host.run("head -c 3145728 /dev/zero | tr '\\0' a > /tmp/big.csv")
    status, headers, body = _get(
        host,
        "/api/v1/uploads",
        "-H 'Content-Type: text/csv' --data-binary @/tmp/big.csv",
    )
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    # The upload limit set, as the app's own 413 states it.
    assert json.loads(body) == {
        "type": "/api/problems/upload-too-large",
        "title": "Upload too large",
        "status": 413,
        "detail": "the request body is larger than the upload limit of "
        "1.5 MiB (1572864 bytes)",
        "limit": 1572864,
    }


def test_body_limit_leaves_room_above_upload_limit(host):
    # nginx_client_max_body_size defaults to the upload limit plus 1 MiB.
    conf = host.file("/etc/nginx/nginx.conf")
    assert conf.contains("client_max_body_size 2621440;")


@pytest.mark.parametrize(
    ("path", "extra", "status", "slug"),
    [
        ("/" + "a" * 9000, "", 414, "uri-too-long"),
        ("/healthz", "-H 'X-Big: " + "b" * 9000 + "'", 431, "header-fields-too-large"),
        ("/healthz", "--request-target '/a b'", 400, "bad-request"),
    ],
)
def test_refused_request_answers_json(host, path, extra, status, slug):
    # HTTP/1.1: over HTTP/2 nginx admits longer heads and passes them on.
    answer_status, headers, body = _get(host, path, f"--http1.1 {extra}")
    assert answer_status == status
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"] == f"/api/problems/{slug}"


def test_metrics_refused_from_outside(host):
    status, headers, _ = _get(host, "/metrics", "--interface 127.0.0.1")
    assert status == 502  # allowed from the host itself: reaches the upstream
    address = host.interface("eth0").addresses[0]
    outside = host.run(
        f"{CURL} --output /dev/null --write-out '%{{http_code}}' "
        f"--resolve localhost:443:{address} https://localhost/metrics"
    )
    assert outside.stdout == "403"


def test_plain_http_redirected(host):
    answer = host.run(
        "curl --silent --output /dev/null --write-out '%{http_code} %{redirect_url}' "
        "http://127.0.0.1/api/v1/uploads"
    )
    assert answer.stdout == "301 https://127.0.0.1/api/v1/uploads"


def test_sslyze_mozilla_intermediate_compliant():
    ca_file = Path(os.environ["TEST_CA_DIR"]) / "ca.crt"
    port = os.environ["TEST_HTTPS_PORT"]
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "sslyze",
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={ca_file}",
            f"localhost:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scan.returncode == 0, scan.stdout[-3000:]
    assert f"localhost:{port}: OK - Compliant." in scan.stdout
