"""`commsplan due --week` on synthetic plans of growing size: medians and growth.

    python bench/bench_due.py [--runs 7] [--sizes 1000,10000]

Each plan is checked once first (filling the plan cache, as a daily user's cache is), then
timed. Target: 10,000 activities under 1 s median; cost growing linearly with activities.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import PYTHON, median_ms, time_command
from gen_plan import plan

# Two moments: a week into the plan (a team that keeps its log, little overdue), and seven
# months in with an empty log: 246,000 overdue occurrences at 10,000 activities, the worst case.
NOWS = {"week 1": "2020-04-08T09:00", "month 7, empty log": "2020-10-28T09:00"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"COMMSPLAN_CACHE_DIR": str(Path(tmp) / "cache"), "COMMSPLAN_LOG": str(Path(tmp) / "log.jsonl")}
        paths = {}
        for size in sizes:
            paths[size] = Path(tmp) / f"plan-{size}.yaml"
            paths[size].write_text(plan(size))
            check = [PYTHON, "-m", "commsplan", "validate", "--plan", str(paths[size])]
            cold = median_ms(time_command(check, 1, {"COMMSPLAN_CACHE_DIR": ""}))
            print(f"{size:>6} activities: first check of the plan (uncached) {cold:8.1f} ms")
        for label, now in NOWS.items():
            for output in ([], ["--json"]):
                results = {}
                name = "due --week" + (" --json" if output else "")
                for size in sizes:
                    cmd = [PYTHON, "-m", "commsplan", "due", "--week", "--now", now, "--plan", str(paths[size])]
                    results[size] = median_ms(time_command([*cmd, *output], args.runs, env))
                    print(f"{size:>6} activities, {label}: {name} median {results[size]:8.1f} ms ({args.runs} runs)")
                if len(sizes) > 1:
                    small, large = sizes[0], sizes[-1]
                    growth = results[large] / results[small]
                    print(f"{'':>6} growth: {large / small:.0f}x activities -> {growth:.1f}x time")


if __name__ == "__main__":
    main()
