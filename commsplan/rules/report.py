"""How the plan was kept: per audience, sender or channel, what fell due and what was done. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from commsplan.log.state import State
from commsplan.plan.model import Plan
from commsplan.rules.period import PeriodStatus, period_status
from commsplan.rules.schedule import Schedule

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
    """Per group, worst completion rate first; conditional duties apart, as done on N of M days.
    Occurrences due before tracking began (``track --from``) are left out."""
    tracked_from = tracking_from if tracking_from is not None and tracking_from > plan.meta.period.start else None
    if tracked_from is not None:
        start = max(start, tracked_from)
    groups: dict[str, GroupStats] = {}
    occasional: list[Occasional] = []
    for activity in plan.activities:
        if not activity.scheduled:
            continue
        if activity.conditional is not None:
            kind = activity.frequency.kind
            counted = Occasional(activity.id, activity.what.text, UNITS.get(kind, "times"))
            for occ in schedule.occurrences(activity, start, end):
                if units is not None and occ.unit is not None and occ.unit not in units:
                    continue
                if start <= occ.due <= end and occ.opens <= now.date():
                    counted.of += 1
                    done = state.get((activity.id, occ.key))
                    counted.done += done is not None and done.status == "done"
            occasional.append(counted)
            continue
        if by == "audience":
            keys = [(activity.audience, plan.audience(activity.audience).name)]
        elif by == "owner":
            keys = [(activity.owner.role, plan.role(activity.owner.role).name)]
        else:
            ids = dict.fromkeys(u.channel for u in activity.channels)
            keys = [(c, plan.channel(c).name) for c in ids]
        stats = [groups.setdefault(k, GroupStats(k, name)) for k, name in keys]
        for occ in schedule.occurrences(activity, start, end):
            if occ.due < start or occ.due > end:
                continue
            if units is not None and occ.unit is not None and occ.unit not in units:
                continue
            done = state.get((activity.id, occ.key))
            closed = occ.is_closed(now)
            for s in stats:
                if done is None:
                    if closed:
                        s.missed += 1
                    else:
                        s.pending += 1
                elif done.status == "skipped":
                    s.skipped += 1
                elif done.at.astimezone(schedule.zone).date() > occ.due:
                    s.late += 1
                else:
                    s.on_time += 1
    ordered = sorted(groups.values(), key=lambda g: (g.rate is None, g.rate or 0.0, -g.missed, g.name))
    return Report(ordered, occasional, start, end, tracked_from, period_status(plan, now.date()))
