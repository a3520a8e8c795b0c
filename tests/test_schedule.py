"""Occurrences: exact calendars for the bundled plan and properties that hold for every date."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commsplan.plan.data import Activity, Recurrence, replace
from commsplan.plan.load import load_plan, parse_plan
from commsplan.rules.schedule import Occurrence, Schedule, iso_week_key, resolve_local

from .helpers import MINIMAL, PLAN

LONDON = ZoneInfo("Europe/London")
# The calendar of each activity, one occurrence per period: per-unit duties (one occurrence per
# borough) are tested in test_units.py, so here the plan's units are set aside.
PLAN_OBJ = replace(load_plan(PLAN).plan, units=[])
SCHEDULE = Schedule(PLAN_OBJ)
SCHEDULED = [a for a in PLAN_OBJ.activities if Schedule.is_scheduled(a)]


def occ(activity_id: str, start: dt.date, end: dt.date) -> list[Occurrence]:
    return SCHEDULE.calendar_occurrences(PLAN_OBJ.activity(activity_id), start, end)


def with_frequency(yaml_frequency: str) -> tuple[Schedule, Activity]:
    text = MINIMAL.replace("      kind: quarterly\n      as_written: Quarterly\n", yaml_frequency)
    plan = parse_plan(text.encode(), Path("t.yaml")).plan
    return Schedule(plan), plan.activities[0]


# --- exact calendars ----------------------------------------------------------------------------

YEAR = (dt.date(2020, 4, 1), dt.date(2021, 3, 31))


def test_a_year_of_snb_meetings_is_four_quarters() -> None:
    found = occ("snb-quarterly-meeting", *YEAR)
    assert [(o.key, o.opens, o.due) for o in found] == [
        ("2020-Q2", dt.date(2020, 4, 1), dt.date(2020, 6, 30)),
        ("2020-Q3", dt.date(2020, 7, 1), dt.date(2020, 9, 30)),
        ("2020-Q4", dt.date(2020, 10, 1), dt.date(2020, 12, 31)),
        ("2021-Q1", dt.date(2021, 1, 1), dt.date(2021, 3, 31)),
    ]


@pytest.mark.parametrize(("year", "weeks"), [(2019, 52), (2020, 53), (2021, 52), (2026, 53)])
def test_weekly_street_briefings_follow_iso_weeks(year: int, weeks: int) -> None:
    first, last = dt.date.fromisocalendar(year, 1, 1), dt.date.fromisocalendar(year, weeks, 7)
    found = occ("ward-street-briefing", first, last)
    assert len(found) == weeks
    assert found[-1].key == f"{year}-W{weeks}"
    assert all(o.opens.weekday() == 0 and o.due.weekday() == 6 for o in found)


def test_daily_item_every_day_of_a_leap_year() -> None:
    found = occ("ward-social-media", dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert len(found) == 366
    assert [o.due for o in found] == [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(366)]


def test_twelve_monthly_bid_meetings_in_the_plan_year() -> None:
    found = occ("business-bid-meetings", *YEAR)
    assert [o.key for o in found] == [f"2020-{m:02d}" for m in range(4, 13)] + ["2021-01", "2021-02", "2021-03"]
    assert found[10].due == dt.date(2021, 2, 28)


def test_annual_report_runs_over_the_plan_year() -> None:
    [report] = occ("business-annual-report", *YEAR)
    assert (report.key, report.opens, report.due) == ("2020-21", dt.date(2020, 4, 1), dt.date(2021, 3, 31))


@pytest.mark.parametrize("year", range(2020, 2031))
def test_named_dates_land_on_their_days(year: int) -> None:
    def due(activity_id: str) -> dt.date:
        [found] = [o for o in occ(activity_id, dt.date(year, 1, 1), dt.date(year, 12, 31)) if o.due.year == year]
        assert found.key.endswith(str(year))
        day: dt.date = found.due
        return day

    assert due("cp-halloween") == dt.date(year, 10, 31)
    assert due("cp-bonfire-night") == dt.date(year, 11, 5)
    assert due("cp-new-years-eve") == dt.date(year, 12, 31)
    changes = SCHEDULE.clock_changes(year)
    # British Summer Time: last Sunday of March to last Sunday of October
    last_sunday = {
        m: max(dt.date(year, m, d) for d in range(25, 32) if dt.date(year, m, d).weekday() == 6) for m in (3, 10)
    }
    assert changes == {"clocks_forward": last_sunday[3], "clocks_back": last_sunday[10]}


def test_seasonal_advice_follows_the_met_operations_not_the_calendar() -> None:
    # Summer/Autumn/Winter Nights are the Met's operations: Autumn Nights 2020 began Wed 21 Oct,
    # Winter Nights 2020 Mon 30 Nov (not 1 Sep and the clocks going back, as once read).
    found = occ("cp-seasonal-advice", *YEAR)
    assert [(o.key, o.opens, o.due) for o in found] == [
        ("summer-nights-2020", dt.date(2020, 7, 6), dt.date(2020, 7, 20)),
        ("autumn-nights-2020", dt.date(2020, 10, 7), dt.date(2020, 10, 21)),
        ("winter-nights-2020", dt.date(2020, 11, 16), dt.date(2020, 11, 30)),
    ]
    assert SCHEDULE.season_windows("winter-nights", 2020) == [(dt.date(2020, 11, 30), dt.date(2021, 1, 3))]
    assert SCHEDULE.season_windows("autumn-nights", 2021) == []  # not announced in the plan: no guess


@given(start=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31)), length=st.integers(0, 400))
def test_a_seasonal_campaign_is_only_ever_due_on_the_first_day_of_a_listed_operation(
    start: dt.date, length: int
) -> None:
    starts = {w.start for season in PLAN_OBJ.seasons for w in season.windows or []}
    found = occ("cp-seasonal-advice", start, start + dt.timedelta(days=length))
    assert {o.due for o in found} <= starts
    assert all((o.due - o.opens).days <= 14 for o in found)


def test_campaign_window_opens_lead_days_before() -> None:
    [halloween] = occ("cp-halloween", dt.date(2020, 10, 1), dt.date(2020, 10, 31))
    assert (halloween.key, halloween.opens, halloween.due) == (
        "halloween-2020",
        dt.date(2020, 10, 17),
        dt.date(2020, 10, 31),
    )


def test_half_terms_come_from_the_plan_list() -> None:
    assert [o.key for o in occ("cp-half-term", *YEAR)] == [
        "half-term-2020-05-25",
        "half-term-2020-10-26",
        "half-term-2021-02-15",
    ]


def test_monthly_on_the_31st_slips_to_the_last_day_of_short_months() -> None:
    schedule, activity = with_frequency("      kind: monthly\n      due: 31\n      as_written: Monthly\n")
    found = schedule.calendar_occurrences(activity, dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert [o.due.day for o in found] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert len({o.key for o in found}) == 12


def test_fortnightly_parity_does_not_flip_after_a_53_week_year() -> None:
    found = occ("la-problem-solving-group", dt.date(2020, 12, 1), dt.date(2021, 2, 1))
    starts = [o.opens for o in found]
    assert all((b - a).days == 14 for a, b in itertools.pairwise(starts))
    assert all((s - dt.date(2020, 4, 6)).days % 14 == 0 for s in starts)
    # ISO week parity would flip here: 2020-W53 and 2021-W01 are consecutive odd weeks
    assert iso_week_key(dt.date(2020, 12, 31)) == "2020-W53"


def test_raw_rrule_with_lead_days() -> None:
    schedule, activity = with_frequency(
        '      kind: rrule\n      rrule: "FREQ=MONTHLY;BYDAY=1TU"\n      start: 2020-04-01\n      lead_days: 3\n'
        "      as_written: first Tuesday\n"
    )
    found = schedule.calendar_occurrences(activity, dt.date(2020, 10, 1), dt.date(2020, 12, 31))
    assert [(o.key, o.opens) for o in found] == [
        ("2020-10-06", dt.date(2020, 10, 3)),
        ("2020-11-03", dt.date(2020, 10, 31)),
        ("2020-12-01", dt.date(2020, 11, 28)),
    ]


# --- time of day and clock changes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "wall", "expected"),
    [
        # the hour that does not exist: 01:30 on 29 March 2020 is 02:30 BST
        (dt.date(2020, 3, 29), dt.time(1, 30), "2020-03-29T02:30:00+01:00"),
        # the hour that happens twice: the first one (BST)
        (dt.date(2020, 10, 25), dt.time(1, 30), "2020-10-25T01:30:00+01:00"),
        (dt.date(2020, 10, 25), dt.time(2, 30), "2020-10-25T02:30:00+00:00"),
        (dt.date(2020, 10, 24), dt.time(1, 30), "2020-10-24T01:30:00+01:00"),
    ],
)
def test_local_times_at_clock_changes(day: dt.date, wall: dt.time, expected: str) -> None:
    assert resolve_local(day, wall, LONDON).isoformat() == expected


@pytest.mark.parametrize("year", range(2020, 2031))
def test_daily_item_with_a_time_is_once_a_day_across_clock_changes(year: int) -> None:
    schedule, activity = with_frequency('      kind: daily\n      time: "01:30"\n      as_written: Daily\n')
    changes = schedule.clock_changes(year)
    for change in changes.values():
        found = schedule.calendar_occurrences(activity, change - dt.timedelta(days=1), change + dt.timedelta(days=1))
        assert [o.due for o in found] == [change - dt.timedelta(days=1), change, change + dt.timedelta(days=1)]
        instants = [o.at for o in found]
        assert len(set(instants)) == 3
        assert all(o.at is not None and o.at.date() == o.due for o in found)


# --- properties for all dates -------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))


@given(activity=st.sampled_from(SCHEDULED), start=dates, length=st.integers(0, 120))
@example(activity=PLAN_OBJ.activity("ward-social-media"), start=dt.date(2020, 3, 29), length=0)
@example(activity=PLAN_OBJ.activity("cp-seasonal-advice"), start=dt.date(2020, 10, 25), length=1)
@example(activity=PLAN_OBJ.activity("ward-street-briefing"), start=dt.date(2020, 12, 28), length=14)
def test_occurrences_are_sorted_disjoint_and_exactly_those_meeting_the_window(
    activity: Activity, start: dt.date, length: int
) -> None:
    end = start + dt.timedelta(days=length)
    found = SCHEDULE.calendar_occurrences(activity, start, end)
    assert all(o.opens <= o.due for o in found)
    assert all(a.due < b.opens for a, b in itertools.pairwise(found))
    assert len({o.key for o in found}) == len(found)
    # a wider query, filtered to the window, gives the same answer
    wide = SCHEDULE.calendar_occurrences(activity, start - dt.timedelta(days=400), end + dt.timedelta(days=400))
    assert [o for o in wide if o.opens <= end and o.due >= start] == found


@given(
    kind=st.sampled_from(["daily", "weekly", "fortnightly", "monthly", "quarterly", "annual"]),
    start=dates,
    length=st.integers(0, 800),
)
def test_calendar_recurrences_tile_time(kind: str, start: dt.date, length: int) -> None:
    activity = next(a for a in SCHEDULED if isinstance(a.frequency, Recurrence) and a.frequency.kind == kind)
    end = start + dt.timedelta(days=length)
    found = SCHEDULE.calendar_occurrences(activity, start, end)
    assert found[0].opens <= start and found[-1].due >= end
    assert all(b.opens == a.due + dt.timedelta(days=1) for a, b in itertools.pairwise(found))


@given(day=dates, seconds=st.integers(0, 86399))
def test_local_times_round_trip_or_move_forward(day: dt.date, seconds: int) -> None:
    wall = (dt.datetime.min + dt.timedelta(seconds=seconds)).time()
    moment = resolve_local(day, wall, LONDON)
    naive = dt.datetime.combine(day, wall)
    shifted = moment.replace(tzinfo=None) - naive
    assert shifted in (dt.timedelta(0), dt.timedelta(hours=1))  # only a skipped hour moves, by its length
    assert moment.astimezone(dt.UTC).astimezone(LONDON) == moment


@given(day=dates)
def test_the_plan_year_holding_a_day_runs_from_1_april(day: dt.date) -> None:
    first, last = SCHEDULE.plan_year(day)
    assert first <= day <= last
    assert (first.month, first.day, last.month, last.day) == (4, 1, 3, 31)
    assert last.year == first.year + 1
