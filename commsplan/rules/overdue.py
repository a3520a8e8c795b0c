"""Overdue occurrences counted, not listed. Pure: no clock, no file.

An activity missed every day for six years has 2,433 overdue occurrences; a reader is told how
many, the first and the last (per borough or ward where the duty is per unit), never handed
2,433 objects. Counting costs O(log n) in the length of the run: calendar recurrences are
counted by arithmetic over their periods (a binary search on the due day of period k), raw
RRULEs and campaigns by bisecting their sorted due days. What the log closed inside the run
(done, skipped, or covered by a range skip) is taken off by looking up each closed key, or,
when the log closed most of the run, by walking the run once without building anything.

``listed`` is the reference: every overdue occurrence, as ``due --expand`` shows them. The
tests hold ``missed`` to it for random logs and dates.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import datetime as dt
import weakref
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass

from commsplan.log.state import State
from commsplan.plan.data import WEEKDAYS, Activity, Recurrence
from commsplan.rules.schedule import ONE_DAY, Occurrence, Schedule, resolve_local, week_start

SHORTEST = {"daily": 1, "weekly": 7, "fortnightly": 14, "monthly": 28, "quarterly": 89, "annual": 365}
FIRST_SCAN = dt.timedelta(days=16)  # the first look for a run's first (or last) missed occurrence


@dataclass(frozen=True, slots=True)
class Missed:
    """One activity's overdue occurrences of one unit (``None``: a BCU-wide duty)."""

    unit: str | None
    count: int
    first: Occurrence
    last: Occurrence


def closed_keys(state: State, activity_id: str, limit: int | None = None) -> Collection[str] | None:
    """The keys of an activity's occurrences the log closed (done or skipped), when the log
    can say so in one question (an in-memory fold, the SQLite index); else None. With
    ``limit``, a log may stop after limit + 1 keys: enough to tell that there are more."""
    keys_of = getattr(state, "keys_of", None)
    return None if keys_of is None else keys_of(activity_id, limit)


def order(occ: Occurrence) -> tuple[dt.date, str]:
    """The schedule's order of one activity's occurrences (due day, then key), units apart."""
    return occ.due, occ.key.rsplit("@", 1)[0] if occ.unit is not None else occ.key


# A raw RRULE's or a campaign's occurrences over the plan's period, per schedule: computed once
# for every agenda a command builds (a digest builds two).
_ALL: weakref.WeakKeyDictionary[Schedule, dict[str, tuple[list[Occurrence], list[dt.date], dict[str, Occurrence]]]] = (
    weakref.WeakKeyDictionary()
)


