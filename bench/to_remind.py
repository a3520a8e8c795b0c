"""Write a plan's schedules as a Remind file, so Remind can answer the same questions.

    python bench/to_remind.py PLAN.yaml > plan.rem

Each scheduled activity becomes REM lines that make Remind compute the same due days from the
same rule (a weekday, a day of the month, a repeat every N days), limited to the plan's period
with FROM/UNTIL; a per-borough duty gets one line per borough. Schedules Remind cannot say in
one line (an arbitrary RRULE, dates listed year by year) are written as their dated
occurrences, computed by commsplan: Remind then only reads them. Triggered and on-request
activities and conditional duties have no due days, as in `commsplan due`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

from commsplan.plan.data import WEEKDAYS, Activity, NamedDates, Plan, Recurrence, RRule, Seasonal
from commsplan.plan.load import load_plan
from commsplan.rules.schedule import Schedule

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def remind_lines(plan: Plan, schedule: Schedule, activity: Activity) -> Iterator[str]:
    """The REM lines (without MSG) that give the activity's due days in the plan's period."""
    period = plan.meta.period
    span = f"FROM {period.start.isoformat()} UNTIL {period.end.isoformat()}"
    freq = activity.frequency
    if isinstance(freq, Recurrence) and freq.time is None:
        if freq.kind == "daily":
            yield f"REM {span}"
            return
        if freq.kind in ("weekly", "fortnightly"):
            day = DAYS[WEEKDAYS.index(freq.due)] if isinstance(freq.due, str) else "Sun"
            if freq.kind == "weekly":
                yield f"REM {day} {span}"
                return
            first = schedule.occurrences(activity, period.start, period.end)
            if first:
                yield f"REM {first[0].due.isoformat()} *14 UNTIL {period.end.isoformat()}"
            return
        if freq.kind == "monthly" and (freq.due is None or freq.due == 31):
            # the month's last day: the day before the next month's first
            yield f"REM 1 --1 FROM {(period.start + dt.timedelta(days=1)).isoformat()} UNTIL {_after(period.end)}"
            return
        if freq.kind == "monthly" and isinstance(freq.due, int) and freq.due <= 28:
            yield f"REM {freq.due} {span}"
            return
        if freq.kind == "quarterly" and freq.due is None:
            first_month = plan.meta.quarters.first_month
            for month in range(first_month, first_month + 12, 3):
                # a quarter's last day: the day before the next quarter's first
                yield f"REM 1 {MONTHS[(month - 1) % 12]} --1 FROM {period.start.isoformat()} UNTIL {_after(period.end)}"
            return
        if freq.kind == "annual":
            last = schedule.plan_year(period.start)[1]
            yield f"REM {last.day} {MONTHS[last.month - 1]} {span}"
            return
    if isinstance(freq, RRule) and freq.rrule.upper().removeprefix("RRULE:") == "FREQ=MONTHLY;BYDAY=1TU":
        yield f"REM Tue 1 {span}"  # the first Tuesday on or after the 1st
        return
    fixed = [_fixed(plan, name) for name in freq.dates] if isinstance(freq, NamedDates) else []
    if fixed and all(f is not None for f in fixed):
        for month, of_month in filter(None, fixed):
            yield f"REM {of_month} {MONTHS[month - 1]} {span}"
        return
    if isinstance(freq, Seasonal) and freq.seasons == ["winter"] and _clocks_back_start(plan):
        yield f"REM Sun 25 Oct {span}"  # the last Sunday of October, when UK clocks go back
        return
    # Anything else: its due days as commsplan computes them, one dated line each.
    for occurrence in schedule.occurrences(activity, period.start, period.end):
        if occurrence.unit is None or occurrence.unit == _first_unit(plan, activity):
            yield f"REM {occurrence.due.isoformat()}"


def _after(day: dt.date) -> str:
    return (day + dt.timedelta(days=1)).isoformat()


def _fixed(plan: Plan, name: str) -> tuple[int, int] | None:
    """A named date's month and day, when it is the same every year (Halloween: 10-31)."""
    named = next(d for d in plan.named_dates if d.id == name)
    if named.fixed is None or named.fixed == "02-29":
        return None
    month, day = (int(x) for x in named.fixed.split("-"))
    return month, day


def _clocks_back_start(plan: Plan) -> bool:
    season = next((s for s in plan.seasons if s.id == "winter"), None)
    named = {d.id: d for d in plan.named_dates}
    start = named.get(season.start) if season and season.start else None
    return start is not None and start.computed == "clocks_back" and plan.meta.timezone == "Europe/London"


def _first_unit(plan: Plan, activity: Activity) -> str | None:
    units = plan.units_of(activity.per_unit)
    return units[0].id if units else None


def to_remind(plan: Plan) -> str:
    schedule = Schedule(plan)
    out = [f"# {plan.meta.title}: written by bench/to_remind.py\n"]
    for activity in plan.activities:
        if not activity.scheduled or activity.conditional is not None:
            continue
        units: list[str | None] = [u.id for u in plan.units_of(activity.per_unit)] or [None]
        for line in remind_lines(plan, schedule, activity):
            for unit in units:
                out.append(f"{line} MSG {activity.id}{'@' + unit if unit else ''}\n")
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    args = parser.parse_args()
    sys.stdout.write(to_remind(load_plan(args.plan).plan))


if __name__ == "__main__":
    main()
