"""Measure csvdrop against the tools people use, side by side, in one run.

Generates the seeded inputs under bench/data/ (kept between runs), runs every
tool on every shape several times, and writes the medians of throughput and
peak resident memory to docs/benchmarks.md. ``make bench`` runs it after
installing the comparison tools (bench/setup.sh); tools that are missing are
listed as such rather than failing the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generate import MIB, generate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
TOOLS_PYTHON = ROOT / ".tools" / "bench" / "bin" / "python"
CSVDROP = Path(sys.executable).with_name("csvdrop")
GNU_TIME = Path("/usr/bin/time")

# Every tool but csvkit, which takes minutes per run at full size.
FULL_SIZE_TOOLS = {
    "cat",
    "csvdrop json",
    "csvdrop ndjson",
    "csvdrop json infer",
    "csvdrop ndjson infer",
    "python csv + json",
    "python csv + orjson",
    "pandas read_csv -> to_json",
    "polars read_csv -> write_json",
    "polars scan -> sink_ndjson",
    "duckdb COPY TO JSON, all_varchar",
    "duckdb COPY TO JSON, inferred",
    "miller",
}
# Tools this slow get fewer runs: their medians are not what is compared.
SLOW_TOOLS = {
    "python csv + json",
    "python csv + orjson",
    "pandas read_csv -> to_json",
    "miller",
    "csvkit csvjson",
}
SLOW_RUNS = 3

# shape, size in MiB, and which tools run on it (None: all of them)
FULL_SHAPES: list[tuple[str, str, float, set[str] | None]] = [
    ("mixed", "mixed", 200, FULL_SIZE_TOOLS),
    ("narrow", "narrow", 200, FULL_SIZE_TOOLS),
    ("wide", "wide", 100, FULL_SIZE_TOOLS),
    (
        "mixed-1gib",
        "mixed",
        1024,
        {"cat", "csvdrop json", "csvdrop ndjson", "polars scan -> sink_ndjson"},
    ),
    (
        "mixed-small",
        "mixed",
        10,
        {"cat", "csvdrop json", "csvkit csvjson", "polars scan -> sink_ndjson"},
    ),
]
SMOKE_SHAPES: list[tuple[str, str, float, set[str] | None]] = [
    ("mixed", "mixed", 0.2, None),
    ("wide", "wide", 0.2, None),
]


@dataclass
class Tool:
    """One way of turning a CSV file into JSON."""

    name: str
    command: list[str]
    # Tools that need the bench venv or a Debian package may be missing.
    needs: Path | None = None
    stdout: bool = False

    def available(self) -> bool:
        """Say whether this tool is installed."""
        return self.needs is None or self.needs.exists()


def tools() -> list[Tool]:
    """Return every tool, csvdrop first; IN and OUT stand for the files."""
    bench = str(ROOT / "bench" / "tools.py")
    python = str(TOOLS_PYTHON)

    def script(name: str, tool: str) -> Tool:
        return Tool(name, [python, bench, tool, "IN", "OUT"], needs=TOOLS_PYTHON)

    csvdrop = [str(CSVDROP), "convert", "IN", "-o", "OUT"]
    mlr = shutil.which("mlr")
    return [
        Tool("cat", ["cat", "IN"], stdout=True),
        Tool("csvdrop json", csvdrop),
        Tool("csvdrop ndjson", [*csvdrop, "--format", "ndjson"]),
        Tool("csvdrop json infer", [*csvdrop, "--types", "infer"]),
        Tool(
            "csvdrop ndjson infer", [*csvdrop, "--format", "ndjson", "--types", "infer"]
        ),
        Tool(
            "python csv + json",
            [sys.executable, bench, "python-csv-json", "IN", "OUT"],
        ),
        script("python csv + orjson", "python-csv-orjson"),
        script("pandas read_csv -> to_json", "pandas"),
        script("polars read_csv -> write_json", "polars-read"),
        script("polars scan -> sink_ndjson", "polars-scan"),
        script("duckdb COPY TO JSON, all_varchar", "duckdb-varchar"),
        script("duckdb COPY TO JSON, inferred", "duckdb-inferred"),
        Tool(
            "miller",
            [mlr or "mlr", "--icsv", "--ojson", "cat", "IN"],
            needs=Path(mlr) if mlr else Path("/nonexistent/mlr"),
            stdout=True,
        ),
        Tool(
            "csvkit csvjson",
            [str(TOOLS_PYTHON.with_name("csvjson")), "--no-inference", "-d", ",", "IN"],
            needs=TOOLS_PYTHON.with_name("csvjson"),
            stdout=True,
        ),
    ]


@dataclass
class Result:
    """The runs of one tool on one input."""

    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    failed: str = ""


def measure(tool: Tool, source: Path, target: Path) -> tuple[float, int, float]:
    """Run ``tool`` once; return wall seconds, peak RSS in KiB, CPU seconds."""
    command = [
        str(source) if a == "IN" else str(target) if a == "OUT" else a
        for a in tool.command
    ]
    report = target.with_suffix(".time")
    wrapper = [str(GNU_TIME), "-v", "-o", str(report)] if GNU_TIME.exists() else []
    with open(target if tool.stdout else os.devnull, "wb") as out:
        started = time.perf_counter()
        # Fixed commands built above from this file, never from input.
        process = subprocess.Popen([*wrapper, *command], stdout=out)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{tool.name} exited with {process.returncode}")
    peak = usage.ru_maxrss
    if wrapper:
        text = report.read_text()
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)[1])
        report.unlink()
    target.unlink(missing_ok=True)
    # Flush what this run wrote, so the next tool does not pay for it.
    os.sync()
    return seconds, peak, usage.ru_utime + usage.ru_stime


def machine() -> str:
    """Describe the machine the figures were measured on."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found[1] if found else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = re.search(r"MemTotal:\s*(\d+)", meminfo.read_text())
        memory = f", {int(total[1]) // 1024 // 1024} GiB RAM" if total else ""
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} cores{memory}"


