"""The conversions csvdrop is compared with, one function per tool.

Run as ``python bench/tools.py TOOL IN OUT`` with the interpreter of the
venv that holds the tool (.tools/bench). Each writes IN as JSON to OUT the
way a user of that tool typically would.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from typing import Any


def python_csv_json(source: str, target: str) -> None:
    """Convert with csv.DictReader and json.dumps, one line per record."""
    with (
        open(source, newline="", encoding="utf-8") as rows,
        open(target, "w", encoding="utf-8") as out,
    ):
        for record in csv.DictReader(rows):
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")


def python_csv_orjson(source: str, target: str) -> None:
    """Convert with csv.reader and orjson, one line per record."""
    import orjson

    with open(source, newline="", encoding="utf-8") as rows, open(target, "wb") as out:
        reader = csv.reader(rows)
        header = next(reader)
        for row in reader:
            out.write(orjson.dumps(dict(zip(header, row, strict=True))))
            out.write(b"\n")


def pandas_json(source: str, target: str) -> None:
    """Convert with pandas read_csv (as strings) and to_json."""
    import pandas

    frame = pandas.read_csv(source, dtype=str, keep_default_na=False)
    frame.to_json(target, orient="records", force_ascii=False)


def polars_read_json(source: str, target: str) -> None:
    """Convert with polars read_csv (as strings) and write_json."""
    import polars

    polars.read_csv(source, infer_schema=False).write_json(target)


def polars_scan_ndjson(source: str, target: str) -> None:
    """Convert with polars scan_csv (as strings) streamed to sink_ndjson."""
    import polars

    polars.scan_csv(source, infer_schema=False).sink_ndjson(target)


def duckdb_varchar(source: str, target: str) -> None:
    """Convert with DuckDB COPY ... TO JSON, every column as text."""
    _duckdb().execute(
        "COPY (SELECT * FROM read_csv(?, all_varchar = true)) TO ? (FORMAT json)",
        [source, target],
    )


def duckdb_inferred(source: str, target: str) -> None:
    """Convert with DuckDB COPY ... TO JSON, column types inferred."""
    _duckdb().execute(
        "COPY (SELECT * FROM read_csv(?)) TO ? (FORMAT json)", [source, target]
    )


def _duckdb() -> Any:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    return connection


TOOLS: dict[str, Callable[[str, str], None]] = {
    "python-csv-json": python_csv_json,
    "python-csv-orjson": python_csv_orjson,
    "pandas": pandas_json,
    "polars-read": polars_read_json,
    "polars-scan": polars_scan_ndjson,
    "duckdb-varchar": duckdb_varchar,
    "duckdb-inferred": duckdb_inferred,
}

if __name__ == "__main__":
    TOOLS[sys.argv[1]](sys.argv[2], sys.argv[3])
