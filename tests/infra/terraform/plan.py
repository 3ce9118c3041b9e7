"""Load a Terraform root with tfparse and look its resources up by address."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tfparse

Block = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[3]
TERRAFORM_ROOT = REPO_ROOT / "terraform"
ENVIRONMENTS = ("production", "staging")
EXAMPLE_VARS = "terraform.tfvars.example"
INSTANCE_KEY = re.compile(r"\[[^\]]*\]$")


def blocks(value: object) -> list[Block]:
    """Return a nested block as a list, whether tfparse gave one block or many."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    assert isinstance(value, dict)
    return [value]


def policy(resource: Block, attribute: str = "policy") -> Block:
    """Decode the JSON policy document held in a resource attribute."""
    document = resource[attribute]
    assert isinstance(document, str), f"{address(resource)} has no literal {attribute}"
    decoded: Block = json.loads(document)
    return decoded


def statements(document: Block) -> list[Block]:
    """Return the statements of a policy document as a list."""
    return blocks(document["Statement"])


def as_list(value: object) -> list[Any]:
    """Return a policy field that may be a scalar or a list as a list."""
    return value if isinstance(value, list) else [value]


def address(resource: Block) -> str:
    """Return the Terraform address of a parsed resource."""
    return str(resource["__tfmeta"]["path"])


@dataclass
class Plan:
    """One parsed environment: every resource, data source and variable."""

    name: str
    tree: Block
    variables: dict[str, Any]

    def all(self, kind: str) -> list[Block]:
        """Return every resource of a type, in any module."""
        return list(self.tree.get(kind, []))

    def named(self, kind: str, name: str) -> list[Block]:
        """Return the instances of one resource block, e.g. all aws_subnet.app[*]."""
        wanted = f"{kind}.{name}"
        found = []
        for resource in self.all(kind):
            block_address = INSTANCE_KEY.sub("", address(resource))
            if block_address == wanted or block_address.endswith(f".{wanted}"):
                found.append(resource)
        return found

    def one(self, kind: str, name: str) -> Block:
        """Return the single instance of a resource block."""
        found = self.named(kind, name)
        assert len(found) == 1, f"expected one {kind}.{name}, found {len(found)}"
        return found[0]


def load_plan(terraform_root: Path, environment: str) -> Plan:
    """Parse one environment with its example variables."""
    root = terraform_root / "envs" / environment
    tree = tfparse.load_from_path(str(root), vars_paths=[EXAMPLE_VARS])
    variables = read_example_vars(root / EXAMPLE_VARS)
    return Plan(name=environment, tree=tree, variables=variables)


def read_example_vars(path: Path) -> dict[str, Any]:
    """Read the simple name = value lines of an example variable file."""
    values: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        name, _, raw = line.partition("=")
        values[name.strip()] = json.loads(raw.strip())
    return values