def versions() -> str:
    """Name the version of every tool measured."""
    names = ["polars", "duckdb", "pandas", "pyarrow", "orjson", "csvkit"]
    lines = [f"Python {platform.python_version()}"]
    if TOOLS_PYTHON.exists():
        probe = (
            "import importlib.metadata as m\n"
            f"for n in {names!r}:\n"
            "    try: print(n, m.version(n))\n"
            "    except m.PackageNotFoundError: print(n, 'not installed')\n"
        )
        listed = subprocess.run(  # noqa: S603 - fixed probe of the bench venv
            [str(TOOLS_PYTHON), "-c", probe], capture_output=True, text=True, check=True
        )
        lines += listed.stdout.split("\n")
    mlr = shutil.which("mlr")
    if mlr:
        found = subprocess.run(  # noqa: S603 - fixed version probe
            [mlr, "--version"], capture_output=True, text=True, check=False
        )
        lines.append(found.stdout.strip())
    return ", ".join(line for line in lines if line)


def table(
    name: str, size: int, results: dict[str, Result], reference: str
) -> list[str]:
    """Return the markdown table of one input's results."""
    lines = [
        f"### {name} ({size / 1e6:.1f} MB)",
        "",
        "| tool | MB/s | peak RSS MiB | CPU s | vs polars scan | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    speeds: dict[str, float] = {}
    for tool, result in results.items():
        if result.seconds:
            speeds[tool] = size / 1e6 / statistics.median(result.seconds)
    for tool, result in results.items():
        if result.failed:
            lines.append(f"| {tool} | {result.failed} | | | | |")
            continue
        ratio = (
            f"{speeds[tool] / speeds[reference]:.2f}x" if reference in speeds else ""
        )
        lines.append(
            f"| {tool} | {speeds[tool]:.0f} | "
            f"{statistics.median(result.peak_kib) / 1024:.0f} | "
            f"{statistics.median(result.cpu_seconds):.1f} | {ratio} | "
            f"{len(result.seconds)} |"
        )
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, one run")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--only", help="run only the tools whose name has this text")
    parser.add_argument(
        "--no-service",
        action="store_true",
        help="skip the uploads through gunicorn into a local SeaweedFS",
    )
    parser.add_argument(
        "--service-only", action="store_true", help="run only the service part"
    )
    parser.add_argument(
        "--notes-only",
        action="store_true",
        help="measure nothing: carry bench/notes.md into the existing report",
    )
    args = parser.parse_args(argv)
    notes = ROOT / "bench" / "notes.md"
    if args.notes_only:
        old = args.output.read_text()
        start = old.find("\n" + notes.read_text().split("\n", 1)[0] + "\n")
        if start < 0:
            parser.error(f"{args.output} has no notes to replace")
        args.output.write_text(old[: start + 1] + notes.read_text())
        return 0
    shapes = SMOKE_SHAPES if args.smoke else FULL_SHAPES
    runs = 1 if args.smoke else args.runs

    load_start = os.getloadavg()[0]
    sections: list[str] = []
    if args.service_only:
        shapes = []
    for name, shape, size_mib, selected in shapes:
        source = args.data / f"{name}.csv"
        if not source.exists() or source.stat().st_size < size_mib * MIB:
            generate(shape, size_mib, source)
        size = source.stat().st_size
        chosen = [
            tool
            for tool in tools()
            if (selected is None or tool.name in selected)
            and (not args.only or args.only in tool.name)
        ]
        results = {tool.name: Result() for tool in chosen}
        for tool in chosen:
            if not tool.available():
                results[tool.name].failed = "not installed"
        # Round robin rather than one tool's runs back to back: the machine is
        # shared, and load that comes and goes then hits every tool alike.
        for round_number in range(runs):
            for tool in chosen:
                result = results[tool.name]
                slow = tool.name in SLOW_TOOLS and round_number >= SLOW_RUNS
                if result.failed or slow:
                    continue
                try:
                    seconds, peak, cpu = measure(tool, source, args.data / "out.json")
                except RuntimeError as error:
                    result.failed = str(error)
                    continue
                result.seconds.append(seconds)
                result.peak_kib.append(peak)
                result.cpu_seconds.append(cpu)
                print(name, round_number, tool.name, f"{seconds:.2f}", flush=True)
        sections += table(name, size, results, "polars scan -> sink_ndjson")

    if args.service_only or not args.no_service:
        from service import measure as measure_service

        if args.smoke:
            # Large enough for a multipart upload checked while it arrives.
            large = generate("mixed", 12, args.data / "mixed-12mb.csv")
            small = generate("mixed", 1, args.data / "mixed-1mb.csv")
            sections += measure_service(large, small, concurrent=2, runs=1)
        else:
            large = args.data / "mixed.csv"
            if not large.exists():
                generate("mixed", 200, large)
            small = generate("mixed", 20, args.data / "mixed-20mb.csv")
            sections += measure_service(large, small, concurrent=8, runs=5)

    given = sys.argv[1:] if argv is None else argv
    command = "python bench/run.py " + " ".join(given) if given else "make bench"
    report = [
        "# Benchmarks",
        "",
        "Written by `bench/run.py`; do not edit by hand. Regenerate with:",
        "",
        f"```sh\n{command}\n```",
        "",
        f"- Measured: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Machine: {machine()}",
        f"- Versions: {versions()}",
        f"- Runs per tool: {runs} ({min(runs, SLOW_RUNS)} for the slowest), "
        "taken round robin. Every figure is a median: MB/s is the input size "
        "over the wall time, peak RSS is /usr/bin/time's maximum resident set "
        "size, CPU s is user plus system time (all threads), which load from "
        "other processes disturbs less than wall time.",
        f"- Load average (1 min) at start and end: {load_start:.1f}, "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        *sections,
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.service_only and args.output.exists():
        # Refresh the service section of an existing report, keep the rest.
        old = args.output.read_text()
        start = old.find("### Through the service")
        if start >= 0:
            end = old.find("\n## ", start)
            end = len(old) if end < 0 else end + 1
            fresh = "\n".join(sections) + "\n"
            args.output.write_text(old[:start] + fresh + old[end:])
            return 0
    # What the figures mean, the profile and the remaining gaps are written
    # by hand in bench/notes.md and carried into every report.
    if notes.exists() and not args.smoke:
        report += [notes.read_text()]
    args.output.write_text("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
