"""calendar: campaigns span their lead time, daily duties recur, titles say what to do, and
the log marks what was done (or --open-only leaves it out)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import Any

import icalendar

from .helpers import PLAN, Cli, calendar_occurrences, flat

WINDOW = ("--from", "2020-10-01", "--until", "2020-11-30", "--now", "2020-10-26T10:00")


def export(cli: Cli, *extra: str) -> Any:
    result = cli("calendar", *WINDOW, *extra)
    assert result.exit_code == 0, result.stderr
    return icalendar.Calendar.from_ical(result.stdout)


def with_a_daily_duty(tmp_path: Path) -> str:
    """The bundled plan with ward social media as a plain daily duty (it is conditional there,
    and conditional duties are not diary events): a plan whose daily duty the calendar exports."""
    text = re.sub(
        r"    conditional:\n      as_written: \"DWO's.*?(?=\n    why:)\n",
        "",
        PLAN.read_text(encoding="utf-8"),
        flags=re.S,
    )
    assert text.count("    conditional:\n") == PLAN.read_text(encoding="utf-8").count("    conditional:\n") - 1
    path = tmp_path / "daily.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def events_of(cal: Any, activity: str) -> list[Any]:
    return [e for e in cal.walk("VEVENT") if str(e["X-COMMSPLAN-ACTIVITY"]) == activity]


def test_a_campaign_spans_its_lead_time_to_its_due_day(cli: Cli) -> None:
    cal = export(cli)
    [halloween] = events_of(cal, "cp-halloween")
    assert (halloween.decoded("DTSTART"), halloween.decoded("DTEND")) == (dt.date(2020, 10, 17), dt.date(2020, 11, 1))
    assert str(halloween["SUMMARY"]) == "Crime prevention advice ahead of Halloween · CP"


def test_a_daily_duty_is_one_recurring_event(cli: Cli, tmp_path: Path) -> None:
    cal = export(cli, "--plan", with_a_daily_duty(tmp_path))
    [series] = events_of(cal, "ward-social-media")
    assert series.decoded("DTSTART") == dt.date(2020, 10, 1)
    assert series["RRULE"].to_ical() == b"FREQ=DAILY;UNTIL=20201130"
    assert str(series["UID"]) == "ward-social-media.daily@commsplan"
    days = {key for activity, key, _ in calendar_occurrences(cal) if activity == "ward-social-media"}
    assert len(days) == 61 and "2020-10-31" in days


def test_titles_lead_with_what_then_the_audience_short_name(cli: Cli) -> None:
    cal = export(cli)
    titles = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert "Co-ordinated media engagement on localised issues and crime prevention, ratified with SLT · Media" in titles
    assert all(" · " in t for t in titles)


def test_the_log_marks_done_and_skipped_occurrences(cli: Cli, tmp_path: Path) -> None:
    plan = ("--plan", with_a_daily_duty(tmp_path))
    cli("done", "cp-halloween", "--occurrence", "halloween-2020", "--now", "2020-10-20", *plan)
    cli("skip", "media-engagement", "--occurrence", "2020-10", "--reason", "Purdah", "--now", "2020-10-20", *plan)
    cli("done", "ward-social-media", "--occurrence", "2020-10-05", "--now", "2020-10-05T12:00", *plan)
    cal = export(cli, *plan)
    [halloween] = events_of(cal, "cp-halloween")
    assert str(halloween["SUMMARY"]) == "Done: Crime prevention advice ahead of Halloween · CP"
    [october] = [e for e in events_of(cal, "media-engagement") if str(e["X-COMMSPLAN-OCCURRENCE"]) == "2020-10"]
    assert str(october["STATUS"]) == "CANCELLED"
    assert str(october["SUMMARY"]).startswith("Skipped: ")
    assert "Skipped 2020-10-20 by " in str(october["DESCRIPTION"]) and ": Purdah" in str(october["DESCRIPTION"])
    # a done day of a daily series is an override of that day, not a second series
    series, override = events_of(cal, "ward-social-media")
    assert override.decoded("RECURRENCE-ID") == dt.date(2020, 10, 5)
    assert str(override["UID"]) == str(series["UID"])
    assert str(override["SUMMARY"]).startswith("Done: ")

    open_only = export(cli, "--open-only", *plan)
    assert not [e for e in open_only.walk("VEVENT") if str(e["SUMMARY"]).startswith(("Done", "Skipped"))]
    left = calendar_occurrences(open_only)
    assert ("cp-halloween", "halloween-2020", "2020-10-31") not in left
    assert ("ward-social-media", "2020-10-05", "2020-10-05") not in left  # an EXDATE of the series
    assert ("ward-social-media", "2020-10-06", "2020-10-06") in left


def test_conditional_duties_are_not_diary_events(cli: Cli) -> None:
    # in the bundled plan ward social media is wanted only when there is something to say
    assert events_of(export(cli), "ward-social-media") == []


def test_out_never_replaces_a_link_or_a_device(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "target.ics"
    target.write_text("keep")
    link = tmp_path / "link.ics"
    link.symlink_to(target)
    result = cli("calendar", *WINDOW, "--out", str(link))
    assert result.exit_code == 1
    assert "not a regular file" in flat(result.stderr)
    assert link.is_symlink() and target.read_text() == "keep"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert cli("calendar", *WINDOW, "--out", str(fifo)).exit_code == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_dash_is_stdout(cli: Cli) -> None:
    result = cli("calendar", *WINDOW, "--out", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("BEGIN:VCALENDAR")


def test_each_borough_s_event_names_its_borough(cli: Cli) -> None:
    cal = export(cli)
    titles = {str(e["SUMMARY"]) for e in events_of(cal, "la-problem-solving-group")}
    assert {t.rsplit(" · ", 1)[1] for t in titles} == {"Barking & Dagenham", "Havering", "Redbridge"}
