import re
import shutil
import sys
from pathlib import Path

import pytest
from plan import TERRAFORM_ROOT

sys.path.insert(0, str(TERRAFORM_ROOT / "tools"))
import readme_tables  # noqa: E402

MODULES = sorted(p.name for p in (TERRAFORM_ROOT / "modules").iterdir() if p.is_dir())
USER_DATA = TERRAFORM_ROOT / "modules" / "compute" / "user_data.sh.tftpl"


def test_readme_tables_match_the_modules() -> None:
    readme = readme_tables.README.read_text(encoding="utf-8")
    assert readme_tables.current_tables(readme) == readme_tables.render_all()


def test_readme_tables_notice_a_changed_description(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform"))
    variables = copy / "modules" / "edge" / "variables.tf"
    text = variables.read_text(encoding="utf-8")
    variables.write_text(text.replace("Refuse to delete", "Allow to delete"), "utf-8")
    readme = readme_tables.README.read_text(encoding="utf-8")
    assert readme_tables.current_tables(readme) != readme_tables.render_all(copy)


@pytest.mark.parametrize("module", MODULES)
def test_module_variables_are_described_and_typed(module: str) -> None:
    path = TERRAFORM_ROOT / "modules" / module / "variables.tf"
    for name, body in readme_tables.load_blocks(path, "variable"):
        assert body.get("description"), f"{module}: {name} has no description"
        assert "type" in body, f"{module}: {name} has no type"


@pytest.mark.parametrize("module", MODULES)
def test_module_outputs_are_described(module: str) -> None:
    path = TERRAFORM_ROOT / "modules" / module / "outputs.tf"
    outputs = readme_tables.load_blocks(path, "output")
    assert outputs, f"{module} has no outputs"
    for name, body in outputs:
        assert body.get("description"), f"{module}: {name} has no description"


def test_user_data_bootstraps_from_the_release_bundle() -> None:
    script = USER_DATA.read_text(encoding="utf-8")
    assert 's3 cp "s3://${releases_bucket}/${release_key}"' in script
    assert script.rstrip().endswith(
        "ansible-playbook -c local -i localhost, ansible/playbooks/bootstrap.yml"
    )
    assert "set -euo pipefail" in script


@pytest.mark.parametrize(
    "word", ["password", "secret_key", "token", "aws_secret", "private_key"]
)
def test_user_data_carries_no_secret(word: str) -> None:
    compute = (TERRAFORM_ROOT / "modules" / "compute" / "main.tf").read_text("utf-8")
    template_call = compute[compute.index("templatefile(") :]
    template_call = template_call[: template_call.index("})")]
    assert word not in template_call.lower()
    assert word not in USER_DATA.read_text(encoding="utf-8").lower()


def test_repository_holds_no_state_or_real_variables() -> None:
    found = [
        p
        for pattern in ("*.tfstate", "*.tfstate.*", "terraform.tfvars", "*.auto.tfvars")
        for p in TERRAFORM_ROOT.rglob(pattern)
    ]
    assert found == []


SKIP = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?$")


def checkov_skips() -> list[tuple[str, str, str]]:
    """Return (file, check, reason) for every inline checkov skip."""
    found = []
    for path in sorted(TERRAFORM_ROOT.rglob("*.tf")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = SKIP.search(line.strip())
            if match:
                relative = str(path.relative_to(TERRAFORM_ROOT))
                found.append((relative, match["check"], match["reason"] or ""))
    return found


def test_checkov_skips_exist_to_be_checked() -> None:
    assert len(checkov_skips()) >= 10


@pytest.mark.parametrize(
    ("path", "check", "reason"), checkov_skips(), ids=lambda value: str(value)[:30]
)
def test_checkov_skip_states_its_reason(path: str, check: str, reason: str) -> None:
    assert len(reason.split()) >= 6, f"{path}: skip of {check} gives no real reason"


@pytest.mark.parametrize("name", ["main.tf", "versions.tf"])
def test_environments_differ_only_in_their_name(name: str) -> None:
    production = (TERRAFORM_ROOT / "envs" / "production" / name).read_text("utf-8")
    staging = (TERRAFORM_ROOT / "envs" / "staging" / name).read_text("utf-8")
    assert production.replace("production", "staging") == staging
