"""Types of the C inner loop (see _core.c)."""

class ParseError(ValueError):
    """A CSV fault: args are (kind, line, fields found)."""

class Parser:
    """A streaming CSV to JSON parser for UTF-8 input."""

    rows: int
    line: int

    def __init__(
        self,
        delimiter: str,
        infer: bool = False,
        ndjson: bool = False,
        count_only: bool = False,
    ) -> None: ...
    def feed(self, data: bytes, final: bool = False) -> tuple[bytes, int]:
        """Parse a chunk; return (complete JSON output, bytes consumed)."""
    def set_keys(self, keys: list[bytes]) -> None:
        """Set the record keys, each a JSON string as bytes, after the header."""

def utf8_error(data: bytes, final: bool = False) -> tuple[int, int]:
    """Return (first invalid UTF-8 offset or -1, complete prefix length)."""

WIDE_UTF8: int
"""1 when utf8_error checks 32 bytes at a time (AVX2), 0 when byte by byte."""
