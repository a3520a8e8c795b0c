"""Incidents: who must be told, by which channel at this moment, and what has been done. Pure.

Office hours come from the plan; evenings, weekends and England's bank holidays (from the
`holidays` library) are out of office hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from commsplan.errors import LookupFailed, UsageError
from commsplan.log.state import Incident
from commsplan.plan.data import WEEKDAYS, Activity, OfficeHours, Plan, Rule, Trigger, Triggered


@cache
def _bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    import holidays  # 0.1 s to import: only incident commands need it

    if region == "england":
        return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))
    return frozenset()


def bank_holiday(day: dt.date, office: OfficeHours) -> bool:
    return office.bank_holidays != "none" and day in _bank_holidays(office.bank_holidays, day.year)


def in_office_hours(moment: dt.datetime, office: OfficeHours, zone: dt.tzinfo) -> bool:
    local = moment.astimezone(zone)
    if WEEKDAYS[local.weekday()] not in office.days or bank_holiday(local.date(), office):
        return False
    return office.start <= local.time().replace(tzinfo=None) < office.end


@dataclass(frozen=True)
class Step:
    """One notification of an incident's checklist."""

    id: str  # the activity or rule id: what `incident notify ID STEP` takes
    number: int
    audience: str  # audience id ("" for a rule)
    owner: str  # role id: who sends at this moment (the Duty Officer out of office hours)
    channels: tuple[str, ...]  # channel ids to use at this moment
    what: str
    status: Literal["pending", "done"]
    done_at: dt.datetime | None = None  # the first notification
    done_by: str | None = None
    refer_to: str | None = None  # for a rule: the role to refer to (DMC)
    rule: bool = False
    times: int = 0  # notifications made: a live incident is updated, not notified once
    last_at: dt.datetime | None = None  # the latest notification


def find_trigger(plan: Plan, word: str) -> Trigger:
    """The plan's trigger a person (or an older log record: 'critical') names by id or alias.

    A usage error lists the plan's triggers: they are what `--level` accepts."""
    from commsplan.plan.lookup import find

    try:
        return find(word, plan.triggers, "trigger")
    except LookupFailed as exc:
        known = ", ".join(t.id for t in plan.triggers) or "none (the plan declares no triggers)"
        raise UsageError(f"'{word}' is not a trigger of the plan; one of {known} (or an alias)") from exc


def incident_triggers(plan: Plan, incident: Incident) -> list[str]:
    """The trigger ids an incident involves. A level an older log wrote ('critical') or one the
    plan no longer declares is read as the plan reads it, else kept as it is."""
    found = []
    for word in incident.triggers:
        try:
            found.append(find_trigger(plan, word).id)
        except UsageError:
            found.append(word)
    return list(dict.fromkeys(found))


def checklist(plan: Plan, incident: Incident, moment: dt.datetime, zone: dt.tzinfo) -> tuple[bool, list[Step]]:
    """(in office hours?, the steps) for an incident at ``moment``: every activity one of its
    triggers calls for, then every rule that applies (DMC takes media queries about a critical
    or major incident: only once the incident has a media enquiry)."""
    office = in_office_hours(moment, plan.meta.office_hours, zone)
    # Steps are numbered in the order the incident's triggers came (the one it was opened with,
    # then each `incident also`), so a step keeps its number when a later trigger adds others.
    active: set[str] = set()
    listed: set[str] = set()
    steps: list[Step] = []
    for trigger in incident_triggers(plan, incident):
        active.add(trigger)
        for activity in plan.activities:
            freq = activity.frequency
            if activity.id in listed or not isinstance(freq, Triggered) or trigger not in freq.triggers:
                continue
            listed.add(activity.id)
            steps.append(_activity_step(activity, len(steps) + 1, office, incident))
        for rule in plan.rules:
            applies = not rule.applies_to or active & set(rule.applies_to)
            if rule.id not in listed and rule.refer_to and active & set(rule.when) and applies:
                listed.add(rule.id)
                steps.append(_rule_step(rule, len(steps) + 1, incident, plan, office))
    return office, steps


