"""commsplan against Remind on the same schedules: a synthetic plan of 10,000 activities.

    python bench/bench_remind.py [--size 10000] [--runs 5] [--goals]

bench/to_remind.py writes the plan's schedules as a Remind file; both then answer the same
questions, alternately, on this machine:
- the week: `commsplan due --week` at the start of the plan (Wednesday 1 April 2020, 00:00: the
  week of 30 March, whose days from the 1st are the plan's), with no log, against
  `remind -m -s+1` (Remind's calendar of that week; its reminders also start on the 1st);
- the year: `commsplan due --until` the period's end, as text and as `--all --json`, against
  `remind -m -s12` (Remind's calendar of twelve months);
and checks that both give the same count of occurrences on every day of the year. Peak memory
is the largest resident set of any commsplan run (getrusage of a child).
Targets (issue 14, goal 2): the week within 2x Remind, the year no slower than Remind, peak
memory under 100 MiB, counts agree. Needs `remind` (Debian package remind); without it the
script says so and measures nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import PYTHON, ROOT, compiled, goal, median_ms, peak_mib, time_command
from gen_plan import plan as synthetic_plan

MONDAY = "2020-03-30"  # the week the synthetic plan's period (2020-04-01 to 2021-03-31) starts in
YEAR_START, YEAR_END = "2020-04-01", "2021-03-31"


def commsplan(*args: str) -> list[str]:
    return [PYTHON, "-m", "commsplan", *args]


def remind_counts(rem: Path, start: str, *flags: str) -> collections.Counter[str]:
    out = subprocess.run(["remind", "-m", *flags, str(rem), start], capture_output=True, text=True, check=True)
    return collections.Counter(line.split()[0].replace("/", "-") for line in out.stdout.splitlines() if line)


def commsplan_counts(args: list[str], env: dict[str, str], start: str, end: str) -> collections.Counter[str]:
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    items = json.loads(out.stdout)["items"]
    return collections.Counter(i["due"] for i in items if i["status"] != "overdue" and start <= i["due"] <= end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--goals", action="store_true", help="print GOAL lines for bench/run_all.py")
    args = parser.parse_args()
    if shutil.which("remind") is None:
        print("remind is not installed (Debian: apt-get install remind): nothing to compare with")
        if args.goals:
            goal("2", "10,000 activities against Remind", "not measured", "remind installed", False)
        return
    compiled()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan, rem = folder / "plan.yaml", folder / "plan.rem"
        plan.write_text(synthetic_plan(args.size))
        to_remind = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "to_remind.py"), str(plan)], capture_output=True, text=True, check=True
        )
        rem.write_text(to_remind.stdout)
        env = {
            "COMMSPLAN_CACHE_DIR": str(folder / "cache"),
            "COMMSPLAN_LOG": str(folder / "log.jsonl"),
            "COMMSPLAN_PLAN": str(plan),
        }
        # check the plan once and fill the cache, as a daily user's is
        subprocess.run(commsplan("due"), env={**os.environ, **env}, capture_output=True, check=True)
        week = commsplan("due", "--week", "--now", f"{YEAR_START}T00:00")
        remind_week = ["remind", "-m", "-s+1", str(rem), MONDAY]
        until = commsplan("due", "--until", YEAR_END, "--now", f"{YEAR_START}T00:00")
        year_json = [*until, "--all", "--json"]
        remind_year = ["remind", "-m", "-s12", str(rem), YEAR_START]

        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            ours += time_command(week, 1, env)
            theirs += time_command(remind_week, 1)
        w_ours, w_theirs = median_ms(ours), median_ms(theirs)
        print(f"{args.size} activities, the week of {MONDAY}:")
        print(f"  commsplan due --week   median {w_ours:8.1f} ms ({args.runs} runs)")
        print(f"  remind -m -s+1         median {w_theirs:8.1f} ms")
        print(f"  ratio                  {w_ours / w_theirs:.2f}  (target <= 2.00)")

        year_runs = max(1, args.runs // 3)
        year_text: list[float] = []
        year_all: list[float] = []
        year_remind: list[float] = []
        for _ in range(year_runs):
            year_text += time_command(until, 1, env)
            year_all += time_command(year_json, 1, env)
            year_remind += time_command(remind_year, 1)
        t_text, t_all, t_remind = median_ms(year_text), median_ms(year_all), median_ms(year_remind)
        print(f"{args.size} activities, the year {YEAR_START} to {YEAR_END}:")
        print(f"  commsplan due --until            median {t_text:8.1f} ms ({year_runs} runs)")
        print(f"  commsplan due --until --all --json median {t_all:8.1f} ms")
        print(f"  remind -m -s12                   median {t_remind:8.1f} ms")

        peaks = {
            "due --week": peak_mib(week, env),
            "due --until": peak_mib(until, env),
            "due --until --all --json": peak_mib(year_json, env),
        }
        for name, peak in peaks.items():
            print(f"  peak memory, {name:26} {peak:6.1f} MiB")

        ours_count = commsplan_counts(year_json, {**dict(os.environ), **env}, YEAR_START, YEAR_END)
        theirs_count = remind_counts(rem, YEAR_START, "-s12")
        days = sorted(set(ours_count) | set(theirs_count))
        differ = [d for d in days if ours_count[d] != theirs_count[d]]
        total = sum(ours_count.values())
        print(f"  occurrences: commsplan {total}, remind {sum(theirs_count.values())}; days that differ: {len(differ)}")
        for day in differ[:5]:
            print(f"    {day}: commsplan {ours_count[day]}, remind {theirs_count[day]}")

        if args.goals:
            goal(
                "2a",
                f"due --week, {args.size} activities / remind",
                f"{w_ours / w_theirs:.2f}x",
                "<= 2.00x",
                w_ours <= 2 * w_theirs,
            )
            goal("2b", "due --until a year / remind -s12", f"{t_text / t_remind:.2f}x", "<= 1.00x", t_text <= t_remind)
            goal(
                "2c",
                "due --until a year --all --json / remind -s12",
                f"{t_all / t_remind:.2f}x",
                "<= 1.00x",
                t_all <= t_remind,
            )
            worst = max(peaks.values())
            goal("2d", f"peak memory, {args.size} activities", f"{worst:.0f} MiB", "< 100 MiB", worst < 100)
            goal(
                "2e",
                "occurrences per day agree with remind",
                f"{len(differ)} of {len(days)} days differ",
                "0",
                not differ,
            )


if __name__ == "__main__":
    main()
