"""Memory stays bounded whatever the input size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# What a conversion may add to the process once its modules are imported,
# and the peak allowed for the whole process; the input is several times
# larger than either.
GROWTH_LIMIT_MIB = 40
PEAK_LIMIT_MIB = 100
INPUT_MIB = 200

# ru_maxrss survives exec (it would report the parent's peak); VmHWM belongs
# to the child's own address space.
MEASURE = """
import sys
from csvdrop.conversion import ConversionOptions, convert

def status(field):
    with open("/proc/self/status") as lines:
        line = next(line for line in lines if line.startswith(field))
    return int(line.split()[1]) // 1024

imported = status("VmRSS:")
with open(sys.argv[1], "rb") as source, open(sys.argv[2], "wb") as out:
    conversion = convert(source, ConversionOptions(format=sys.argv[3]))
    for chunk in conversion:
        out.write(chunk)
print(imported, status("VmHWM:"), conversion.summary.rows)
"""


@pytest.fixture
def large_csv(tmp_path: Path) -> tuple[Path, int]:
    """Yield a generated CSV of INPUT_MIB MiB and its row count."""
    rows = "".join(
        f'{i},"Zürich, CH","say ""hi""\nthen leave",{i * 0.5},true,,00{i},東京😀\n'
        for i in range(1000)
    ).encode()
    path = tmp_path / "large.csv"
    repeats = (INPUT_MIB << 20) // len(rows) + 1
    with path.open("wb") as out:
        out.write(b"id,city,note,value,flag,empty,code,text\n")
        for _ in range(repeats):
            out.write(rows)
    return path, repeats * 1000


def test_convert_memory_stays_bounded(
    large_csv: tuple[Path, int], tmp_path: Path
) -> None:
    path, rows = large_csv

    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(tmp_path / "out"), "json"],
        capture_output=True,
        text=True,
        check=True,
    )

    imported_mib, peak_mib, converted_rows = map(int, result.stdout.split())
    assert converted_rows == rows
    assert peak_mib - imported_mib <= GROWTH_LIMIT_MIB
    assert peak_mib <= PEAK_LIMIT_MIB
