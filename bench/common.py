"""Shared helpers for the benchmarks: run a command N times and report medians, peak memory,
and the goal lines `bench/run_all.py` collects.

Every benchmark that takes ``--goals`` prints, for each goal of issue 14 it measures, one line

    GOAL <id> | <what> | <measured> | <target> | PASS

(or FAIL), from the same run as its other output; only ratios within one run mean anything on
a shared machine. A growth table (goal 6: cost against plan size, log size) is printed as lines
``GROWTH <cell> | <cell> | ...``, its first line the header; run_all.py prints them after the
goals.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent

# The libraries a command is built on, imported as commands use them (issue 14's import floor).
IMPORT_FLOOR = [PYTHON, "-c", "import typer, yaml, rich.console, dateutil.rrule; from pydantic import BaseModel"]


def compiled() -> None:
    """Byte-compile commsplan first, as an installed wheel is: an editable checkout under
    PYTHONDONTWRITEBYTECODE would otherwise compile every module on every run, which no user
    pays and the libraries (compiled when pip installed them) do not pay either."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "commsplan")], check=True)


def time_command(args: Sequence[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall-clock seconds of each run (after one warm-up run that fills the OS file cache)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    subprocess.run(args, capture_output=True, env=full_env, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=True)
        times.append(time.perf_counter() - start)
    return times


def peak_mib(args: Sequence[str], env: dict[str, str] | None = None) -> float:
    """The largest resident set size (MiB) of one run of ``args``: measured in a fresh process
    of its own, whose only child is the command (getrusage of children is a maximum over all
    of them)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PYTHON, "-c", probe, *args], capture_output=True, text=True, env=full_env, check=True)
    return int(out.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def median_ms(times: Sequence[float]) -> float:
    return statistics.median(times) * 1000


def goal(goal_id: str, what: str, measured: str, target: str, ok: bool) -> None:
    """One goal's line, as run_all.py collects it."""
    print(f"GOAL {goal_id} | {what} | {measured} | {target} | {'PASS' if ok else 'FAIL'}", flush=True)


def growth(*cells: str) -> None:
    """One row of a growth table (the first row a benchmark prints is its header)."""
    print("GROWTH " + " | ".join(cells), flush=True)
