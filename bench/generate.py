"""Generate the benchmark inputs: seeded, so every run measures the same bytes.

Each shape is a block of distinct random rows repeated up to the target size:
the mixed shape (12 columns of ids, decimals, quoted text with commas, quotes
and line breaks, dates, booleans, empties, leading-zero codes and accented,
CJK and emoji text), the narrow shape (3 short columns) and the wide shape
(200 numeric columns).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

MIB = 1 << 20
BLOCK_ROWS = 20_000

CITIES = ["Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Oslo", "Lima"]
WORDS = ["alpha", "beta", "gamma", "delta", "naïve", "café", "東京", "Ελλάδα", "😀"]
CATEGORIES = ["retail", "wholesale", "online", "partner", ""]

MIXED_HEADER = (
    "id,account_code,amount,ratio,date,updated_at,active,note,city,label,empty,category"
)


def quoted(text: str) -> str:
    """Return ``text`` as a quoted CSV field."""
    return '"' + text.replace('"', '""') + '"'


def mixed_row(rng: random.Random, index: int) -> str:
    """Return one row of the mixed shape."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 9)))
    note = rng.choice(
        [
            words,
            f"{words}, then {rng.choice(WORDS)}",
            f'she said "{words}"',
            f"{words}\nsecond line, {rng.randrange(100)}",
        ]
    )
    return ",".join(
        [
            str(index),
            f"{rng.randrange(100_000):07d}",
            f"{rng.uniform(-10_000, 10_000):.2f}",
            repr(rng.random()),
            f"20{rng.randrange(10, 26)}-{rng.randrange(1, 13):02d}-"
            f"{rng.randrange(1, 29):02d}",
            f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
            rng.choice(["true", "false"]),
            quoted(note)
            if rng.random() < 0.8 or "\n" in note or "," in note or '"' in note
            else note,
            rng.choice(CITIES),
            " ".join(rng.choice(WORDS) for _ in range(2)),
            "" if rng.random() < 0.9 else "x",
            rng.choice(CATEGORIES),
        ]
    )


def narrow_row(rng: random.Random, index: int) -> str:
    """Return one row of the narrow shape."""
    return f"{index},{rng.choice('ABCDEFGH')}{rng.randrange(100)},{rng.randrange(2)}"


def wide_row(rng: random.Random, index: int) -> str:
    """Return one row of the wide shape."""
    return ",".join(
        str(rng.randrange(100_000)) if column % 2 else f"{rng.uniform(0, 1000):.3f}"
        for column in range(200)
    )


SHAPES: dict[str, tuple[str, Callable[[random.Random, int], str]]] = {
    "mixed": (MIXED_HEADER, mixed_row),
    "narrow": ("id,code,flag", narrow_row),
    "wide": (",".join(f"c{column}" for column in range(200)), wide_row),
}


def generate(shape: str, size_mib: float, path: Path, seed: int = 4) -> Path:
    """Write ``size_mib`` MiB (or a little more) of ``shape`` rows to ``path``."""
    header, make_row = SHAPES[shape]
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    rows = min(BLOCK_ROWS, max(10, int(size_mib * 2000)))
    block = ("\n".join(make_row(rng, index) for index in range(rows)) + "\n").encode()
    target = int(size_mib * MIB)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(header.encode() + b"\n")
        written = 0
        while written < target:
            out.write(block)
            written += len(block)
    return path


def main() -> None:
    """Generate one input file from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shape", choices=sorted(SHAPES))
    parser.add_argument("size_mib", type=float)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    generate(args.shape, args.size_mib, args.path, args.seed)


if __name__ == "__main__":
    main()
