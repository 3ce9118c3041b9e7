"""The user data, bootstrap.yml and the bootstrap scenario agree on the boot."""

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
USER_DATA = REPO / "terraform" / "modules" / "compute" / "user_data.sh.tftpl"
PLAYBOOK = REPO / "ansible" / "playbooks" / "bootstrap.yml"
PREPARE = REPO / "ansible" / "molecule" / "bootstrap" / "prepare.yml"
# Each settings file, by the name bootstrap.yml gives its parsed content.
SETTINGS_FILES = {"bootstrap_facts": "bootstrap.env", "bootstrap_aws": "aws.env"}


def _user_data_keys(name):
    text = USER_DATA.read_text()
    heredoc = re.search(
        rf"cat > /etc/csvdrop/{re.escape(name)} <<'(\w+)'\n(.*?)\n\1\n", text, re.S
    )
    assert heredoc, name
    return {line.split("=", 1)[0] for line in heredoc.group(2).splitlines()}


def _prepare_keys(name):
    plays = yaml.safe_load(PREPARE.read_text())
    for task in (task for play in plays for task in play["tasks"]):
        copy = task.get("ansible.builtin.copy", {})
        if copy.get("dest") == f"/etc/csvdrop/{name}":
            return {line.split("=", 1)[0] for line in copy["content"].splitlines()}
    pytest.fail(f"prepare.yml writes no /etc/csvdrop/{name}")


def _playbook_reads(variable):
    """Name each key bootstrap.yml reads, and whether it has a default."""
    text = PLAYBOOK.read_text()
    found = re.findall(rf"{variable}\.(\w+)( \| default\()?", text)
    return {key: bool(default) for key, default in found}


def test_user_data_runs_bootstrap_playbook_from_bundle_root():
    text = USER_DATA.read_text()
    command = re.search(r"^ansible-playbook .* (\S+\.yml)$", text, re.M)
    assert command, "the user data runs no playbook"
    assert REPO / command.group(1) == PLAYBOOK


@pytest.mark.parametrize(("variable", "name"), SETTINGS_FILES.items())
def test_user_data_writes_every_required_setting(variable, name):
    required = {
        key for key, default in _playbook_reads(variable).items() if not default
    }
    assert required
    assert required <= _user_data_keys(name)


@pytest.mark.parametrize(("variable", "name"), SETTINGS_FILES.items())
def test_scenario_writes_what_user_data_writes(variable, name):
    # On top, the scenario sets only settings that bootstrap.yml reads.
    user_data, prepare = _user_data_keys(name), _prepare_keys(name)
    assert user_data <= prepare
    assert prepare - user_data <= set(_playbook_reads(variable))
