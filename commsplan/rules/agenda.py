"""What is due: occurrences x completions x now. Pure functions over plain data."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

from commsplan.errors import UsageError
from commsplan.log.state import Completion, State
from commsplan.plan.data import Activity, Plan
from commsplan.rules.overdue import Missed, OverdueCounter, order
from commsplan.rules.period import PeriodStatus, period_status
from commsplan.rules.schedule import Occurrence, Schedule, week_start
from commsplan.rules.select import Filters

# "optional": an occurrence of a conditional duty, wanted when there is something to say.
Status = Literal["overdue", "open", "upcoming", "done", "skipped", "optional"]


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


def choose_window(
    now: dt.datetime,
    *,
    today: bool = False,
    week: bool = False,
    month: bool = False,
    days: int | None = None,
    until: dt.datetime | None = None,
) -> Window:
    """The window a person asked for (one at most; the week holding now by default)."""
    chosen = [
        name
        for name, on in (
            ("--today", today),
            ("--week", week),
            ("--month", month),
            ("--days", days is not None),
            ("--until", until is not None),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one window, not {' and '.join(chosen)}")
    if today:
        return Window.today(now)
    if month:
        return Window.month(now)
    if days is not None:
        return Window.days(now, days)
    if until is not None:
        if until.date() < now.date():
            raise UsageError(f"--until {until.date().isoformat()} is before now ({now.date().isoformat()})")
        return Window.until(now, until.date())
    return Window.week(now)


def occurrences_between(
    plan: Plan, schedule: Schedule, start: dt.date, end: dt.date, filters: Filters | None = None
) -> list[Occurrence]:
    """Every occurrence due from ``start`` to ``end`` (inclusive), by due day then activity.

    Conditional duties are left out: a day with nothing to say has nothing to put in a diary."""
    filters = filters or Filters()
    found = [
        occ
        for activity in plan.activities
        if activity.scheduled and activity.conditional is None and filters.accepts(activity)
        for occ in schedule.occurrences(activity, start, end)
        if start <= occ.due <= end and filters.accepts_occurrence(occ)
    ]
    found.sort(key=lambda o: (o.due, o.activity))
    return found


@dataclass(frozen=True)
class Undated:
    """A dated campaign with no date in the plan year holding now: said once, not guessed."""

    activity: Activity
    names: list[str]  # ids of the named dates or seasons that list no date this year
    year_start: dt.date
    year_end: dt.date

    def what(self, plan: Plan) -> str:
        """The named dates or seasons without a date, by their names: 'We are Festival (Havering)'."""
        names = {d.id: d.name for d in plan.named_dates} | {s.id: s.name for s in plan.seasons}
        return ", ".join(names.get(n, n) for n in self.names)


def undated_campaigns(
    plan: Plan, schedule: Schedule, now: dt.datetime, filters: Filters | None = None
) -> list[Undated]:
    """Campaigns whose dates the plan lists year by year but not for the plan year holding now.
    Outside the plan's period nothing falls due, so nothing is missing a date either."""
    filters = filters or Filters()
    period = plan.meta.period
    start, end = schedule.plan_year(now.date())
    start, end = max(start, period.start), min(end, period.end)
    if start > end:
        return []
    if all(d.dates is None for d in plan.named_dates) and all(s.windows is None for s in plan.seasons):
        return []  # every named date and season is yearly (fixed, computed or bounded): none can lack a date
    found = []
    for activity in plan.activities:
        if activity.frequency.kind in ("named_dates", "season") and filters.accepts(activity):
            names = schedule.undated(activity, start, end)
            if names:
                found.append(Undated(activity, names, start, end))
    return found


class Item(NamedTuple):
    """An occurrence with its status. (A NamedTuple: an agenda can hold hundreds of thousands.)"""

    occurrence: Occurrence
    activity: Activity
    status: Status
    late_days: int = 0  # overdue: days past due; done: days after due it was done
    completion: Completion | None = None


@dataclass(frozen=True, slots=True)
class UnitRun:
    """A per-unit duty's share of a run: one borough's or ward's occurrences."""

    unit: str
    count: int
    first: Item
    last: Item


