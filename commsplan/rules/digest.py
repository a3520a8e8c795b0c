"""The morning digest: incidents, overdue, today, the coming days, campaigns, what was done. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from commsplan.log.state import History, Incident
from commsplan.plan.model import Plan
from commsplan.rules.agenda import Agenda, Item, Window, build_agenda
from commsplan.rules.incidents import Step, pending_steps
from commsplan.rules.schedule import Schedule
from commsplan.rules.select import Filters

CAMPAIGN_LOOKAHEAD = dt.timedelta(days=14)


@dataclass(frozen=True)
class Digest:
    now: dt.datetime
    window: Window
    owner: str | None
    incidents: list[tuple[Incident, list[Step]]]
    overdue: list[list[Item]]  # runs per activity
    overdue_count: int
    today: list[Item]
    coming: list[Item]
    campaigns: list[Item]  # named-date and seasonal campaigns opening soon
    since: dt.datetime
    done_since: int
    late_since: int
    skipped_since: int
    log_head: str | None = None  # LINES:SHA256 of the log as read: a witness the mail carries away

    @property
    def pending_notifications(self) -> int:
        return sum(len(steps) for _, steps in self.incidents)

    def subject(self) -> str:
        """The first line: short enough for a mail subject."""
        parts = []
        if self.incidents:
            count = len(self.incidents)
            parts.append(f"{count} incident{'s' if count != 1 else ''} ({self.pending_notifications} to notify)")
        parts.append(f"{self.overdue_count} overdue")
        parts.append(f"{len(self.today)} due today")
        who = f" {self.owner}" if self.owner else ""
        return f"commsplan{who} {self.now:%a %-d %b}: " + ", ".join(parts)


def build_digest(
    plan: Plan,
    schedule: Schedule,
    history: History,
    now: dt.datetime,
    days: int,
    since: dt.datetime,
    owner: str | None = None,
) -> Digest:
    state = history.completions
    filters = Filters(owner=owner)
    window = Window.days(now, days)
    agenda: Agenda = build_agenda(plan, schedule, state, now, window, filters)
    today = now.date()
    due_today = [i for i in agenda.due if i.occurrence.due == today]
    coming = [i for i in agenda.due if i.occurrence.due != today and i.occurrence.due <= window.end]
    soon = Window(today + dt.timedelta(days=1), window.end + CAMPAIGN_LOOKAHEAD, "soon")
    campaigns = [
        i
        for i in build_agenda(plan, schedule, state, now, soon, filters).due
        if i.activity.frequency.kind in ("named_dates", "season")
        and i.status == "upcoming"
        and i.occurrence.opens <= soon.end
    ]
    incidents = pending_steps(plan, history.incidents, now, schedule.zone, filters)
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
        if completion.due is not None and completion.at.astimezone(schedule.zone).date() > completion.due:
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
        since=since,
        done_since=done,
        late_since=late,
        skipped_since=skipped,
    )
