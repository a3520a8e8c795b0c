"""Make docs/report-autumn-2020.png: `commsplan report --html` for the bundled plan's autumn 2020
(September to November), rendered by headless Chromium.

The log it reports on is made up here, deterministically (the same picture every run): each
audience's team keeps its part of the plan to a different degree, with a few skips and late
completions, and one critical incident. Run from the repository's root with the venv active:

    python docs/make_report_picture.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from commsplan.log.book import Logbook
from commsplan.log.records import DONE, SKIP
from commsplan.plan.load import bundled_plan_path, load_plan
from commsplan.rules.occurrence import Target, completion_data
from commsplan.rules.schedule import Schedule

ROOT = Path(__file__).resolve().parent.parent
PICTURE = ROOT / "docs" / "report-autumn-2020.png"
START, END = dt.date(2020, 9, 1), dt.date(2020, 11, 30)
# how often each audience's activities were done, as a share of what fell due
DILIGENCE = {
    "snb": 1.0,
    "iag": 1.0,
    "cmg": 1.0,
    "local-authorities": 0.9,
    "ward-panels": 0.8,
    "local-businesses": 0.65,
    "faith": 1.0,
    "local-media": 0.6,
    "cp-public": 0.45,
    "local-partners": 1.0,
}


def chance(*parts: str) -> float:
    """A number in [0, 1) fixed by ``parts``: the same made-up log on every run."""
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16) / 2**32


def make_log(path: Path) -> None:
    loaded = load_plan(bundled_plan_path(), None)
    plan, schedule, book = loaded.plan, Schedule(loaded.plan), Logbook(path)
    zone = schedule.zone
    entries = []
    for activity in plan.activities:
        if not activity.scheduled:
            continue
        for occ in schedule.occurrences(activity, START, END):
            if not START <= occ.due <= END:
                continue
            roll = chance(activity.id, occ.key)
            diligence = DILIGENCE.get(activity.audience, 0.5)
            at = dt.datetime.combine(occ.due, dt.time(15, 30), zone)
            target = Target(occ, 0)
            if roll < diligence * 0.85:
                entries.append((at, DONE, completion_data(activity, target, "Sgt Bell")))
            elif roll < diligence:
                late = at + dt.timedelta(days=2 + int(roll * 10) % 5)
                entries.append((late, DONE, completion_data(activity, target, "PC Okafor", note="caught up")))
            elif roll < diligence + 0.08:
                why = "Cancelled: Covid-19 restrictions (no gatherings)"
                entries.append((at, SKIP, completion_data(activity, target, "Insp Khan", reason=why)))
    for at, kind, data in sorted(entries, key=lambda e: (e[0], e[2]["activity"])):
        book.append(kind, at, data, loaded.digest)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        log = work / "log.jsonl"
        make_log(log)
        env = {**os.environ, "COMMSPLAN_LOG": str(log), "COMMSPLAN_CACHE_DIR": ""}

        def commsplan(*args: str) -> str:
            return subprocess.run(
                [sys.executable, "-m", "commsplan", *args], env=env, check=True, capture_output=True, text=True
            ).stdout

        commsplan("incident", "open", "Stabbing, Romford town centre", "--level", "critical", "--area", "Romford",
                  "--by", "Insp Khan", "--now", "2020-10-26T22:15")  # fmt: skip
        for step, at in (("2", "22:40"), ("1", "22:55"), ("3", "2020-10-27T08:10")):
            commsplan("incident", "notify", "20201026-1", step, "--by", "Insp Khan",
                      "--now", at if "T" in at else f"2020-10-26T{at}")  # fmt: skip
        page = work / "report.html"
        page.write_text(
            commsplan(
                "report", "--html", "--from", START.isoformat(), "--until", END.isoformat(), "--now", "2020-12-01"
            ),
            encoding="utf-8",
        )
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,1250",
             f"--screenshot={PICTURE}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    print(f"wrote {PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
