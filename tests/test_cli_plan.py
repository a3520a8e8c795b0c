"""calendar, report, schema, init."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import icalendar
import jsonschema
import yaml

from commsplan.plan.model import plan_schema

from .helpers import PLAN, ROOT, Cli, EditorLoader, calendar_occurrences, flat


def test_calendar_matches_due_for_a_year(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "plan.ics"
    result = cli("calendar", "--from", "2020-04-01", "--until", "2021-03-31", "--out", str(out), "--now", "2020-04-01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Wrote ")
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = list(cal.walk("VEVENT"))
    from_ics = sorted(calendar_occurrences(cal))
    due = json.loads(cli("due", "--json", "--expand", "--all", "--now", "2020-04-01", "--until", "2021-03-31").stdout)[
        "items"
    ]
    from_due = sorted(
        (i["id"], i["occurrence"], i["due"])
        for i in due
        if "2020-04-01" <= i["due"] <= "2021-03-31" and i["status"] not in ("incident", "optional")
    )
    assert from_ics == from_due
    assert len(from_ics) == 196  # conditional daily duties are not diary events; PSGs are per borough
    first = next(e for e in events if str(e["X-COMMSPLAN-ACTIVITY"]) == "snb-quarterly-meeting")
    assert str(first["SUMMARY"]) == "Ward priorities and regular updates of crime statistics · SNB"
    assert first.decoded("DTSTART") == dt.date(2020, 6, 30)
    assert first.decoded("DTEND") == dt.date(2020, 7, 1)
    assert "From: Safer Neighbourhood Ward Inspectors / Sergeants" in str(first["DESCRIPTION"])
    assert str(first["UID"]) == "snb-quarterly-meeting.2020-Q2@commsplan"


def test_calendar_uids_are_stable_across_exports(cli: Cli) -> None:
    one = cli("calendar", "--from", "2020-10-01", "--until", "2020-10-31", "--now", "2020-10-01").stdout
    two = cli("calendar", "--from", "2020-10-01", "--until", "2020-10-31", "--now", "2020-10-05T12:00").stdout

    def uids(text: str) -> list[str]:
        return sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT"))

    assert uids(one) == uids(two)
    assert one != two  # only DTSTAMP differs


def test_report_counts_on_time_late_skipped_missed(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-06-20")
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-02")
    cli("skip", "iag", "--occurrence", "2020-Q4", "--reason", "Lockdown", "--now", "2020-12-01")
    data = json.loads(cli("report", "--json", "--now", "2021-01-10", "--by", "audience").stdout)
    iag = next(g for g in data["groups"] if g["group"] == "iag")
    assert (iag["due"], iag["on_time"], iag["late"], iag["skipped"], iag["missed"], iag["rate"]) == (3, 1, 1, 1, 0, 1.0)
    assert data["groups"][-1]["group"] == "iag"  # worst first: IAG is the best kept
    csv = cli("report", "--csv", "--now", "2021-01-10").stdout.splitlines()
    assert csv[0] == "group,name,due,on_time,late,skipped,missed,pending,rate"
    human = cli("report", "--now", "2021-01-10").stdout
    assert human.startswith("How the plan was kept, 1 Apr 2020 to 10 Jan 2021, by audience\n")


def test_bundled_plan_validates_against_the_printed_schema(cli: Cli) -> None:
    printed = json.loads(cli("schema").stdout)
    assert printed == plan_schema()
    # what an editor sees: YAML with dates and times as text
    data = yaml.load(PLAN.read_text(encoding="utf-8"), Loader=EditorLoader)
    jsonschema.validate(data, printed)
    assert PLAN.read_text().startswith("# yaml-language-server: $schema=../commsplan/plan.schema.json")
    committed = json.loads((ROOT / "commsplan" / "plan.schema.json").read_text())
    assert committed == printed, "run: commsplan schema > commsplan/plan.schema.json"


def test_init_writes_a_plan_that_validates_and_never_overwrites(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "north.yaml"
    assert cli("init", str(target)).exit_code == 0
    checked = cli("validate", "--plan", str(target))
    assert checked.exit_code == 0, checked.stderr
    assert "4 activities from 3 source rows" in checked.stdout
    before = target.read_bytes()
    again = cli("init", str(target))
    assert again.exit_code == 1
    assert flat(again.stderr) == f"commsplan: error: {target} already exists; commsplan init never overwrites a file\n"
    assert target.read_bytes() == before
