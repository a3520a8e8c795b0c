"""`commsplan due --week` on the bundled plan with completion logs of growing size, against no log.

    python bench/bench_log.py [--runs 11] [--sizes 10000,100000,1000000] [--goals] [--before DIR]

For each size: the first command on a log without an index (it builds the index: its wall time
and the peak memory of the process, max RSS), then paired runs of `due --week` with the log
(indexed, unchanged) and with no log at all, alternating so that both meet the same load. The
cost of the log is the median of the paired differences. Logs are generated once and cached
under bench/out/ (git-ignored).

Goal 4 of issue 14: with 1,000,000 records, `due --week` at most 100 ms above the same command
with no log; the first build under 5 s and 200 MiB. Goal 6 (its log half): the time grows
sub-linearly in the size of the log. ``--goals`` prints one line per goal,
``GOAL <id> | <what> | <measured> | <target> | PASS`` (or FAIL), for bench/run_all.py.
``--before DIR`` runs the same measurements first with the commsplan package found in DIR (a
copy of the code before a change, e.g. ``git archive main commsplan | tar -x -C DIR``), so a
change is judged by before and after from one run on the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gen_log import cached_log

PYTHON = sys.executable
NOW = "2020-10-28T09:00"
COMMAND = ["-m", "commsplan", "due", "--week", "--now", NOW]
MiB = 1 << 20


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    max_rss: int  # bytes


@dataclass
class Size:
    records: int
    megabytes: float
    build: Run
    decode: float  # seconds to decode every line, and nothing else
    with_log: list[Run] = field(default_factory=list)
    no_log: list[Run] = field(default_factory=list)

    def median(self, runs: list[Run], what: str = "wall") -> float:
        return float(statistics.median(getattr(r, what) for r in runs)) * 1000

    def overhead(self, what: str = "wall") -> float:
        """Median of the paired differences (with log - without), in ms."""
        pairs = zip(self.with_log, self.no_log, strict=True)
        return float(statistics.median(getattr(a, what) - getattr(b, what) for a, b in pairs)) * 1000


def run(env: dict[str, str]) -> Run:
    """One command in a child process, timed; its own peak memory from wait4 (not the maximum
    over every child so far, as RUSAGE_CHILDREN would give)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        child = subprocess.Popen([PYTHON, *COMMAND], stdout=null, stderr=subprocess.PIPE, env=env)
        assert child.stderr is not None
        errors = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(COMMAND)} failed ({child.returncode}): {errors.decode(errors='replace')}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


# What any first build must do at least: read every line of the log and decode it with the
# one decoder of log lines (log.records), a slice at a time, as the index does; nothing stored.
DECODE_ONLY = """
import os, sys, time
from commsplan.log.records import Decoder, gc_paused
from commsplan.log.index import SLICE
start = time.perf_counter()
decoder, tail = Decoder(chain=False, keep=False), b""
with open(sys.argv[1], "rb") as log, gc_paused():
    while chunk := log.read(SLICE):
        block = tail + chunk
        whole = block.rfind(b"\\n") + 1
        tail = block[whole:]
        decoder.feed(block[:whole])
print(time.perf_counter() - start)
"""


def decode_only(log: Path, env: dict[str, str]) -> float:
    """Seconds to read and decode every line of ``log`` (the floor under a first index build)."""
    out = subprocess.run([PYTHON, "-c", DECODE_ONLY, str(log)], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout)


def remove_index(log: Path) -> None:
    for path in log.parent.glob(f"{log.name}.index*"):
        path.unlink()
    for path in log.parent.glob(f".{log.name}.index.*.tmp"):  # an interrupted build
        path.unlink()


