"""Which occurrence a completion is for, and the record that says so. Pure: no clock, no file."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any, NoReturn

from commsplan.errors import LookupFailed, UsageError
from commsplan.log.state import State
from commsplan.plan.data import Activity, Plan
from commsplan.plan.lookup import find
from commsplan.rules.schedule import Occurrence, Schedule

LOOK_AROUND = dt.timedelta(days=800)
LISTED = 8  # overdue occurrences spelled out when `done` asks which one is meant


@dataclass(frozen=True)
class Target:
    """The occurrence a `done` or `skip` is about."""

    occurrence: Occurrence
    late_days: int  # > 0 when the window had already closed


def choose_occurrence(
    plan: Plan,
    schedule: Schedule,
    activity: Activity,
    completions: State,
    now: dt.datetime,
    key: str | None,
    *,
    verb: str = "done",
    tracking_from: dt.date | None = None,
    unit: str | None = None,
) -> Target:
    """The occurrence a person means; it never guesses. A conditional duty is never late: a
    story told a week on is still one of its days' news, not an overdue duty."""
    target = _choose_occurrence(
        plan, schedule, activity, completions, now, key, verb=verb, tracking_from=tracking_from, unit=unit
    )
    return Target(target.occurrence, 0) if activity.conditional is not None else target


def _choose_occurrence(
    plan: Plan,
    schedule: Schedule,
    activity: Activity,
    completions: State,
    now: dt.datetime,
    key: str | None,
    *,
    verb: str,
    tracking_from: dt.date | None,
    unit: str | None,
) -> Target:
    """The occurrence a person means; it never guesses.

    With ``key``: that occurrence, by its key (2020-Q3) or by any day inside its window
    (2020-10-12 -> the fortnight of 5 Oct). Without: the one whose window holds now (refused if
    already done, even when older ones are overdue); else the only overdue one; several
    overdue is refused with the command for each. Nothing outside the plan's period is ever
    chosen. An unscheduled activity (on request, triggered) is recorded against the day.
    """
    today = now.date()
    period = plan.meta.period
    if not activity.scheduled:
        day = key or today.isoformat()
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            raise LookupFailed(
                f"'{activity.id}' has no schedule; its occurrences are days (YYYY-MM-DD), not '{day}'"
            ) from None
        _inside_period(plan, when, f"{activity.id} {day}")
        return Target(Occurrence(activity.id, day, when, when), 0)
    occurrences = _of_unit(plan, activity, schedule.occurrences(activity, period.start, period.end), unit, key)
    if key is not None:
        occ = _named(plan, schedule, activity, occurrences, key)
        return Target(occ, max(0, (today - occ.due).days) if occ.is_closed(now) else 0)
    if today > period.end:
        _inside_period(
            plan,
            today,
            f"now ({today.isoformat()})",
            hint=" To record one of its occurrences, name it with --occurrence KEY.",
        )
    counts_from = max(period.start, tracking_from) if tracking_from is not None else period.start
    overdue = [
        o
        for o in occurrences
        if o.is_closed(now) and o.due >= counts_from and completions.get((activity.id, o.key)) is None
    ]
    current = [o for o in occurrences if o.opens <= today <= o.due and not o.is_closed(now)]
    if current:
        occ = current[0]
        if activity.conditional is None:
            try:
                refuse_twice(activity, Target(occ, 0), completions)
            except LookupFailed as exc:
                if not overdue:
                    raise
                older = "Older occurrences are overdue; to record one of them, name it:"
                raise LookupFailed(
                    "\n".join([exc.message, older, *_commands(activity, overdue, today, verb)])
                ) from None
        return Target(occ, 0)
    if activity.conditional is None and len(overdue) == 1:
        return Target(overdue[0], (today - overdue[0].due).days)
    if activity.conditional is None and overdue:
        raise LookupFailed(_which_one(activity, overdue, today, verb))
    nxt = next((o for o in occurrences if o.opens > today), None)
    after = f"; the next, {nxt.key}, opens {nxt.opens.isoformat()}" if nxt else ""
    raise LookupFailed(f"nothing of '{activity.id}' is open or overdue now{after}; name one with --occurrence KEY")


def _of_unit(
    plan: Plan, activity: Activity, occurrences: list[Occurrence], unit: str | None, key: str | None
) -> list[Occurrence]:
    """A per-unit duty is recorded for one borough or ward: --unit says which (or a key
    ending in "@unit"); it never stands for all of them."""
    units = plan.units_of(activity.per_unit) if occurrences and occurrences[0].unit is not None else []
    if not units:
        if unit is not None:
            raise LookupFailed(f"'{activity.id}' is one BCU-wide duty, not one per borough or ward; drop --unit")
        return occurrences
    if unit is None:
        if key is not None and "@" in key:
            return occurrences
        names = ", ".join(u.id for u in units)
        raise LookupFailed(
            f"'{activity.id}' is done for each {activity.per_unit} on its own; say which with --unit ({names})"
        )
    if all(u.id != unit for u in units):
        raise LookupFailed(f"'{activity.id}' is done per {activity.per_unit}, and '{unit}' is not one")
    # the unit's own occurrences, under the keys a person types for them (2020-10-05)
    return [o for o in occurrences if o.unit == unit]


def _which_one(activity: Activity, overdue: list[Occurrence], today: dt.date, verb: str) -> str:
    """Several occurrences are overdue: say so, and give the command for each."""
    lines = [
        f"{activity.id} has {len(overdue)} overdue occurrences and none open now; say which one with --occurrence:"
    ]
    return "\n".join(lines + _commands(activity, overdue, today, verb))


