"""Promises of a test host that configured itself from the release bundle."""

import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]
SECRETS = "/etc/csvdrop/secrets"
CURL = "curl --silent --cacert /root/test-ca.crt --write-out '\\n%{http_code}'"


def _https(host, path, data=None):
    command = CURL
    if data is not None:
        command += f" -H 'Content-Type: application/json' --data '{json.dumps(data)}'"
    answer = host.run(f"{command} https://localhost{path}")
    body, _, status = answer.stdout.rpartition("\n")
    return int(status or 0), body


@pytest.mark.parametrize("name", ["nginx", "csvdrop", "nftables"])
def test_service_running_and_enabled(host, name):
    service = host.service(name)
    assert service.is_running
    assert service.is_enabled


def test_health_answered_over_https_through_nginx(host):
    # The certificate verifies against the test CA: nginx serves the pair
    # from the secrets directory.
    status, body = _https(host, "/healthz")
    installed = host.check_output(
        "/opt/csvdrop/venv/bin/python -c "
        "'import importlib.metadata as m; print(m.version(\"csvdrop\"))'"
    )
    assert status == 200
    # The release the bundle installed is the one answering.
    assert json.loads(body) == {"status": "ok", "version": installed}


def test_token_issued_for_user_in_users_file(host):
    status, body = _https(
        host,
        "/api/v1/auth/token",
        data={"username": "tester", "password": "molecule test password"},
    )
    assert status == 200, body
    assert json.loads(body)["access_token"]


@pytest.mark.parametrize(
    ("path", "user", "group", "mode"),
    [
        ("/etc/nginx/tls/csvdrop.key", "root", "root", 0o600),
        ("/etc/csvdrop/token-secret", "root", "csvdrop", 0o640),
        ("/var/lib/csvdrop/users.json", "csvdrop", "csvdrop-web", 0o600),
        (SECRETS, "root", "root", 0o700),
    ],
)
def test_permissions_as_designed(host, path, user, group, mode):
    found = host.file(path)
    assert (found.user, found.group, found.mode) == (user, group, mode)


@pytest.mark.parametrize(
    ("secret", "path"),
    [
        ("token-secret", "/etc/csvdrop/token-secret"),
        ("tls-certificate", "/etc/nginx/tls/csvdrop.crt"),
        ("tls-certificate-key", "/etc/nginx/tls/csvdrop.key"),
    ],
)
def test_secret_deployed_from_its_file(host, secret, path):
    source = host.file(f"{SECRETS}/{secret}").content_string
    assert host.file(path).content_string.strip() == source.strip()


def test_users_file_deployed_from_its_file(host):
    source = json.loads(host.file(f"{SECRETS}/users-json").content_string)
    deployed = json.loads(host.file("/var/lib/csvdrop/users.json").content_string)
    assert deployed == source
    assert list(deployed["users"]) == ["tester"]


def test_config_from_aws_env_and_environment(host):
    settings = yaml.safe_load(host.file("/etc/csvdrop/config.yml").content_string)
    assert settings["S3_BUCKET"] == "csvdrop-bootstrap"
    assert settings["S3_REGION"] == "eu-west-1"
    assert settings["S3_KMS_KEY_ID"].startswith("arn:aws:kms:eu-west-1:")
    assert settings["S3_ENDPOINT_URL"] == "http://127.0.0.1:8333"
    # From the local environment's web.yml, not the role's 1 GiB default.
    assert settings["MAX_UPLOAD_BYTES"] == 8388608


def test_release_installed_from_bundle_wheelhouse(host):
    wheels = host.run("ls /opt/csvdrop/wheelhouse").stdout.split()
    assert any(re.match(r"csvdrop-[^-]+-.*\.whl$", name) for name in wheels)
    assert any(name.startswith("gunicorn-") for name in wheels)
    shown = host.run("/opt/csvdrop/venv/bin/python -m pip show csvdrop")
    assert shown.rc == 0


def test_second_boot_run_changed_nothing(host):
    # Converge and idempotence each ran bootstrap.yml once, through the log.
    log = host.file("/var/log/csvdrop-bootstrap.log").content_string
    recaps = re.findall(r"^localhost\s+:\s+(.*)$", log, re.M)
    assert len(recaps) == 2, recaps
    first, second = (dict(re.findall(r"(\w+)=(\d+)", recap)) for recap in recaps)
    assert int(first["changed"]) > 0
    assert first["failed"] == "0"
    assert (second["changed"], second["failed"]) == ("0", "0")


def _version(text):
    return tuple(int(part) for part in text.split("."))


def test_roles_declare_no_newer_ansible_than_debian_ships(host):
    # The host runs bootstrap.yml with Debian 12's own ansible-core, so every
    # role it applies must declare that version or an older one.
    shown = host.run("ansible --version").stdout
    found = re.search(r"\[core (\d+\.\d+)", shown)
    assert found, shown
    playbook = yaml.safe_load(
        (REPO / "ansible" / "playbooks" / "bootstrap.yml").read_text()
    )
    roles = [entry["role"] for entry in playbook[0]["roles"]]
    assert roles == ["common", "csvdrop", "nginx"]
    for role in roles:
        meta = yaml.safe_load(
            (REPO / "ansible" / "roles" / role / "meta" / "main.yml").read_text()
        )
        declared = str(meta["galaxy_info"]["min_ansible_version"])
        assert _version(declared) <= _version(found.group(1)), role
