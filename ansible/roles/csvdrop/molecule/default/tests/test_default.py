"""Promises of the csvdrop role on a converged host, with no S3 behind it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SOCKET = "/run/csvdrop/gunicorn.sock"
VAULT_FILE = Path(os.environ["TEST_VAULT_FILE"])


def _vaulted():
    """Return the variables prepare vaulted, decrypted as converge read them."""
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-vault")), "view", str(VAULT_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return yaml.safe_load(shown.stdout)


def _call(host, path, user="root", data=None):
    command = f"curl --silent --unix-socket {SOCKET} --write-out '\\n%{{http_code}}'"
    if data is not None:
        command += f" -H 'Content-Type: application/json' --data '{json.dumps(data)}'"
    answer = host.run(f"runuser -u {user} -- {command} http://localhost{path}")
    body, _, status = answer.stdout.rpartition("\n")
    return int(status or 0), body


def test_service_running_and_enabled(host):
    service = host.service("csvdrop")
    assert service.is_running
    assert service.is_enabled


def test_service_answers_health(host):
    assert _call(host, "/healthz")[0] == 200


def test_gunicorn_runs_as_service_user(host):
    masters = host.process.filter(comm="gunicorn")
    assert masters
    assert {process.user for process in masters} == {"csvdrop"}
    assert {process.group for process in masters} == {"csvdrop-web"}


def test_worker_count_set(host):
    # The master plus one process per worker.
    assert len(host.process.filter(comm="gunicorn")) == 4


def test_threads_set(host):
    unit = host.file("/etc/systemd/system/csvdrop.service")
    assert unit.contains("^Environment=CSVDROP_THREADS=4$")


def test_socket_reachable_by_group_only(host):
    socket = host.file(SOCKET)
    assert socket.is_socket
    assert (socket.user, socket.group, socket.mode) == ("csvdrop", "csvdrop-web", 0o770)
    runtime = host.file("/run/csvdrop")
    assert (runtime.group, runtime.mode) == ("csvdrop-web", 0o750)


def test_nginx_user_can_connect(host):
    assert _call(host, "/healthz", user="www-data")[0] == 200


def test_other_user_cannot_connect(host):
    assert _call(host, "/healthz", user="nobody")[0] == 0


def test_nginx_user_cannot_read_secrets(host):
    groups = host.user("www-data").groups
    assert "csvdrop-web" in groups
    assert "csvdrop" not in groups


@pytest.mark.parametrize(
    ("path", "user", "group", "mode"),
    [
        ("/etc/csvdrop", "root", "csvdrop", 0o750),
        ("/etc/csvdrop/config.yml", "root", "csvdrop", 0o640),
        ("/etc/csvdrop/token-secret", "root", "csvdrop", 0o640),
        ("/etc/csvdrop/s3-access-key-id", "root", "csvdrop", 0o640),
        ("/etc/csvdrop/s3-secret-access-key", "root", "csvdrop", 0o640),
        ("/var/lib/csvdrop", "csvdrop", "csvdrop-web", 0o700),
        ("/var/lib/csvdrop/users.json", "csvdrop", "csvdrop-web", 0o600),
    ],
)
def test_file_permissions(host, path, user, group, mode):
    found = host.file(path)
    assert (found.user, found.group, found.mode) == (user, group, mode)


def test_config_holds_settings(host):
    settings = yaml.safe_load(host.file("/etc/csvdrop/config.yml").content_string)
    assert settings == {
        "S3_BUCKET": "molecule-uploads",
        "S3_REGION": "eu-west-1",
        "S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "S3_KMS_KEY_ID": "alias/molecule",
        "MAX_UPLOAD_BYTES": 5242880,
        "PROXY_COUNT": 1,
        "LOG_LEVEL": "WARNING",
        "USERS_FILE": "/var/lib/csvdrop/users.json",
        "ACCESS_TOKEN_MINUTES": 7,
    }


def test_secrets_vaulted_on_controller():
    text = VAULT_FILE.read_text()
    assert text.startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    assert _vaulted()["csvdrop_token_secret"] not in text


def test_vaulted_token_secret_written(host):
    secret = host.file("/etc/csvdrop/token-secret")
    assert (secret.user, secret.group, secret.mode) == ("root", "csvdrop", 0o640)
    assert secret.content_string == _vaulted()["csvdrop_token_secret"] + "\n"


def test_vaulted_users_file_written(host):
    users = host.file("/var/lib/csvdrop/users.json")
    assert (users.user, users.group, users.mode) == ("csvdrop", "csvdrop-web", 0o600)
    assert json.loads(users.content_string) == json.loads(
        _vaulted()["csvdrop_users_json"]
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("s3-access-key-id", "molecule-access"),
        ("s3-secret-access-key", "molecule-secret"),
    ],
)
def test_secret_written(host, name, value):
    assert host.file(f"/etc/csvdrop/{name}").content_string == value + "\n"


def test_secrets_not_in_config(host):
    assert not host.file("/etc/csvdrop/config.yml").contains("molecule-secret")


def test_token_issued_for_vaulted_user(host):
    status, body = _call(
        host,
        "/api/v1/auth/token",
        data={"username": "tester", "password": "molecule test password"},
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["access_token"]
    # ACCESS_TOKEN_MINUTES from csvdrop_settings reached the app.
    assert answer["expires_in"] == 7 * 60


def test_wrong_password_refused(host):
    status, _ = _call(
        host,
        "/api/v1/auth/token",
        data={"username": "tester", "password": "not the password"},
    )
    assert status == 401


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("RuntimeDirectory", "csvdrop"),
        ("UMask", "0007"),
        ("CapabilityBoundingSet", ""),
    ],
)
def test_unit_hardened(host, prop, value):
    shown = host.run(f"systemctl show csvdrop --property {prop} --value")
    assert shown.stdout.strip() == value


def test_reload_keeps_master(host):
    before = host.run("systemctl show csvdrop --property MainPID --value").stdout
    assert host.run("systemctl reload csvdrop").rc == 0
    after = host.run("systemctl show csvdrop --property MainPID --value").stdout
    assert before == after
    assert _call(host, "/healthz")[0] == 200
