"""The bundled plan: `due --week` and `who --audience SNB` against importing their libraries.

Runs each command and a bare import of typer + yaml + rich + dateutil + pydantic's BaseModel
(issue 14's import floor) alternately, in the same environment, from a filled plan cache (as a
daily user's is), and prints the medians and ratios. Target (goal 1): each command at most 0.8x
the floor, i.e. cheaper than importing the libraries it is built on.

    python bench/bench_who.py [--runs 30] [--goals]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from common import IMPORT_FLOOR, PYTHON, compiled, goal, median_ms, time_command

COMMANDS = {
    "1a": ("due --week", [PYTHON, "-m", "commsplan", "due", "--week"]),
    "1b": ("who --audience SNB", [PYTHON, "-m", "commsplan", "who", "--audience", "SNB"]),
}
TARGET = 0.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--goals", action="store_true", help="print GOAL lines for bench/run_all.py")
    args = parser.parse_args()
    compiled()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "COMMSPLAN_CACHE_DIR": str(Path(tmp) / "cache"),
            "COMMSPLAN_LOG": str(Path(tmp) / "log.jsonl"),
            "COMMSPLAN_NOW": "2020-10-26T10:00",
        }
        subprocess.run([PYTHON, "-m", "commsplan", "due"], capture_output=True, env={**_env(), **env}, check=True)
        floor: list[float] = []
        times: dict[str, list[float]] = {key: [] for key in COMMANDS}
        for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
            floor += time_command(IMPORT_FLOOR, 1)
            for key, (_, command) in COMMANDS.items():
                times[key] += time_command(command, 1, env)
    base = median_ms(floor)
    print(f"import floor (typer, yaml, rich, dateutil, pydantic) median {base:7.1f} ms over {args.runs} runs")
    for key, (name, _) in COMMANDS.items():
        ms = median_ms(times[key])
        ratio = ms / base
        print(f"commsplan {name:22} median {ms:7.1f} ms  ratio {ratio:.2f}  (target <= {TARGET:.2f})")
        if args.goals:
            goal(key, f"bundled plan, {name} / import floor", f"{ratio:.2f}x", f"<= {TARGET:.2f}x", ratio <= TARGET)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


if __name__ == "__main__":
    main()
