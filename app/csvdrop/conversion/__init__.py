"""CSV to JSON conversion: lossless by default, streaming, strict about faults.

This package imports nothing from Flask; the service, the API and the
``csvdrop convert`` command all call :func:`convert`.
"""

from csvdrop.conversion.engine import Conversion, ConversionSummary, convert
from csvdrop.conversion.errors import ConversionError
from csvdrop.conversion.options import ConversionOptions, media_type

__all__ = [
    "Conversion",
    "ConversionError",
    "ConversionOptions",
    "ConversionSummary",
    "convert",
    "media_type",
]
