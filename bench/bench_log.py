"""`commsplan due --week` on the bundled plan with completion logs of growing size.

    python bench/bench_log.py [--runs 5] [--sizes 100000,1000000]

The first command after the log grows indexes what it has not seen (bench reports it as
"first run"); every later command reads only what was appended since. Target: 1,000,000
records under 2 s median, growing linearly.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import PYTHON, median_ms, time_command
from gen_log import write_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            log = Path(tmp) / f"log-{size}.jsonl"
            write_log(size, log)
            env = {"COMMSPLAN_LOG": str(log), "COMMSPLAN_CACHE_DIR": str(Path(tmp) / "cache")}
            cmd = [PYTHON, "-m", "commsplan", "due", "--week", "--now", "2020-10-28"]
            start = time.perf_counter()
            time_command(cmd, 0, env)  # the first run: builds the index
            first = time.perf_counter() - start
            results[size] = median_ms(time_command(cmd, args.runs, env))
            mb = log.stat().st_size / 1e6
            print(
                f"{size:>8} records ({mb:6.0f} MB): first run {first * 1000:8.0f} ms, "
                f"then median {results[size]:7.0f} ms over {args.runs} runs"
            )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"growth: {large / small:.0f}x records -> {results[large] / results[small]:.1f}x time (warm)")


if __name__ == "__main__":
    main()
