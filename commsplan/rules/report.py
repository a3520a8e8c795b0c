"""How the plan was kept: per audience, sender or channel, what fell due and what was done. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from commsplan.log.state import Completion, History, Incident, State
from commsplan.plan.data import Activity, Plan
from commsplan.rules.overdue import OverdueCounter
from commsplan.rules.period import PeriodStatus, period_status
from commsplan.rules.schedule import Occurrence, Outcome, Schedule

GroupBy = Literal["audience", "owner", "channel"]


@dataclass
class GroupStats:
    key: str
    name: str
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0
    pending: int = 0  # due in the window but still open now

    @property
    def due(self) -> int:
        """Occurrences that fell due (closed, or already dealt with)."""
        return self.on_time + self.late + self.skipped + self.missed

    @property
    def rate(self) -> float | None:
        """Share done (on time or late) of what fell due and was not skipped."""
        counted = self.due - self.skipped
        return (self.on_time + self.late) / counted if counted else None


@dataclass
class Occasional:
    """A conditional duty: on how many of its days (weeks...) something was said."""

    activity: str
    what: str
    unit: str  # "days", "weeks"...
    done: int = 0
    of: int = 0


UNITS = {
    "daily": "days",
    "weekly": "weeks",
    "fortnightly": "fortnights",
    "monthly": "months",
    "quarterly": "quarters",
    "annual": "years",
}


@dataclass
class Report:
    groups: list[GroupStats]  # worst completion rate first
    occasional: list[Occasional]  # conditional duties: counted as done on N of M days, never missed
    start: dt.date  # the first day counted: --from, the plan's start, or when tracking began
    end: dt.date
    tracked_from: dt.date | None  # set when tracking began after the plan's start
    period: PeriodStatus


@dataclass(frozen=True)
class Fate:
    """What became of one occurrence that fell due in a report's window."""

    activity: Activity
    occurrence: Occurrence
    outcome: Outcome
    completion: Completion | None


def fates(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    units: frozenset[str] | None = None,
) -> list[Fate]:
    """Every scheduled occurrence due from ``start`` to ``end`` (of ``units``, where the duty is
    per unit), and what became of it: the one place on time, late, skipped, missed and pending
    are decided. Conditional duties are never missed: they are counted apart (``occasional``)."""
    found: list[Fate] = []
    for activity in plan.activities:
        if not activity.scheduled or activity.conditional is not None:
            continue
        for occ in schedule.occurrences(activity, start, end):
            if occ.due < start or occ.due > end:
                continue
            if units is not None and occ.unit is not None and occ.unit not in units:
                continue
            done = state.get((activity.id, occ.key))
            found.append(Fate(activity, occ, occ.outcome(done, now, schedule.zone), done))
    return found


def tallies(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    units: frozenset[str] | None = None,
) -> list[tuple[Activity, dict[str, int]]]:
    """Per scheduled activity, what became of its occurrences due from ``start`` to ``end``:
    ``fates`` counted rather than listed (a plan of 10,000 activities has 250,000 of them)."""
    counter = OverdueCounter(schedule, state, now)
    return [
        (activity, counter.outcomes(activity, start, end, units))
        for activity in plan.activities
        if activity.scheduled and activity.conditional is None
    ]


def group_tallies(plan: Plan, counted: Iterable[tuple[Activity, dict[str, int]]], by: GroupBy) -> list[GroupStats]:
    """``group_fates`` from counts per activity."""
    groups: dict[str, GroupStats] = {}
    names = _names(plan, by)
    for activity, tally in counted:
        for key in _group_ids(activity, by):
            stats = groups.get(key)
            if stats is None:
                stats = groups[key] = GroupStats(key, names[key])
            stats.on_time += tally["on_time"]
            stats.late += tally["late"]
            stats.skipped += tally["skipped"]
            stats.missed += tally["missed"]
            stats.pending += tally["pending"]
    return _worst_first(groups.values())


def _names(plan: Plan, by: GroupBy) -> dict[str, str]:
    if by == "audience":
        return {a.id: a.name for a in plan.audiences}
    if by == "owner":
        return {r.id: r.name for r in plan.roles}
    return {c.id: c.name for c in plan.channels}


def _group_ids(activity: Activity, by: GroupBy) -> list[str]:
    if by == "audience":
        return [activity.audience]
    if by == "owner":
        return [activity.owner.role]
    return list(dict.fromkeys(u.channel for u in activity.channels))


def _worst_first(groups: Iterable[GroupStats]) -> list[GroupStats]:
    return sorted(groups, key=lambda g: (g.rate is None, g.rate or 0.0, -g.missed, g.name))