def measure(sizes: list[int], runs: int, tmp: Path, code: Path | None) -> list[Size]:
    base = {**os.environ, "NO_COLOR": "1", "COMMSPLAN_CACHE_DIR": str(tmp / f"cache-{code is not None}")}
    if code is not None:
        base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
    no_log = {**base, "COMMSPLAN_LOG": str(tmp / "no-log.jsonl")}
    run(no_log)  # fills the plan cache and the OS's file cache
    found = []
    for records in sizes:
        log = cached_log(records)
        with_log = {**base, "COMMSPLAN_LOG": str(log)}
        remove_index(log)
        size = Size(records, log.stat().st_size / 1e6, run(with_log), decode_only(log, base))
        for _ in range(runs):
            size.with_log.append(run(with_log))
            size.no_log.append(run(no_log))
        found.append(size)
        print(
            f"{records:>9,} records ({size.megabytes:4.0f} MB): first run (builds the index) "
            f"{size.build.wall:6.2f} s (decoding its lines alone {size.decode:5.2f} s), "
            f"peak {size.build.max_rss / MiB:5.0f} MiB; due --week "
            f"{size.median(size.with_log):5.0f} ms, with no log {size.median(size.no_log):5.0f} ms, "
            f"log costs {size.overhead():+5.0f} ms (CPU {size.overhead('cpu'):+4.0f} ms)",
            flush=True,
        )
    return found


def growth(found: list[Size]) -> float:
    """How many times longer `due --week` takes with the largest log than with the smallest."""
    return found[-1].median(found[-1].with_log) / found[0].median(found[0].with_log)


def table(label: str, found: list[Size]) -> None:
    print(f"\n{label}: medians of {len(found[0].with_log)} paired runs (wall time; CPU = user + system)")
    print(
        f"{'records':>10} | {'first build':>11} | {'its CPU':>8} | {'peak':>8} | "
        f"{'with log':>8} | {'no log':>8} | {'log costs':>9} | {'its CPU':>7}"
    )
    for s in found:
        print(
            f"{s.records:>10,} | {s.build.wall:9.2f} s | {s.build.cpu:6.2f} s | {s.build.max_rss / MiB:4.0f} MiB | "
            f"{s.median(s.with_log):5.0f} ms | {s.median(s.no_log):5.0f} ms | {s.overhead():+6.0f} ms | "
            f"{s.overhead('cpu'):+4.0f} ms"
        )
    if len(found) > 1:
        ratio = found[-1].records / found[0].records
        build = found[-1].build.wall / found[0].build.wall
        print(f"growth: {ratio:.0f}x records -> {growth(found):.2f}x time of due --week, {build:.0f}x first build")


def goals(found: list[Size]) -> None:
    big = found[-1]
    n = f"{big.records:,}"

    def line(goal: str, what: str, measured: str, target: str, ok: bool) -> None:
        print(f"GOAL {goal} | {what} | {measured} | {target} | {'PASS' if ok else 'FAIL'}")

    cost = big.overhead()
    measured = f"{cost:+.0f} ms (CPU {big.overhead('cpu'):+.0f} ms)"
    line("4a", f"due --week, {n}-record log, above no log", measured, "<= +100 ms", cost <= 100)
    # beside it, what decoding the lines alone takes on this machine: a build can take no less
    built = f"{big.build.wall:.2f} s (CPU {big.build.cpu:.2f} s; decoding alone {big.decode:.2f} s)"
    line("4b", f"first index build, {n} records", built, "< 5 s", big.build.wall < 5)
    peak = big.build.max_rss / MiB
    line("4c", f"first index build, {n} records, peak memory", f"{peak:.0f} MiB", "< 200 MiB", peak < 200)
    if len(found) > 1:
        ratio = big.records / found[0].records
        grew = growth(found)
        what = f"due --week with a log, {found[0].records:,} -> {n} records"
        line("6-log", what, f"{grew:.2f}x time for {ratio:.0f}x records", f"< {ratio:.0f}x", grew < ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--goals", action="store_true", help="print GOAL lines for bench/run_all.py")
    parser.add_argument("--before", type=Path, help="a folder holding the commsplan package before a change")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        before = None
        if args.before is not None:
            print(f"before: the code in {args.before}")
            before = measure(sizes, args.runs, Path(tmp), args.before.resolve())
            print("after: this checkout")
        after = measure(sizes, args.runs, Path(tmp), None)
    if before is not None:
        table("before", before)
    table("after" if before is not None else "due --week with a log", after)
    if args.goals:
        print()
        goals(after)


if __name__ == "__main__":
    main()
