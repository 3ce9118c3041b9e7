"""Promises of the local_s3 role on a converged host."""

import re

import pytest

PORTS = [9433, 19433, 8180, 18180, 8988, 18988, 8433, 18433, 9427]


def test_seaweedfs_running_and_enabled(host):
    service = host.service("seaweedfs")
    assert service.is_running
    assert service.is_enabled


def test_seaweedfs_runs_as_its_own_user(host):
    assert host.process.get(comm="weed").user == "seaweedfs"


def _weed_listening(host):
    """Return the local address of every socket seaweedfs listens on.

    Sockets are told apart by their owner's uid, which ss reports without
    reading other processes' file descriptors (root in the container lacks
    the ptrace capability that --processes needs).
    """
    uid = host.user("seaweedfs").uid
    answer = host.run("ss --no-header --listening --numeric --tcp --udp --extended")
    assert answer.rc == 0, answer.stderr
    return [
        line.split()[4]
        for line in answer.stdout.splitlines()
        if re.search(rf"\buid:{uid}\b", line)
    ]


def test_every_port_listens_on_loopback_only(host):
    # Every socket of the process, not just the ports asked for: a component
    # that binds a wildcard or the container's address fails here too.
    addresses = _weed_listening(host)
    assert set(PORTS) <= {int(address.rpartition(":")[2]) for address in addresses}
    for address in addresses:
        assert address.rpartition(":")[0] in ("127.0.0.1", "[::1]"), address


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("-dir", "/srv/seaweedfs"),
        ("-master.volumeSizeLimitMB", "32"),
        ("-volume.max", "4"),
        ("-master.telemetry", "false"),
    ],
)
def test_unit_passes_setting(host, flag, value):
    assert host.file("/etc/systemd/system/seaweedfs.service").contains(
        f"{flag}={value} "
    )


def test_data_directory_private(host):
    data = host.file("/srv/seaweedfs")
    assert (data.user, data.mode) == ("seaweedfs", 0o750)


def test_identity_file_not_world_readable(host):
    identities = host.file("/etc/seaweedfs/s3.json")
    assert identities.mode == 0o640
    assert identities.contains("molecule-access")


def test_sse_key_readable_by_root_only(host):
    environment = host.file("/etc/seaweedfs/seaweedfs.env")
    assert (environment.user, environment.mode) == ("root", 0o600)
    assert environment.contains("^WEED_S3_SSE_KEY=molecule-sse-key-0123456789abcdef$")


@pytest.mark.parametrize("bucket", ["uploads", "archive"])
def test_bucket_exists(host, bucket):
    lookup = host.run(
        "python3 -c 'import sys, urllib.request; "
        f'urllib.request.urlopen("http://127.0.0.1:8988/buckets/{bucket}/")\''
    )
    assert lookup.rc == 0, lookup.stderr


def test_anonymous_s3_request_refused(host):
    answer = host.run(
        "python3 -c 'import urllib.request, urllib.error\n"
        "try:\n"
        '    urllib.request.urlopen("http://127.0.0.1:8433/uploads/")\n'
        "except urllib.error.HTTPError as err:\n"
        "    print(err.code)'"
    )
    assert answer.stdout.strip() == "403"
