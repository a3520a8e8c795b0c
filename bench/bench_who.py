"""How much does `commsplan who --audience SNB` cost beyond importing its libraries?

Runs the command and a bare `import typer, pydantic, yaml, rich, dateutil` alternately in the
same environment and prints the medians and their ratio. Target: ratio <= 1.3.

    python bench/bench_who.py [--runs 30]
"""

from __future__ import annotations

import argparse

from common import PYTHON, median_ms, time_command

# The libraries as a command uses them: `import pydantic` alone is lazy and loads almost nothing.
BARE = [
    PYTHON,
    "-c",
    "import typer, yaml, rich.console, dateutil.rrule; from pydantic import BaseModel, Field, field_validator",
]
WHO = [PYTHON, "-m", "commsplan", "who", "--audience", "SNB"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    bare, who = [], []
    for _ in range(runs):  # interleaved, so load on the machine hits both alike
        bare += time_command(BARE, 1)
        who += time_command(WHO, 1)
    b, w = median_ms(bare), median_ms(who)
    print(f"bare imports        median {b:7.1f} ms over {runs} runs")
    print(f"commsplan who SNB   median {w:7.1f} ms over {runs} runs")
    print(f"ratio               {w / b:.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