def group_fates(plan: Plan, found: Iterable[Fate], by: GroupBy) -> list[GroupStats]:
    """Counts per audience, owner or channel, worst completion rate first. Every scheduled
    activity's group is there, even one with nothing due in the window."""
    groups: dict[str, GroupStats] = {}
    names = _names(plan, by)
    for activity in plan.activities:
        if activity.scheduled and activity.conditional is None:
            for key in _group_ids(activity, by):
                groups.setdefault(key, GroupStats(key, names[key]))
    for fate in found:
        for key in _group_ids(fate.activity, by):
            stats = groups[key]
            setattr(stats, fate.outcome, getattr(stats, fate.outcome) + 1)
    return _worst_first(groups.values())


def occasional(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    units: frozenset[str] | None = None,
) -> list[Occasional]:
    """Conditional duties: on how many of their days (weeks...) so far something was said."""
    found: list[Occasional] = []
    for activity in plan.activities:
        if not activity.scheduled or activity.conditional is None:
            continue
        counted = Occasional(activity.id, activity.what.text, UNITS.get(activity.frequency.kind, "times"))
        for occ in schedule.occurrences(activity, start, end):
            if units is not None and occ.unit is not None and occ.unit not in units:
                continue
            if start <= occ.due <= end and occ.opens <= now.date():
                counted.of += 1
                done = state.get((activity.id, occ.key))
                counted.done += done is not None and done.status == "done"
        found.append(counted)
    return found


def counting_from(plan: Plan, start: dt.date, tracking_from: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """The first day a report counts, and when tracking began if that was after the plan's
    start: occurrences due before a team adopted the plan (``track --from``) are left out."""
    tracked = tracking_from if tracking_from is not None and tracking_from > plan.meta.period.start else None
    return (max(start, tracked) if tracked is not None else start), tracked


def build_report(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    by: GroupBy,
    tracking_from: dt.date | None = None,
    units: frozenset[str] | None = None,
) -> Report:
    """Per group, worst completion rate first; conditional duties apart, as done on N of M days."""
    start, tracked_from = counting_from(plan, start, tracking_from)
    groups = group_tallies(plan, tallies(plan, schedule, state, now, start, end, units), by)
    kept = occasional(plan, schedule, state, now, start, end, units)
    return Report(groups, kept, start, end, tracked_from, period_status(plan, now.date()))


@dataclass(frozen=True)
class Overview:
    """How the plan was kept, at a glance: what `report --html` shows."""

    start: dt.date
    end: dt.date
    now: dt.datetime
    months: list[dt.date]  # the first day of each month in the window
    heat: list[tuple[GroupStats, list[GroupStats]]]  # per audience (worst first): the window, then each month
    by_owner: list[GroupStats]
    by_channel: list[GroupStats]
    missed: list[Fate]  # oldest first
    skipped: list[Fate]
    incidents: list[Incident]  # opened in the window, oldest first
    occasional: list[Occasional]  # conditional duties: done on N of M days, never missed


def build_overview(
    plan: Plan,
    schedule: Schedule,
    history: History,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    units: frozenset[str] | None = None,
) -> Overview:
    start, _ = counting_from(plan, start, history.tracking_from)
    found = fates(plan, schedule, history.completions, now, start, end, units)
    months: list[dt.date] = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    by_month: dict[dt.date, list[Fate]] = {m: [] for m in months}
    for fate in found:
        by_month[fate.occurrence.due.replace(day=1)].append(fate)
    per_month = {m: {g.key: g for g in group_fates(plan, fs, "audience")} for m, fs in by_month.items()}
    heat = [(row, [per_month[m][row.key] for m in months]) for row in group_fates(plan, found, "audience")]
    zone = schedule.zone
    incidents = [i for i in history.incidents.values() if start <= i.opened.astimezone(zone).date() <= end]
    return Overview(
        start=start,
        end=end,
        now=now,
        months=months,
        heat=heat,
        by_owner=group_fates(plan, found, "owner"),
        by_channel=group_fates(plan, found, "channel"),
        missed=sorted((f for f in found if f.outcome == "missed"), key=lambda f: (f.occurrence.due, f.activity.id)),
        skipped=sorted((f for f in found if f.outcome == "skipped"), key=lambda f: (f.occurrence.due, f.activity.id)),
        incidents=sorted(incidents, key=lambda i: i.opened),
        occasional=occasional(plan, schedule, history.completions, now, start, end, units),
    )
