"""Which occurrence a completion is for, and the record that says so. Pure: no clock, no file."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from commsplan.errors import LookupFailed
from commsplan.log.state import State
from commsplan.plan.lookup import find
from commsplan.plan.model import Activity, Plan
from commsplan.rules.schedule import Occurrence, Schedule

LOOK_AROUND = dt.timedelta(days=800)


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
) -> Target:
    """The occurrence a person means.

    With a key: that occurrence (it must exist). Without: the open one whose window holds now,
    else the oldest overdue one since the plan began. An unscheduled activity (on request,
    triggered) is recorded against the day: its key is today's date.
    """
    today = now.date()
    if not activity.scheduled:
        day = key or today.isoformat()
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            raise LookupFailed(
                f"'{activity.id}' has no schedule; its occurrences are days (YYYY-MM-DD), not '{day}'"
            ) from None
        return Target(Occurrence(activity.id, day, when, when), 0)
    if key is not None:
        around = schedule.occurrences(activity, min(today, plan.meta.period.start) - LOOK_AROUND, today + LOOK_AROUND)
        for occ in around:
            if occ.key == key:
                return Target(occ, max(0, (today - occ.due).days))
        close = difflib.get_close_matches(key, [o.key for o in around], n=3, cutoff=0.6)
        hint = " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""
        raise LookupFailed(f"'{activity.id}' has no occurrence '{key}'{hint}")
    start = plan.meta.period.start
    candidates = schedule.occurrences(activity, min(start, today), today)
    pending = [o for o in candidates if completions.get((activity.id, o.key)) is None]
    current = [o for o in pending if o.opens <= today <= o.due]
    if current:
        return Target(current[0], 0)
    overdue = [o for o in pending if o.due < today and o.due >= start]
    if overdue:
        return Target(overdue[0], (today - overdue[0].due).days)
    upcoming = schedule.occurrences(activity, today, today + LOOK_AROUND)
    nxt = next((o for o in upcoming if o.opens > today), None)
    after = f"; the next, {nxt.key}, opens {nxt.opens.isoformat()}" if nxt else ""
    raise LookupFailed(f"nothing of '{activity.id}' is open or overdue now{after}; name one with --occurrence KEY")


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
