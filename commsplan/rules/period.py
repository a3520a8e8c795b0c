"""Where a moment stands against the plan's period, and what a person is told about it. Pure.

A plan covers a period (the East Area plan: the business year 1 April 2020 to 31 March 2021).
Nothing falls due outside it (``Schedule.occurrences`` keeps only occurrences due inside it),
so a command run before or after the period must say so in its output, not leave a reader to
wonder why everything is quiet.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from commsplan.plan.data import Period, Plan

Position = Literal["before", "within", "after"]


def long_day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


@dataclass(frozen=True)
class PeriodStatus:
    """The plan's period, where ``today`` falls against it, and the notice to show if outside."""

    start: dt.date
    end: dt.date
    position: Position
    notice: str | None  # None within the period
    replay: dt.date | None  # a day inside the period to replay with --now, when outside it

    @property
    def outside(self) -> bool:
        return self.position != "within"

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "position": self.position,
            "notice": self.notice,
        }


def replay_day(period: Period, today: dt.date) -> dt.date:
    """The day of the period with today's month and day (29 Nov 2026 -> 29 Nov 2020), so a
    replay shows the same time of year; the period's first day when there is none."""
    for year in range(period.start.year, period.end.year + 1):
        last = _calendar.monthrange(year, today.month)[1]
        candidate = dt.date(year, today.month, min(today.day, last))
        if period.start <= candidate <= period.end:
            return candidate
    return period.start


def period_status(plan: Plan, today: dt.date) -> PeriodStatus:
    period = plan.meta.period
    span = f"{long_day(period.start)} to {long_day(period.end)}"
    if today < period.start:
        return PeriodStatus(
            period.start,
            period.end,
            "before",
            f"This plan runs {span}; nothing falls due before it starts. "
            f"Look ahead with --now {period.start.isoformat()}.",
            period.start,
        )
    if today > period.end:
        replay = replay_day(period, today)
        return PeriodStatus(
            period.start,
            period.end,
            "after",
            f"This plan ran {span}; nothing falls due after it. Replay it with --now {replay.isoformat()}, "
            "or roll it forward with 'commsplan renew'.",
            replay,
        )
    return PeriodStatus(period.start, period.end, "within", None, None)


def period_rule(plan: Plan) -> str:
    """How the period bounds the schedule, in words (for `validate --explain`)."""
    period = plan.meta.period
    start = long_day(period.start)
    return (
        f'{long_day(period.start)} to {long_day(period.end)} (source: "{period.as_written}"). Only occurrences '
        f"due in the period exist: nothing is listed, done, exported or counted outside it. A window that "
        f"would open before {start} (the week or fortnight the period starts in, a campaign's lead time) is "
        f"clipped to open on {start}; an occurrence due after {long_day(period.end)} belongs to the next plan."
    )


def window_outside_period(plan: Plan, start: dt.date, end: dt.date) -> PeriodStatus | None:
    """Where a window of days lies wholly outside the plan's period, the status that says so."""
    period = plan.meta.period
    if start > period.end:
        return period_status(plan, start)
    if end < period.start:
        return period_status(plan, end)
    return None
