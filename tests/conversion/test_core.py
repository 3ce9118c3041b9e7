"""The C parser against Python's csv module, on random input cut anywhere."""

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
