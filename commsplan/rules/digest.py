"""The morning digest: incidents, overdue, today, the coming days, campaigns, what was done. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from commsplan.log.state import History, Incident
from commsplan.plan.data import Plan
from commsplan.rules.agenda import Agenda, Item, Run, Undated, Window, build_agenda
from commsplan.rules.incidents import Step, pending_steps
from commsplan.rules.period import PeriodStatus, long_day
from commsplan.rules.schedule import Schedule
from commsplan.rules.select import Filters, unit_scope

CAMPAIGN_LOOKAHEAD = dt.timedelta(days=14)


@dataclass(frozen=True)
class Digest:
    now: dt.datetime
    window: Window
    owner: str | None
    incidents: list[tuple[Incident, list[Step]]]
    overdue: list[Run]  # per activity: counted (and listed too when expanded)
    overdue_count: int
    today: list[Item]
    coming: list[Item]
    campaigns: list[Item]  # named-date and seasonal campaigns opening soon
    undated: list[Undated]  # dated campaigns with no date this plan year
    since: dt.datetime
    done_since: int
    late_since: int
    skipped_since: int
    period: PeriodStatus | None = None
    optional: list[Item] = field(default_factory=list)  # today's conditional duties: never overdue
    preparing: list[Item] = field(default_factory=list)  # campaigns open now, due after the window
    unit: str | None = None  # --unit: the borough or ward this digest is for
    units: frozenset[str] | None = None  # the units in view (None: all)
    log_head: str | None = None  # LINES:SHA256 of the log as read: a witness the mail carries away

    @property
    def pending_notifications(self) -> int:
        return sum(len(steps) for _, steps in self.incidents)

    def subject(self) -> str:
        """The first line: short enough for a mail subject."""
        parts = []
        if self.period is not None and self.period.position == "after":
            parts.append(f"the plan ended {long_day(self.period.end)}, nothing falls due")
        elif self.period is not None and self.period.position == "before":
            parts.append(f"the plan starts {long_day(self.period.start)}, nothing falls due yet")
        if self.incidents:
            count = len(self.incidents)
            parts.append(f"{count} incident{'s' if count != 1 else ''} ({self.pending_notifications} to notify)")
        if self.period is None or not self.period.outside:
            parts.append(f"{self.overdue_count} overdue")
            parts.append(f"{len(self.today)} due today")
        who = "".join(f" {part}" for part in (self.owner, self.unit) if part)
        return f"commsplan{who} {self.now:%a %-d %b}: " + ", ".join(parts)


def build_digest(
    plan: Plan,
    schedule: Schedule,
    history: History,
    now: dt.datetime,
    days: int,
    since: dt.datetime,
    owner: str | None = None,
    unit: str | None = None,
    *,
    expand: bool = False,
) -> Digest:
    """The digest at ``now``; overdue occurrences are counted per activity (listed too with ``expand``)."""
    state = history.completions
    filters = Filters(owner=owner, units=unit_scope(plan, unit) if unit else None)
    window = Window.days(now, days)
    agenda: Agenda = build_agenda(
        plan, schedule, state, now, window, filters, tracking_from=history.tracking_from, expand=expand
    )
    today = now.date()
    due_today = [i for i in agenda.due if i.occurrence.due == today]
    coming = [i for i in agenda.due if i.occurrence.due != today and i.occurrence.due <= window.end]
    # A campaign whose lead time has begun but that falls due after the window is being
    # prepared: it stays in every digest from the day it opens until it is due or done.
    preparing = [
        i
        for i in agenda.due
        if i.status == "open"
        and i.occurrence.due > window.end
        and i.occurrence.opens <= today
        and getattr(i.activity.frequency, "lead_days", 0) > 0
    ]
    soon = Window(today + dt.timedelta(days=1), window.end + CAMPAIGN_LOOKAHEAD, "soon")
    campaigns = [
        i
        for i in build_agenda(plan, schedule, state, now, soon, filters, count_overdue=False).due
        if i.activity.frequency.kind in ("named_dates", "season")
        and i.status == "upcoming"
        and i.occurrence.opens <= soon.end
    ]
    incidents = pending_steps(plan, history.incidents, now, schedule.zone, filters.step_filter(plan))
    activities = {a.id: a for a in plan.activities}
    done = late = skipped = 0
    for (activity_id, _key), completion in state.recorded_between(since, now):
        activity = activities.get(activity_id)
        if owner is not None and (activity is None or not filters.accepts(activity)):
            continue
        if completion.status == "skipped":
            skipped += 1
            continue
        done += 1
        conditional = activity is not None and activity.conditional is not None  # never late
        if (
            not conditional
            and completion.due is not None
            and completion.at.astimezone(schedule.zone).date() > completion.due
        ):
            late += 1
    return Digest(
        now=now,
        window=window,
        owner=owner,
        incidents=incidents,
        overdue=agenda.overdue_runs,
        overdue_count=agenda.overdue_count,
        today=due_today,
        coming=coming,
        campaigns=campaigns,
        undated=agenda.undated,
        since=since,
        done_since=done,
        late_since=late,
        skipped_since=skipped,
        period=agenda.period,
        optional=agenda.optional,
        preparing=preparing,
        unit=unit,
        units=filters.units,
    )
