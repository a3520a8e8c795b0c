"""Reading plans: the bundled plan checked afresh (no cache), and hostile input refused.

These were wall-clock asserts in the tests; timings belong here, as medians, not in a test
that a busy machine can fail. Run: python bench/bench_plan.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from commsplan.errors import PlanError
from commsplan.plan.load import load_plan, parse_plan

PLAN = Path(__file__).resolve().parent.parent / "plans" / "east_area_2020.yaml"


def alias_bomb() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    return "\n".join(lines).encode()


def median_ms(work: Callable[[], object], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def refuse(raw: bytes) -> None:
    try:
        parse_plan(raw, Path("bomb.yaml"))
    except PlanError:
        return
    raise AssertionError("the alias bomb was accepted")


def main() -> None:
    load_plan(PLAN)  # warm: imports and pydantic's validators
    print(f"bundled plan, checked without the cache: {median_ms(lambda: load_plan(PLAN)):8.1f} ms median")
    print(f"alias bomb (9^9 nodes) refused:          {median_ms(lambda: refuse(alias_bomb())):8.1f} ms median")


if __name__ == "__main__":
    main()
