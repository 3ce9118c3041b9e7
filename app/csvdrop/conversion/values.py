"""Field values as JSON text: strings as written, or inferred types."""

from __future__ import annotations

import json.encoder
import math
import re
from collections.abc import Callable

# The C string escaper behind json.dumps(ensure_ascii=False): it escapes
# quotes, backslashes and control characters and keeps everything else.
json_string: Callable[[str], str] = json.encoder.encode_basestring

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LARGEST_EXACT = 2**53 - 1
# 2**53 - 1 has 16 digits; longer integers are never exact in a double.
_LARGEST_DIGITS = 16


def inferred_json(value: str) -> str:
    """Return ``value`` as JSON text under the ``types=infer`` rules.

    Empty is null; ``true`` and ``false`` are booleans; an integer without
    leading zeros within +/-(2**53-1) and a finite decimal are numbers,
    written exactly as in the CSV; anything else is a string.
    """
    if not value:
        return "null"
    if value == "true" or value == "false":
        return value
    first = value[0]
    if first == "-" or "0" <= first <= "9":
        if _INTEGER.fullmatch(value):
            digits = len(value) - (first == "-")
            if digits <= _LARGEST_DIGITS and abs(int(value)) <= _LARGEST_EXACT:
                return value
        elif _DECIMAL.fullmatch(value) and math.isfinite(float(value)):
            return value
    return json_string(value)
