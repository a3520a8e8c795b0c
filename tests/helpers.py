"""Helpers shared by the tests: imported from here, never from conftest or another test module."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from commsplan.cli import app
from commsplan.log.book import LogBackend, open_log
from commsplan.log.filelog import FileLog
from commsplan.log.records import LogRecord

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "east_area_2020.yaml"
# A copy of the source document (tests/data/README.md says where it comes from): the plan-coverage
# tests run in a plain clone, without ../shared.
SOURCE = ROOT / "tests" / "data" / "east-area-external-communication-action-plan-2020-2021.txt"

# A completion log's records in the unit tests of the log: a fixed time and plan identity.
TS = dt.datetime(2020, 10, 26, 9, 0, tzinfo=dt.UTC)
PLAN_DIGEST = hashlib.sha256(b"plan").hexdigest()


def add(log: FileLog, n: int, kind: str = "done", **extra: object) -> LogRecord:
    """Append the n-th quarterly SNB record (2020-Qn) at TS + n minutes."""
    data = {"activity": "snb-quarterly-meeting", "occurrence": f"2020-Q{n}", "by": "sgt.jones", **extra}
    return log.append(kind, TS + dt.timedelta(minutes=n), data, PLAN_DIGEST)


# Runs a test that takes the `cli` fixture on both back ends of the log: the file and PostgreSQL.
BOTH = pytest.mark.parametrize("cli", ["file", "postgresql"], indirect=True)


def flat(text: str) -> str:
    """Output as one line per message: the continuation lines of a message wrapped at 80
    columns (indented) are joined back to the line they continue."""
    return re.sub(r"\n +", " ", text)


class Cli:
    """Runs commsplan in-process with a pinned terminal: 80 columns, no colour, a private log."""

    def __init__(self, log: Path, cache: Path, target: str | None = None) -> None:
        self.runner = CliRunner()
        self.log = log
        self.target = target or str(log)  # what COMMSPLAN_LOG says: the file, or a database's URL
        self.cache = cache

    def book(self) -> LogBackend:
        """The log this Cli writes to, whichever back end holds it."""
        return open_log(self.target)

    def records(self) -> tuple[LogRecord, ...]:
        return self.book().read().records

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        base = {
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COMMSPLAN_LOG": self.target,
            "COMMSPLAN_PLAN": "",
            "COMMSPLAN_NOW": "",
            "COMMSPLAN_CACHE_DIR": str(self.cache),
        }
        if self.target != str(self.log):  # a database's digest markers stay in the test's folder too
            base["XDG_DATA_HOME"] = str(self.log.parent / "data")
        base.update(env or {})
        # empty means unset for the options' env fallbacks
        clean: dict[str, Any] = {k: (v if v != "" else None) for k, v in base.items()}
        return self.runner.invoke(app, list(args), env=clean, input=input, catch_exceptions=False)


# --- small plans ---------------------------------------------------------------------------------

MINIMAL = """\
version: 1
meta:
  title: Test plan
  unit: Test BCU
  source: none
  period: {start: 2020-04-01, end: 2021-03-31, as_written: "2020-2021"}
  timezone: Europe/London
  quarters: {first_month: 1}
  office_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", as_written: office hours}
roles:
  - id: sergeant
    name: Ward Sergeant
    aliases: [Sgt]
audiences:
  - id: panel
    name: Ward Panel
    aliases: [WP]
channels:
  - id: meeting
    name: Meeting
activities:
  - id: panel-meeting
    row: panel
    audience: panel
    owner: {role: sergeant, as_written: Sergeant}
    what: {text: Updates, as_written: Updates}
    channels:
      - {channel: meeting}
    how_as_written: Meeting
    frequency:
      kind: quarterly
      as_written: Quarterly
    why: Trust
"""


def changed_plan(text: str) -> str:
    """The bundled plan's text with three commitments changed, for `diff` to find: office hours
    09:00-17:00, the SNB meeting monthly, the partners told of critical incidents only."""
    text = text.replace('    start: "08:00"\n    end: "18:00"', '    start: "09:00"\n    end: "17:00"', 1)
    text = text.replace(
        '      kind: quarterly\n      as_written: Quarterly\n    why: "SNB',
        '      kind: monthly\n      as_written: Quarterly\n    why: "SNB',
        1,
    )
    return text.replace(
        "      triggers: [critical-incident, major-incident, significant-incident]",
        "      triggers: [critical-incident]",
        1,
    )


class EditorLoader(yaml.SafeLoader):
    """YAML as yaml-language-server reads it (YAML 1.2's core schema): 2020-04-01 is a string,
    not a date; numbers are numbers."""


EditorLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def calendar_occurrences(cal: Any) -> set[tuple[str, str, str]]:
    """(activity, occurrence key, due day) of every occurrence an iCalendar export holds, a
    daily series (RRULE less its EXDATEs) expanded day by day; overrides of a day are skipped."""
    from dateutil.rrule import rrulestr

    found: set[tuple[str, str, str]] = set()
    for event in cal.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        activity = str(event["X-COMMSPLAN-ACTIVITY"])
        if "RRULE" not in event:
            due = event.decoded("DTEND") - dt.timedelta(days=1)
            found.add((activity, str(event["X-COMMSPLAN-OCCURRENCE"]), due.isoformat()))
            continue
        start = dt.datetime.combine(event.decoded("DTSTART"), dt.time())
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        exdates = event.get("EXDATE", [])
        skipped = {d.dt for ex in (exdates if isinstance(exdates, list) else [exdates]) for d in ex.dts}
        for moment in rule:
            if moment.date() not in skipped:
                found.add((activity, moment.date().isoformat(), moment.date().isoformat()))
    return found
