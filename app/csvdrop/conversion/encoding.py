"""The first pass over the input: hash it, size it, and settle its encoding.

The whole input is read once before any output is produced, so that a byte
late in the file can still decide the encoding and no caller ever receives
output that a later byte proves wrong. Only the first few lines are kept as
text (for delimiter detection); everything else is read in bounded chunks.
"""

from __future__ import annotations

import codecs
import hashlib
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from csvdrop.conversion._core import utf8_error
from csvdrop.conversion.errors import ConversionError

CHUNK_SIZE = 1 << 20
# How much decoded text delimiter detection looks at: whole lines within
# HEAD_SIZE, or the first line alone when it is longer, up to HEAD_LIMIT.
HEAD_SIZE = 1 << 16
HEAD_LIMIT = 16 << 20

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The five bytes cp1252 leaves undefined; mac_roman defines all 256.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_ASCII = bytes(range(128))
# Characters that real Western European text is full of: when one legacy
# codec turns a file's high bytes into these and another into symbols and
# capitals, the first is the file's codec.
_COMMON = frozenset("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœß‘’‚“”„–—…•€£°©®™«»¿¡§·\xa0")
_CAPITALS = frozenset("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒ")


@dataclass(frozen=True)
class Scan:
    """What the first pass learnt about the input."""

    encoding: str
    bytes_in: int
    sha256: str
    # Decoded text from the start: whole lines only, unless it ends at EOF.
    head: str
    head_is_whole_file: bool


def scan(source: BinaryIO, start: int, encoding: str | None) -> Scan:
    """Read ``source`` from ``start`` to the end and settle its encoding."""
    with ThreadPoolExecutor(1, thread_name_prefix="csvdrop-sha256") as hashing:
        return _scan(source, start, encoding, hashing)


def _scan(
    source: BinaryIO, start: int, encoding: str | None, hashing: ThreadPoolExecutor
) -> Scan:
    # The digest is computed on another thread while this one checks the
    # encoding: both release the GIL, so the first pass costs the slower one.
    digest = hashlib.sha256()
    hashed: Future[None] | None = None
    chunk = _read_at_least(source, 4)
    codec = _initial_codec(chunk[:4], encoding)
    declared = encoding is not None or _bom_codec(chunk[:4]) is not None
    byte_nul = _ascii_compatible(codec)
    decoder = codecs.getincrementaldecoder(codec)("strict")

    # UTF-8 is checked in C without building text; other codecs decode.
    fast = codec in ("utf-8", "utf-8-sig")
    carry = b""
    size = 0
    chars = 0
    nul_byte: int | None = None
    nul_char: int | None = None
    failed_at: int | None = None
    head_parts: list[str] = []
    head_full = False
    while chunk:
        if hashed is not None:
            hashed.result()
        hashed = hashing.submit(digest.update, chunk)
        if byte_nul and nul_byte is None and (found := chunk.find(b"\x00")) >= 0:
            nul_byte = size + found
        if failed_at is None and fast:
            data = carry + chunk if carry else chunk
            bad, complete = utf8_error(data)
            if bad >= 0:
                failed_at = size - len(carry) + bad
            else:
                carry = data[complete:]
                if not head_full:
                    head_parts.append(decoder.decode(data[:complete]))
                    head_full = head_is_full(head_parts)
        elif failed_at is None:
            pending = _pending(decoder)
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                failed_at = size - pending + error.start
            except UnicodeError:
                # Some codecs refuse a stream as a whole without naming a
                # byte (UTF-16 or UTF-32 without a BOM): blame the chunk.
                failed_at = size - pending
            else:
                if (
                    not byte_nul
                    and nul_char is None
                    and (found := text.find("\x00")) >= 0
                ):
                    nul_char = chars + found
                chars += len(text)
                if not head_full:
                    head_parts.append(text)
                    head_full = head_is_full(head_parts)
        size += len(chunk)
        chunk = source.read(CHUNK_SIZE)
    if hashed is not None:
        hashed.result()
    if failed_at is None and fast and carry:
        failed_at = size - len(carry)
    elif failed_at is None and not fast:
        try:
            head_parts.append(decoder.decode(b"", final=True))
        except UnicodeError:
            failed_at = size - _pending(decoder)

    if not any(head_parts) and failed_at is None:
        raise ConversionError("empty-file", "the file is empty", 1)
    if nul_byte is not None or nul_char is not None:
        raise ConversionError(
            "binary-data",
            "NUL byte found: this is binary data, not CSV text",
            _line_at(source, start, codec, nul_byte, nul_char),
        )
    if failed_at is not None:
        if declared:
            message = f"bytes that are not valid {codec}"
            if codec in ("utf-16", "utf-32") and failed_at == 0:
                message = (
                    f"the file does not start with a {codec} byte-order mark; "
                    f"give {codec}-le or {codec}-be"
                )
            raise ConversionError(
                "undecodable",
                message,
                _line_at(source, start, codec, failed_at, None),
            )
        codec = _legacy_codec(source, start)
        head_parts, head_full = _read_head(source, start, codec)

    head = "".join(head_parts)
    if head_full:
        head = whole_lines(head)
    return Scan(codec, size, digest.hexdigest(), head, not head_full)


