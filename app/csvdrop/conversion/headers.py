"""Header names made into distinct JSON keys without losing a column."""

from __future__ import annotations

import json.encoder
from collections.abc import Callable

# The C string escaper behind json.dumps(ensure_ascii=False): it escapes
# quotes, backslashes and control characters and keeps everything else.
json_string: Callable[[str], str] = json.encoder.encode_basestring


def record_keys(header: list[str]) -> list[str]:
    """Return one distinct key per header field.

    A blank name becomes ``column_N`` (N is its 1-based position). A repeated
    name gets ``_2``, ``_3``, ... skipping every suffix that another column
    already uses or will use, so no key ever overwrites another.
    """
    names = [
        name if name.strip() else f"column_{position}"
        for position, name in enumerate(header, start=1)
    ]
    taken = set(names)
    # The last suffix given to each repeated name: every smaller one is taken
    # by then, so the search goes on from there (a header that repeats one
    # name thousands of times stays linear).
    last_suffix: dict[str, int] = {}
    keys: list[str] = []
    for name in names:
        key = name
        if name in last_suffix:
            suffix = last_suffix[name] + 1
            while f"{name}_{suffix}" in taken:
                suffix += 1
            key = f"{name}_{suffix}"
            taken.add(key)
            last_suffix[name] = suffix
        else:
            last_suffix[name] = 1
        keys.append(key)
    return keys
