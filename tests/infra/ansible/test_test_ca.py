"""The scenarios' test CA tasks reissue a kept pair before it expires.

The local inventory keeps its test CA under .tools/local across runs; the
tasks run here on this machine, as the scenarios' prepare runs them.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TASKS = REPO / "ansible" / "molecule" / "resources" / "test-ca.yml"
WEEK = 7 * 86400


def _issue(ca_dir):
    playbook = ca_dir.parent / "issue.yml"
    playbook.write_text(
        "- name: Issue the test certificate.\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: The test CA tasks run.\n"
        f"      ansible.builtin.include_tasks: {TASKS}\n"
    )
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-e",
            f"test_ca_dir={ca_dir}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _openssl(*args, cwd):
    return subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, check=False
    ).returncode


def _valid_for_a_week(ca_dir):
    return (
        _openssl("x509", "-noout", "-checkend", str(WEEK), "-in", "ca.crt", cwd=ca_dir)
        == 0
        and _openssl(
            "x509", "-noout", "-checkend", str(WEEK), "-in", "server.crt", cwd=ca_dir
        )
        == 0
        and _openssl("verify", "-CAfile", "ca.crt", "server.crt", cwd=ca_dir) == 0
    )


def test_fresh_pair_kept(tmp_path):
    ca_dir = tmp_path / "tls"
    _issue(ca_dir)
    assert _valid_for_a_week(ca_dir)
    first = {name: (ca_dir / name).read_bytes() for name in ("ca.crt", "server.crt")}
    _issue(ca_dir)
    assert {name: (ca_dir / name).read_bytes() for name in first} == first


def test_ca_near_its_end_reissued(tmp_path):
    ca_dir = tmp_path / "tls"
    _issue(ca_dir)
    # A CA with two days left, as a workspace kept for a year would hold.
    assert (
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=csvdrop test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            cwd=ca_dir,
        )
        == 0
    )
    assert not _valid_for_a_week(ca_dir)
    _issue(ca_dir)
    assert _valid_for_a_week(ca_dir)


def test_leaf_from_another_ca_reissued(tmp_path):
    ca_dir = tmp_path / "tls"
    _issue(ca_dir)
    other = tmp_path / "other"
    _issue(other)
    (ca_dir / "server.crt").write_bytes((other / "server.crt").read_bytes())
    assert not _valid_for_a_week(ca_dir)
    _issue(ca_dir)
    assert _valid_for_a_week(ca_dir)
