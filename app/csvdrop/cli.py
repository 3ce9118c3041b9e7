"""The ``csvdrop`` command line: ``convert`` here, other subcommands by module.

Each subcommand group lives in a module with a ``register(subparsers)``
function that adds its parsers and gives each a ``handler`` default: a
callable taking the parsed arguments and returning the exit status.
``SUBCOMMANDS`` names each group's module; a run imports only the group it
was asked for (``csvdrop convert`` never loads the account code), and all of
them for ``--help`` or an unknown command.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from csvdrop.conversion import ConversionError, ConversionOptions, convert

Subparsers = Any
Registrar = Callable[[Subparsers], None]

# Each subcommand group, by its name on the command line, and the module
# whose register() adds it.
SUBCOMMANDS = {
    "convert": "csvdrop.cli",
    "user": "csvdrop.auth.cli",
}

EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run the csvdrop command and return its exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(registrars(arguments[:1]))
    args = parser.parse_args(arguments)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return handler(args)


def registrars(command: Sequence[str] = ()) -> list[Registrar]:
    """Return the functions that add the subcommand groups to the parser.

    Only the named group's when ``command`` names one, every installed one
    otherwise.
    """
    wanted = [command[0]] if command and command[0] in SUBCOMMANDS else SUBCOMMANDS
    found: list[Registrar] = []
    for name in wanted:
        module = SUBCOMMANDS[name]
        if importlib.util.find_spec(module) is not None:
            found.append(importlib.import_module(module).register)
    return found


def build_parser(registrars: Iterable[Registrar]) -> argparse.ArgumentParser:
    """Return the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="csvdrop", description="Lossless CSV to JSON conversion into S3."
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for register in registrars:
        register(subparsers)
    return parser


def register(subparsers: Subparsers) -> None:
    """Add ``csvdrop convert``."""
    parser = subparsers.add_parser(
        "convert",
        help="convert a CSV file to JSON",
        description=(
            "Convert a CSV file to JSON (or NDJSON) with the same engine as the "
            "service. Invalid input exits non-zero with a one-line error naming "
            "the line, and leaves no output file behind."
        ),
    )
    parser.add_argument("input", metavar="IN", help="the CSV file, or - for stdin")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write the JSON (default: stdout); replaced only on success",
    )
    parser.add_argument("--format", choices=("json", "ndjson"), default="json")
    parser.add_argument("--types", choices=("string", "infer"), default="string")
    parser.add_argument(
        "--delimiter",
        help="the field delimiter, e.g. ';' or tab (default: detect among , ; TAB |)",
    )
    parser.add_argument(
        "--encoding",
        help="a Python codec name such as cp1252 (default: detect)",
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print one JSON line about the conversion on stderr",
    )
    parser.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    """Convert ``args.input`` as ``csvdrop convert`` was asked to."""
    try:
        options = ConversionOptions(
            format=args.format,
            types=args.types,
            delimiter=args.delimiter,
            encoding=args.encoding,
        )
    except ConversionError as error:
        return _fail(str(error), EXIT_USAGE)

    try:
        if args.input == "-":
            summary = _convert_to(sys.stdin.buffer, args.output, options)
        else:
            with open(args.input, "rb") as source:
                summary = _convert_to(source, args.output, options)
    except ConversionError as error:
        return _fail(f"{args.input}: {error}", EXIT_INVALID_INPUT)
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): stop quietly, and point
        # stdout at /dev/null so the interpreter's final flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as error:
        return _fail(f"{error.filename or args.input}: {error.strerror}", 1)

    if args.summary:
        print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return 0


def _convert_to(
    source: BinaryIO, output: str | None, options: ConversionOptions
) -> dict[str, object]:
    conversion = convert(source, options)
    if output is None:
        stdout = sys.stdout.buffer
        for chunk in conversion:
            stdout.write(chunk)
        stdout.flush()
    else:
        _write_replacing(Path(output), conversion)

    summary = conversion.summary
    return {
        "rows": summary.rows,
        "columns": summary.columns,
        "encoding": summary.encoding,
        "delimiter": summary.delimiter,
        "bytes_in": summary.bytes_in,
        "bytes_out": summary.bytes_out,
        "sha256": summary.sha256,
    }


def _write_replacing(path: Path, chunks: Iterable[bytes]) -> None:
    # Written beside the target and renamed only once complete, so a fault in
    # the input (or a crash) never leaves a partial or clobbered output file.
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fail(message: str, status: int) -> int:
    print(f"csvdrop: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
