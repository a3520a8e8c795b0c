"""Run every benchmark that reports goals, and print one table of all of them from this run.

    python bench/run_all.py [--quick]

Each `bench/bench_*.py` whose source takes `--goals` is run with it (and `--quick` passed on to
those that take it), its output shown as it comes; the lines it prints as

    GOAL <id> | <what> | <measured> | <target> | PASS|FAIL

are gathered into the table at the end, followed by each growth table (lines ``GROWTH a | b``,
the first one its header). Exit status 1 when a goal fails or a benchmark breaks.
A new benchmark joins by taking `--goals` and printing such lines (see bench/common.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[Path]:
    return sorted(p for p in HERE.glob("bench_*.py") if "--goals" in p.read_text(encoding="utf-8"))


def run(script: Path, quick: bool) -> tuple[list[list[str]], list[list[str]], bool]:
    args = [sys.executable, str(script), "--goals"]
    if quick and "--quick" in script.read_text(encoding="utf-8"):
        args.append("--quick")
    print(f"== {script.name}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=HERE, stdout=subprocess.PIPE, text=True)
    goals = []
    growth = []
    assert process.stdout is not None
    for line in process.stdout:
        print(f"   {line}", end="", flush=True)
        if line.startswith("GOAL "):
            goals.append([part.strip() for part in line.removeprefix("GOAL ").split("|")])
        elif line.startswith("GROWTH "):
            growth.append([part.strip() for part in line.removeprefix("GROWTH ").split("|")])
    ok = process.wait() == 0
    print(f"   ({script.name}: {time.perf_counter() - started:.0f} s{'' if ok else ', FAILED TO RUN'})", flush=True)
    return goals, growth, ok


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes, where a benchmark offers it")
    args = parser.parse_args()
    rows: list[list[str]] = []
    growths: list[tuple[str, list[list[str]]]] = []
    broken = []
    for script in benchmarks():
        goals, growth, ok = run(script, args.quick)
        rows += [g for g in goals if len(g) == 5]
        if growth:
            growths.append((script.name, growth))
        if not ok:
            broken.append(script.name)
    print()
    print(table(["goal", "what", "measured", "target", "result"], rows) if rows else "no goals reported")
    for name, growth in growths:
        print(f"\nGrowth ({name}):")
        print(table(growth[0], [r for r in growth[1:] if len(r) == len(growth[0])]))
    for name in broken:
        print(f"{name} did not finish: its goals above are incomplete")
    failed = [r[0] for r in rows if r[4] != "PASS"]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} goals pass" + (f"; failing: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed or broken else 0)


if __name__ == "__main__":
    main()