class OverdueCounter:
    """Counts the overdue occurrences of a plan's activities at ``now``."""

    def __init__(self, schedule: Schedule, state: State, now: dt.datetime) -> None:
        self.schedule = schedule
        self.state = state
        self.now = now
        self.today = now.date()
        self._listed = _ALL.setdefault(schedule, {})
        # (schedule's signature, lo, hi) -> how many periods of a calendar recurrence fall due
        # from lo to hi, and how many of those are closed at now: the same for every activity
        # of that schedule (10,000 activities have a few), here, at this now.
        self._periods: dict[tuple[Hashable, dt.date, dt.date], tuple[int, int]] = {}
        # (schedule's signature, start, units) -> the overdue run of an activity of that
        # schedule whose log closed nothing: any other such activity's is the same but for its id
        self._unclosed: dict[tuple[Hashable, dt.date, tuple[str | None, ...]], list[Missed]] = {}

    # --- the reference --------------------------------------------------------------------

    def listed(self, activity: Activity, start: dt.date, units: frozenset[str] | None = None) -> list[Occurrence]:
        """Every overdue occurrence due from ``start`` to now, in the schedule's order: closed
        at now and neither done nor skipped (of ``units``, where the duty is per unit)."""
        aid = activity.id
        now = self.now
        closed = [
            occ
            for occ in self.schedule.occurrences(activity, start, self.today)
            if occ.due >= start and (units is None or occ.unit is None or occ.unit in units) and occ.is_closed(now)
        ]
        prefetch = getattr(self.state, "prefetch", None)  # a database: all of them in one round trip
        if prefetch is not None:
            prefetch((aid, occ.key) for occ in closed)
        get = self.state.get
        return [occ for occ in closed if get((aid, occ.key)) is None]

    # --- counted ----------------------------------------------------------------------------

    def missed(self, activity: Activity, start: dt.date, units: frozenset[str] | None = None) -> list[Missed]:
        """Per unit (in the plan's order; one entry for a BCU-wide duty), how many occurrences
        due from ``start`` to now are overdue, and the first and the last; units with none are
        left out. Equal to counting and taking the ends of ``listed``, without listing."""
        today = self.today
        timed = getattr(activity.frequency, "time", None)
        # An all-day occurrence closes when its due day ends: none due from today on is overdue.
        if start > today or (start == today and timed is None):
            return []
        names = self._units(activity, units)
        freq = activity.frequency
        if not isinstance(freq, Recurrence):
            occs, dues, _ = self._all(activity)
            i, j = bisect.bisect_left(dues, start), bisect.bisect_right(dues, today - ONE_DAY)
            due_today = occs[j : bisect.bisect_right(dues, today)]
            fanout = max(1, len(self._units(activity, None)))  # a per-unit duty: one occurrence per unit
            per_unit = (j - i + sum(1 for o in due_today if o.is_closed(self.now))) // fanout
        else:
            per_unit = self._periods_closed(freq, start, today)[1]  # due from start, closed at now
        if per_unit == 0:
            return []
        keys = closed_keys(self.state, activity.id, per_unit * len(names))
        if keys is None or len(keys) > per_unit * len(names):  # more closed than the run: walk it
            return self._walked(activity, start, names, units)
        if not keys:
            # Nothing closed: the run is the schedule's own, the same for every activity with
            # this schedule (10,000 activities have a few): found once, given this one's id.
            shape = (self.schedule.signature(freq), start, tuple(names))
            known = self._unclosed.get(shape)
            if known is None:
                known = self._unclosed[shape] = self._counted(activity, start, names, keys, per_unit)
            aid = activity.id
            if known and known[0].first.activity == aid:
                return list(known)
            return [
                Missed(m.unit, m.count, m.first._replace(activity=aid), m.last._replace(activity=aid)) for m in known
            ]
        return self._counted(activity, start, names, keys, per_unit)

    def _counted(
        self, activity: Activity, start: dt.date, names: list[str | None], keys: Collection[str], per_unit: int
    ) -> list[Missed]:
        """``missed`` of a log that closed ``keys`` (at most the run): counted, the ends found by
        scanning past what was closed."""
        closed: dict[str | None, int] = dict.fromkeys(names, 0)
        for key in keys:
            occ = self._resolve(activity, key)
            if occ is not None and occ.unit in closed and start <= occ.due and occ.is_closed(self.now):
                closed[occ.unit] += 1
        counts = {unit: per_unit - closed[unit] for unit in names}
        if not any(counts.values()):
            return []
        live = {unit for unit, n in counts.items() if n}
        firsts = self._scan(activity, start, keys, live, forward=True)
        lasts = self._scan(activity, start, keys, live, forward=False)
        return [Missed(unit, counts[unit], firsts[unit], lasts[unit]) for unit in names if counts[unit]]

    def outcomes(
        self, activity: Activity, start: dt.date, end: dt.date, units: frozenset[str] | None = None
    ) -> dict[str, int]:
        """What became of the occurrences due from ``start`` to ``end`` (of ``units``), counted:
        on time, late, skipped, missed and pending, as ``report.fates`` decides them one by one.
        What the log closed is looked up key by key; the rest is arithmetic."""
        tally = dict.fromkeys(("on_time", "late", "skipped", "missed", "pending"), 0)
        period = self.schedule.plan.meta.period
        lo, hi = max(start, period.start), min(end, period.end)
        if lo > hi:
            return tally
        names = self._units(activity, units)
        keys = closed_keys(self.state, activity.id)
        if keys is None:
            return self._outcomes_walked(activity, lo, hi, units)
        today = self.today
        freq = activity.frequency
        if isinstance(freq, Recurrence):
            total, closed = self._periods_closed(freq, lo, hi)
        else:
            occs, dues, _ = self._all(activity)
            fanout = max(1, len(self._units(activity, None)))
            i, j = bisect.bisect_left(dues, lo), bisect.bisect_right(dues, hi)
            total = (j - i) // fanout
            # all due before today are closed; of those due today, the ones whose time has passed
            k = max(i, bisect.bisect_right(dues, min(hi, today - ONE_DAY)))
            due_today = occs[k : max(k, bisect.bisect_right(dues, min(hi, today)))]
            closed = (k - i + sum(1 for o in due_today if o.is_closed(self.now))) // fanout
        wanted = set(names)
        done_closed = done_open = 0
        zone = self.schedule.zone
        for key in keys:
            occ = self._resolve(activity, key)
            if occ is None or occ.unit not in wanted or not lo <= occ.due <= hi:
                continue
            done = self.state.get((activity.id, key))
            if done is None:
                continue
            if occ.is_closed(self.now):
                done_closed += 1
            else:
                done_open += 1
            tally[occ.outcome(done, self.now, zone)] += 1
        tally["missed"] = closed * len(names) - done_closed
        tally["pending"] = (total - closed) * len(names) - done_open
        return tally

    def _periods_closed(self, freq: Recurrence, lo: dt.date, hi: dt.date) -> tuple[int, int]:
        """How many periods of a calendar recurrence fall due from ``lo`` to ``hi``, and how many
        of those are closed at now (their due day, or their time on it, has passed)."""
        shape = (self.schedule.signature(freq), lo, hi)
        found = self._periods.get(shape)
        if found is not None:
            return found
        today = self.today
        closed_until = today - ONE_DAY
        if freq.time is not None and resolve_local(today, freq.time, self.schedule.zone) <= self.now:
            closed_until = today
        last_closed = min(hi, closed_until)
        if freq.kind == "daily":
            total = (hi - lo).days + 1
            closed = max(0, (last_closed - lo).days + 1)
        else:
            periods = _Periods(self.schedule, freq, lo)
            top = periods.top(hi)
            first = periods.first_due_from(lo, top)
            total = periods.first_due_from(hi + ONE_DAY, top) - first
            closed = periods.first_due_from(last_closed + ONE_DAY, top) - first if last_closed >= lo else 0
        found = self._periods[shape] = (total, closed)
        return found

    def _outcomes_walked(
        self, activity: Activity, lo: dt.date, hi: dt.date, units: frozenset[str] | None
    ) -> dict[str, int]:
        """``outcomes`` for a log asked one occurrence at a time."""
        tally = dict.fromkeys(("on_time", "late", "skipped", "missed", "pending"), 0)
        zone = self.schedule.zone
        for occ in self.schedule.occurrences(activity, lo, hi):
            if not lo <= occ.due <= hi or (units is not None and occ.unit is not None and occ.unit not in units):
                continue
            tally[occ.outcome(self.state.get((activity.id, occ.key)), self.now, zone)] += 1
        return tally

    def _units(self, activity: Activity, units: frozenset[str] | None) -> list[str | None]:
        """The units whose occurrences count: a per-unit duty's units in view, else [None]."""
        kind = activity.per_unit
        listed = [u.id for u in self.schedule.plan.units_of(kind)] if kind else []
        if not listed:
            return [None]
        return [u for u in listed if units is None or u in units]

    def _walked(
        self, activity: Activity, start: dt.date, names: list[str | None], units: frozenset[str] | None
    ) -> list[Missed]:
        """Counted in one walk over the run, without building anything per occurrence: for a
        log that closed most of it (or that can only be asked one occurrence at a time)."""
        counts: dict[str | None, int] = dict.fromkeys(names, 0)
        firsts: dict[str | None, Occurrence] = {}
        lasts: dict[str | None, Occurrence] = {}
        for occ in self.listed(activity, start, units):
            if occ.unit not in counts:
                continue
            counts[occ.unit] += 1
            firsts.setdefault(occ.unit, occ)
            lasts[occ.unit] = occ
        return [Missed(unit, counts[unit], firsts[unit], lasts[unit]) for unit in names if counts[unit]]

    def _between(self, activity: Activity, lo: dt.date, hi: dt.date) -> list[Occurrence]:
        """The occurrences due from ``lo`` to ``hi``, in the schedule's order."""
        if not isinstance(activity.frequency, Recurrence):
            occs, dues, _ = self._all(activity)
            return occs[bisect.bisect_left(dues, lo) : bisect.bisect_right(dues, hi)]
        # a calendar period's due day lies inside it: the windows meeting [lo, hi] are enough
        return [o for o in self.schedule.occurrences(activity, lo, hi) if lo <= o.due <= hi]

    def _scan(
        self, activity: Activity, start: dt.date, keys: Collection[str], units: set[str | None], *, forward: bool
    ) -> dict[str | None, Occurrence]:
        """The first (or the last) overdue occurrence of each unit in ``units``, looked for in
        growing steps from the run's start (or from now): past only what the log closed."""
        found: dict[str | None, Occurrence] = {}
        step = FIRST_SCAN
        lo, hi = start, self.today
        while lo <= hi and len(found) < len(units):
            if forward:
                a, b = lo, min(hi, lo + step - ONE_DAY)
                lo = b + ONE_DAY
            else:
                a, b = max(lo, hi - step + ONE_DAY), hi
                hi = a - ONE_DAY
            step *= 2
            chunk: Iterable[Occurrence] = self._between(activity, a, b)
            for occ in chunk if forward else reversed(list(chunk)):
                if occ.unit in units and occ.unit not in found and occ.is_closed(self.now) and occ.key not in keys:
                    found[occ.unit] = occ
        return found

    def _all(self, activity: Activity) -> tuple[list[Occurrence], list[dt.date], dict[str, Occurrence]]:
        """A raw RRULE's or a campaign's occurrences over the plan's period, once: their due
        days sorted (to bisect) and their keys (to look up what the log closed)."""
        cached = self._listed.get(activity.id)
        if cached is None:
            period = self.schedule.plan.meta.period
            occs = self.schedule.occurrences(activity, period.start, period.end)
            cached = occs, [o.due for o in occs], {o.key: o for o in occs}
            self._listed[activity.id] = cached
        return cached

    def _resolve(self, activity: Activity, key: str) -> Occurrence | None:
        """The occurrence a closed key names, if the plan has it (a key recorded under an
        older plan may name none)."""
        freq = activity.frequency
        if not isinstance(freq, Recurrence):
            return self._all(activity)[2].get(key)
        base = key.rsplit("@", 1)[0] if activity.per_unit else key
        day = _day_of_key(freq.kind, base)
        if day is None:
            return None
        period = self.schedule.plan.meta.period
        if freq.kind == "daily":  # the commonest by far: the key is the day, due that day
            unit = key[len(base) + 1 :] or None
            if not period.start <= day <= period.end or unit not in self._units(activity, None):
                return None
            at = resolve_local(day, freq.time, self.schedule.zone) if freq.time is not None else None
            return Occurrence(activity.id, key, day, day, at, unit)
        if not period.start <= day <= period.end:
            day = min(max(day, period.start), period.end)  # its window may still reach into the period
        return next((o for o in self.schedule.occurrences(activity, day, day) if o.key == key), None)