def _commands(activity: Activity, overdue: list[Occurrence], today: dt.date, verb: str) -> list[str]:
    lines = []
    for occ in overdue[:LISTED]:
        late = (today - occ.due).days
        lines.append(f"  {occ.key}, due {occ.due:%a %-d %b %Y} ({late} day{'s' if late != 1 else ''} ago):")
        lines.append(f"    commsplan {verb} {activity.id} --occurrence {occ.key}")
    if len(overdue) > LISTED:
        lines.append(
            f"  ... and {len(overdue) - LISTED} more ('commsplan due --overdue --json --expand' lists every one)"
        )
    return lines


def _inside_period(plan: Plan, day: dt.date, what: str, hint: str = "") -> None:
    period = plan.meta.period
    if not period.start <= day <= period.end:
        raise LookupFailed(
            f"{what} is outside the plan's period ({period.start:%-d %b %Y} to {period.end:%-d %b %Y}); "
            f"nothing was recorded.{hint}"
        )


def _named(plan: Plan, schedule: Schedule, activity: Activity, occurrences: list[Occurrence], key: str) -> Occurrence:
    """The occurrence with this key, or whose window holds this day; outside the period, none."""
    for occ in occurrences:
        if occ.key == key or (occ.unit is not None and occ.key == f"{key}@{occ.unit}"):
            return occ
    try:
        day: dt.date | None = dt.date.fromisoformat(key) if len(key) == 10 else None
    except ValueError:
        day = None
    if day is not None:
        _inside_period(plan, day, f"{activity.id} {key}")
        for occ in occurrences:
            if occ.opens <= day <= occ.due:
                return occ
    period = plan.meta.period
    beyond = schedule.calendar_occurrences(activity, period.start - LOOK_AROUND, period.end + LOOK_AROUND)
    if any(o.key == key for o in beyond):
        _inside_period(plan, next(o.due for o in beyond if o.key == key), f"{activity.id} {key}")
    keys = [o.key for o in occurrences]
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""
    if day is not None:
        _no_window(activity, key, occurrences, day)
    span = f"; its keys run from {keys[0]} to {keys[-1]}" if keys and not close else ""
    raise LookupFailed(f"'{activity.id}' has no occurrence '{key}'{hint}{span}")


def _no_window(activity: Activity, key: str, occurrences: list[Occurrence], day: dt.date) -> NoReturn:
    before = [o for o in occurrences if o.due < day]
    after = [o for o in occurrences if o.opens > day]
    near = [f"{o.key} ({o.opens.isoformat()} to {o.due.isoformat()})" for o in (before[-1:] + after[:1])]
    around = f"; the nearest: {' and '.join(near)}" if near else ""
    raise LookupFailed(f"no occurrence of '{activity.id}' is open on {key}{around}")


def occurrences_in_range(
    plan: Plan,
    schedule: Schedule,
    activity: Activity,
    completions: State,
    start: dt.date,
    end: dt.date,
    unit: str | None = None,
) -> list[Occurrence]:
    """The occurrences a range skip covers: those due from ``start`` to ``end`` (inclusive) that
    are neither done nor skipped yet (of one unit's, with ``unit``; else every unit's). Refused when there are none, or the range is not the plan's."""
    period = plan.meta.period
    if end < start:
        raise UsageError(f"--until {end.isoformat()} is before --from {start.isoformat()}")
    if end < period.start or start > period.end:
        _inside_period(plan, start if start > period.end else end, f"{start.isoformat()} to {end.isoformat()}")
    if not activity.scheduled:
        raise LookupFailed(f"'{activity.id}' has no schedule, so no occurrences to skip in a range")
    found = [
        o
        for o in schedule.occurrences(activity, start, end)
        if start <= o.due <= end and completions.get((activity.id, o.key)) is None and unit in (None, o.unit)
    ]
    if not found:
        raise LookupFailed(
            f"no occurrence of '{activity.id}' due from {start.isoformat()} to {end.isoformat()} is left to skip"
        )
    return found


def range_skip_data(
    activity: Activity, occurrences: list[Occurrence], start: dt.date, end: dt.date, by: str, reason: str
) -> dict[str, Any]:
    """One record for the whole range: all of it is skipped, or (if the append fails) none."""
    return {
        "activity": activity.id,
        "from": start.isoformat(),
        "until": end.isoformat(),
        "occurrences": [o.key for o in occurrences],
        "by": by,
        "reason": reason,
    }


def completion_data(
    activity: Activity,
    target: Target,
    by: str,
    *,
    channel: str | None = None,
    note: str | None = None,
    evidence: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "activity": activity.id,
        "occurrence": target.occurrence.key,
        "due": target.occurrence.due.isoformat(),
        "by": by,
    }
    for name, value in (("channel", channel), ("note", note), ("evidence", evidence), ("reason", reason)):
        if value:
            data[name] = value
    return data


def check_channel(plan: Plan, activity: Activity, typed: str) -> str:
    """The id of the channel a person typed for ``activity``; it must be one the plan names."""
    found = find(typed, plan.channels, "channel")
    if all(use.channel != found.id for use in activity.channels):
        names = ", ".join(dict.fromkeys(plan.channel(u.channel).name for u in activity.channels))
        raise LookupFailed(f"'{activity.id}' is not sent by {found.name}; the plan says: {names}")
    return found.id


def refuse_twice(activity: Activity, target: Target, completions: State) -> None:
    """An occurrence is done or skipped once: a second time is refused, saying who and how to undo."""
    key = target.occurrence.key
    existing = completions.get((activity.id, key))
    if existing is not None:
        raise LookupFailed(
            f"{activity.id} {key} is already {existing.status} ({existing.at.date().isoformat()} by "
            f"{existing.by}, record {existing.record_id}); 'commsplan undo --id {existing.record_id}' retracts it"
        )
