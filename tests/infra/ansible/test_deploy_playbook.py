"""deploy.yml run for real, on stand-in hosts, with each inventory's settings.

The stand-ins are local connections on this machine in the inventory's web
group, so the inventory's own group_vars apply. Only the checks that come
before any change run: check mode, no facts, and `--tags` naming no task, so
that just the always-tagged tasks run: the guard, and the roles' checks of
their arguments after it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "ansible" / "playbooks" / "deploy.yml"
PLAY_BANNER = "PLAY [Roll out a csvdrop release.]"
GUARD = "TASK [A load-balanced environment names the target group to drain.]"


def _deploy(tmp_path, environment, *extra):
    inventory = tmp_path / environment
    inventory.mkdir()
    (inventory / "group_vars").symlink_to(
        REPO / "inventories" / environment / "group_vars"
    )
    # Host variables, which outrank the inventory's group_vars (production's
    # name Session Manager as the connection).
    local = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
    }
    hosts = {f"stand-in-{number}": local for number in range(1, 4)}
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"children": {"web": {"hosts": hosts}}}})
    )
    env = {
        **os.environ,
        "ANSIBLE_GATHERING": "explicit",
        "ANSIBLE_NOCOLOR": "1",
        "CSVDROP_TARGET_GROUP_ARN": "",
        # The local inventory's files would be looked for here.
        "CSVDROP_REPO": str(tmp_path),
    }
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(inventory / "hosts.yml"),
            str(PLAYBOOK),
            "--check",
            "--tags",
            "no-such-tag",
            "-e",
            "ansible_become=false",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_load_balanced_deploy_without_target_group_fails(tmp_path, environment):
    run = _deploy(tmp_path, environment)
    assert run.returncode != 0, run.stdout
    assert (
        f"{environment} sets deploy_load_balanced, but deploy_target_group_arn"
        " is empty: export CSVDROP_TARGET_GROUP_ARN" in run.stdout
    ), run.stdout
    # The first slice failed on the guard, so no other slice started.
    assert run.stdout.count(PLAY_BANNER) == 1


def test_deploy_without_load_balancer_passes_guard(tmp_path):
    # The run goes on to the role, whose own checks fail here for want of
    # a wheel and secrets: only the guard's answer matters.
    run = _deploy(tmp_path, "local")
    guard = re.search(re.escape(GUARD) + r" \*+\n((?:\w+: \[.*\n)+)", run.stdout)
    assert guard, run.stdout
    assert guard.group(1).splitlines() == ["ok: [stand-in-1]"]


@pytest.mark.parametrize(
    ("extra", "slices"),
    [((), 3), (("-e", "deploy_serial=2"), 2), (("-e", "deploy_serial=100%"), 1)],
)
def test_slice_size_set_by_extra_variable(tmp_path, extra, slices):
    # Nothing runs, not even the always-tagged tasks; Ansible still starts
    # the play once per slice.
    run = _deploy(tmp_path, "local", "--skip-tags", "always", *extra)
    assert run.returncode == 0, run.stdout
    assert run.stdout.count(PLAY_BANNER) == slices


def test_no_inventory_sets_slice_size():
    # Ansible cuts the slices before it reads inventory variables.
    for path in (REPO / "inventories").rglob("*.yml"):
        assert "deploy_serial" not in yaml.safe_load(path.read_text()), path
