"""`commsplan due --week` on synthetic plans of growing size: medians, memory and growth.

    python bench/bench_due.py [--runs 5] [--sizes 100,1000,10000,50000] [--goals] [--quick]

Each plan is checked once first (filling the plan cache, as a daily user's cache is), then
timed with an empty log at three moments: the plan's first day (nothing overdue yet: what is
listed is the week), a week in, and seven months in (246,000 overdue occurrences at 10,000
activities, the worst case). Goal 6 (plan-size half): the time grows linearly
with the number of activities: the growth exponent between the two largest sizes,
log(t2/t1) / log(n2/n1), at most 1.1 (1 is linear; fixed start-up costs make it less).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, compiled, goal, growth, median_ms, peak_mib, time_command
from gen_plan import plan

# Two moments with an empty log: a week into the plan (little overdue), and seven months in.
NOWS = {"week 1, empty log": ("2020-04-08T09:00", "empty"), "month 7, empty log": ("2020-10-28T09:00", "empty")}
TRACKED = {"first day, empty log": ("2020-04-01T00:00", "empty")}
EXPONENT = 1.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default=None, help="default 100,1000,10000,50000 (--quick: up to 10000)")
    parser.add_argument("--goals", action="store_true", help="print GOAL lines (and time only the first day)")
    parser.add_argument("--quick", action="store_true", help="3 runs, sizes up to 10,000")
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or ("100,1000,10000" if args.quick else "100,1000,10000,50000")).split(",")]
    runs = 3 if args.quick else args.runs
    compiled()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        logs = {"empty": str(folder / "empty.jsonl")}
        env = {"COMMSPLAN_CACHE_DIR": str(folder / "cache")}
        paths = {}
        for size in sizes:
            paths[size] = folder / f"plan-{size}.yaml"
            paths[size].write_text(plan(size))
            check = [PYTHON, "-m", "commsplan", "validate", "--plan", str(paths[size])]
            started = time.perf_counter()
            refused = subprocess.run(
                check, capture_output=True, text=True, env={**os.environ, "COMMSPLAN_CACHE_DIR": ""}
            )
            cold = (time.perf_counter() - started) * 1000
            if refused.returncode:  # the plan reader's size limit (plan.yamlread) refuses it
                print(f"{size:>6} activities: refused: {refused.stderr.strip().splitlines()[-1]}", flush=True)
                del paths[size]
                continue
            print(f"{size:>6} activities: first check of the plan (uncached) {cold:8.1f} ms", flush=True)
        sizes = list(paths)
        cases = TRACKED if args.goals else {**NOWS, **TRACKED}
        rows = []
        for label, (now, log) in cases.items():
            for output in ([], ["--json"]):
                name = "due --week" + (" --json" if output else "")
                results = {}
                for size in sizes:
                    run_env = {**env, "COMMSPLAN_LOG": logs[log]}
                    cmd = [
                        PYTHON,
                        "-m",
                        "commsplan",
                        "due",
                        "--week",
                        "--now",
                        now,
                        "--plan",
                        str(paths[size]),
                        *output,
                    ]
                    results[size] = median_ms(time_command(cmd, runs, run_env))
                    peak = peak_mib(cmd, run_env)
                    rows.append((label, name, size, results[size], peak))
                    print(
                        f"{size:>6} activities, {label}: {name} median {results[size]:8.1f} ms ({runs} runs), "
                        f"{1000 * results[size] / size:7.1f} us per activity, peak {peak:6.1f} MiB",
                        flush=True,
                    )
                if len(sizes) > 1:
                    small, large = sizes[-2], sizes[-1]
                    exponent = math.log(results[large] / results[small]) / math.log(large / small)
                    print(
                        f"{'':>6} growth {small} -> {large}: {large / small:.0f}x activities -> "
                        f"{results[large] / results[small]:.1f}x time (exponent {exponent:.2f})"
                    )
                    if args.goals and label in TRACKED:
                        goal(
                            f"6-plan{'-json' if output else ''}",
                            f"{name} growth {small:,} -> {large:,} activities",
                            f"exponent {exponent:.2f}",
                            f"<= {EXPONENT}",
                            exponent <= EXPONENT,
                        )
        print()
        growth("activities", "case", "command", "median ms", "us per activity", "peak MiB")
        for label, name, size, ms, peak in rows:
            growth(f"{size:,}", label, name, f"{ms:.0f}", f"{1000 * ms / size:.1f}", f"{peak:.0f}")


if __name__ == "__main__":
    main()
