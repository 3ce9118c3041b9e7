"""The conversion itself: CSV bytes in, compact JSON or NDJSON bytes out.

Two passes over the input. The first (``encoding.scan``) hashes it, sizes it
and settles its encoding, so that no output is produced before a late byte
could change the codec. The second feeds UTF-8 to the C parser in
``_core``, which writes JSON records without a Python object per field.
"""

from __future__ import annotations

import codecs
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from csvdrop.conversion._core import ParseError, Parser
from csvdrop.conversion.dialect import detect_delimiter
from csvdrop.conversion.encoding import CHUNK_SIZE, scan
from csvdrop.conversion.errors import ConversionError
from csvdrop.conversion.headers import json_string, record_keys
from csvdrop.conversion.options import ConversionOptions

OUTPUT_CHUNK = 1 << 20
# Input is parsed in pieces of this size, so that the JSON for one piece stays
# near OUTPUT_CHUNK; longer output is sliced.
_FEED_SIZE = 1 << 18
PREVIEW_ROWS = 10
# Input that cannot seek is copied aside so that it can be read twice; the
# copy stays in memory up to this size and spills to a temporary file beyond.
_SPOOL_MEMORY = 8 << 20

_FAULTS = {
    "unclosed-quote": "a quoted field opened on this line is never closed",
    "stray-quote": (
        "characters after a closing quote (a quote inside a quoted field is "
        'written as "")'
    ),
    "binary-data": "NUL byte found: this is binary data, not CSV text",
}


@dataclass(frozen=True)
class ConversionSummary:
    """What a finished conversion read and wrote."""

    rows: int
    columns: list[str]
    encoding: str
    delimiter: str
    bytes_in: int
    bytes_out: int
    sha256: str
    preview: list[dict[str, object]]


class Conversion:
    """The output of one conversion, produced while it is iterated.

    Iterating yields UTF-8 chunks of at most 1 MiB. A fault in the input
    raises ConversionError during iteration, possibly after some chunks were
    yielded: whoever consumes the chunks must then discard what they wrote.
    ``summary`` is available once iteration has finished.
    """

    def __init__(self, source: BinaryIO, options: ConversionOptions) -> None:
        self._source = source
        self._options = options
        self._summary: ConversionSummary | None = None
        self._started = False

    @property
    def summary(self) -> ConversionSummary:
        """Return the summary of the finished conversion."""
        if self._summary is None:
            raise RuntimeError("the conversion has not finished yet")
        return self._summary

    def __iter__(self) -> Iterator[bytes]:
        if self._started:
            raise RuntimeError("a conversion can be iterated only once")
        self._started = True
        return self._run()

    def _run(self) -> Iterator[bytes]:
        source, spool = _seekable(self._source)
        try:
            yield from self._convert(source)
        finally:
            if spool is not None:
                spool.close()

    def _convert(self, source: BinaryIO) -> Iterator[bytes]:
        options = self._options
        start = source.tell()
        found = scan(source, start, options.encoding)
        delimiter = options.delimiter or detect_delimiter(found.head)
        ndjson = options.format == "ndjson"
        parser = Parser(delimiter, options.types == "infer", ndjson)

        source.seek(start)
        columns: list[str] | None = None
        opening = b"" if ndjson else b"["
        preview_output: list[bytes] = []
        bytes_out = 0
        for data, final in _utf8_pieces(source, found.encoding):
            if columns is None:
                header, used = _feed(parser, data, final, 0)
                if not header:
                    continue
                columns = record_keys(json.loads(header))
                parser.set_keys([json_string(key).encode() for key in columns])
                data = data[used:]
            previewed = parser.rows < PREVIEW_ROWS
            output, _ = _feed(parser, data, final, len(columns))
            if previewed:
                preview_output.append(output)
            if opening:
                output = opening + output
                opening = b""
            for piece in _pieces(output):
                bytes_out += len(piece)
                yield piece

        if columns is None:
            raise ConversionError("empty-file", "the file has no header line", 1)
        closing = opening + (b"" if ndjson else b"]")
        bytes_out += len(closing)
        yield closing

        self._summary = ConversionSummary(
            rows=parser.rows,
            columns=columns,
            encoding=found.encoding,
            delimiter=delimiter,
            bytes_in=found.bytes_in,
            bytes_out=bytes_out,
            sha256=found.sha256,
            preview=_preview(b"".join(preview_output), ndjson),
        )


def convert(source: BinaryIO, options: ConversionOptions) -> Conversion:
    """Return the conversion of the CSV in ``source``, run as it is iterated."""
    return Conversion(source, options)


def _feed(parser: Parser, data: bytes, final: bool, width: int) -> tuple[bytes, int]:
    try:
        return parser.feed(data, final)
    except ParseError as error:
        kind, line, found = error.args
        if kind == "field-count":
            message = f"expected {width} fields, found {found}"
        else:
            message = _FAULTS[kind]
        raise ConversionError(kind, message, line) from None


def _utf8_pieces(source: BinaryIO, encoding: str) -> Iterator[tuple[bytes, bool]]:
    """Yield the input as UTF-8 in pieces, each with whether it is the last."""
    if encoding in ("utf-8", "utf-8-sig"):
        if encoding == "utf-8-sig":
            # The codec drops a leading BOM and only that; the scan already
            # proved the bytes valid, so they go to the parser as they are.
            first = source.read(len(codecs.BOM_UTF8))
            if first != codecs.BOM_UTF8:
                yield first, False
        while piece := source.read(_FEED_SIZE):
            yield piece, False
    else:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        while raw := source.read(_FEED_SIZE):
            yield decoder.decode(raw).encode("utf-8"), False
        tail = decoder.decode(b"", final=True).encode("utf-8")
        if tail:
            yield tail, False
    yield b"", True


def _preview(output: bytes, ndjson: bool) -> list[dict[str, object]]:
    if ndjson:
        lines = output.split(b"\n", PREVIEW_ROWS)[:PREVIEW_ROWS]
        return [json.loads(line) for line in lines if line]
    records: list[dict[str, object]] = json.loads(b"[" + output + b"]")
    return records[:PREVIEW_ROWS]


def _seekable(source: BinaryIO) -> tuple[BinaryIO, BinaryIO | None]:
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        return source, None
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
    while chunk := source.read(CHUNK_SIZE):
        spool.write(chunk)
    spool.seek(0)
    return spool, spool  # type: ignore[return-value]


def _pieces(data: bytes) -> Iterator[bytes]:
    if len(data) <= OUTPUT_CHUNK:
        if data:
            yield data
        return
    view = memoryview(data)
    for offset in range(0, len(data), OUTPUT_CHUNK):
        yield bytes(view[offset : offset + OUTPUT_CHUNK])