@dataclass(frozen=True)
class Run:
    """Occurrences of one activity with one status, oldest first, as a reader is told of them:
    how many, the first and the last, and each borough's or ward's share. An overdue run is
    counted, not listed: an activity missed daily for years is one run, not thousands of
    items. ``listed`` holds every item only where they were listed (``--expand``, or the few
    occurrences of a window)."""

    first: Item
    last: Item
    count: int
    units: tuple[UnitRun, ...] = ()  # units with at least one occurrence, in the plan's order
    listed: tuple[Item, ...] | None = None

    @property
    def activity(self) -> Activity:
        return self.first.activity

    @property
    def status(self) -> Status:
        return self.first.status

    @property
    def one_period(self) -> bool:
        """All of one period (a per-unit duty's week, say), whatever the units?"""
        if self.listed is not None:
            return len({_base(i.occurrence) for i in self.listed}) == 1
        return _base(self.first.occurrence) == _base(self.last.occurrence)

    @staticmethod
    def of(items: Sequence[Item]) -> Run:
        """The run of a list of one activity's items (with one status), oldest first."""
        shares: dict[str, list[Item]] = {}
        for item in items:
            if item.occurrence.unit is not None:
                shares.setdefault(item.occurrence.unit, []).append(item)
        units = tuple(UnitRun(u, len(its), its[0], its[-1]) for u, its in shares.items())
        return Run(items[0], items[-1], len(items), units, tuple(items))


class RunTally:
    """Runs gathered from a stream of items in due order, as ``Run.of`` makes them of each
    group's list, holding each run's count, ends and units' shares, never its items. A group:
    one activity's items with one status and, for a per-unit duty's occurrence that is not
    overdue, one period ("2 of 3 boroughs done")."""

    def __init__(self) -> None:
        self.count = 0
        # (activity, status, period) -> [first, last, count, {unit: [count, first, last]} or None]
        self._groups: dict[tuple[str, str, str], list[Any]] = {}

    def add(self, item: Item) -> None:
        self.count += 1
        occ = item.occurrence
        unit = occ.unit
        status = item.status
        base = "" if unit is None or status == "overdue" else occ.key.rsplit("@", 1)[0]
        key = (item.activity.id, status, base)
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = [item, item, 1, None if unit is None else {unit: [1, item, item]}]
            return
        group[1] = item
        group[2] += 1
        if unit is not None:
            share = group[3].get(unit)
            if share is None:
                group[3][unit] = [1, item, item]
            else:
                share[0] += 1
                share[2] = item

    def runs(self) -> list[Run]:
        """The groups' runs, in the order of their first item."""
        return [
            Run(first, last, count, tuple(UnitRun(unit, *share) for unit, share in shares.items()) if shares else ())
            for first, last, count, shares in self._groups.values()
        ]


def _base(occ: Occurrence) -> str:
    """An occurrence's key without its unit: ``2020-10-05@havering`` -> ``2020-10-05``."""
    return occ.key.rsplit("@", 1)[0] if occ.unit is not None else occ.key


def counted_run(activity: Activity, today: dt.date, parts: Sequence[Missed]) -> Run:
    """One activity's overdue run from its counted parts (one per unit, in the plan's order)."""

    def item(occ: Occurrence) -> Item:
        return Item(occ, activity, "overdue", (today - occ.due).days)

    first = min(parts, key=lambda m: order(m.first)).first
    last = max(reversed(parts), key=lambda m: order(m.last)).last
    units = tuple(UnitRun(m.unit, m.count, item(m.first), item(m.last)) for m in parts if m.unit is not None)
    return Run(item(first), item(last), sum(m.count for m in parts), units)


