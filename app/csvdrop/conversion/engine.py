"""The conversion itself: CSV bytes in, compact JSON or NDJSON bytes out.

Two passes over the input. The first (``encoding.scan``) hashes it, sizes it
and settles its encoding, so that no output is produced before a late byte
could change the codec. The second feeds UTF-8 to the C parser in
``_core``, which writes JSON records without a Python object per field.

``check`` runs the first pass and then the parser in a mode that writes
nothing, for a caller that needs the row count before the output (an object
store takes metadata only when an upload starts); ``convert`` given its
result skips the first pass.
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


@dataclass(frozen=True)
class CheckedInput:
    """What :func:`check` proved about an input, before any output exists."""

    rows: int
    columns: list[str]
    encoding: str
    delimiter: str
    bytes_in: int
    sha256: str


class Conversion:
    """The output of one conversion, produced while it is iterated.

    Iterating yields UTF-8 chunks of at most 1 MiB. A fault in the input
    raises ConversionError during iteration, possibly after some chunks were
    yielded: whoever consumes the chunks must then discard what they wrote.
    ``summary`` is available once iteration has finished.
    """

    def __init__(
        self,
        source: BinaryIO,
        options: ConversionOptions,
        checked: CheckedInput | None = None,
    ) -> None:
        self._source = source
        self._options = options
        self._checked = checked
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
        known = self._checked or _first_pass(source, start, options)
        ndjson = options.format == "ndjson"
        parser = Parser(known.delimiter, options.types == "infer", ndjson)

        source.seek(start)
        records = _Records(parser)
        opening = b"" if ndjson else b"["
        preview_output: list[bytes] = []
        bytes_out = 0
        outputs = records.outputs(_utf8_pieces(source, known.encoding))
        while True:
            # The count before the piece is parsed: a piece that starts
            # within the first rows holds (some of) the preview.
            previewed = parser.rows < PREVIEW_ROWS
            output = next(outputs, None)
            if output is None:
                break
            if previewed:
                preview_output.append(output)
            if opening:
                output = opening + output
                opening = b""
            for piece in _pieces(output):
                bytes_out += len(piece)
                yield piece

        closing = opening + (b"" if ndjson else b"]")
        bytes_out += len(closing)
        yield closing

        self._summary = ConversionSummary(
            rows=parser.rows,
            columns=records.columns,
            encoding=known.encoding,
            delimiter=known.delimiter,
            bytes_in=known.bytes_in,
            bytes_out=bytes_out,
            sha256=known.sha256,
            preview=_preview(b"".join(preview_output), ndjson),
        )


def convert(
    source: BinaryIO, options: ConversionOptions, checked: CheckedInput | None = None
) -> Conversion:
    """Return the conversion of the CSV in ``source``, run as it is iterated.

    ``checked`` is what :func:`check` returned for this same, unchanged
    source with these options: the conversion then skips its own first pass.
    """
    return Conversion(source, options, checked)


def check(source: BinaryIO, options: ConversionOptions) -> CheckedInput:
    """Prove that the CSV in a seekable ``source`` converts, and count its rows.

    Reads the input through once for its encoding and digest and once more
    through the parser, which checks every record but writes no JSON. Raises
    the ConversionError converting would raise. The source is left where it
    started, ready for :func:`convert` with the result.
    """
    start = source.tell()
    known = _first_pass(source, start, options)
    parser = Parser(known.delimiter, count_only=True)
    source.seek(start)
    records = _Records(parser)
    for _ in records.outputs(_utf8_pieces(source, known.encoding)):
        pass
    source.seek(start)
    return CheckedInput(
        rows=parser.rows,
        columns=records.columns,
        encoding=known.encoding,
        delimiter=known.delimiter,
        bytes_in=known.bytes_in,
        sha256=known.sha256,
    )


def _first_pass(
    source: BinaryIO, start: int, options: ConversionOptions
) -> CheckedInput:
    """Scan the input; the row count and columns are not known yet."""
    found = scan(source, start, options.encoding)
    return CheckedInput(
        rows=0,
        columns=[],
        encoding=found.encoding,
        delimiter=options.delimiter or detect_delimiter(found.head),
        bytes_in=found.bytes_in,
        sha256=found.sha256,
    )


class _Records:
    """Feeds UTF-8 pieces to a parser: the header first, then the records."""

    def __init__(self, parser: Parser) -> None:
        self.parser = parser
        self.columns: list[str] = []

    def outputs(self, pieces: Iterator[tuple[bytes, bool]]) -> Iterator[bytes]:
        """Yield the parser's output for each piece after the header."""
        parser = self.parser
        header_read = False
        for data, final in pieces:
            if not header_read:
                header, used = _feed(parser, data, final, 0)
                if not header:
                    continue
                self.columns = record_keys(json.loads(header))
                parser.set_keys([json_string(key).encode() for key in self.columns])
                header_read = True
                data = data[used:]
            output, _ = _feed(parser, data, final, len(self.columns))
            yield output
        if not header_read:
            raise ConversionError("empty-file", "the file has no header line", 1)


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
