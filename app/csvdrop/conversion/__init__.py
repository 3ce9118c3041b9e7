"""CSV to JSON conversion: lossless by default, streaming, strict about faults.

This package imports nothing from Flask; the service, the API and the
``csvdrop convert`` command all call :func:`convert`.
"""

from csvdrop.conversion.engine import (
    CheckedInput,
    Conversion,
    ConversionSummary,
    check,
    convert,
)
from csvdrop.conversion.errors import ConversionError
from csvdrop.conversion.options import ConversionOptions, media_type

__all__ = [
    "CheckedInput",
    "Conversion",
    "ConversionError",
    "ConversionOptions",
    "ConversionSummary",
    "check",
    "convert",
    "media_type",
]
