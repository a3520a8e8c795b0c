"""A raw RRULE's days: dateutil reads the rule (the one reader of RFC 5545 commsplan has).

dateutil costs a command tens of milliseconds to import, so the days a plan's period can ask
about are worked out once, when the plan is checked, and cached with it (``data.RRuleDays``);
``rules.schedule`` reads them by bisection and asks dateutil only about days outside them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from commsplan.plan.data import Plan, RRule, RRuleDays

if TYPE_CHECKING:
    from dateutil.rrule import rrule as RRuleSet


@cache
def parsed(text: str, start: dt.date) -> RRuleSet:
    """The rule, starting at midnight of ``start`` (a plan's RRULE schedules days, not hours)."""
    from dateutil.rrule import rrulestr

    rule = rrulestr(text, dtstart=dt.datetime.combine(start, dt.time()))
    return rule  # type: ignore[return-value]


def reach(plan: Plan, freq: RRule) -> tuple[dt.date, dt.date]:
    """The days an occurrence inside the plan's period can depend on: its window opens up to
    ``lead_days`` before it is due, and the previous occurrence bounds that window."""
    lead = dt.timedelta(days=freq.lead_days)
    period = plan.meta.period
    return period.start - lead, period.end + lead


@cache
def days_between(text: str, start: dt.date, first: dt.date, last: dt.date) -> RRuleDays:
    """The rule's days from ``first`` to ``last`` (inclusive) and the last one before them."""
    rule = parsed(text, start)
    since = dt.datetime.combine(first, dt.time())
    previous = rule.before(since, inc=False)
    days = tuple(m.date() for m in rule.between(since, dt.datetime.combine(last, dt.time()), inc=True))
    return RRuleDays(first, last, previous.date() if previous is not None else None, days)


def with_days(plan: Plan) -> Plan:
    """``plan`` with each RRULE's days over its reach filled in (the plan is otherwise unchanged)."""
    for activity in plan.activities:
        freq = activity.frequency
        if isinstance(freq, RRule):
            first, last = reach(plan, freq)
            object.__setattr__(freq, "days", days_between(freq.rrule, freq.start, first, last))
    return plan
