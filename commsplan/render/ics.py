"""The plan's occurrences as an iCalendar (RFC 5545) file, written with the icalendar library.

An all-day event per occurrence on its due day, except that a campaign (a named date or a
season) spans its lead time, from the day it opens to its due day, and a daily duty is one
recurring event (RRULE, with EXDATE for any day it skips) instead of 365. Titles lead with
what is to be done, then the audience's short name (its first alias). With the log, a done
occurrence is titled "Done:" and a skipped one "Skipped:" (STATUS:CANCELLED); in a daily series
they are overrides of that day (RECURRENCE-ID).

The UID is the activity id and the occurrence key (for a daily series, the activity id), so
exporting again and re-importing updates events instead of duplicating them. DTSTAMP is the
moment of export (RFC 5545 requires it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from commsplan.log.state import Completion
from commsplan.plan.data import Activity, Plan
from commsplan.rules.schedule import Occurrence

PRODID = "-//commsplan//communication action plan//EN"
CAMPAIGN_KINDS = ("named_dates", "season")

Lookup = Callable[[tuple[str, str]], Completion | None]


def uid(occ: Occurrence) -> str:
    return f"{occ.activity}.{occ.key}@commsplan"


def series_uid(activity_id: str) -> str:
    return f"{activity_id}.daily@commsplan"


def short_name(plan: Plan, audience_id: str) -> str:
    """What a calendar title calls an audience: its first alias (SNB, Ward Panel), else its name."""
    audience = plan.audience(audience_id)
    return audience.aliases[0] if audience.aliases else audience.name


def title(plan: Plan, activity: Activity, completion: Completion | None, unit: str | None = None) -> str:
    """What to do, the audience's short name, and the borough or ward of a per-unit duty."""
    text = f"{activity.what.text} · {short_name(plan, activity.audience)}"
    if unit is not None:
        text += f" · {plan.unit(unit).name}"
    if completion is None:
        return text
    return ("Done: " if completion.status == "done" else "Skipped: ") + text


def _describe(plan: Plan, activity: Activity, occ: Occurrence, completion: Completion | None, daily: bool) -> str:
    audience = plan.audience(activity.audience)
    sender = plan.role(activity.owner.role)
    channels = list(dict.fromkeys(plan.channel(u.channel).name for u in activity.channels))
    window = (
        "Window: every day"
        if daily
        else f"Window: opens {occ.opens.isoformat()}, due {occ.due.isoformat()} ({occ.key})"
    )
    lines = [
        f"From: {sender.name}",
        f"To: {audience.name}",
        f"How: {', '.join(channels)}",
        f"When: {activity.frequency.kind.replace('_', ' ')} (source: {activity.frequency.as_written})",
        window,
        f"Why: {activity.why}",
    ]
    if completion is not None:
        what = "Done" if completion.status == "done" else "Skipped"
        lines.append(
            f"{what} {completion.at.date().isoformat()} by {completion.by}"
            + (f": {completion.note}" if completion.note else "")
        )
    else:
        key = "YYYY-MM-DD (the day)" if daily else occ.key
        lines.append(f"Record it: commsplan done {activity.id} --occurrence {key}")
    return "\n".join(lines)


def _event(
    plan: Plan,
    activity: Activity,
    occ: Occurrence,
    completion: Completion | None,
    stamp: dt.datetime,
    *,
    daily: bool = False,
) -> Any:
    import icalendar

    channels = list(dict.fromkeys(plan.channel(u.channel).name for u in activity.channels))
    event = icalendar.Event()
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    # a campaign is worked on from the day it opens (its lead time) to its due day
    start = occ.opens if activity.frequency.kind in CAMPAIGN_KINDS and not daily else occ.due
    event.add("dtstart", start)
    event.add("dtend", occ.due + dt.timedelta(days=1))
    event.add("summary", title(plan, activity, completion, occ.unit))
    event.add("description", _describe(plan, activity, occ, completion, daily))
    event.add("categories", channels)
    event.add("transp", "TRANSPARENT")
    if completion is not None and completion.status == "skipped":
        event.add("status", "CANCELLED")
    event.add("x-commsplan-activity", activity.id)
    if not daily:
        event.add("x-commsplan-occurrence", occ.key)
        event.add("x-commsplan-opens", occ.opens.isoformat())
    return event


def calendar_bytes(
    plan: Plan,
    occurrences: Iterable[Occurrence],
    stamp: dt.datetime,
    completion: Lookup | None = None,
    notice: str | None = None,
) -> tuple[bytes, int]:
    """The calendar, and how many events it holds (a daily series is one); ``notice`` (the
    window lies outside the plan's period) becomes the calendar's description."""
    import icalendar

    lookup: Lookup = completion or (lambda _key: None)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.meta.unit}: communication plan")
    cal.add("x-wr-timezone", plan.meta.timezone)
    if notice:
        cal.add("x-wr-caldesc", notice)
    activities = {a.id: a for a in plan.activities}
    daily: dict[str, list[Occurrence]] = {}
    count = 0
    for occ in occurrences:
        activity = activities[occ.activity]
        if activity.frequency.kind == "daily":
            daily.setdefault(activity.id, []).append(occ)
            continue
        event = _event(plan, activity, occ, lookup((occ.activity, occ.key)), stamp)
        event.add("uid", uid(occ))
        cal.add_component(event)
        count += 1
    for activity_id, days in daily.items():
        activity = activities[activity_id]
        days.sort(key=lambda o: o.due)
        first, last = days[0], days[-1]
        series = _event(plan, activity, first, None, stamp, daily=True)
        series.add("uid", series_uid(activity_id))
        series.add("rrule", {"freq": "daily", "until": last.due})
        present = {o.due for o in days}
        gaps = [first.due + dt.timedelta(days=n) for n in range((last.due - first.due).days + 1)]
        gaps = [d for d in gaps if d not in present]  # days the schedule leaves out (or --open-only)
        if gaps:
            series.add("exdate", gaps)
        cal.add_component(series)
        count += 1
        for occ in days:
            done = lookup((occ.activity, occ.key))
            if done is None:
                continue
            instance = _event(plan, activity, occ, done, stamp, daily=True)
            instance.add("uid", series_uid(activity_id))
            instance.add("recurrence-id", occ.due)
            cal.add_component(instance)
    return bytes(cal.to_ical()), count
