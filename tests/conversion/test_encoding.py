"""The first pass: hashing, sizing, and the text kept for detection."""

from __future__ import annotations

import hashlib
import io

import pytest

from csvdrop.conversion.encoding import HEAD_LIMIT, HEAD_SIZE, scan


def test_scan_keeps_whole_lines_only() -> None:
    line = "a;b;" + "x" * 97 + "\n"
    data = (line * (3 * HEAD_SIZE // len(line))).encode()

    found = scan(io.BytesIO(data), 0, None)

    assert found.head.endswith("\n")
    assert HEAD_SIZE - len(line) < len(found.head) <= HEAD_SIZE
    assert not found.head_is_whole_file
    assert set(found.head.splitlines()) == {line[:-1]}


def test_scan_reads_past_head_size_to_end_a_long_line() -> None:
    data = ("h," * HEAD_SIZE + "h\n1\n").encode()

    found = scan(io.BytesIO(data), 0, None)

    assert found.head == "h," * HEAD_SIZE + "h\n"


def test_scan_hashes_and_sizes_from_start() -> None:
    data = b"skip" + b"a,b\n1,2\n"

    source = io.BytesIO(data)
    source.seek(4)

    found = scan(source, 4, None)

    assert found.bytes_in == len(data) - 4
    assert found.sha256 == hashlib.sha256(data[4:]).hexdigest()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(b"a\n" + b"\xc3" + b"\xa9" * 2, "cp1252", id="bad-utf8-at-end"),
        pytest.param(b"a\n\xc3", "cp1252", id="truncated-utf8-at-end"),
        pytest.param("a\né".encode() * 3, "utf-8", id="multibyte"),
    ],
)
def test_scan_settles_encoding_at_end(data: bytes, encoding: str) -> None:
    assert scan(io.BytesIO(data), 0, None).encoding == encoding


def test_scan_bounds_head_of_a_file_with_no_line_break() -> None:
    data = b"a;" * (HEAD_LIMIT // 2 + (2 << 20))

    found = scan(io.BytesIO(data), 0, None)

    assert HEAD_LIMIT <= len(found.head) < HEAD_LIMIT + (2 << 20)