@dataclass(frozen=True)
class Agenda:
    now: dt.datetime
    window: Window
    overdue_runs: list[Run]  # per activity: counted, and listed only when asked (expand)
    # by due day (a list, or a stream: WindowItems); conditional duties ("optional") apart in .optional
    due: Iterable[Item]
    on_request: list[Activity] = field(default_factory=list)
    triggered: list[Activity] = field(default_factory=list)
    optional: list[Item] = field(default_factory=list)  # today's conditional duties, and those done today
    period: PeriodStatus | None = None
    counts_from: dt.date | None = None  # overdue counts from this day (the period's start, or tracking's)
    undated: list[Undated] = field(default_factory=list)  # dated campaigns with no date this plan year
    units: frozenset[str] | None = None  # --unit: the units in view (None: all)

    expanded: bool = False  # every overdue occurrence listed (each run's .listed), not only counted

    @cached_property
    def overdue(self) -> list[Item]:
        """Every overdue occurrence listed (expand), oldest first; else none: they were counted."""
        flat = [item for run in self.overdue_runs for item in run.listed or ()]
        flat.sort(key=lambda item: (item.occurrence.due, item.activity.id))
        return flat

    @property
    def overdue_count(self) -> int:
        return sum(run.count for run in self.overdue_runs)

    @property
    def items(self) -> Iterator[Item]:
        """The overdue items (when listed), then the window's, then today's conditional duties:
        one pass over them (the window's may be a stream)."""
        return itertools.chain(self.overdue, self.due, self.optional)


# A long window is worked out this many due days at a time: a year of 10,000 activities holds
# 440,000 occurrences, never all at once.
SPAN_DAYS = 31


def _due_spans(window: Window) -> list[tuple[dt.date, dt.date]]:
    """The window's due days cut into spans of SPAN_DAYS, in order. The first span also takes
    what falls due before the window (a period that began before it, done before its start);
    the last, what opens in the window and falls due after it."""
    spans = []
    lo = dt.date.min
    hi = window.start + dt.timedelta(days=SPAN_DAYS - 1)
    while hi < window.end:
        spans.append((lo, hi))
        lo, hi = hi + dt.timedelta(days=1), hi + dt.timedelta(days=SPAN_DAYS)
    spans.append((lo, dt.date.max))
    return spans


def _due_order(item: Item) -> tuple[dt.date, dt.date, str]:
    occ = item.occurrence
    return occ.due, occ.opens, item.activity.id


def window_items(
    plan: Plan,
    schedule: Schedule,
    state: State,
    now: dt.datetime,
    window: Window,
    filters: Filters | None = None,
    *,
    include_done: bool = False,
) -> Iterator[Item]:
    """The occurrences that meet the window (conditional duties apart), each with its status,
    by due day, opening day and activity: a stream, worked out a span of due days at a time.
    Closed and not done is overdue (counted apart) or due before tracking began: left out."""
    filters = filters or Filters()
    zone = schedule.zone
    today = now.date()
    get = state.get
    make = tuple.__new__
    chosen = []
    for activity in plan.activities:
        if activity.conditional is None and activity.scheduled and filters.accepts(activity):
            # --unit keeps one unit's occurrences of a per-unit duty (and every BCU-wide one)
            narrow = filters.accepts_occurrence if filters.units is not None and activity.per_unit else None
            chosen.append((activity, narrow))
    # A store that answers many questions at once (a database: one round trip, not one per
    # occurrence) is asked about a whole span's occurrences before they are looked at.
    prefetch: Callable[[Iterable[tuple[str, str]]], None] | None = getattr(state, "prefetch", None)
    spans = _due_spans(window)
    whole = len(spans) == 1
    start, end = window.start, window.end
    for lo, hi in spans:
        found: list[Item] = []
        add = found.append
        span = [
            (
                activity,
                narrow,
                schedule.occurrences(activity, start, end)
                if whole
                else schedule.occurrences_due(activity, start, end, lo, hi),
            )
            for activity, narrow in chosen
        ]
        if prefetch is not None:
            span = [(activity, narrow, list(occs)) for activity, narrow, occs in span]
            prefetch((activity.id, occ.key) for activity, narrow, occs in span for occ in occs)
        for activity, narrow, occs in span:
            aid = activity.id
            for occ in occs:
                if narrow is not None and not narrow(occ):
                    continue
                done = get((aid, occ.key))
                if done is None:
                    if occ.is_closed(now):
                        continue  # overdue, counted apart; or due before tracking began: not counted
                    add(make(Item, (occ, activity, "open" if occ.opens <= today else "upcoming", 0, None)))
                elif include_done:
                    late = max(0, (done.at.astimezone(zone).date() - occ.due).days)
                    status = "skipped" if done.status == "skipped" else "done"
                    add(make(Item, (occ, activity, status, late, done)))
        found.sort(key=_due_order)
        yield from found


