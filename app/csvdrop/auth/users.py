"""The users file: who may log in, with their scrypt password hashes.

The file is JSON, written whole to a temporary file beside it and renamed
over it, so a reader never sees half a file. A new file is readable by its
owner only (mode 0600); a replaced one keeps the old file's owner, group and
mode, less any world access or group write. Every instance behind the load
balancer needs the same file. Its shape::

    {"version": 1,
     "users": {"alice": {"password": "$scrypt$ln=15,r=8,p=3$...",
                         "created": 1767225600,
                         "password_changed": 1767225600}}}

Times are whole seconds since the epoch. Tokens issued before
``password_changed`` are refused, so ``csvdrop user passwd`` logs a user out
everywhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from csvdrop.auth import passwords

FORMAT_VERSION = 1
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD_LENGTH = 8
# Far above any real password; keeps a login body from buying a long hash.
MAX_PASSWORD_LENGTH = 1024
# What a replaced file keeps of the old one's mode: owner read and write,
# group read.
KEPT_MODE_BITS = 0o640


class UserError(ValueError):
    """A user command cannot be carried out; the message says why."""


@dataclass(frozen=True)
class User:
    """One account: its name, password hash and when it changed."""

    name: str
    password_hash: str
    created: int
    password_changed: int


def check_username(name: str) -> str:
    """Return the name if it is a valid user name, else raise UserError."""
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError(
            f"invalid user name {name!r}: use 1 to 64 letters, digits, '.', '_'"
            " or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """Return the password if it is acceptable, else raise UserError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"password too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(
            f"password too long: use at most {MAX_PASSWORD_LENGTH} characters"
        )
    if any(ch in password for ch in "\r\n\x00"):
        raise UserError("password must be one line without NUL characters")
    return password


def _parse_user(name: str, entry: object, path: Path) -> User:
    if not isinstance(entry, dict):
        raise UserError(f"users file {path}: entry for {name!r} is not a mapping")
    try:
        password_hash = entry["password"]
        created = entry.get("created", 0)
        changed = entry.get("password_changed", created)
        if not isinstance(password_hash, str):
            raise TypeError("password")
        if not isinstance(created, int) or not isinstance(changed, int):
            raise TypeError("times")
        passwords.check_hash(password_hash)
        return User(name, password_hash, created, changed)
    except (KeyError, TypeError, ValueError) as err:
        raise UserError(f"users file {path}: entry for {name!r} is invalid") from err


class UsersFile:
    """Read and change the users file at one path."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int, int], dict[str, User]] | None = None

    def load(self) -> dict[str, User]:
        """Return every user by name; a file that does not exist holds none."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise UserError(f"cannot read users file {self.path}: {err}") from err
        # Readers in the app reload only when the file was replaced, so that a
        # user added with the CLI can log in without a restart.
        signature = (info.st_ino, info.st_size, info.st_mtime_ns)
        cache = self._cache
        if cache is not None and cache[0] == signature:
            return cache[1]
        users = self._read()
        self._cache = (signature, users)
        return users

    def _read(self) -> dict[str, User]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read users file {self.path}: {err}") from err
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise UserError(f"users file {self.path} is not valid JSON") from err
        if not isinstance(document, dict) or not isinstance(
            document.get("users"), dict
        ):
            raise UserError(f"users file {self.path} has no 'users' mapping")
        if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise UserError(
                f"users file {self.path}: version {document['version']!r}"
                f" is not {FORMAT_VERSION}"
            )
        return {
            str(name): _parse_user(str(name), entry, self.path)
            for name, entry in document["users"].items()
        }

    def get(self, name: str) -> User | None:
        """Return the user with this name, or None."""
        return self.load().get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """Return the user when name and password match, else None."""
        user = self.get(name) if USERNAME_PATTERN.fullmatch(name) else None
        if user is None or len(password) > MAX_PASSWORD_LENGTH:
            passwords.waste_equal_time(password[:MAX_PASSWORD_LENGTH])
            return None
        if not passwords.verify_password(user.password_hash, password):
            return None
        return user

    def add(self, name: str, password: str) -> User:
        """Create a user; raise UserError if the name is taken."""
        check_username(name)
        password_hash = passwords.hash_password(check_password(password))
        with self._locked() as users:
            if name in users:
                raise UserError(
                    f"user {name!r} already exists; use 'csvdrop user passwd'"
                    " to change the password"
                )
            now = int(time.time())
            user = User(name, password_hash, now, now)
            users[name] = user
            self._write(users)
        return user

    def set_password(self, name: str, password: str) -> User:
        """Replace a user's password; tokens issued before now stop working."""
        password_hash = passwords.hash_password(check_password(password))
        with self._locked() as users:
            old = self._existing(users, name)
            user = User(name, password_hash, old.created, int(time.time()))
            users[name] = user
            self._write(users)
        return user

    def remove(self, name: str) -> None:
        """Delete a user; their tokens stop working at once."""
        with self._locked() as users:
            self._existing(users, name)
            del users[name]
            self._write(users)

    def _existing(self, users: dict[str, User], name: str) -> User:
        user = users.get(name)
        if user is None:
            raise UserError(f"no user named {name!r} in {self.path}")
        return user

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, User]]:
        # Two CLI runs at once must not lose each other's change: each holds
        # an exclusive lock on a file beside the users file while it reads,
        # changes and replaces it.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield dict(self._read())
        finally:
            os.close(descriptor)

    def _write(self, users: dict[str, User]) -> None:
        document = {
            "version": FORMAT_VERSION,
            "users": {
                user.name: {
                    "password": user.password_hash,
                    "created": user.created,
                    "password_changed": user.password_changed,
                }
                for user in sorted(users.values(), key=lambda u: u.name)
            },
        }
        # mkstemp creates the file with mode 0600 before anything is written.
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                self._keep_owner(stream.fileno())
                json.dump(document, stream, indent=2)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        self._sync_directory()

    def _keep_owner(self, descriptor: int) -> None:
        # The replacement must stay readable by whoever read the old file: an
        # operator running this as root would otherwise leave a root-owned
        # file the service account cannot open, and a file provisioned as
        # 0640 for the service's group would lose that group. World access
        # and group write are never carried over.
        try:
            old = self.path.stat()
        except FileNotFoundError:
            return
        if os.geteuid() == 0:
            os.fchown(descriptor, old.st_uid, old.st_gid)
        os.fchmod(descriptor, stat.S_IMODE(old.st_mode) & KEPT_MODE_BITS)

    def _sync_directory(self) -> None:
        descriptor = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
