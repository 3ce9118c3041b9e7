"""The C UTF-8 check against Python's own decoder.

``utf8_error`` checks 32 bytes at a time where the CPU allows (AVX2) and
finds the exact fault byte by byte. Both paths must agree with Python's
UTF-8 codec on every input: where the first fault is, and where an
incomplete sequence at the end of a piece begins. The faults are placed at
every offset around the 32-byte blocks, after ASCII and after other
multi-byte characters, so that the vector path's carrying of one block's end
into the next is exercised as well.
"""

from __future__ import annotations

import random

import pytest

from csvdrop.conversion._core import WIDE_UTF8, utf8_error

# Text whose characters take one to four bytes.
SAMPLES = ["a", "Z", "\n", "é", "ß", "東", "€", "😀", "𝄞", "\u07ff", "\uffff"]


def expected(data: bytes, final: bool) -> tuple[int, int]:
    """Return what utf8_error must answer, learned from Python's decoder."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and not final:
            return -1, error.start
        return error.start, error.start
    return -1, len(data)


def text(rng: random.Random, length: int) -> bytes:
    """Return valid UTF-8 of at least ``length`` bytes, mixing widths."""
    out = bytearray()
    while len(out) < length:
        out += rng.choice(SAMPLES).encode()
    return bytes(out)


def test_the_vector_path_is_used_on_this_machine() -> None:
    # A test run on a machine without AVX2 checks only the byte-by-byte
    # path; this one says so instead of passing silently.
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
        has_avx2 = " avx2" in info.read()
    assert bool(WIDE_UTF8) == has_avx2


@pytest.mark.parametrize("final", [False, True])
def test_every_byte_pair_across_a_block_boundary(final: bool) -> None:
    rng = random.Random(7)  # noqa: S311 - seeded so that a failure replays
    for background in (b"x" * 30, text(rng, 30)[:30]):
        # Keep the background whole: cut it after its last full character.
        head = background.decode("utf-8", "ignore").encode()
        head = (b"y" * (31 - len(head))) + head
        tail = b"z" * 40
        for first in range(256):
            for second in range(256):
                data = head + bytes((first, second)) + tail
                assert utf8_error(data, final) == expected(data, final), data


@pytest.mark.parametrize("offset", [0, 13, 29, 30, 31, 32, 33, 61, 62, 63])
def test_every_three_and_four_byte_lead_at_block_edges(offset: int) -> None:
    leads = range(0xC0, 0x100)
    # The edges of every range a lead allows for the bytes after it.
    follows = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2, 0xE1, 0xF1]
    for lead in leads:
        for second in follows:
            for third in follows:
                for end in (b"", bytes((0x80,)), b"q" * 40):
                    data = b"w" * offset + bytes((lead, second, third)) + end
                    for final in (False, True):
                        assert utf8_error(data, final) == expected(data, final)


def test_random_faults_in_long_text() -> None:
    rng = random.Random(2024)  # noqa: S311 - seeded so that a failure replays
    for _ in range(4000):
        data = bytearray(text(rng, rng.randrange(0, 300)))
        for _ in range(rng.randrange(0, 3)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        if data and rng.random() < 0.3:
            del data[rng.randrange(len(data)) :]
        sample = bytes(data)
        for final in (False, True):
            assert utf8_error(sample, final) == expected(sample, final), sample


def test_valid_text_is_valid_however_it_is_cut() -> None:
    rng = random.Random(99)  # noqa: S311 - seeded so that a failure replays
    whole = text(rng, 5000)
    carry = b""
    position = 0
    while position < len(whole):
        step = rng.randrange(1, 200)
        piece = carry + whole[position : position + step]
        position += step
        bad, complete = utf8_error(piece)
        assert bad == -1
        carry = piece[complete:]
        assert len(carry) < 4
    assert utf8_error(carry, True) == (-1, len(carry))