class _Periods:
    """Period k of a calendar recurrence, from the one holding ``origin``: each in O(1)."""

    def __init__(self, schedule: Schedule, freq: Recurrence, origin: dt.date) -> None:
        self.freq = freq
        kind = freq.kind
        if kind == "daily":
            self.first = origin
        elif kind == "weekly":
            self.first = week_start(origin)
        elif kind == "fortnightly":
            assert freq.anchor is not None
            self.first = freq.anchor + dt.timedelta(days=14 * ((origin - freq.anchor).days // 14))
        elif kind == "monthly":
            self.first = origin.replace(day=1)
        elif kind == "quarterly":
            offset = (origin.month - schedule.plan.meta.quarters.first_month) % 3
            self.first = _add_months(origin.replace(day=1), -offset)
        else:
            self.first = schedule.plan_year(origin)[0]
        self.anchor = schedule.plan.meta.period.start

    def top(self, hi: dt.date) -> int:
        """A period index past ``hi``: no period is shorter than SHORTEST days of its kind."""
        return (hi - self.first).days // SHORTEST[self.freq.kind] + 2

    def start(self, k: int) -> dt.date:
        kind = self.freq.kind
        if kind == "daily":
            return self.first + dt.timedelta(days=k)
        if kind == "weekly":
            return self.first + dt.timedelta(days=7 * k)
        if kind == "fortnightly":
            return self.first + dt.timedelta(days=14 * k)
        if kind == "monthly":
            return _add_months(self.first, k)
        if kind == "quarterly":
            return _add_months(self.first, 3 * k)
        return _clamped(self.first.year + k, self.anchor.month, self.anchor.day)

    def due(self, k: int) -> dt.date:
        first = self.start(k)
        due = self.freq.due
        if due is None:
            return self.start(k + 1) - ONE_DAY
        if isinstance(due, str):
            return first + dt.timedelta(days=(WEEKDAYS.index(due) - first.weekday()) % 7)
        return _clamped(first.year, first.month, due)

    def first_due_from(self, day: dt.date, top: int) -> int:
        """The least k in [0, top] whose period falls due on ``day`` or later."""
        lo, hi = 0, top
        while lo < hi:
            mid = (lo + hi) // 2
            if self.due(mid) < day:
                lo = mid + 1
            else:
                hi = mid
        return lo


def _day_of_key(kind: str, key: str) -> dt.date | None:
    """A day inside the window of the calendar period a key names: ``2020-W44`` -> its Monday,
    ``2020-Q3`` -> 1 September, ``2020-21`` -> 31 December 2020."""
    try:
        if kind in ("daily", "fortnightly"):
            day = dt.date.fromisoformat(key) if len(key) == 10 else None
            return day if day is not None and day.isoformat() == key else None  # not 2020-W41-1
        year = int(key[:4])
        if kind == "weekly" and key[4:6] == "-W" and len(key) == 8:
            return dt.date.fromisocalendar(year, int(key[6:]), 1)
        if kind == "monthly" and len(key) == 7:
            return dt.date(year, int(key[5:]), 1)
        if kind == "quarterly" and key[4:6] == "-Q" and len(key) == 7:
            return dt.date(year, 3 * int(key[6:]), 1)
        if kind == "annual" and len(key) in (4, 7):
            return dt.date(year, 12, 31)
    except ValueError:
        return None
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))
