"""Occurrences of an activity: when each communication should happen.

An occurrence has a stable key (``2020-Q3``, ``2020-W44``, ``2020-10-26``, ``halloween-2020``)
and a window of whole days in the plan's time zone: it *opens* on one day and is *due* on
another (inclusive). Recurrences are anchored to the calendar (never to when something was
done) and their windows tile time: each day belongs to exactly one period.

Time of day: a schedule may give one (``time: "09:00"``). A local time that does not exist
(the hour skipped when the clocks go forward) is moved forward by the gap, as RFC 5545 says
(01:30 becomes 02:30 BST); a local time that happens twice (the hour repeated when the clocks
go back) is the first of the two (BST). Either way there is exactly one occurrence that day.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from commsplan.plan.data import (
    SEASON_BOUND,
    WEEKDAYS,
    Activity,
    Frequency,
    NamedDate,
    NamedDates,
    Plan,
    Recurrence,
    RRule,
    Seasonal,
)

if TYPE_CHECKING:
    from commsplan.log.state import Completion

# What became of an occurrence, as report counts it.
Outcome = Literal["on_time", "late", "skipped", "missed", "pending"]

ONE_DAY = dt.timedelta(days=1)
_Shape = tuple[Any, ...]  # an Occurrence without its activity: (key, opens, due, at, unit)
AnchorSource = Callable[[int], list[tuple[dt.date, str]]]


class Occurrence(NamedTuple):
    """One time an activity should happen. (A NamedTuple: plans make hundreds of thousands.)"""

    activity: str
    key: str
    opens: dt.date
    due: dt.date
    at: dt.datetime | None = None  # the due moment, when the schedule has a time of day
    unit: str | None = None  # the borough or ward of a per-unit duty (its key ends "@unit")

    def is_closed(self, now: dt.datetime) -> bool:
        """Is its window over at ``now`` (in the plan's zone)? An all-day occurrence closes when
        its due day ends; one with a time of day, at that moment. The one place this is decided."""
        return self.due < now.date() if self.at is None else self.at <= now

    def outcome(self, done: Completion | None, now: dt.datetime, zone: dt.tzinfo) -> Outcome:
        """What became of it at ``now``, given what the log says of it: the one place on time,
        late, skipped, missed and pending are decided (late: done after its due day)."""
        if done is None:
            return "missed" if self.is_closed(now) else "pending"
        if done.status == "skipped":
            return "skipped"
        return "late" if done.at.astimezone(zone).date() > self.due else "on_time"

    def deadline(self, zone: dt.tzinfo) -> dt.datetime:
        """The first moment at which this occurrence is late."""
        if self.at is not None:
            return self.at
        return local_midnight(self.due + ONE_DAY, zone)


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return resolve_local(day, dt.time(0, 0), zone)


def resolve_local(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """An aware datetime for a wall-clock time: gaps move forward, repeated hours take the first."""
    naive = dt.datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC: a wall time in a gap comes back shifted by the gap.
    return first.astimezone(dt.UTC).astimezone(zone)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def iso_week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _clamped(year: int, month: int, day: int) -> dt.date:
    """The day of the month, or the month's last day when it is shorter (31st -> 30th, 28th)."""
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))


