"""The conversion itself: CSV bytes in, compact JSON or NDJSON bytes out."""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from csvdrop.conversion.dialect import detect_delimiter
from csvdrop.conversion.encoding import CHUNK_SIZE, scan
from csvdrop.conversion.errors import ConversionError
from csvdrop.conversion.headers import record_keys
from csvdrop.conversion.options import ConversionOptions
from csvdrop.conversion.values import inferred_json, json_string

# Output is gathered into chunks of about this many characters; a character
# is at most 4 UTF-8 bytes, and oversized chunks are sliced to OUTPUT_CHUNK.
_CHUNK_CHARS = 1 << 18
OUTPUT_CHUNK = 1 << 20
PREVIEW_ROWS = 10
# Input that cannot seek is copied aside so that it can be read twice; the
# copy stays in memory up to this size and spills to a temporary file beyond.
_SPOOL_MEMORY = 8 << 20


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

    Iterating yields UTF-8 chunks of at most about 1 MiB. A fault in the input
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

        source.seek(start)
        text = io.TextIOWrapper(
            io.BufferedReader(_Unclosable(source), CHUNK_SIZE),
            encoding=found.encoding,
            errors="strict",
            newline="",
        )
        csv.field_size_limit(sys.maxsize)
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', strict=True)
        records = _Records(reader)

        header = records.header()
        if header is None:
            raise ConversionError("empty-file", "the file has no header line", 1)
        columns = record_keys(header)
        encode = inferred_json if options.types == "infer" else json_string
        prefixes = [json_string(key) + ":" for key in columns]

        ndjson = options.format == "ndjson"
        bytes_out = 0
        rows = 0
        preview: list[dict[str, object]] = []
        pending: list[str] = []
        pending_chars = 0
        opened = False
        for row in records.rows(len(columns)):
            record = "{" + ",".join(map(str.__add__, prefixes, map(encode, row))) + "}"
            rows += 1
            if rows <= PREVIEW_ROWS:
                preview.append(json.loads(record))
            pending.append(record)
            pending_chars += len(record)
            if pending_chars >= _CHUNK_CHARS:
                if ndjson:
                    out = "\n".join(pending) + "\n"
                else:
                    out = ("," if opened else "[") + ",".join(pending)
                    opened = True
                pending.clear()
                pending_chars = 0
                for piece in _pieces(out.encode("utf-8")):
                    bytes_out += len(piece)
                    yield piece

        if ndjson:
            out = "\n".join(pending) + "\n" if pending else ""
        else:
            out = "," if opened and pending else "" if opened else "["
            out += ",".join(pending) + "]"
        for piece in _pieces(out.encode("utf-8")):
            bytes_out += len(piece)
            yield piece

        self._summary = ConversionSummary(
            rows=rows,
            columns=columns,
            encoding=found.encoding,
            delimiter=delimiter,
            bytes_in=found.bytes_in,
            bytes_out=bytes_out,
            sha256=found.sha256,
            preview=preview,
        )


def convert(source: BinaryIO, options: ConversionOptions) -> Conversion:
    """Return the conversion of the CSV in ``source``, run as it is iterated."""
    return Conversion(source, options)


class _Records:
    """CSV records, with faults turned into errors that name their line."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        # The physical line the record being read starts on.
        self._record_line = 1

    def header(self) -> list[str] | None:
        """Return the first non-blank record, or None when there is none."""
        for record in self._read():
            if record:
                return record
        return None

    def rows(self, width: int) -> Iterator[list[str]]:
        """Yield the remaining non-blank records, each ``width`` fields long."""
        for record in self._read():
            if len(record) != width:
                if not record:
                    continue
                raise ConversionError(
                    "field-count",
                    f"expected {width} fields, found {len(record)}",
                    self._record_line,
                )
            yield record

    def _read(self) -> Iterator[list[str]]:
        reader = self._reader
        while True:
            self._record_line = reader.line_num + 1
            try:
                record: list[str] = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise self._fault(str(error)) from None
            yield record

    def _fault(self, message: str) -> ConversionError:
        line = self._reader.line_num
        if "unexpected end of data" in message:
            return ConversionError(
                "unclosed-quote",
                "a quoted field opened on this line is never closed",
                self._record_line,
            )
        if "NUL" in message:
            return ConversionError(
                "binary-data", "NUL byte found: this is binary data, not CSV text", line
            )
        # The csv module's remaining strict-mode fault: "',' expected after '\"'".
        return ConversionError(
            "stray-quote",
            "characters after a closing quote (a quote inside a quoted field is "
            'written as "")',
            line,
        )


class _Unclosable(io.RawIOBase):
    """A raw stream over a caller's file that never closes it."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


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
