"""Write a completion log of N records for the bundled plan, for benchmarks.

    python bench/gen_log.py 1000000 /tmp/log-1m.jsonl

Records are what a busy team writes: mostly `done` for daily, weekly and monthly items over
the years, some skips and retractions, each chained to the one before like real appends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

ACTIVITIES = ["ward-social-media", "cp-daily-updates", "ward-street-briefing", "business-bid-meetings"]


def write_log(count: int, path: Path) -> None:
    start = dt.datetime(2020, 4, 1, 9, 0, tzinfo=dt.UTC)
    prev = ""
    with path.open("wb") as out:
        for n in range(count):
            kind = "skip" if n % 50 == 7 else "retract" if n % 97 == 3 else "done"
            ts = start + dt.timedelta(minutes=n)
            day = (start + dt.timedelta(days=n // 4)).date()
            record: dict[str, object] = {
                "v": 1,
                "id": f"r-{n:012x}",
                "ts": ts.isoformat(),
                "type": kind,
                "plan": "bench",
                "prev": prev,
                "by": "bench",
            }
            if kind == "retract":
                record["target"] = f"r-{n - 1:012x}"
            else:
                record["activity"] = ACTIVITIES[n % 4]
                record["occurrence"] = day.isoformat()
                record["due"] = day.isoformat()
                if kind == "skip":
                    record["reason"] = "Nothing to post today"
                else:
                    record["note"] = "Posted on Next Door and OWL"
            line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
            out.write(line + b"\n")
            prev = hashlib.sha256(line).hexdigest()


if __name__ == "__main__":
    write_log(int(sys.argv[1]), Path(sys.argv[2]))
