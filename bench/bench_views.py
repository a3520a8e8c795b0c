"""`who`, `list`, `report` and `due --json` at 10,000 activities, and what an overdue run costs.

    python bench/bench_views.py [--runs 5] [--size 10000] [--goals]

Goal 5: `who`, `list` and `report` at 10,000 activities under 1 s each: the whole command's CPU
time (user + system; on a quiet machine its wall clock), median of --runs, the plan cache filled
first as a daily user's is. The wall clock is printed beside it: on a shared machine it counts
other jobs' time too.
Goal 3: overdue is counted, not listed: counting a daily duty's missed run (with a few
occurrences done in the middle of it) costs O(log n), measured in-process at growing runs up
to 3,600 missed days; the listing it replaces grows linearly. PASS when the longest run costs
under 2x the shortest while the run grew more than 100x.

--goals prints one line per goal: GOAL <id> | <what> | <measured> | <target> | PASS (or FAIL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from common import PYTHON, time_command
from gen_plan import HEAD, plan

from commsplan.log.state import Completion, CompletionMap
from commsplan.plan.data import Activity
from commsplan.plan.load import parse_plan
from commsplan.rules.overdue import OverdueCounter
from commsplan.rules.schedule import Schedule

NOW = "2020-10-28T09:00"  # seven months into the synthetic plan, an empty log: every daily duty overdue
VIEWS = {
    "who": ["who"],
    "list": ["list"],
    "report": ["report"],
    "due --json": ["due", "--json"],
}
GOAL_VIEWS = ("who", "list", "report")
BARE = [
    PYTHON,
    "-c",
    "import typer, yaml, rich.console, dateutil.rrule; from pydantic import BaseModel, Field, field_validator",
]
TARGET_MS = 1000.0
RUNS_DAYS = (30, 300, 2433, 3600)  # missed daily occurrences
LONDON = ZoneInfo("Europe/London")


def cpu_ms(args: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall-clock and CPU (user + system) ms of a command. On a shared machine the wall
    clock counts other jobs' time too; the CPU time is the command's own."""
    full_env = {**os.environ, "NO_COLOR": "1", **env}
    subprocess.run(args, capture_output=True, env=full_env, check=True)  # a warm-up: caches filled
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def views(size: int, runs: int) -> dict[str, float]:
    """Median CPU ms of each view at ``size`` activities (the wall clock printed beside it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"plan-{size}.yaml"
        path.write_text(plan(size))
        env = {"COMMSPLAN_CACHE_DIR": str(Path(tmp) / "cache"), "COMMSPLAN_LOG": str(Path(tmp) / "log.jsonl")}
        time_command([PYTHON, "-m", "commsplan", "list", "--plan", str(path)], 1, env)  # fills the plan cache
        found = {}
        floor_wall, floor_cpu = cpu_ms(BARE, runs, env)
        print(
            f"{'':>6} bare import of typer, yaml, rich, dateutil, pydantic: {floor_cpu:8.1f} ms CPU ({floor_wall:.1f} wall)"
        )
        for name, args in VIEWS.items():
            cmd = [PYTHON, "-m", "commsplan", *args, "--plan", str(path)]
            if name != "who" and name != "list":
                cmd += ["--now", NOW]
            wall, found[name] = cpu_ms(cmd, runs, env)
            print(
                f"{size:>6} activities: {name:<12} median {found[name]:8.1f} ms CPU ({wall:.1f} wall;"
                f" {found[name] / floor_cpu:.1f}x the bare import) over {runs} runs"
            )
    return found


def _ten_years() -> tuple[Schedule, CompletionMap, dict[str, Activity]]:
    text = HEAD.replace(
        'period: {start: 2020-04-01, end: 2021-03-31, as_written: "2020-2021"}',
        'period: {start: 2011-04-01, end: 2021-03-31, as_written: "2011-2021"}',
    )
    assert text != HEAD
    loaded = parse_plan(plan(3).replace(HEAD, text).encode(), Path("ten-years.yaml")).plan
    schedule = Schedule(loaded)
    # done on a few days in the middle of every run: counting must take them off
    done = Completion("done", dt.datetime(2015, 1, 1, tzinfo=dt.UTC), "bench", "r-1")
    closed = [dt.date(2011, 4, 1) + dt.timedelta(days=d) for d in (10, 11, 200, 1500, 3000)]
    state = CompletionMap({("a00000", day.isoformat()): done for day in closed})
    return schedule, state, {"daily": loaded.activity("a00000"), "weekly": loaded.activity("a00001")}


def _median_us(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def overdue_costs(repeat: int) -> list[tuple[int, float, float]]:
    """(missed days, µs to count, µs to list) for a daily duty at growing runs."""
    schedule, state, activities = _ten_years()
    daily = activities["daily"]
    start = schedule.plan.meta.period.start
    rows = []
    for days in RUNS_DAYS:
        now = dt.datetime.combine(start + dt.timedelta(days=days), dt.time(9), LONDON)
        counter = OverdueCounter(schedule, state, now)
        counted = _median_us(partial(counter.missed, daily, start), repeat)
        listed = _median_us(partial(counter.listed, daily, start), max(3, repeat // 10))
        (missed,) = OverdueCounter(schedule, state, now).missed(daily, start)
        print(
            f"overdue run of {days:>5} days ({missed.count:>5} missed): counted {counted:8.1f} µs,"
            f" listed {listed:10.1f} µs"
        )
        rows.append((days, counted, listed))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--goals", action="store_true", help="print GOAL lines for goals 3 and 5")
    args = parser.parse_args()
    costs = overdue_costs(repeat=200)
    found = views(args.size, args.runs)
    if not args.goals:
        return
    shortest, longest = costs[0], costs[-1]
    growth = longest[1] / shortest[1]
    listed_growth = longest[2] / shortest[2]
    ok = growth < 2.0 and longest[0] / shortest[0] > 100
    print(
        f"GOAL 3 | overdue counted, not listed: a daily duty's run of {shortest[0]:,} vs {longest[0]:,} missed days"
        f" | {shortest[1]:.0f} -> {longest[1]:.0f} µs counted ({growth:.2f}x; listed {listed_growth:.0f}x)"
        f" | under 2x for a {longest[0] // shortest[0]}x longer run (O(log n)) | {'PASS' if ok else 'FAIL'}"
    )
    worst = max(found[name] for name in GOAL_VIEWS)
    measured = ", ".join(f"{name} {found[name]:.0f} ms" for name in GOAL_VIEWS)
    print(
        f"GOAL 5 | who, list, report at {args.size:,} activities (CPU time) | {measured}"
        f" | under {TARGET_MS:.0f} ms each | {'PASS' if worst < TARGET_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
