"""Delimiter detection, from whole lines at the start of the input."""

from __future__ import annotations

import csv

from csvdrop.conversion.options import DETECTED_DELIMITERS


def detect_delimiter(head: str) -> str:
    """Return the delimiter among , ; TAB | that best splits ``head``.

    ``head`` holds whole lines only. The winner gives the header more than one
    field and the most records of the header's width; ties go to the earlier
    candidate, and a file no candidate splits is read as one column of commas.
    """
    best = ","
    best_score = (0, 0.0, 0)
    for delimiter in DETECTED_DELIMITERS:
        records = _records(head, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        matching = sum(1 for record in records if len(record) == width)
        score = (1, matching / len(records), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(head: str, delimiter: str) -> list[list[str]]:
    records: list[list[str]] = []
    reader = csv.reader(
        _lines(head),
        delimiter=delimiter,
        strict=True,
    )
    try:
        for record in reader:
            if record:
                records.append(record)
    except csv.Error:
        # The sample may end inside a quoted field, or this delimiter may make
        # the quoting look wrong; either way the records so far are the evidence.
        pass
    return records


def _lines(text: str) -> list[str]:
    """Split ``text`` after each CR, LF or CRLF, and nothing else."""
    lines: list[str] = []
    start = 0
    length = len(text)
    while start < length:
        lf = text.find("\n", start)
        cr = text.find("\r", start, lf if lf >= 0 else length)
        if cr >= 0:
            end = cr + 2 if cr + 1 < length and text[cr + 1] == "\n" else cr + 1
        elif lf >= 0:
            end = lf + 1
        else:
            end = length
        lines.append(text[start:end])
        start = end
    return lines