@dataclass(frozen=True)
class WindowItems:
    """The window's items as a stream (``window_items``): each pass works them out again, so
    a writer holds one span of them at a time, never the whole window."""

    plan: Plan
    schedule: Schedule
    state: State
    now: dt.datetime
    window: Window
    filters: Filters | None = None
    include_done: bool = False

    def __iter__(self) -> Iterator[Item]:
        return window_items(
            self.plan, self.schedule, self.state, self.now, self.window, self.filters, include_done=self.include_done
        )


def counting_from(plan: Plan, tracking_from: dt.date | None) -> dt.date:
    """The first day whose occurrences count: the plan's start, or the day a team began
    tracking (``commsplan track --from``) when that is later."""
    start = plan.meta.period.start
    return max(start, tracking_from) if tracking_from is not None else start


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
    tracking_from: dt.date | None = None,
    expand: bool = False,
    count_overdue: bool = True,
    stream: bool = False,
) -> Agenda:
    """The overdue occurrences since the plan (or its tracking) began, counted per activity
    (listed too with ``expand``), then those of the window, each with a status. Conditional
    duties are never overdue: only today's is listed. ``count_overdue=False`` leaves the overdue
    out (for a look ahead that does not show them). With ``stream`` the window's items are a
    stream (``WindowItems``), worked out as a writer reads them, else a list."""
    filters = filters or Filters()
    today = now.date()
    counts_from = counting_from(plan, tracking_from)
    period_end = plan.meta.period.end
    overdue_runs: list[Run] = []
    counter = OverdueCounter(schedule, state, now)
    optional: list[Item] = []
    on_request: list[Activity] = []
    triggered: list[Activity] = []
    for activity in plan.activities:
        if not filters.accepts(activity):
            continue
        if not activity.scheduled:
            (triggered if activity.frequency.kind == "triggered" else on_request).append(activity)
            continue
        aid = activity.id
        # --unit keeps one unit's occurrences of a per-unit duty (and every BCU-wide one)
        narrow = filters.accepts_occurrence if filters.units is not None and activity.per_unit else None
        if activity.conditional is not None:
            if not overdue_only and window.start <= today <= window.end:
                for occ in schedule.occurrences(activity, today, today):
                    if narrow is not None and not narrow(occ):
                        continue
                    done = state.get((aid, occ.key))
                    if done is None:
                        optional.append(Item(occ, activity, "optional"))
                    elif include_done:
                        optional.append(Item(occ, activity, "done" if done.status == "done" else "skipped", 0, done))
            continue
        # The hot loop of a large plan: all-day windows are compared by date, without time zones.
        # Once the plan has ended nothing is overdue: what was left undone is `report`'s to tell.
        if count_overdue and counts_from <= today <= period_end:
            scope = filters.units if narrow is not None else None
            if expand:
                listed = [
                    Item(occ, activity, "overdue", (today - occ.due).days)
                    for occ in counter.listed(activity, counts_from, scope)
                ]
                if listed:
                    overdue_runs.append(Run.of(listed))
            else:
                parts = counter.missed(activity, counts_from, scope)
                if parts:
                    overdue_runs.append(counted_run(activity, today, parts))
    due: Iterable[Item] = []
    if not overdue_only:
        stream_ = WindowItems(plan, schedule, state, now, window, filters, include_done)
        due = stream_ if stream else list(stream_)
    undated = [] if overdue_only else undated_campaigns(plan, schedule, now, filters)
    return Agenda(
        now,
        window,
        overdue_runs,
        due,
        on_request,
        triggered,
        optional,
        period_status(plan, today),
        counts_from,
        undated,
        filters.units,
        expand,
    )
