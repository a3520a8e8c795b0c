"""Shared helpers for the benchmarks: run a command N times and report medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

PYTHON = sys.executable


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


def median_ms(times: Sequence[float]) -> float:
    return statistics.median(times) * 1000
