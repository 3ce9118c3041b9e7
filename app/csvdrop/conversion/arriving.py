"""check() for input that arrives in pieces, run while it arrives.

A service receiving an upload can feed each piece of the body here as it
comes in, so that by the time the last byte is stored the digest, the
encoding and the row count are known and no further pass is needed before
the upload to the object store starts.

Only the common case is followed piece by piece: UTF-8 (with or without a
byte-order mark) that holds no fault. Anything else (another encoding, a
byte that is not UTF-8, a CSV fault, an empty file, a first line longer
than the delimiter sample) stops the early work, and :meth:`finish` runs
:func:`check` over the stored input instead, so that every answer and every
error is exactly the one ``check`` gives.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from typing import BinaryIO

from csvdrop.conversion._core import ParseError, Parser, utf8_error
from csvdrop.conversion.dialect import detect_delimiter
from csvdrop.conversion.encoding import sample_is_full, whole_lines
from csvdrop.conversion.engine import CheckedInput, check
from csvdrop.conversion.headers import json_string, record_keys
from csvdrop.conversion.options import ConversionOptions

_UTF8 = frozenset({"utf-8", "utf-8-sig"})
# A first piece shorter than this cannot show a byte-order mark yet.
_BOM_WINDOW = 4


class ArrivingCheck:
    """Learns what :func:`check` would, from pieces of the input in order."""

    def __init__(self, options: ConversionOptions) -> None:
        self._options = options
        self._following = options.encoding is None or options.encoding in _UTF8
        self._digest = hashlib.sha256()
        self._size = 0
        self._codec = ""  # settled by the first bytes
        self._start = b""  # the first bytes, until a BOM can be told
        self._carry = b""  # an incomplete UTF-8 sequence at a piece's end
        # Until the delimiter is known: the valid bytes and their text.
        self._waiting: list[bytes] = []
        self._head: list[str] = []
        self._head_length = 0
        self._head_has_break = False
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._parser: Parser | None = None
        self._delimiter = ""
        self._columns: list[str] | None = None

    @property
    def following(self) -> bool:
        """Return whether the pieces so far were followed (no fallback yet)."""
        return self._following

    def feed(self, piece: bytes) -> None:
        """Take the next piece of the input."""
        self.digest(piece)
        self.follow(piece)

    def digest(self, piece: bytes) -> None:
        """Count and hash the next piece: one half of :meth:`feed`.

        The halves may run on two threads (both release the GIL), as long as
        each sees every piece in order.
        """
        self._digest.update(piece)
        self._size += len(piece)

    def follow(self, piece: bytes) -> None:
        """Check the next piece's encoding and records: the other half."""
        if not self._following or not piece:
            return
        if not self._codec:
            self._start += piece
            if len(self._start) < _BOM_WINDOW:
                return
            piece, self._start = self._start, b""
            self._codec = self._initial_codec(piece)
        self._take(piece)

    def finish(self, source: BinaryIO) -> CheckedInput:
        """Return what check() returns for ``source``, which holds all the pieces.

        ``source`` is read only when the pieces could not be followed; it is
        left where it was.
        """
        if self._following and not self._codec and self._start:
            self._codec = self._initial_codec(self._start)
            self._take(self._start)
        if self._following and not self._carry:
            checked = self._finish()
            if checked is not None:
                return checked
        return check(source, self._options)

    def _initial_codec(self, first: bytes) -> str:
        has_bom = first.startswith(codecs.BOM_UTF8)
        if self._options.encoding is None:
            # A UTF-16 or UTF-32 byte-order mark is not valid UTF-8: the
            # first piece stops the early work.
            return "utf-8-sig" if has_bom else "utf-8"
        if self._options.encoding == "utf-8" and has_bom:
            return "utf-8-sig"
        return self._options.encoding

    def _take(self, piece: bytes) -> None:
        data = self._carry + piece if self._carry else piece
        bad, complete = utf8_error(data)
        if bad >= 0:
            self._following = False
            return
        self._carry = data[complete:]
        valid = data[:complete] if complete < len(data) else data
        if self._parser is None:
            self._waiting.append(valid)
            text = self._decoder.decode(valid)
            self._head.append(text)
            self._head_length += len(text)
            self._head_has_break = self._head_has_break or "\n" in text or "\r" in text
            if sample_is_full(self._head_length, self._head_has_break):
                head = "".join(self._head)
                if not self._head_has_break:
                    # A first line longer than the sample's limit: check()
                    # cuts it where its own reads end, which these need not.
                    self._following = False
                    return
                self._start_parser(whole_lines(head))
        else:
            self._parse(self._parser, valid, final=False)

    def _start_parser(self, head: str) -> None:
        self._delimiter = self._options.delimiter or detect_delimiter(head)
        self._parser = Parser(self._delimiter, count_only=True)
        waiting, self._waiting, self._head = b"".join(self._waiting), [], []
        if self._codec == "utf-8-sig" and waiting.startswith(codecs.BOM_UTF8):
            waiting = waiting[len(codecs.BOM_UTF8) :]
        self._parse(self._parser, waiting, final=False)

    def _parse(self, parser: Parser, data: bytes, final: bool) -> None:
        try:
            if self._columns is None:
                header, used = parser.feed(data, final)
                if not header:
                    return
                self._columns = record_keys(json.loads(header))
                parser.set_keys([json_string(key).encode() for key in self._columns])
                data = data[used:]
            parser.feed(data, final)
        except ParseError:
            self._following = False

    def _finish(self) -> CheckedInput | None:
        if self._parser is None:
            # The whole input is shorter than the sample: check() takes it
            # all as the sample too.
            head = "".join(self._head)
            if not head:
                return None
            self._start_parser(head)
        parser = self._parser
        if not self._following or parser is None:
            return None
        self._parse(parser, b"", final=True)
        if not self._following or self._columns is None:
            return None
        return CheckedInput(
            rows=parser.rows,
            columns=self._columns,
            encoding=self._codec,
            delimiter=self._delimiter,
            bytes_in=self._size,
            sha256=self._digest.hexdigest(),
        )
