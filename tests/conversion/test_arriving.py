"""ArrivingCheck against check(): the same answer, whatever the pieces."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from conversion.test_corpus import FIVETHIRTYEIGHT, FIVETHIRTYEIGHT_FILES
from conversion.test_engine import (
    EDGE_CASES,
    ENCODINGS,
    EXPLICIT_ENCODING_FAULTS,
    REJECTIONS,
)
from csvdrop.conversion import CheckedInput, ConversionError, ConversionOptions, check
from csvdrop.conversion.arriving import ArrivingCheck


class Unreadable(io.BytesIO):
    """The stored input, which a followed check must not read again."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the input was read again")


def pieces(data: bytes, rng: random.Random) -> list[bytes]:
    """Cut ``data`` into pieces of random sizes, many of them tiny."""
    cuts: list[bytes] = []
    at = 0
    while at < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 4096, 65536, 1 << 20])
        cuts.append(data[at : at + size])
        at += size
    return cuts


def arriving_outcome(
    data: bytes, options: ConversionOptions, seed: int, source: io.BytesIO
) -> tuple[CheckedInput | ConversionError, bool]:
    """Feed ``data`` in random pieces; return the result and whether it followed."""
    arriving = ArrivingCheck(options)
    for piece in pieces(data, random.Random(seed)):  # noqa: S311 - replayable
        arriving.feed(piece)
    try:
        return arriving.finish(source), arriving.following
    except ConversionError as error:
        return error, arriving.following


def check_outcome(data: bytes, options: ConversionOptions) -> object:
    """Return what check() gives for ``data``: its result or its error."""
    try:
        return check(io.BytesIO(data), options)
    except ConversionError as error:
        return error


def same(first: object, second: object) -> bool:
    """Compare two outcomes; errors by kind, line and message."""
    if isinstance(first, ConversionError) and isinstance(second, ConversionError):
        return (first.kind, first.line, str(first)) == (
            second.kind,
            second.line,
            str(second),
        )
    return first == second


CASES = [
    *((param.values[0], param.values[1]) for param in EDGE_CASES),
    *((param.values[0], {}) for param in REJECTIONS),
    *((param.values[0], {}) for param in ENCODINGS),
    *((param.values[0], {"encoding": param.values[1]}) for param in ENCODINGS),
    *(
        (param.values[0], {"encoding": param.values[1]})
        for param in EXPLICIT_ENCODING_FAULTS
    ),
    (b"a;b\n" + b"1;2\n" * 40_000, {}),
    (b"long," * 20_000 + b"end\n1" + b",x" * 20_000 + b"\n", {}),
    (b"a,b\r" + b"1,2\r" * 30_000, {}),
    (b"a,b\n1,2\n", {"encoding": "utf-8-sig"}),
    (b"\xef\xbb", {}),
    (b"a", {}),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("data", "options"), CASES)
def test_arriving_check_gives_what_check_gives(
    data: bytes, options: dict[str, str], seed: int
) -> None:
    conversion_options = ConversionOptions(**options)

    outcome, _ = arriving_outcome(data, conversion_options, seed, io.BytesIO(data))

    assert same(outcome, check_outcome(data, conversion_options))


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n",
        b"\xef\xbb\xbfa,b\r\n1,\xc3\xa9\r\n",
        b"a\tb\n" + 'é😀\t"x\ny"\n'.encode() * 50_000,
        b"id\n1",
    ],
)
def test_arriving_check_follows_valid_utf8_without_reading_again(data: bytes) -> None:
    outcome, following = arriving_outcome(data, ConversionOptions(), 0, Unreadable())

    assert following
    assert outcome == check(io.BytesIO(data), ConversionOptions())


@pytest.mark.parametrize(
    ("data", "options"),
    [
        (b"a,b\n1,caf\xe9\n", {}),
        (b"a,b\n1,2,3\n", {}),
        (b"a,b\n1,2\n", {"encoding": "cp1252"}),
        (b"\xff\xfea\x00,\x00b\x00\n\x00", {}),
    ],
)
def test_arriving_check_leaves_the_rest_to_check(
    data: bytes, options: dict[str, str]
) -> None:
    _, following = arriving_outcome(
        data, ConversionOptions(**options), 0, io.BytesIO(data)
    )

    assert not following


@pytest.mark.parametrize(
    "path",
    FIVETHIRTYEIGHT_FILES,
    ids=lambda path: str(path.relative_to(FIVETHIRTYEIGHT)),
)
def test_arriving_check_agrees_on_real_files(path: Path) -> None:
    data = path.read_bytes()
    expected = check(io.BytesIO(data), ConversionOptions())

    outcome, following = arriving_outcome(
        data, ConversionOptions(), len(data), io.BytesIO(data)
    )

    assert outcome == expected
    assert following == (expected.encoding in ("utf-8", "utf-8-sig"))