def _done(incident: Incident, step_id: str) -> dict[str, Any]:
    """The Step fields that say what was done of a step: first and latest notification."""
    events = incident.notified.get(step_id) or []
    if not events:
        return {"status": "pending"}
    return {
        "status": "done",
        "done_at": events[0].at,
        "done_by": events[0].by,
        "times": len(events),
        "last_at": events[-1].at,
    }


def _activity_step(activity: Activity, number: int, office: bool, incident: Incident) -> Step:
    now_wanted = "office_hours" if office else "out_of_hours"
    channels = tuple(dict.fromkeys(u.channel for u in activity.channels if u.when in ("any", now_wanted)))
    if not channels:  # a plan that names channels only for the other half of the week
        channels = tuple(dict.fromkeys(u.channel for u in activity.channels))
    return Step(
        id=activity.id,
        number=number,
        audience=activity.audience,
        owner=activity.owner.role_at(office),
        channels=channels,
        what=activity.what.text,
        **_done(incident, activity.id),
    )


def _rule_step(rule: Rule, number: int, incident: Incident, plan: Plan, office: bool) -> Step:
    # The rule applies to media enquiries: whoever answers those (the comms team) refers them.
    owners = [
        a.owner.role_at(office)
        for a in plan.activities
        if isinstance(a.frequency, Triggered) and set(rule.applies_to) & set(a.frequency.triggers)
    ]
    return Step(
        id=rule.id,
        number=number,
        audience="",
        owner=owners[0] if owners else "",
        channels=(),
        what=rule.text,
        refer_to=rule.refer_to,
        rule=True,
        **_done(incident, rule.id),
    )


def find_step(steps: Sequence[Step], query: str) -> Step:
    """A step by its number, its id or a unique start of its id."""
    if query.isdigit():
        number = int(query)
        for step in steps:
            if step.number == number:
                return step
        raise LookupFailed(f"no step {number}; this checklist has steps 1 to {len(steps)}")
    exact = [s for s in steps if s.id == query]
    if exact:
        return exact[0]
    starts = [s for s in steps if s.id.startswith(query)]
    if len(starts) == 1:
        return starts[0]
    ids = ", ".join(f"{s.number} {s.id}" for s in steps)
    if starts:
        raise LookupFailed(f"'{query}' is the start of several steps: {ids}")
    raise LookupFailed(f"no step '{query}' in this checklist: {ids}")


def find_incident(incidents: dict[str, Incident], query: str) -> Incident:
    if query in incidents:
        return incidents[query]
    starts = [i for i in incidents if i.startswith(query)]
    if len(starts) == 1:
        return incidents[starts[0]]
    if starts:
        raise LookupFailed(f"'{query}' is the start of several incidents: {', '.join(starts)}")
    known = ", ".join(sorted(incidents)) or "none yet"
    raise LookupFailed(f"no incident '{query}' in the log (incidents: {known})")


def new_incident_id(incidents: dict[str, Incident], moment: dt.datetime) -> str:
    """A short id a person can type: the day and a count, e.g. 20201026-1."""
    day = moment.strftime("%Y%m%d")
    n = 1 + sum(1 for i in incidents if i.startswith(f"{day}-"))
    return f"{day}-{n}"


def pending_steps(
    plan: Plan,
    incidents: dict[str, Incident],
    moment: dt.datetime,
    zone: dt.tzinfo,
    keep: Callable[[Step], bool] | None = None,
) -> list[tuple[Incident, list[Step]]]:
    """Open incidents with the steps still to do (those ``keep`` keeps), oldest first."""
    result = []
    for incident in sorted(incidents.values(), key=lambda i: i.opened):
        if not incident.is_open:
            continue
        _, steps = checklist(plan, incident, moment, zone)
        todo = [s for s in steps if s.status == "pending" and (keep is None or keep(s))]
        if todo:
            result.append((incident, todo))
    return result