class Schedule:
    """Computes occurrences for the activities of one plan. Pure: no clock, no files."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.zone = ZoneInfo(plan.meta.timezone)
        self._named = {d.id: d for d in plan.named_dates}
        self._seasons = {s.id: s for s in plan.seasons}
        self._units: dict[str, list[str]] = {}
        for unit in plan.units:
            self._units.setdefault(unit.kind, []).append(unit.id)
        self._signatures: dict[int, tuple[Frequency, Hashable]] = {}
        self._shaped: dict[tuple[Hashable, dt.date, dt.date], list[_Shape]] = {}
        # (id of a list of shapes, first due day, last due day) -> (that list, the slice's ends)
        self._slices: dict[tuple[int, dt.date, dt.date], tuple[list[_Shape], int, int]] = {}

    # --- public ---------------------------------------------------------------------------

    def occurrences(self, activity: Activity, start: dt.date, end: dt.date) -> list[Occurrence]:
        """Occurrences whose window [opens, due] meets [start, end] (inclusive), in order.

        Only occurrences due inside the plan's period exist: nothing falls due before the
        plan starts or after it ends. A window that would open before the period's first day
        (the week or fortnight the period starts in, a campaign's lead time) is clipped to open
        on that day; its key and due day stay as the calendar makes them.
        """
        aid = activity.id
        make = tuple.__new__
        found = [make(Occurrence, (aid, *shape)) for shape in self._shapes(activity, start, end)]
        return self._per_unit(activity, found)

    def occurrences_due(
        self, activity: Activity, start: dt.date, end: dt.date, due_from: dt.date, due_to: dt.date
    ) -> list[Occurrence]:
        """Those of ``occurrences(activity, start, end)`` due from ``due_from`` to ``due_to``
        (inclusive): a slice of them, as they come in due order, found once per schedule."""
        shapes = self._shapes(activity, start, end)
        memo = (id(shapes), due_from, due_to)
        known = self._slices.get(memo)
        if known is None:
            dues = [shape[2] for shape in shapes]
            # the list is kept with its slice: its id is not reused while the slice is known
            known = self._slices[memo] = (shapes, bisect_left(dues, due_from), bisect_right(dues, due_to))
        _, first, last = known
        aid = activity.id
        make = tuple.__new__
        found = [make(Occurrence, (aid, *shape)) for shape in shapes[first:last]]
        return self._per_unit(activity, found)

    def signature(self, freq: Frequency) -> Hashable:
        """What the occurrences of an activity with ``freq`` depend on besides its id: equal
        frequencies (of one plan) have equal signatures, and the same occurrences."""
        known = self._signatures.get(id(freq))
        if known is None or known[0] is not freq:
            known = self._signatures[id(freq)] = (freq, _signature(freq))
        return known[1]

    def _shapes(self, activity: Activity, start: dt.date, end: dt.date) -> list[_Shape]:
        """The occurrences of the activity's schedule from ``start`` to ``end``, without the
        activity's id: the same for every activity with the same schedule (10,000 activities
        share a few dozen), so worked out once per schedule and window."""
        memo = (self.signature(activity.frequency), start, end)
        shapes = self._shaped.get(memo)
        if shapes is not None:
            return shapes
        period = self.plan.meta.period
        found = self._calendar(activity, max(start, period.start), min(end, period.end))
        # Occurrences come in due order: only the ends of the list can fall outside the period.
        while found and found[-1].due > period.end:
            found.pop()
        first = 0
        while first < len(found) and found[first].due < period.start:
            first += 1
        if first:
            del found[:first]
        if found and found[0].opens < period.start:
            found[0] = found[0]._replace(opens=period.start)
        shapes = self._shaped[memo] = [tuple(o)[1:] for o in found]
        return shapes

    def _per_unit(self, activity: Activity, found: list[Occurrence]) -> list[Occurrence]:
        """A duty per borough (or ward) has one occurrence for each, done on its own:
        ``2020-10-05@havering``. With no units of that kind listed it stays one BCU-wide duty."""
        units = self._units.get(activity.per_unit) if activity.per_unit else None
        if not units:
            return found
        return [o._replace(key=f"{o.key}@{unit}", unit=unit) for o in found for unit in units]

    def calendar_occurrences(self, activity: Activity, start: dt.date, end: dt.date) -> list[Occurrence]:
        """Occurrences as the calendar makes them, ignoring the plan's period: only to explain
        why a key a person typed is not one of the plan's (``occurrences`` is the schedule)."""
        return self._per_unit(activity, self._calendar(activity, start, end))

    def _calendar(self, activity: Activity, start: dt.date, end: dt.date) -> list[Occurrence]:
        if end < start:
            return []
        freq = activity.frequency
        if isinstance(freq, Recurrence):
            found = list(self._periods(activity.id, freq, start, end))
        elif isinstance(freq, RRule):
            found = list(self._rrule(activity.id, freq, start, end))
        elif isinstance(freq, NamedDates):
            found = self._campaigns(activity.id, freq.lead_days, self._named_anchors(freq.dates), start, end)
        elif isinstance(freq, Seasonal):
            found = self._campaigns(activity.id, freq.lead_days, self._season_anchors(freq.seasons), start, end)
        else:
            found = []
        return found

    @staticmethod
    def is_scheduled(activity: Activity) -> bool:
        return activity.scheduled

    # --- calendar recurrence --------------------------------------------------------------

    def _periods(self, activity_id: str, freq: Recurrence, start: dt.date, end: dt.date) -> Iterator[Occurrence]:
        if freq.kind == "daily" and freq.time is None:
            # the commonest and longest list: one window a day, key = the day
            day = start
            while day <= end:
                yield Occurrence(activity_id, day.isoformat(), day, day)
                day += ONE_DAY
            return
        first = self._period_start(freq, start)
        while first <= end:
            following = self._next_period(freq, first)
            last = following - ONE_DAY
            due = self._due_in_period(freq, first, last)
            at = resolve_local(due, freq.time, self.zone) if freq.time is not None else None
            yield Occurrence(activity_id, self._period_key(freq, first), first, due, at)
            first = following

    def _period_start(self, freq: Recurrence, day: dt.date) -> dt.date:
        kind = freq.kind
        if kind == "daily":
            return day
        if kind == "weekly":
            return week_start(day)
        if kind == "fortnightly":
            assert freq.anchor is not None
            return freq.anchor + dt.timedelta(days=14 * ((day - freq.anchor).days // 14))
        if kind == "monthly":
            return day.replace(day=1)
        if kind == "quarterly":
            offset = (day.month - self.plan.meta.quarters.first_month) % 3
            return _add_months(day.replace(day=1), -offset)
        # annual: plan years start on the plan period's first day (1 April for a business year)
        return self.plan_year(day)[0]

    def _next_period(self, freq: Recurrence, first: dt.date) -> dt.date:
        kind = freq.kind
        if kind == "daily":
            return first + ONE_DAY
        if kind == "weekly":
            return first + dt.timedelta(days=7)
        if kind == "fortnightly":
            return first + dt.timedelta(days=14)
        if kind == "monthly":
            return _add_months(first, 1)
        if kind == "quarterly":
            return _add_months(first, 3)
        anchor = self.plan.meta.period.start
        return _clamped(first.year + 1, anchor.month, anchor.day)

    def _due_in_period(self, freq: Recurrence, first: dt.date, last: dt.date) -> dt.date:
        if freq.due is None:
            return last
        if isinstance(freq.due, str):
            offset = (WEEKDAYS.index(freq.due) - first.weekday()) % 7
            return first + dt.timedelta(days=offset)
        return _clamped(first.year, first.month, freq.due)

    def _period_key(self, freq: Recurrence, first: dt.date) -> str:
        kind = freq.kind
        if kind in ("daily", "fortnightly"):
            return first.isoformat()
        if kind == "weekly":
            return iso_week_key(first)
        if kind == "monthly":
            return f"{first.year}-{first.month:02d}"
        if kind == "quarterly":
            return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        if first.month == 1 and first.day == 1:
            return str(first.year)
        return f"{first.year}-{(first.year + 1) % 100:02d}"

    # --- raw RRULE ------------------------------------------------------------------------

    def _rrule(self, activity_id: str, freq: RRule, start: dt.date, end: dt.date) -> Iterator[Occurrence]:
        # The window of an occurrence may open lead_days early, but never before the previous
        # occurrence's due day: look back far enough to know that previous occurrence.
        lead = dt.timedelta(days=freq.lead_days)
        prev_due, dues = _rrule_days(freq, start - lead, end + lead)
        for due in dues:
            opens = due - lead
            if opens > end:
                break
            if prev_due is not None and opens <= prev_due:
                opens = prev_due + ONE_DAY
            prev_due = due
            if due < start:
                continue
            at = resolve_local(due, freq.time, self.zone) if freq.time is not None else None
            yield Occurrence(activity_id, due.isoformat(), opens, due, at)

    # --- named dates and seasons ------------------------------------------------------------

    def _campaigns(
        self, activity_id: str, lead_days: int, anchors: AnchorSource, start: dt.date, end: dt.date
    ) -> list[Occurrence]:
        lead = dt.timedelta(days=lead_days)
        found: list[tuple[dt.date, str]] = []
        for year in range(start.year - 1, (end + lead).year + 1):
            found.extend(anchors(year))
        found.sort()
        result: list[Occurrence] = []
        prev_due: dt.date | None = None
        for due, key in found:
            opens = due - lead
            if prev_due is not None and opens <= prev_due:
                opens = prev_due + ONE_DAY
            prev_due = due
            if due >= start and opens <= end:
                result.append(Occurrence(activity_id, key, opens, due))
        return result

    def _named_anchors(self, names: list[str]) -> AnchorSource:
        def anchors(year: int) -> list[tuple[dt.date, str]]:
            return [anchor for name in names for anchor in self.named_date(self._named[name], year)]

        return anchors

    def _season_anchors(self, names: list[str]) -> AnchorSource:
        def anchors(year: int) -> list[tuple[dt.date, str]]:
            result = []
            for name in names:
                windows = self.season_windows(name, year)
                for first, _ in windows:
                    key = f"{name}-{year}" if len(windows) == 1 else f"{name}-{first.isoformat()}"
                    result.append((first, key))
            return result

        return anchors

    def named_date(self, named: NamedDate, year: int) -> list[tuple[dt.date, str]]:
        """The (day, key) pairs of a named date in one year."""
        if named.fixed is not None:
            month, day = (int(x) for x in named.fixed.split("-"))
            return [(_clamped(year, month, day), f"{named.id}-{year}")]
        if named.computed is not None:
            change = self.clock_changes(year).get(named.computed)
            return [] if change is None else [(change, f"{named.id}-{year}")]
        return [(r.start, f"{named.id}-{r.start.isoformat()}") for r in named.dates or [] if r.start.year == year]

    def season_windows(self, season_id: str, year: int) -> list[tuple[dt.date, dt.date | None]]:
        """First and last day of each window of a season that starts in ``year`` (it may end the
        next year): the listed windows of a named operation, or the season's yearly bounds."""
        season = self._seasons[season_id]
        if season.windows is not None:
            return [(w.start, w.end) for w in sorted(season.windows, key=lambda w: w.start) if w.start.year == year]
        assert season.start is not None and season.end is not None
        first = self._bound(season.start, year)
        if first is None:
            return []
        last = self._bound(season.end, year)
        if last is not None and last < first:
            last = self._bound(season.end, year + 1)
        return [(first, last)]

    def _bound(self, value: str, year: int) -> dt.date | None:
        if SEASON_BOUND.match(value):
            month, day = (int(x) for x in value.split("-"))
            return _clamped(year, month, day)
        days = self.named_date(self._named[value], year)
        return days[0][0] if days else None

    def plan_year(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day of the plan year holding ``day`` (a year from the period's first
        day: 1 April to 31 March for a business year)."""
        anchor = self.plan.meta.period.start
        year = day.year if (day.month, day.day) >= (anchor.month, anchor.day) else day.year - 1
        return _clamped(year, anchor.month, anchor.day), _clamped(year + 1, anchor.month, anchor.day) - ONE_DAY

    def undated(self, activity: Activity, start: dt.date, end: dt.date) -> list[str]:
        """The named dates and seasons of a campaign that are listed year by year (a festival,
        the Met's operations) but list no date from ``start`` to ``end``: a campaign nobody
        will be reminded of until someone adds the year's dates."""
        freq = activity.frequency
        missing: list[str] = []
        if isinstance(freq, NamedDates):
            for name in freq.dates:
                listed = self._named[name].dates
                if listed is not None and not any(start <= r.start <= end for r in listed):
                    missing.append(name)
        elif isinstance(freq, Seasonal):
            for name in freq.seasons:
                windows = self._seasons[name].windows
                if windows is not None and not any(start <= w.start <= end for w in windows):
                    missing.append(name)
        return missing

    def clock_changes(self, year: int) -> dict[str, dt.date]:
        return _clock_changes(self.plan.meta.timezone, year)

    @cached_property
    def scheduled(self) -> list[Activity]:
        return [a for a in self.plan.activities if self.is_scheduled(a)]


def _signature(freq: Frequency) -> Hashable:
    """What an activity's occurrences depend on, besides the plan: two activities with equal
    signatures have the same occurrences (but for their activity id)."""
    if isinstance(freq, Recurrence):
        return ("recurrence", freq.kind, freq.due, freq.anchor, freq.time)
    if isinstance(freq, RRule):
        return ("rrule", freq.rrule, freq.start, freq.lead_days, freq.time)
    if isinstance(freq, NamedDates):
        return ("named_dates", tuple(freq.dates), freq.lead_days)
    if isinstance(freq, Seasonal):
        return ("season", tuple(freq.seasons), freq.lead_days)
    return (freq.kind,)


@cache
def _clock_changes(zone_name: str, year: int) -> dict[str, dt.date]:
    """The days the clocks go forward and back in a year, from the time-zone rules.

    The day of a change is the local day on which the UTC offset at the end of the day
    differs from the one at its start.
    """
    zone = ZoneInfo(zone_name)
    changes: dict[str, dt.date] = {}
    day = dt.date(year, 1, 1)
    offset = dt.datetime.combine(day, dt.time(), zone).utcoffset()
    # Step a week at a time and narrow down to the day: 53 look-ups instead of 365.
    while day.year == year:
        nxt = day + dt.timedelta(days=7)
        nxt_offset = dt.datetime.combine(nxt, dt.time(), zone).utcoffset()
        if nxt_offset != offset:
            probe, probe_offset = day, offset
            while probe_offset == offset:
                probe += ONE_DAY
                probe_offset = dt.datetime.combine(probe, dt.time(), zone).utcoffset()
            changed = probe - ONE_DAY
            assert offset is not None and probe_offset is not None
            name = "clocks_forward" if probe_offset > offset else "clocks_back"
            if changed.year == year:
                changes.setdefault(name, changed)
            offset = probe_offset
            day = probe
            continue
        day = nxt
    return changes


def _rrule_days(freq: RRule, since: dt.date, until: dt.date) -> tuple[dt.date | None, Iterable[dt.date]]:
    """The rule's last day before ``since``, and its days from ``since`` on (at least up to
    ``until``): from the days worked out when the plan was checked (plan.rrule) when they cover
    the stretch, which they do for every question inside the plan's period; else from dateutil
    (a day a person typed, far outside the period)."""
    known = freq.days
    if known is not None and known.first <= since and until <= known.last:
        index = bisect_left(known.days, since)
        return (known.days[index - 1] if index else known.before), known.days[index:]
    from commsplan.plan.rrule import parsed

    rule = parsed(freq.rrule, freq.start)
    moment = dt.datetime.combine(since, dt.time())
    previous = rule.before(moment, inc=False)
    return (previous.date() if previous is not None else None), (m.date() for m in rule.xafter(moment, inc=True))
