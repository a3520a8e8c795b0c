"""What is due: occurrences x completions x now. Pure functions over plain data."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple, Protocol

from commsplan.matching import Filters
from commsplan.model import Activity, Plan
from commsplan.schedule import Occurrence, Schedule, week_start

Status = Literal["overdue", "open", "upcoming", "done", "skipped"]


@dataclass(frozen=True, slots=True)
class Completion:
    """What the log says of one occurrence: done or skipped, when, by whom."""

    status: Literal["done", "skipped"]
    at: dt.datetime
    by: str
    record_id: str
    channel: str | None = None
    note: str | None = None
    due: dt.date | None = None  # the occurrence's due day when it was recorded


class State(Protocol):
    """The completions a log holds, as the rules ask for them. A plain dict serves for .get;
    the log's SQLite index answers without reading the whole log."""

    def get(self, key: tuple[str, str], /) -> Completion | None: ...


class Completions(Protocol):
    def get(self, key: tuple[str, str], /) -> Completion | None: ...

    def recorded_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterable[tuple[tuple[str, str], Completion]]: ...


class CompletionMap(dict[tuple[str, str], Completion]):
    """Completions folded in memory from the log's records."""

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Iterable[tuple[tuple[str, str], Completion]]:
        return [(key, c) for key, c in self.items() if start < c.at <= end]


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date  # inclusive
    label: str

    @staticmethod
    def today(now: dt.datetime) -> Window:
        return Window(now.date(), now.date(), "today")

    @staticmethod
    def week(now: dt.datetime) -> Window:
        first = week_start(now.date())
        return Window(first, first + dt.timedelta(days=6), "this week")

    @staticmethod
    def month(now: dt.datetime) -> Window:
        day = now.date()
        last = _calendar.monthrange(day.year, day.month)[1]
        return Window(day.replace(day=1), day.replace(day=last), "this month")

    @staticmethod
    def days(now: dt.datetime, count: int) -> Window:
        return Window(now.date(), now.date() + dt.timedelta(days=count - 1), f"the next {count} days")

    @staticmethod
    def until(now: dt.datetime, end: dt.date) -> Window:
        return Window(now.date(), end, f"until {end.isoformat()}")


class Item(NamedTuple):
    """An occurrence with its status. (A NamedTuple: an agenda can hold hundreds of thousands.)"""

    occurrence: Occurrence
    activity: Activity
    status: Status
    late_days: int = 0  # overdue: days past due; done: days after due it was done
    completion: Completion | None = None


@dataclass(frozen=True)
class Agenda:
    now: dt.datetime
    window: Window
    overdue_runs: list[list[Item]]  # per activity, oldest first: what a reader groups by anyway
    due: list[Item]  # sorted by due day
    on_request: list[Activity] = field(default_factory=list)
    triggered: list[Activity] = field(default_factory=list)

    @cached_property
    def overdue(self) -> list[Item]:
        """Every overdue occurrence, oldest first (sorting them is left to who needs it)."""
        flat = [item for run in self.overdue_runs for item in run]
        flat.sort(key=lambda item: (item.occurrence.due, item.activity.id))
        return flat

    @property
    def overdue_count(self) -> int:
        return sum(len(run) for run in self.overdue_runs)

    @property
    def items(self) -> list[Item]:
        return [*self.overdue, *self.due]


def build_agenda(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    window: Window,
    filters: Filters | None = None,
    *,
    include_done: bool = False,
    overdue_only: bool = False,
) -> Agenda:
    """The overdue occurrences since the plan began, then those of the window, each with a status."""
    filters = filters or Filters()
    zone = schedule.zone
    today = now.date()
    period_start = plan.meta.period.start
    overdue_runs: list[list[Item]] = []
    due: list[Item] = []
    on_request: list[Activity] = []
    triggered: list[Activity] = []
    for activity in plan.activities:
        if not filters.accepts(activity):
            continue
        if not activity.scheduled:
            (triggered if activity.frequency.kind == "triggered" else on_request).append(activity)
            continue
        aid = activity.id
        # The hot loop of a large plan: all-day windows are compared by date, without time zones.
        if period_start <= today:
            run = [
                Item(occ, activity, "overdue", (today - occ.due).days)
                for occ in schedule.occurrences(activity, period_start, today)
                if occ.due >= period_start
                and state.get((aid, occ.key)) is None
                and (occ.due < today if occ.at is None else occ.at <= now)
            ]
            if run:
                overdue_runs.append(run)
        if overdue_only:
            continue
        for occ in schedule.occurrences(activity, window.start, window.end):
            closed = occ.due < today if occ.at is None else occ.at <= now
            done = state.get((aid, occ.key))
            if closed and occ.due >= period_start and done is None:
                continue  # listed with the overdue ones above
            if done is not None:
                if include_done:
                    late = max(0, (done.at.astimezone(zone).date() - occ.due).days)
                    due.append(Item(occ, activity, done.status if done.status == "skipped" else "done", late, done))
                continue
            if closed:
                # closed before the plan period began: not counted as overdue, still shown
                due.append(Item(occ, activity, "overdue", (today - occ.due).days))
            else:
                due.append(Item(occ, activity, "open" if occ.opens <= today else "upcoming"))
    due.sort(key=lambda item: (item.occurrence.due, item.occurrence.opens, item.activity.id))
    return Agenda(now, window, overdue_runs, due, on_request, triggered)
