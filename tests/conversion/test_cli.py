"""``csvdrop convert`` through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CSVDROP = Path(sys.executable).with_name("csvdrop")


def run_csvdrop(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run the console script and return its completed process."""
    return subprocess.run(
        [str(CSVDROP), *args], input=stdin, capture_output=True, check=False
    )


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    """Yield a small semicolon-separated cp1252 CSV file."""
    path = tmp_path / "good.csv"
    path.write_bytes(b"id;name;score\n1;Caf\xe9;2.5\n2;;007\n")
    return path


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    """Yield a CSV whose third line has too few fields."""
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b,c\n1,2,3\n4,5\n")
    return path


def test_cli_convert_writes_stdout(good_csv: Path) -> None:
    result = run_csvdrop("convert", str(good_csv))

    assert result.returncode == 0
    assert json.loads(result.stdout) == [
        {"id": "1", "name": "Café", "score": "2.5"},
        {"id": "2", "name": "", "score": "007"},
    ]
    assert result.stderr == b""


def test_cli_convert_writes_output_file(good_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"

    result = run_csvdrop("convert", str(good_csv), "-o", str(out))

    assert result.returncode == 0
    assert result.stdout == b""
    assert json.loads(out.read_bytes())[0]["name"] == "Café"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["good.csv", "out.json"]


def test_cli_convert_applies_options(good_csv: Path) -> None:
    result = run_csvdrop(
        "convert",
        str(good_csv),
        "--format",
        "ndjson",
        "--types",
        "infer",
        "--delimiter",
        ";",
        "--encoding",
        "cp1252",
    )

    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == [
        '{"id":1,"name":"Café","score":2.5}',
        '{"id":2,"name":null,"score":"007"}',
    ]


def test_cli_convert_summary_is_one_json_line(good_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"

    result = run_csvdrop("convert", str(good_csv), "-o", str(out), "--summary")

    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["rows"] == 2
    assert summary["columns"] == ["id", "name", "score"]
    assert (summary["encoding"], summary["delimiter"]) == ("cp1252", ";")
    assert summary["bytes_in"] == good_csv.stat().st_size
    assert summary["bytes_out"] == out.stat().st_size


def test_cli_convert_reads_stdin() -> None:
    result = run_csvdrop("convert", "-", stdin=b"a,b\n1,2\n")

    assert result.stdout == b'[{"a":"1","b":"2"}]'


def test_cli_convert_rejects_invalid_input_leaving_no_file(
    bad_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"

    result = run_csvdrop("convert", str(bad_csv), "-o", str(out))

    assert result.returncode != 0
    message = result.stderr.decode()
    assert message.count("\n") == 1
    assert "line 3" in message
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.csv"]


def test_cli_convert_keeps_existing_output_on_failure(
    bad_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    out.write_bytes(b"previous")

    result = run_csvdrop("convert", str(bad_csv), "-o", str(out))

    assert result.returncode != 0
    assert out.read_bytes() == b"previous"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--format", "xml"], id="format"),
        pytest.param(["--delimiter", "::"], id="delimiter"),
        pytest.param(["--encoding", "klingon"], id="encoding"),
    ],
)
def test_cli_convert_rejects_bad_option(good_csv: Path, args: list[str]) -> None:
    result = run_csvdrop("convert", str(good_csv), *args)

    assert result.returncode == 2
    assert result.stdout == b""


def test_cli_convert_reports_missing_file(tmp_path: Path) -> None:
    result = run_csvdrop("convert", str(tmp_path / "missing.csv"))

    assert result.returncode == 1
    assert b"missing.csv" in result.stderr


def test_cli_convert_stops_quietly_when_reader_goes_away(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 2_000_000)

    process = subprocess.Popen(
        [str(CSVDROP), "convert", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    start = process.stdout.read(10)
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    process.wait(timeout=60)

    assert start == b'[{"a":"1",'
    assert stderr == b""
    assert process.returncode == 141


def test_cli_registrars_load_only_the_command_asked_for() -> None:
    from csvdrop import cli

    assert cli.registrars(["convert"]) == [cli.register]
    assert cli.register in cli.registrars([])
    assert cli.register in cli.registrars(["--help"])


def test_cli_help_lists_every_command() -> None:
    result = run_csvdrop("--help")

    assert result.returncode == 0
    assert b"convert" in result.stdout
