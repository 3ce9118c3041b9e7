"""``csvdrop user``, run as a separate process the way an operator runs it."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csvdrop.auth.users import UsersFile

CSVDROP = Path(sys.executable).parent / "csvdrop"


def _environment(**variables: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSVDROP_")}
    return {**clean, **variables}


def _user(
    users: Path | None, *args: str, stdin: str = "", **variables: str
) -> subprocess.CompletedProcess[str]:
    prefix = ["--users-file", str(users)] if users else []
    return subprocess.run(
        [str(CSVDROP), "user", *prefix, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_environment(**variables),
        timeout=60,
        check=False,
    )


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return tmp_path / "state" / "users.json"


def test_user_add_reads_the_password_from_stdin(users: Path) -> None:
    added = _user(users, "add", "alice", stdin="correct horse battery\n")

    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    assert "user alice added" in added.stderr
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert UsersFile(users).authenticate("alice", "correct horse battery")
    assert _user(users, "list").stdout == "alice\n"


def test_user_add_generate_prints_the_password_once(users: Path) -> None:
    added = _user(users, "add", "admin", "--generate")

    assert added.returncode == 0, added.stderr
    password = added.stdout.strip()
    assert added.stdout == password + "\n"
    assert len(password) >= 20
    assert password not in added.stderr
    assert password not in users.read_text(encoding="utf-8")
    assert UsersFile(users).authenticate("admin", password)


def test_user_passwd_replaces_the_password(users: Path) -> None:
    _user(users, "add", "alice", stdin="correct horse battery\n")

    changed = _user(users, "passwd", "alice", stdin="a brand new password\r\n")

    assert changed.returncode == 0, changed.stderr
    assert UsersFile(users).authenticate("alice", "correct horse battery") is None
    assert UsersFile(users).authenticate("alice", "a brand new password")


def test_user_remove_deletes_the_user_and_says_so_on_a_second_try(
    users: Path,
) -> None:
    _user(users, "add", "alice", stdin="correct horse battery\n")
    _user(users, "add", "bob", stdin="another long password\n")

    removed = _user(users, "remove", "alice")
    again = _user(users, "remove", "alice")

    assert removed.returncode == 0, removed.stderr
    assert _user(users, "list").stdout == "bob\n"
    assert again.returncode == 1
    assert again.stderr == f"csvdrop user: no user named 'alice' in {users}\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "bob"), "short\n", "password too short"),
        (("add", "bob"), "", "password too short"),
        (("add", "bob"), "two\nlines of password\n", "one line"),
        (("add", "bad name"), "another long password\n", "invalid user name"),
        (("add", "alice"), "another long password\n", "already exists"),
        (("passwd", "carol"), "another long password\n", "no user named 'carol'"),
    ],
)
def test_user_command_refuses_bad_input_and_keeps_the_file(
    users: Path, args: tuple[str, ...], stdin: str, message: str
) -> None:
    _user(users, "add", "alice", stdin="correct horse battery\n")
    before = users.read_bytes()

    refused = _user(users, *args, stdin=stdin)

    assert refused.returncode == 1
    assert message in refused.stderr
    assert refused.stderr.count("\n") == 1, "one line, no traceback"
    assert users.read_bytes() == before


def test_user_command_that_cannot_write_says_where_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")

    refused = _user(blocker / "users.json", "add", "alice", stdin="long enough pw\n")

    assert refused.returncode == 1
    assert refused.stderr.startswith(f"csvdrop user: {blocker}")
    assert refused.stderr.count("\n") == 1, "one line, no traceback"


def test_user_command_finds_the_users_file_in_the_environment(users: Path) -> None:
    added = _user(
        None,
        "add",
        "alice",
        stdin="correct horse battery\n",
        CSVDROP_USERS_FILE=str(users),
    )

    assert added.returncode == 0, added.stderr
    assert UsersFile(users).get("alice") is not None


def test_user_command_without_a_users_file_says_how_to_name_one() -> None:
    refused = _user(None, "list")

    assert refused.returncode == 1
    assert "pass --users-file or set USERS_FILE" in refused.stderr


def _on_terminal(users: Path, *answers: str) -> tuple[int, str]:
    """Run ``user add carol`` on a new terminal, typing each answer."""
    leader, follower = os.openpty()

    # getpass talks to the controlling terminal, so the child takes this one
    # (in its own session) before it becomes csvdrop.
    take_terminal = (
        "import fcntl, os, sys, termios;"
        " fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
        " os.execv(sys.argv[1], sys.argv[1:])"
    )
    command = [str(CSVDROP), "user", "--users-file", str(users), "add", "carol"]
    process = subprocess.Popen(
        [sys.executable, "-c", take_terminal, *command],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=_environment(),
        start_new_session=True,
    )
    os.close(follower)
    prompts = (b"Password for carol: ", b"Repeat the password: ")
    output = b""
    typed = 0
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if not ready:
            continue
        try:
            output += os.read(leader, 1024)
        except OSError:
            break
        if typed < len(answers) and prompts[typed] in output:
            os.write(leader, answers[typed].encode() + b"\n")
            typed += 1
    process.wait(timeout=10)
    # What the child wrote just before it exited is still in the terminal.
    while select.select([leader], [], [], 0.2)[0]:
        try:
            chunk = os.read(leader, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.returncode, output.decode(errors="replace")


def test_user_add_on_a_terminal_prompts_twice_without_echo(users: Path) -> None:
    status, screen = _on_terminal(users, "typed on a terminal", "typed on a terminal")

    assert status == 0, screen
    assert "Password for carol:" in screen
    assert "Repeat the password:" in screen
    assert "typed on a terminal" not in screen
    assert UsersFile(users).authenticate("carol", "typed on a terminal")


def test_user_add_on_a_terminal_refuses_two_different_passwords(users: Path) -> None:
    status, screen = _on_terminal(users, "typed on a terminal", "typed differently")

    assert status == 1
    assert "the two passwords differ" in screen
    assert not users.exists()
