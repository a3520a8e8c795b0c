"""Write a completion log of N records for the bundled plan, for benchmarks.

    python bench/gen_log.py 1000000 /tmp/log-1m.jsonl

Records are what a busy team writes with commsplan: mostly `done` for daily, weekly and monthly
items over the years, some skips and retractions, an incident opened and closed now and then,
each record made under the bundled plan file, carrying the real time it was recorded, and
chained to the one before like real appends. Lines are byte for byte what the log's encoder
writes (sorted keys, compact JSON), built from templates because json.dumps of a million
records takes minutes here.

``cached_log`` keeps each generated log under bench/out/ (git-ignored): a million records take
a while to write, and every benchmark run reuses them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PLAN = ROOT / "plans" / "east_area_2020.yaml"
VERSION = 2  # of the generator: a cached log from another version is made again

ACTIVITIES = ["ward-social-media", "cp-daily-updates", "ward-street-briefing", "business-bid-meetings"]
INCIDENT_EVERY = 20_000  # records between incidents (each an open and, three records on, a close)


def write_log(count: int, path: Path) -> None:
    plan = hashlib.sha256(PLAN.read_bytes()).hexdigest()
    start = dt.datetime(2020, 4, 1, 9, 0, tzinfo=dt.UTC)
    sha256 = hashlib.sha256
    prev = ""
    incident = ""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        for n in range(count):
            ts = (start + dt.timedelta(minutes=n)).isoformat()
            recorded = (start + dt.timedelta(minutes=n, seconds=30)).isoformat()
            head = f'"by":"bench","id":"r-{n:012x}"'
            tail = f'"plan":"{plan}","prev":"{prev}","recorded":"{recorded}"'
            end = f'"ts":"{ts}"'
            if n % INCIDENT_EVERY == 11:
                incident = f"{ts[:10].replace('-', '')}-{n}"
                line = (
                    f'{{{head},"incident":"{incident}","level":"major",{tail},'
                    f'"title":"Disorder, Ilford Lane",{end},"type":"incident-open","v":1}}'
                )
            elif n % INCIDENT_EVERY == 14:
                line = (
                    f'{{{head},"incident":"{incident}","note":"Stood down",{tail},{end},"type":"incident-close","v":1}}'
                )
            elif n % 97 == 3:
                line = f'{{{head},{tail},"target":"r-{n - 1:012x}",{end},"type":"retract","v":1}}'
            else:
                day = (start + dt.timedelta(days=n // 4)).date().isoformat()
                what = f'"activity":"{ACTIVITIES[n % 4]}","by":"bench","due":"{day}","id":"r-{n:012x}"'
                if n % 50 == 7:
                    line = (
                        f'{{{what},"occurrence":"{day}","plan":"{plan}","prev":"{prev}",'
                        f'"reason":"Nothing to post today","recorded":"{recorded}",{end},"type":"skip","v":1}}'
                    )
                else:
                    line = (
                        f'{{{what},"note":"Posted on Next Door and OWL","occurrence":"{day}",{tail},'
                        f'{end},"type":"done","v":1}}'
                    )
            raw = line.encode()
            out.write(raw + b"\n")
            prev = sha256(raw).hexdigest()
    os.replace(tmp, path)


def cached_log(count: int) -> Path:
    """A log of ``count`` records under bench/out/, written the first time it is asked for."""
    path = OUT / f"log-v{VERSION}-{count}.jsonl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        write_log(count, path)
    return path


if __name__ == "__main__":
    write_log(int(sys.argv[1]), Path(sys.argv[2]))
