"""Each role's README, defaults and argument specs name the same variables."""

import re
from pathlib import Path

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[3] / "ansible" / "roles"
ROLES = sorted(path.name for path in ROLES_DIR.iterdir() if path.is_dir())
README_SECTIONS = [
    "## Requirements",
    "## Role Variables",
    "## Dependencies",
    "## Example Playbook",
    "## License",
]


def _defaults(role):
    return yaml.safe_load((ROLES_DIR / role / "defaults" / "main.yml").read_text())


def _readme(role):
    return (ROLES_DIR / role / "README.md").read_text()


def _readme_variables(role):
    text = _readme(role)
    section = text.split("## Role Variables", 1)[1].split("\n## ", 1)[0]
    pattern = rf"^\| `({re.escape(role)}_\w+)` \|"
    return set(re.findall(pattern, section, re.M))


def _spec_options(role):
    specs = yaml.safe_load(
        (ROLES_DIR / role / "meta" / "argument_specs.yml").read_text()
    )
    return specs["argument_specs"]["main"]["options"]


def test_roles_found():
    assert set(ROLES) == {"common", "csvdrop", "local_s3", "nginx"}


@pytest.mark.parametrize("role", ROLES)
def test_readme_names_every_default(role):
    assert _readme_variables(role) == set(_defaults(role))


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_name_every_default(role):
    assert set(_spec_options(role)) == set(_defaults(role))


@pytest.mark.parametrize("role", ROLES)
def test_argument_spec_defaults_match(role):
    defaults = _defaults(role)
    for name, option in _spec_options(role).items():
        if option.get("required"):
            assert defaults[name] in ("", [], {}), name
        elif "{{" not in str(defaults[name]):
            assert option["default"] == defaults[name], name


@pytest.mark.parametrize("role", ROLES)
def test_readme_has_every_section(role):
    text = _readme(role)
    positions = [text.find(section + "\n") for section in README_SECTIONS]
    assert -1 not in positions
    assert positions == sorted(positions)


@pytest.mark.parametrize("role", ROLES)
def test_variables_prefixed_with_role(role):
    assert all(name.startswith(role + "_") for name in _defaults(role))


@pytest.mark.parametrize("role", ROLES)
def test_empty_collection_defaults_have_example(role):
    lines = (ROLES_DIR / role / "defaults" / "main.yml").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.fullmatch(r"\w+: (\[\]|\{\})", line):
            name = line.split(":")[0]
            assert lines[number + 1].startswith(f"# {name}:"), name


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_comment(role):
    lines = (ROLES_DIR / role / "defaults" / "main.yml").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\w+:", line):
            assert lines[number - 1].startswith("#"), line
