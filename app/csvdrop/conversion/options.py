"""What a caller may ask of a conversion, checked when it is built."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from csvdrop.conversion.errors import ConversionError

FORMATS = ("json", "ndjson")
TYPES = ("string", "infer")
DETECTED_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
_MEDIA_TYPES = {"json": "application/json", "ndjson": "application/x-ndjson"}


@dataclass(frozen=True)
class ConversionOptions:
    """Output format, value typing, and the dialect when not detected.

    ``delimiter`` also accepts ``tab`` (or a backslash-t) for a tab, and
    ``encoding`` any Python text codec name; an empty string means "detect",
    as None does.
    """

    format: str = "json"
    types: str = "string"
    delimiter: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConversionError(
                "invalid-option",
                f"format must be one of {', '.join(FORMATS)}, not {self.format!r}",
            )
        if self.types not in TYPES:
            raise ConversionError(
                "invalid-option",
                f"types must be one of {', '.join(TYPES)}, not {self.types!r}",
            )
        object.__setattr__(self, "delimiter", _check_delimiter(self.delimiter))
        object.__setattr__(self, "encoding", _check_encoding(self.encoding))


def media_type(format: str) -> str:
    """Return the Content-Type of a conversion's output in ``format``."""
    try:
        return _MEDIA_TYPES[format]
    except KeyError:
        raise ConversionError(
            "invalid-option", f"format must be one of {', '.join(FORMATS)}"
        ) from None


def _check_delimiter(delimiter: str | None) -> str | None:
    if delimiter is None or delimiter == "":
        return None
    delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    # A quote or a line break as the delimiter would make every file ambiguous.
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
        raise ConversionError(
            "invalid-option",
            "delimiter must be one ASCII character other than a quote or a line "
            f"break, not {delimiter!r}",
        )
    return delimiter


_NOT_FILE_CODECS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape"}
)


def _check_encoding(encoding: str | None) -> str | None:
    if encoding is None or encoding == "":
        return None
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise ConversionError(
            "invalid-option", f"unknown text encoding {encoding!r}"
        ) from None
    # codecs.lookup also knows bytes-to-bytes codecs (base64, rot13), codecs
    # for single labels (idna, punycode) and escape codecs that rewrite
    # backslashes: none of them reads a CSV file as it was written.
    if not codec._is_text_encoding or codec.name in _NOT_FILE_CODECS:
        raise ConversionError(
            "invalid-option", f"{encoding!r} is not an encoding for text files"
        )
    return codec.name