def _read_at_least(source: BinaryIO, size: int) -> bytes:
    data = source.read(CHUNK_SIZE)
    while data and len(data) < size:
        more = source.read(CHUNK_SIZE)
        if not more:
            break
        data += more
    return data


def _initial_codec(first: bytes, encoding: str | None) -> str:
    if encoding is None:
        return _bom_codec(first) or "utf-8"
    if encoding == "utf-8" and first.startswith(codecs.BOM_UTF8):
        # Asked for UTF-8 and given a BOM: the BOM is not part of the header.
        return "utf-8-sig"
    return encoding


def _bom_codec(first: bytes) -> str | None:
    for bom, codec in _BOMS:
        if first.startswith(bom):
            return codec
    return None


def _ascii_compatible(codec: str) -> bool:
    return not codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))


def _pending(decoder: codecs.IncrementalDecoder) -> int:
    buffered, _ = decoder.getstate()
    return len(buffered)


def head_is_full(parts: list[str]) -> bool:
    """Return whether the text in ``parts`` is enough to detect the delimiter."""
    return sample_is_full(
        sum(map(len, parts)), any("\n" in part or "\r" in part for part in parts)
    )


def sample_is_full(length: int, has_line_break: bool) -> bool:
    """Return whether a sample of this many characters is enough to detect."""
    return length >= HEAD_LIMIT or (length >= HEAD_SIZE and has_line_break)


def whole_lines(text: str) -> str:
    """Return the whole lines in the first HEAD_SIZE characters of ``text``.

    When the first line alone is longer, return that line whole.
    """
    cut = max(text.rfind("\n", 0, HEAD_SIZE), text.rfind("\r", 0, HEAD_SIZE))
    if cut < 0:
        ends = [found for found in (text.find("\n"), text.find("\r")) if found >= 0]
        cut = min(ends) if ends else len(text) - 1
    return text[: cut + 1]


def _line_at(
    source: BinaryIO, start: int, codec: str, byte: int | None, char: int | None
) -> int:
    """Return the 1-based line holding the given byte or decoded character."""
    source.seek(start)
    decoder = codecs.getincrementaldecoder(codec)("replace")
    bytes_left = byte if byte is not None else -1
    chars_left = char if char is not None else -1
    breaks = 0
    after_cr = False
    while bytes_left != 0 and chars_left != 0:
        chunk = source.read(
            CHUNK_SIZE if bytes_left < 0 else min(CHUNK_SIZE, bytes_left)
        )
        if not chunk:
            break
        if bytes_left > 0:
            bytes_left -= len(chunk)
        text = decoder.decode(chunk)
        if chars_left >= 0:
            text = text[:chars_left]
            chars_left -= len(text)
        if not text:
            continue
        breaks += text.count("\n") + text.count("\r") - text.count("\r\n")
        # A CRLF split across two chunks is one line break, not two.
        if after_cr and text[0] == "\n":
            breaks -= 1
        after_cr = text[-1] == "\r"
    return breaks + 1


def _legacy_codec(source: BinaryIO, start: int) -> str:
    """Choose the single-byte codec for input that is not UTF-8."""
    source.seek(start)
    high: Counter[int] = Counter()
    while chunk := source.read(CHUNK_SIZE):
        high.update(chunk.translate(None, _ASCII))
    if _CP1252_UNDEFINED.intersection(high):
        return "mac_roman"
    scores = {"cp1252": 0, "mac_roman": 0}
    for codec in scores:
        for byte, count in high.items():
            char = bytes([byte]).decode(codec)
            if char in _COMMON:
                scores[codec] += 2 * count
            elif char in _CAPITALS:
                scores[codec] += count
    return "mac_roman" if scores["mac_roman"] > scores["cp1252"] else "cp1252"


def _read_head(source: BinaryIO, start: int, codec: str) -> tuple[list[str], bool]:
    source.seek(start)
    decoder = codecs.getincrementaldecoder(codec)("strict")
    parts: list[str] = []
    while True:
        chunk = source.read(CHUNK_SIZE)
        parts.append(decoder.decode(chunk, final=not chunk))
        if not chunk:
            return parts, False
        if head_is_full(parts):
            return parts, True
