"""The one exception the conversion raises for bad input or bad options."""

from __future__ import annotations


class ConversionError(ValueError):
    """A CSV fault or an invalid option, with the input line where it lies.

    ``kind`` is a stable slug that callers map to their own error types:
    ``empty-file``, ``binary-data``, ``field-count``, ``unclosed-quote``,
    ``stray-quote``, ``undecodable`` or ``invalid-option``. ``line`` is the
    1-based physical line of the input, or None when the fault is not on a line
    (an invalid option).
    """

    def __init__(self, kind: str, message: str, line: int | None = None) -> None:
        self.kind = kind
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line is not None else message)
