"""The users file and its password hashes, without the web app."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from csvdrop.auth import passwords
from csvdrop.auth.users import UserError, UsersFile


@pytest.fixture
def users(tmp_path: Path) -> UsersFile:
    return UsersFile(tmp_path / "etc" / "users.json")


def test_hash_password_verifies_only_the_same_password() -> None:
    stored = passwords.hash_password("correct horse battery")

    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse battery ")
    assert not passwords.verify_password(stored, "")


def test_hash_password_is_salted_scrypt_at_the_stated_cost() -> None:
    first = passwords.hash_password("same password")
    second = passwords.hash_password("same password")

    assert first != second
    assert first.startswith("$scrypt$ln=15,r=8,p=3$")
    assert "same password" not in first


@pytest.mark.parametrize(
    "stored",
    [
        "plain text",
        "$scrypt$ln=15,r=8,p=3$c2FsdA",
        "$scrypt$ln=15,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=40,r=8,p=3$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=3$!!!$AAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=3$AAAA$AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_verify_password_refuses_malformed_or_costly_hash(stored: str) -> None:
    with pytest.raises(passwords.PasswordHashError):
        passwords.verify_password(stored, "anything")


def test_users_file_add_writes_owner_only_json(users: UsersFile) -> None:
    users.add("alice", "correct horse battery")

    mode = stat.S_IMODE(users.path.stat().st_mode)
    assert mode == 0o600
    document = json.loads(users.path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    entry = document["users"]["alice"]
    assert entry["password"].startswith("$scrypt$")
    assert entry["created"] == entry["password_changed"]
    assert "correct horse battery" not in users.path.read_text(encoding="utf-8")


def test_users_file_replaces_whole_file_without_leftovers(users: UsersFile) -> None:
    users.add("alice", "correct horse battery")
    first_inode = users.path.stat().st_ino
    users.add("bob", "another long password")

    assert users.path.stat().st_ino != first_inode
    leftovers = [p.name for p in users.path.parent.iterdir() if p.suffix == ".tmp"]
    assert leftovers == []
    assert sorted(users.load()) == ["alice", "bob"]


@pytest.mark.parametrize(
    ("before", "after"), [(0o600, 0o600), (0o640, 0o640), (0o666, 0o640)]
)
def test_users_file_replacement_keeps_mode_without_world_access(
    users: UsersFile, before: int, after: int
) -> None:
    users.add("alice", "correct horse battery")
    users.path.chmod(before)

    users.add("bob", "another long password")

    assert stat.S_IMODE(users.path.stat().st_mode) == after


def test_users_file_replacement_keeps_owner_and_group(users: UsersFile) -> None:
    # The suites run as root (CI and make test); an operator fixing a
    # password as root must not leave a file the service account cannot read.
    users.add("alice", "correct horse battery")
    os.chown(users.path, 65534, 65534)

    users.set_password("alice", "a brand new password")

    info = users.path.stat()
    assert (info.st_uid, info.st_gid) == (65534, 65534)


def test_users_file_concurrent_writers_lose_no_user(users: UsersFile) -> None:
    names = [f"user{i}" for i in range(6)]
    script = (
        "import sys; from csvdrop.auth.users import UsersFile;"
        " UsersFile(sys.argv[1]).add(sys.argv[2], 'a long enough password')"
    )

    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(users.path), name])
        for name in names
    ]

    assert [writer.wait(timeout=60) for writer in writers] == [0] * len(names)
    assert sorted(users.load()) == names


def test_users_file_authenticate_matches_name_and_password(users: UsersFile) -> None:
    users.add("alice", "correct horse battery")

    user = users.authenticate("alice", "correct horse battery")
    assert user is not None
    assert user.name == "alice"
    assert users.authenticate("alice", "wrong password!") is None
    assert users.authenticate("mallory", "correct horse battery") is None
    assert users.authenticate("../etc/passwd", "correct horse battery") is None
    assert users.authenticate("alice", "x" * 5000) is None


def test_users_file_set_password_replaces_it_and_moves_the_change_time(
    users: UsersFile,
) -> None:
    old = users.add("alice", "correct horse battery")

    new = users.set_password("alice", "a brand new password")

    assert new.password_changed >= old.password_changed
    assert new.created == old.created
    assert users.authenticate("alice", "correct horse battery") is None
    assert users.authenticate("alice", "a brand new password") is not None


def test_users_file_remove_deletes_only_that_user(users: UsersFile) -> None:
    users.add("alice", "correct horse battery")
    users.add("bob", "another long password")

    users.remove("alice")

    assert sorted(users.load()) == ["bob"]


def test_users_file_load_sees_a_change_made_by_another_writer(
    users: UsersFile,
) -> None:
    users.add("alice", "correct horse battery")
    assert sorted(users.load()) == ["alice"]

    UsersFile(users.path).add("bob", "another long password")

    assert sorted(users.load()) == ["alice", "bob"]


def test_users_file_missing_file_holds_no_users(users: UsersFile) -> None:
    assert users.load() == {}
    assert users.authenticate("alice", "correct horse battery") is None


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda u: u.add("alice", "another long password"), "already exists"),
        (lambda u: u.remove("bob"), "no user named 'bob'"),
        (lambda u: u.set_password("bob", "another long password"), "no user"),
        (lambda u: u.add("bob", "short"), "too short"),
        (lambda u: u.add("bob", "two\nlines here"), "one line"),
        (lambda u: u.add("-bob", "another long password"), "invalid user name"),
        (lambda u: u.add("bob smith", "another long password"), "invalid user name"),
        (lambda u: u.add("b" * 65, "another long password"), "invalid user name"),
        (lambda u: u.add("", "another long password"), "invalid user name"),
    ],
)
def test_users_file_refuses_bad_change_and_keeps_the_file(
    users: UsersFile, action, message: str
) -> None:
    users.add("alice", "correct horse battery")
    before = users.path.read_bytes()

    with pytest.raises(UserError, match=message):
        action(users)

    assert users.path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "no 'users' mapping"),
        ('{"version": 2, "users": {}}', "version 2"),
        ('{"users": {"alice": "hash"}}', "entry for 'alice'"),
        ('{"users": {"alice": {"password": "plain"}}}', "entry for 'alice'"),
        ('{"users": {"alice": {}}}', "entry for 'alice'"),
    ],
)
def test_users_file_load_names_what_is_wrong_with_the_file(
    users: UsersFile, content: str, message: str
) -> None:
    users.path.parent.mkdir(parents=True)
    users.path.write_text(content, encoding="utf-8")

    with pytest.raises(UserError, match=message):
        users.load()
