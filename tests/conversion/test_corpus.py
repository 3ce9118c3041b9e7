"""Real files: the csv-spectrum cases and the FiveThirtyEight corpus.

The FiveThirtyEight check is independent of the engine: it decodes the bytes
with the encoding the engine reports, parses them with Python's csv module
and the reported delimiter, and compares every cell and every key.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from csvdrop.conversion import ConversionOptions, check, convert

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
SPECTRUM = CORPUS / "csv-spectrum"
FIVETHIRTYEIGHT = CORPUS / "fivethirtyeight"

SPECTRUM_CASES = sorted(SPECTRUM.glob("csvs/*.csv"))
FIVETHIRTYEIGHT_FILES = sorted(FIVETHIRTYEIGHT.rglob("*.csv"))


def test_corpus_is_present() -> None:
    assert len(SPECTRUM_CASES) == 11
    assert len(FIVETHIRTYEIGHT_FILES) == 247


@pytest.mark.parametrize("case", SPECTRUM_CASES, ids=lambda path: path.stem)
def test_spectrum_case_gives_expected_json(case: Path) -> None:
    expected = json.loads((SPECTRUM / "json" / f"{case.stem}.json").read_bytes())

    with case.open("rb") as source:
        output = b"".join(convert(source, ConversionOptions()))

    records = json.loads(output)
    assert records == expected
    assert [list(record) for record in records] == [list(r) for r in expected]


@pytest.mark.parametrize(
    "path",
    FIVETHIRTYEIGHT_FILES,
    ids=lambda path: str(path.relative_to(FIVETHIRTYEIGHT)),
)
def test_fivethirtyeight_file_converts_losslessly(path: Path) -> None:
    data = path.read_bytes()

    with path.open("rb") as source:
        conversion = convert(source, ConversionOptions())
        output = b"".join(conversion).decode("utf-8")
    summary = conversion.summary

    text = data.decode(summary.encoding)
    rows = [
        row
        for row in csv.reader(
            io.StringIO(text, newline=""), delimiter=summary.delimiter
        )
        if row
    ]
    header, body = rows[0], rows[1:]
    records = json.loads(output)
    assert len(records) == len(body) == summary.rows
    assert_keys_follow_renaming_rule(header, summary.columns)
    for record, row in zip(records, body, strict=True):
        assert list(record) == summary.columns
        assert list(record.values()) == row
    if "\ufffd" not in text:
        assert "\ufffd" not in output


@pytest.mark.parametrize(
    "path",
    FIVETHIRTYEIGHT_FILES,
    ids=lambda path: str(path.relative_to(FIVETHIRTYEIGHT)),
)
def test_fivethirtyeight_file_checks_as_it_converts(path: Path) -> None:
    with path.open("rb") as source:
        checked = check(source, ConversionOptions())
        conversion = convert(source, ConversionOptions())
        for _ in conversion:
            pass
    summary = conversion.summary

    assert (checked.rows, checked.columns, checked.encoding, checked.sha256) == (
        summary.rows,
        summary.columns,
        summary.encoding,
        summary.sha256,
    )


def assert_keys_follow_renaming_rule(header: list[str], keys: list[str]) -> None:
    """Check keys: one per column, renamed only where blank or repeated."""
    assert len(keys) == len(header)
    assert len(set(keys)) == len(keys)
    seen: set[str] = set()
    for position, (name, key) in enumerate(zip(header, keys, strict=True), start=1):
        if not name.strip():
            assert re.fullmatch(rf"column_{position}(_\d+)?", key)
        elif name in seen:
            assert re.fullmatch(rf"{re.escape(name)}_\d+", key)
        else:
            assert key == name
        seen.add(name)
