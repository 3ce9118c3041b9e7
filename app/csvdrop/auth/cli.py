"""``csvdrop user add|list|remove|passwd``: manage the users file.

A password comes from standard input when that is not a terminal (one line,
for scripts and provisioning), and from two hidden prompts when it is.
``--generate`` makes a random password instead and prints it once on
standard output, the only place it ever appears.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from collections.abc import Callable

from csvdrop.auth.users import UserError, UsersFile, check_password

GENERATED_PASSWORD_BYTES = 18


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``user`` command and its subcommands to the csvdrop CLI."""
    user = subparsers.add_parser(
        "user",
        help="manage the users who may log in",
        description="Add, list, remove users and change their passwords.",
    )
    user.add_argument(
        "--users-file",
        metavar="PATH",
        help="users file to change (default: the USERS_FILE setting)",
    )
    actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument(
        "--generate",
        action="store_true",
        help="make a random password and print it once",
    )
    add.set_defaults(handler=run, user_command=_add)

    listing = actions.add_parser("list", help="print the user names, one a line")
    listing.set_defaults(handler=run, user_command=_list)

    remove = actions.add_parser("remove", help="delete a user and end their tokens")
    remove.add_argument("name")
    remove.set_defaults(handler=run, user_command=_remove)

    passwd = actions.add_parser(
        "passwd", help="change a user's password and end their tokens"
    )
    passwd.add_argument("name")
    passwd.add_argument(
        "--generate",
        action="store_true",
        help="make a random password and print it once",
    )
    passwd.set_defaults(handler=run, user_command=_passwd)


def _users(args: argparse.Namespace) -> UsersFile:
    path = args.users_file
    if not path:
        from csvdrop import config

        path = config.load().get("USERS_FILE")
    if not path:
        raise UserError(
            "no users file: pass --users-file or set USERS_FILE"
            " (CSVDROP_USERS_FILE or the config file)"
        )
    return UsersFile(str(path))


def _new_password(args: argparse.Namespace) -> str:
    if args.generate:
        return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        return check_password(text.removesuffix("\n").removesuffix("\r"))
    first = getpass.getpass(f"Password for {args.name}: ")
    check_password(first)
    if getpass.getpass("Repeat the password: ") != first:
        raise UserError("the two passwords differ; nothing was changed")
    return first


def _add(args: argparse.Namespace) -> int:
    users = _users(args)
    password = _new_password(args)
    users.add(args.name, password)
    _report_password(args, password)
    print(f"user {args.name} added to {users.path}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    for name in sorted(_users(args).load()):
        print(name)
    return 0


def _remove(args: argparse.Namespace) -> int:
    users = _users(args)
    users.remove(args.name)
    print(f"user {args.name} removed from {users.path}", file=sys.stderr)
    return 0


def _passwd(args: argparse.Namespace) -> int:
    users = _users(args)
    if users.get(args.name) is None:
        raise UserError(f"no user named {args.name!r} in {users.path}")
    password = _new_password(args)
    users.set_password(args.name, password)
    _report_password(args, password)
    print(f"password of {args.name} changed", file=sys.stderr)
    return 0


def _report_password(args: argparse.Namespace, password: str) -> None:
    if args.generate:
        print(password, flush=True)


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed ``user`` command; answer the process exit status."""
    # Imported here so that the other commands do not load the config module.
    from csvdrop.config import ConfigError

    command: Callable[[argparse.Namespace], int] = args.user_command
    try:
        return command(args)
    except (UserError, ConfigError) as err:
        print(f"csvdrop user: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(
            f"csvdrop user: {err.filename or args.users_file}: {err.strerror}",
            file=sys.stderr,
        )
        return 1
