"""`commsplan due --week` with the log in PostgreSQL against the same log in a file.

    python bench/bench_pg.py [--records 100000] [--runs 5] [--goals]

Starts a PostgreSQL server of its own in a temporary folder (as the tests do: Debian's
postgresql package, run as an unprivileged user under root), loads a generated log into it
with `log import`, and times the same command on both back ends, each after one warm-up run
(the file's first run builds its SQLite index). Target: the database within 2x the file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, median_ms, time_command
from gen_log import write_log

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.pgserver import start_server

TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, default=100_000, help="records in the log (1000000 for the issue's case)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--goals", action="store_true", help="also print one GOAL line per goal, for bench/run_all.py")
    args = parser.parse_args()
    server = start_server()
    if isinstance(server, str):
        sys.exit(f"bench_pg: {server}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "log.jsonl"
            write_log(args.records, log)
            url = server.create_database("bench")
            cache = str(Path(tmp) / "cache")
            setup = [PYTHON, "-m", "commsplan", "log", "setup-db", "--log", url]
            subprocess.run(setup, check=True, capture_output=True)
            start = time.perf_counter()
            load = [PYTHON, "-m", "commsplan", "log", "import", str(log), "--log", url]
            subprocess.run(load, check=True, capture_output=True, env=_env(url, cache, tmp))
            loaded = time.perf_counter() - start
            cmd = [PYTHON, "-m", "commsplan", "due", "--week", "--now", "2020-10-28"]
            with server.admin("bench") as conn:
                conn.execute("VACUUM ANALYZE")
            time_command(cmd, 0, _env(str(log), cache, tmp))  # the file's first run builds its index
            time_command(cmd, 0, _env(url, cache, tmp))
            # Alternately, so both meet the same load; with what importing the driver costs alone.
            driver = [PYTHON, "-c", "import psycopg"]
            bare = [PYTHON, "-c", "pass"]
            times: dict[str, list[float]] = {"file": [], "db": [], "driver": [], "bare": []}
            for _ in range(args.runs):
                times["file"] += time_command(cmd, 1, _env(str(log), cache, tmp))
                times["db"] += time_command(cmd, 1, _env(url, cache, tmp))
                times["driver"] += time_command(driver, 1)
                times["bare"] += time_command(bare, 1)
            file_ms, db_ms = median_ms(times["file"]), median_ms(times["db"])
            driver_ms = median_ms(times["driver"]) - median_ms(times["bare"])
    finally:
        server.stop()
    ratio = db_ms / file_ms
    print(f"{args.records} records: imported into PostgreSQL in {loaded:.1f} s")
    print(
        f"due --week, median of {args.runs} runs: file {file_ms:.0f} ms, PostgreSQL {db_ms:.0f} ms, ratio {ratio:.2f}x"
    )
    print(
        f"of the {db_ms - file_ms:.0f} ms the database adds, importing its driver (psycopg) alone takes "
        f"{driver_ms:.0f} ms; the rest, {db_ms - file_ms - driver_ms:.0f} ms, is connecting and the queries"
    )
    if args.goals:
        verdict = "PASS" if ratio <= TARGET else "FAIL"
        print(
            f"GOAL pg-due-week | due --week, {args.records} records, PostgreSQL vs file | "
            f"{ratio:.2f}x ({db_ms:.0f} ms vs {file_ms:.0f} ms) | within {TARGET:.0f}x | {verdict}"
        )


def _env(log: str, cache: str, home: str) -> dict[str, str]:
    return {"COMMSPLAN_LOG": log, "COMMSPLAN_CACHE_DIR": cache, "XDG_DATA_HOME": str(Path(home) / "data")}


if __name__ == "__main__":
    main()
