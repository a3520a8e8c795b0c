"""Every reading of the plan that drives behaviour, beside the source's words. Pure.

`validate --explain` lists them for the plan's owner to review: the period, quarters and office
hours; each season's windows and each named date, with where their dates come from; the
triggers an incident can have and what each calls for; senders that depend on the hour; the
standing rules. (Activities' own frequency readings are listed with the activities.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from commsplan.plan.data import WEEKDAYS, Activity, DateRange, NamedDate, Plan, Season, Triggered, Unit

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Reading:
    """One interpretation: what it is about, the source's words, how the plan reads them, and
    the notes (ambiguities, where a date comes from)."""

    subject: str
    reading: str
    as_written: str | None = None
    notes: list[str] = field(default_factory=list)


def day(value: dt.date) -> str:
    return value.strftime("%a %-d %b %Y")


def span(r: DateRange) -> str:
    return day(r.start) if r.start == r.end else f"{day(r.start)} to {day(r.end)}"


def plan_readings(plan: Plan) -> list[Reading]:
    meta = plan.meta
    found = [
        Reading(
            "period",
            f"{day(meta.period.start)} to {day(meta.period.end)}",
            meta.period.as_written,
            [meta.period.note] if meta.period.note else [],
        ),
        Reading(
            "quarters",
            "quarters begin in " + ", ".join(MONTHS[(meta.quarters.first_month - 1 + 3 * i) % 12] for i in range(4)),
            "Quarterly",
            [meta.quarters.note] if meta.quarters.note else [],
        ),
        Reading(
            "office hours",
            _office_hours(plan),
            meta.office_hours.as_written,
            [meta.office_hours.note] if meta.office_hours.note else [],
        ),
    ]
    found += [_season(s) for s in plan.seasons]
    found += [_named_date(d) for d in plan.named_dates]
    for trigger in plan.triggers:
        calls = [
            a.id for a in plan.activities if isinstance(a.frequency, Triggered) and trigger.id in a.frequency.triggers
        ]
        words = ", ".join([trigger.id, *trigger.aliases])
        notes = [f"calls for: {', '.join(calls)}" if calls else "calls for no activity"]
        found.append(
            Reading(
                f"trigger {trigger.id}",
                f"{trigger.name} (incident open --level {words})",
                trigger.as_written,
                notes + ([trigger.note] if trigger.note else []),
            )
        )
    found += [_sender(plan, a) for a in plan.activities if a.owner.out_of_hours or a.owner.reading]
    found += [_unit(plan, u) for u in plan.units]
    for activity in plan.activities:
        if activity.per_unit is not None:
            listed = [u.name for u in plan.units if u.kind == activity.per_unit]
            found.append(
                Reading(
                    f"per {activity.per_unit} {activity.id}",
                    f"one occurrence for each {activity.per_unit}, done on its own: " + ", ".join(listed)
                    if listed
                    else f"one occurrence for each {activity.per_unit}, but the plan lists none: one BCU-wide duty",
                    None,
                    [],
                )
            )
        if activity.conditional is not None:
            found.append(
                Reading(
                    f"conditional {activity.id}",
                    "wanted when there is something to say: listed for today, never overdue or missed",
                    activity.conditional.as_written,
                    [activity.conditional.note] if activity.conditional.note else [],
                )
            )
    for rule in plan.rules:
        when = [
            f"when an incident involves {' or '.join(rule.when)}" if rule.when else "",
            f"and {' or '.join(rule.applies_to)}" if rule.applies_to and rule.refer_to else "",
        ]
        notes = [" ".join(w for w in when if w)] if rule.refer_to and rule.when else []
        found.append(Reading(f"rule {rule.id}", rule.text, rule.as_written, notes))
    return found


def _unit(plan: Plan, unit: Unit) -> Reading:
    within = next((u.name for u in plan.units if u.id == unit.within), None)
    what = f"{unit.name}, a {unit.kind}" + (f" within {within}" if within else "")
    return Reading(f"unit {unit.id}", what, unit.name, [unit.note] if unit.note else [])


def _office_hours(plan: Plan) -> str:
    office = plan.meta.office_hours
    days = [d for d in WEEKDAYS if d in office.days]
    if days and WEEKDAYS.index(days[-1]) - WEEKDAYS.index(days[0]) == len(days) - 1:
        which = f"{days[0].capitalize()} to {days[-1].capitalize()}"
    else:
        which = ", ".join(d.capitalize() for d in days)
    holidays = "; not on England's bank holidays" if office.bank_holidays == "england" else ""
    return f"{which} {office.start:%H:%M}-{office.end:%H:%M}{holidays}; e-mail in them, telephone out of them"


def _season(season: Season) -> Reading:
    notes: list[str] = []
    if season.windows is None:
        reading = f"from {season.start} to {season.end}, each year"
    elif not season.windows:
        reading = "no window listed: never scheduled"
    else:
        reading = "; ".join(span(w) for w in season.windows)
        notes = [f"{span(w)}: {w.source}" for w in season.windows if w.source]
    return Reading(
        f"season {season.id}",
        f"{season.name}: {reading}",
        season.as_written,
        notes + ([season.note] if season.note else []),
    )


def _named_date(named: NamedDate) -> Reading:
    if named.fixed is not None:
        month, day_ = (int(x) for x in named.fixed.split("-"))
        reading = f"{day_} {MONTHS[month - 1]} each year"
    elif named.computed is not None:
        reading = f"the day the clocks go {'forward' if named.computed == 'clocks_forward' else 'back'}, each year"
    elif not named.dates:
        reading = "no date listed: never scheduled"
    else:
        reading = "; ".join(span(r) for r in named.dates)
    notes = [f"{span(r)}: {r.source}" for r in named.dates or [] if r.source]
    return Reading(
        f"date {named.id}", f"{named.name}: {reading}", named.as_written, notes + ([named.note] if named.note else [])
    )


def _sender(plan: Plan, activity: Activity) -> Reading:
    owner = activity.owner
    office = plan.role(owner.role).name
    if owner.out_of_hours:
        reading = f"{office} in office hours, {plan.role(owner.out_of_hours).name} out of them"
    else:
        reading = office
    if owner.with_:
        reading += ", with " + ", ".join(plan.role(r).name for r in owner.with_)
    return Reading(f"sender of {activity.id}", reading, owner.as_written, [owner.reading] if owner.reading else [])


def activity_dates(plan: Plan, activity: Activity) -> list[str]:
    """The windows and dates that make an activity's occurrences, as `show` prints them."""
    from commsplan.plan.data import NamedDates, Recurrence, RRule, Seasonal

    freq = activity.frequency
    if isinstance(freq, Seasonal):
        seasons = {s.id: s for s in plan.seasons}
        lead = f"; each campaign opens {freq.lead_days} days before and is due on the first day"
        return [_season(seasons[s]).reading for s in freq.seasons] + [lead.removeprefix("; ").capitalize()]
    if isinstance(freq, NamedDates):
        named = {d.id: d for d in plan.named_dates}
        lead = f"Each campaign opens {freq.lead_days} days before and is due on the day"
        return [_named_date(named[d]).reading for d in freq.dates] + [lead]
    if isinstance(freq, Triggered):
        names = {t.id: t.name for t in plan.triggers}
        return ["On any of: " + ", ".join(names.get(t, t) for t in freq.triggers)]
    if isinstance(freq, RRule):
        return [f"RRULE {freq.rrule} from {day(freq.start)}; opens {freq.lead_days} days before each"]
    if not isinstance(freq, Recurrence):
        return []
    period = plan.meta.period
    if freq.kind == "fortnightly" and freq.anchor is not None:
        due = "its last day" if freq.due is None else freq.due.capitalize() if isinstance(freq.due, str) else freq.due
        return [f"Fortnights counted from {day(freq.anchor)}, each due on {due}"]
    if freq.kind == "quarterly":
        first = plan.meta.quarters.first_month
        months = ", ".join(MONTHS[(first - 1 + 3 * i) % 12] for i in range(4))
        return [f"Quarters beginning in {months}; each due on its last day"]
    if freq.kind == "annual":
        return [f"Plan years from {period.start:%-d %B}; each due on its last day"]
    if freq.kind == "monthly":
        return [f"Calendar months, each due on {'its last day' if freq.due is None else f'day {freq.due}'}"]
    if freq.kind == "weekly":
        return [f"Weeks Monday to Sunday, each due on {'Sunday' if freq.due is None else str(freq.due).capitalize()}"]
    return ["Every day"]
