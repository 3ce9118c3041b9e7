"""The C parser against Python's csv module, on random input cut anywhere.

The parser's counting mode, which writes no JSON, is held to the converting
mode on the same input: the same row count, or the same fault on the same
line.
"""

from __future__ import annotations

import csv
import io
import json
import random

import pytest

from csvdrop.conversion._core import ParseError, Parser

ALPHABET = ["a", "b", " ", ",", ";", '"', "\n", "\r", "\r\n", "\t", "\\", "é", "😀"]


def random_field(rng: random.Random) -> str:
    """Return a random field value, often holding CSV's special characters."""
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 6)))


def csv_field(value: str) -> str:
    """Return ``value`` as a CSV field, quoted only where RFC 4180 needs it."""
    if any(special in value for special in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def random_csv(rng: random.Random, width: int, rows: int) -> str:
    """Return a random CSV text."""
    ending = rng.choice(["\n", "\r\n", "\r"])
    lines = [",".join(f"k{i}" for i in range(width))]
    for _ in range(rows):
        row = [random_field(rng) for _ in range(width)]
        if width == 1 and row == [""]:
            row = ["x"]  # a one-column empty row would be a blank line
        lines.append(",".join(map(csv_field, row)))
    return ending.join(lines) + rng.choice([ending, ""])


def parse_in_pieces(data: bytes, cuts: list[int], ndjson: bool) -> bytes:
    """Run the parser over ``data`` cut at ``cuts`` and return its output."""
    parser = Parser(",", False, ndjson)
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    output = []
    keyed = False
    for index, piece in enumerate(pieces):
        final = index == len(pieces) - 1
        out, used = parser.feed(piece, final)
        if not keyed and out:
            names = json.loads(out)
            parser.set_keys([json.dumps(name).encode() for name in names])
            keyed = True
            out, _ = parser.feed(piece[used:], final)
        output.append(out)
    return b"".join(output)


@pytest.mark.parametrize("seed", range(300))
def test_parser_matches_csv_module_wherever_input_is_cut(seed: int) -> None:
    # Seeded so that a failure replays; nothing here is a secret.
    rng = random.Random(seed)  # noqa: S311
    text = random_csv(rng, rng.randrange(1, 5), rng.randrange(0, 30))
    data = text.encode()
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 12)))
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    header = rows[0]
    expected = [dict(zip(header, row, strict=True)) for row in rows[1:]]

    json_output = parse_in_pieces(data, cuts, ndjson=False)
    ndjson_output = parse_in_pieces(data, cuts, ndjson=True)

    assert json.loads(b"[" + json_output + b"]") == expected
    assert [json.loads(line) for line in ndjson_output.splitlines()] == expected


def test_parser_reports_fault_with_line_and_fields_found() -> None:
    parser = Parser(",")
    parser.feed(b"a,b\n")
    parser.set_keys([b'"a"', b'"b"'])

    with pytest.raises(ParseError) as caught:
        parser.feed(b"1,2\r\n3,4,5\n")

    assert caught.value.args == ("field-count", 3, 3)


@pytest.mark.parametrize("delimiter", ['"', "\n", "é"])
def test_parser_rejects_unusable_delimiter(delimiter: str) -> None:
    with pytest.raises(ValueError, match="delimiter"):
        Parser(delimiter)


# Ways to break a random CSV, each making one of the parser's faults likely.
BREAKAGES = [
    lambda text, at: text[:at] + "," + text[at:],  # a field too many
    lambda text, at: text[:at] + '"' + text[at:],  # stray or unclosed quote
    lambda text, at: text[:at] + "\x00" + text[at:],  # binary data
    lambda text, at: text[:at] + "\n" + text[at:],  # a record cut in two
]


def parse_outcome(
    data: bytes, cuts: list[int], *, count_only: bool
) -> tuple[object, ...]:
    """Run one parser mode over ``data`` cut at ``cuts``; return what it found."""
    parser = Parser(",", count_only=count_only)
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    keyed = False
    written = 0
    try:
        for index, piece in enumerate(pieces):
            final = index == len(pieces) - 1
            out, used = parser.feed(piece, final)
            if not keyed and out:
                names = json.loads(out)
                parser.set_keys([json.dumps(name).encode() for name in names])
                keyed = True
                out, used = parser.feed(piece[used:], final)
            written += len(out) if keyed else 0
    except ParseError as error:
        return ("fault", *error.args)
    return ("rows", parser.rows, parser.line, written > 0)


@pytest.mark.parametrize("seed", range(300))
def test_counting_parser_agrees_with_converting_parser(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - seeded so that a failure replays
    text = random_csv(rng, rng.randrange(1, 5), rng.randrange(1, 30))
    if seed % 2:
        header = len(text.splitlines(keepends=True)[0])
        at = rng.randrange(header, len(text) + 1)
        text = rng.choice(BREAKAGES)(text, at)
    data = text.encode()
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 12)))

    converting = parse_outcome(data, cuts, count_only=False)
    counting = parse_outcome(data, cuts, count_only=True)

    if converting[0] == "rows":
        # Same rows and lines; only the converting mode wrote records.
        assert counting[:3] == converting[:3]
        assert counting[3] is False
        assert converting[3] is (converting[1] > 0)
    else:
        assert counting == converting
