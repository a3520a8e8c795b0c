"""What two versions of a plan commit to differently, by activity id, in words. Pure.

Only commitments count: who sends what to whom, by which channel, how often or on what
trigger, and when office hours are; plus the period. Bookkeeping that follows the period
(a fortnightly anchor moved to the same rhythm, a listed date to refill) is not a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from commsplan.plan.data import Activity, NamedDates, OfficeHours, Plan, Recurrence, RRule, Seasonal, Triggered
from commsplan.rules.period import long_day


@dataclass(frozen=True)
class Change:
    what: str  # "audience", "sender", "channel", "frequency", "trigger", "office hours", "period"...
    old: str
    new: str


@dataclass(frozen=True)
class ActivityChanges:
    activity: str
    changes: list[Change]


@dataclass(frozen=True)
class PlanDiff:
    period: Change | None
    office_hours: Change | None
    gained: list[tuple[str, str]] = field(default_factory=list)  # (activity id, the commitment in words)
    lost: list[tuple[str, str]] = field(default_factory=list)
    changed: list[ActivityChanges] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.period or self.office_hours or self.gained or self.lost or self.changed)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday"}
DAYS |= {"sat": "Saturday", "sun": "Sunday"}


def frequency_words(plan: Plan, activity: Activity) -> str:
    freq = activity.frequency
    if isinstance(freq, Recurrence):
        words = {"fortnightly": "every other week"}.get(freq.kind, freq.kind)
        if isinstance(freq.due, str):
            words += f", due {DAYS[freq.due]}"
        elif isinstance(freq.due, int):
            words += f", due on the {_ordinal(freq.due)}"
        if freq.time is not None:
            words += f" at {freq.time:%H:%M}"
    elif isinstance(freq, RRule):
        words = f"by the rule {freq.rrule}" + (f", {freq.lead_days} days' lead" if freq.lead_days else "")
    elif isinstance(freq, NamedDates):
        names = {d.id: d.name for d in plan.named_dates}
        words = f"before {', '.join(names[d] for d in freq.dates)} ({freq.lead_days} days' lead)"
    elif isinstance(freq, Seasonal):
        names = {s.id: s.name for s in plan.seasons}
        words = f"at the start of {', '.join(names[s] for s in freq.seasons)} ({freq.lead_days} days' lead)"
    elif isinstance(freq, Triggered):
        words = "on a trigger"
    else:
        words = "on request, no schedule"
    if activity.conditional is not None:
        words += ", when there is something to say"
    if activity.per_unit is not None:
        words += f", for each {activity.per_unit}"
    return words


def sender_words(plan: Plan, activity: Activity) -> str:
    words = plan.role(activity.owner.role).name
    if activity.owner.with_:
        words += " with " + ", ".join(plan.role(r).name for r in activity.owner.with_)
    return words


def channel_words(plan: Plan, activity: Activity) -> str:
    when = {"office_hours": " in office hours", "out_of_hours": " out of office hours", "any": ""}
    return "; ".join(dict.fromkeys(plan.channel(u.channel).name + when[u.when] for u in activity.channels))


def trigger_words(plan: Plan, activity: Activity) -> str:
    freq = activity.frequency
    if not isinstance(freq, Triggered):
        return "none"
    names = {t.id: t.name for t in plan.triggers}
    return ", ".join(names[t] for t in freq.triggers)


def commitment(plan: Plan, activity: Activity) -> str:
    """One activity's commitment in a sentence."""
    audience = plan.audience(activity.audience).name
    text = f"{sender_words(plan, activity)} -> {audience} by {channel_words(plan, activity)}: {activity.what.text}; "
    text += frequency_words(plan, activity)
    if isinstance(activity.frequency, Triggered):
        text += f" ({trigger_words(plan, activity)})"
    return text


def office_words(hours: OfficeHours) -> str:
    days = ", ".join(DAYS[d][:3] for d in hours.days)
    holidays = "; bank holidays out of hours" if hours.bank_holidays == "england" else ""
    return f"{days} {hours.start:%H:%M}-{hours.end:%H:%M}{holidays}"


def _cycle_moved(old: Activity, new: Activity) -> bool:
    a, b = old.frequency, new.frequency
    if isinstance(a, Recurrence) and isinstance(b, Recurrence) and a.anchor and b.anchor:
        return (b.anchor - a.anchor).days % 14 != 0
    return False


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    def span(start: dt.date, end: dt.date) -> str:
        return f"{long_day(start)} to {long_day(end)}"

    p0, p1 = old.meta.period, new.meta.period
    period = (
        Change("period", span(p0.start, p0.end), span(p1.start, p1.end))
        if (p0.start, p0.end)
        != (
            p1.start,
            p1.end,
        )
        else None
    )
    h0, h1 = office_words(old.meta.office_hours), office_words(new.meta.office_hours)
    office = Change("office hours", h0, h1) if h0 != h1 else None
    before = {a.id: a for a in old.activities}
    after = {a.id: a for a in new.activities}
    gained = [(a.id, commitment(new, a)) for a in new.activities if a.id not in before]
    lost = [(a.id, commitment(old, a)) for a in old.activities if a.id not in after]
    changed: list[ActivityChanges] = []
    for activity in new.activities:
        was = before.get(activity.id)
        if was is None:
            continue
        changes = []
        for what, words in (
            ("audience", lambda p, a: p.audience(a.audience).name),
            ("sender", sender_words),
            ("what", lambda p, a: a.what.text),
            ("channel", channel_words),
            ("frequency", frequency_words),
            ("trigger", trigger_words),
        ):
            o, n = words(old, was), words(new, activity)
            if o != n:
                changes.append(Change(what, o, n))
        if _cycle_moved(was, activity):
            changes.append(Change("fortnightly cycle", "the weeks it had", "the other weeks"))
        if changes:
            changed.append(ActivityChanges(activity.id, changes))
    return PlanDiff(period, office, gained, lost, changed)
