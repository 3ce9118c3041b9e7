"""A smoke run of the benchmark command, so that it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def test_bench_smoke_run_writes_report(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"

    result = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--smoke",
            "--data",
            str(tmp_path),
            "--output",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    text = report.read_text()
    assert "Machine:" in text
    assert "Versions:" in text
    for shape in ("mixed", "wide"):
        section = text.split(f"### {shape} ")[1].split("###")[0]
        for tool in ("cat", "csvdrop json", "csvdrop ndjson infer"):
            assert re.search(rf"^\| {tool} \| \d+ \| \d+ \|", section, re.MULTILINE)
    assert not list(tmp_path.glob("out.*"))
    service = text.split("### Through the service")[1]
    assert re.search(
        r"^\| of which receiving and checking the body \| \d", service, re.M
    )
    assert re.search(
        r"^\| 2 concurrent 1 MB uploads \| 2 of 2 answered 201 \|$", service, re.M
    )
