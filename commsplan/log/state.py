"""What the completion log says: records folded into completions and incidents. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from commsplan.errors import LookupFailed
from commsplan.log.records import (
    DONE,
    INCIDENT_CLOSE,
    INCIDENT_NOTE,
    INCIDENT_NOTIFY,
    INCIDENT_OPEN,
    INCIDENT_TRIGGER,
    RETRACT,
    SKIP,
    SKIP_RANGE,
    TRACK,
    LogRecord,
)


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
    recorded: dt.datetime | None = None  # when it was really recorded (``at`` is the time it claims)

    @property
    def back_dated(self) -> bool:
        """Recorded more than a day after the time it claims."""
        return self.recorded is not None and self.recorded - self.at > BACK_DATED


BACK_DATED = dt.timedelta(days=1)


def recorded_time(value: Any) -> dt.datetime | None:
    """A record's real time of recording, if it has a readable one."""
    try:
        when = dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


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

    _by_activity: dict[str, set[str]] | None = None

    def __setitem__(self, key: tuple[str, str], value: Completion) -> None:
        self._by_activity = None
        super().__setitem__(key, value)

    def __delitem__(self, key: tuple[str, str]) -> None:
        self._by_activity = None
        super().__delitem__(key)

    def keys_of(self, activity: str, limit: int | None = None) -> set[str]:
        """The keys of one activity's occurrences that are done or skipped (grouped once; all
        of them, whatever ``limit``)."""
        if self._by_activity is None:
            grouped: dict[str, set[str]] = {}
            for activity_id, key in self:
                grouped.setdefault(activity_id, set()).add(key)
            self._by_activity = grouped
        return self._by_activity.get(activity, set())

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Iterable[tuple[tuple[str, str], Completion]]:
        return [(key, c) for key, c in self.items() if start < c.at <= end]


class Record(Protocol):
    """What history needs of a log record (logbook.LogRecord has it)."""

    @property
    def id(self) -> str: ...
    @property
    def ts(self) -> dt.datetime: ...
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...
    @property
    def line(self) -> int: ...


R = TypeVar("R", bound=Record)


@dataclass
class IncidentEvent:
    at: dt.datetime
    kind: str  # "opened" | "note" | "notified" | "trigger" | "closed"
    by: str
    text: str
    step: str | None = None
    channel: str | None = None
    record_id: str = ""
    trigger: str | None = None  # a "trigger" event: what the incident now also involves


@dataclass
class Incident:
    id: str
    title: str
    level: str
    area: str | None
    opened: dt.datetime
    opened_by: str
    closed: dt.datetime | None = None
    also: list[str] = field(default_factory=list)  # further triggers recorded (a media enquiry)
    notified: dict[str, list[IncidentEvent]] = field(default_factory=dict)  # step id -> each notification
    events: list[IncidentEvent] = field(default_factory=list)

    @property
    def triggers(self) -> list[str]:
        """What the incident involves, as recorded: its level, then what was added."""
        return list(dict.fromkeys([self.level, *self.also]))

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass
class History:
    completions: Completions = field(default_factory=CompletionMap)
    incidents: dict[str, Incident] = field(default_factory=dict)
    retracted: set[str] = field(default_factory=set)
    unknown_activities: dict[str, int] = field(default_factory=dict)  # activity id -> records
    ignored: list[str] = field(default_factory=list)  # why some records could not be used
    last_completion: str | None = None  # record id of the newest done/skip/track still in force
    count: int = 0
    tracking_from: dt.date | None = None  # `track --from`: occurrences due before it do not count
    tracking_record: str | None = None


def fold(records: Iterable[Record], known_activities: set[str] | None = None) -> History:
    """The state the log describes. Later records win; a retraction cancels its target."""
    completions = CompletionMap()
    history = History(completions=completions)
    items = list(records)
    history.count = len(items)
    retracted = {str(r.data.get("target")) for r in items if r.type == RETRACT}
    history.retracted = retracted
    live_completions: list[Record] = []
    for record in items:
        if record.id in retracted or record.type == RETRACT:
            continue
        data = record.data
        try:
            if record.type in (DONE, SKIP):
                activity, key = str(data["activity"]), str(data["occurrence"])
                if known_activities is not None and activity not in known_activities:
                    history.unknown_activities[activity] = history.unknown_activities.get(activity, 0) + 1
                completions[(activity, key)] = Completion(
                    status="done" if record.type == DONE else "skipped",
                    at=record.ts,
                    by=str(data.get("by", "")),
                    record_id=record.id,
                    channel=_opt(data.get("channel")),
                    note=_opt(data.get("note") or data.get("reason")),
                    due=dt.date.fromisoformat(str(data["due"])) if data.get("due") else None,
                    recorded=recorded_time(data.get("recorded")),
                )
                live_completions.append(record)
            elif record.type == SKIP_RANGE:
                activity = str(data["activity"])
                keys = data["occurrences"]
                if not isinstance(keys, list):
                    raise TypeError("'occurrences'")
                if known_activities is not None and activity not in known_activities:
                    history.unknown_activities[activity] = history.unknown_activities.get(activity, 0) + 1
                skipped = Completion(
                    status="skipped",
                    at=record.ts,
                    by=str(data.get("by", "")),
                    record_id=record.id,
                    note=_opt(data.get("reason")),
                    recorded=recorded_time(data.get("recorded")),
                )
                for key in keys:
                    completions[(activity, str(key))] = skipped
                live_completions.append(record)
            elif record.type == TRACK:
                # the latest in force wins: a team that re-adopts the plan moves the day
                history.tracking_from = dt.date.fromisoformat(str(data["from"]))
                history.tracking_record = record.id
                live_completions.append(record)  # undo's default takes it back like a completion
            elif record.type == INCIDENT_OPEN:
                incident = Incident(
                    id=str(data["incident"]),
                    title=str(data["title"]),
                    level=str(data["level"]),
                    area=_opt(data.get("area")),
                    opened=record.ts,
                    opened_by=str(data.get("by", "")),
                    also=[str(x) for x in data.get("also") or []],
                )
                incident.events.append(
                    IncidentEvent(record.ts, "opened", incident.opened_by, incident.title, record_id=record.id)
                )
                history.incidents[incident.id] = incident
            elif record.type in (INCIDENT_NOTE, INCIDENT_NOTIFY, INCIDENT_CLOSE, INCIDENT_TRIGGER):
                incident = history.incidents[str(data["incident"])]
                by = str(data.get("by", ""))
                if record.type == INCIDENT_NOTE:
                    incident.events.append(IncidentEvent(record.ts, "note", by, str(data["text"]), record_id=record.id))
                elif record.type == INCIDENT_NOTIFY:
                    event = IncidentEvent(
                        record.ts,
                        "notified",
                        by,
                        str(data.get("note") or ""),
                        step=str(data["step"]),
                        channel=_opt(data.get("channel")),
                        record_id=record.id,
                    )
                    incident.events.append(event)
                    incident.notified.setdefault(str(data["step"]), []).append(event)
                elif record.type == INCIDENT_TRIGGER:
                    trigger = str(data["trigger"])
                    incident.events.append(
                        IncidentEvent(
                            record.ts, "trigger", by, str(data.get("note") or ""), record_id=record.id, trigger=trigger
                        )
                    )
                    if trigger not in incident.also:
                        incident.also.append(trigger)
                else:
                    incident.closed = record.ts
                    incident.events.append(
                        IncidentEvent(record.ts, "closed", by, str(data.get("note") or ""), record_id=record.id)
                    )
        except (KeyError, TypeError, ValueError) as exc:
            history.ignored.append(f"line {record.line}: {record.type} record lacks {exc} (ignored)")
    # Only completions still in force count for undo: the newest that is not retracted.
    in_force = {c.record_id for c in completions.values()} | {history.tracking_record}
    for record in reversed(live_completions):
        if record.id in in_force:
            history.last_completion = record.id
            break
    return history


def history_warnings(history: History, problems: Sequence[Any], others: Mapping[str, int]) -> list[str]:
    """What a person should be told about a log's history: damage (``problems``, each with a
    ``message``), records that could not be used, activities the plan does not have, and
    records made under other plan files (``others``: plan sha256 -> records)."""
    warnings = [f"log {problem.message}" for problem in problems]
    warnings += [f"log {message}" for message in history.ignored]
    if history.unknown_activities:
        names = ", ".join(sorted(history.unknown_activities))
        count = sum(history.unknown_activities.values())
        warnings.append(
            f"the log has {count} record(s) for activities this plan does not have ({names}); kept, not counted"
        )
    if others:
        count = sum(others.values())
        digests = ", ".join(d[:12] or "none" for d in sorted(others, key=lambda d: -others[d])[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        warnings.append(
            f"the log has {count} record(s) made under another plan file than this one "
            f"(plan sha256 {digests}{more}); they are counted against this plan"
        )
    return warnings


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class LogView(Protocol):
    """The log as a check sees it, before an append or under its lock: what is in force now."""

    @property
    def completions(self) -> State: ...
    @property
    def last_completion(self) -> str | None: ...
    def record(self, record_id: str) -> LogRecord | None: ...
    def is_retracted(self, record_id: str) -> bool: ...
    def last_time(self) -> dt.datetime | None: ...
    def incident_ids(self) -> set[str]: ...


class FoldedView:
    """A LogView over records read in full."""

    def __init__(self, records: Sequence[LogRecord]) -> None:
        self._records = records
        self._history = fold(records)
        self._by_id: dict[str, LogRecord] = {}
        for record in records:
            self._by_id.setdefault(record.id, record)

    @property
    def completions(self) -> State:
        return self._history.completions

    @property
    def last_completion(self) -> str | None:
        return self._history.last_completion

    def record(self, record_id: str) -> LogRecord | None:
        return self._by_id.get(record_id)

    def is_retracted(self, record_id: str) -> bool:
        return record_id in self._history.retracted

    def last_time(self) -> dt.datetime | None:
        """The time the log's last record claims."""
        return self._records[-1].ts if self._records else None

    def incident_ids(self) -> set[str]:
        return opened_incidents(self._records)


class LogQueries(Protocol):
    """A store that answers a log's questions one at a time (the SQLite index, the database)."""

    def last_completion(self) -> str | None: ...
    def record(self, record_id: str) -> LogRecord | None: ...
    def is_retracted(self, record_id: str) -> bool: ...
    def last_time(self) -> dt.datetime | None: ...
    def records_of_types(self, prefix: str) -> list[LogRecord]: ...
    def completion(self, activity: str, occurrence: str) -> Completion | None: ...
    def completions_of(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Completion]: ...
    def keys_of(self, activity: str, limit: int | None = None) -> set[str]: ...
    def completions_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterable[tuple[tuple[str, str], Completion]]: ...


class QueriedView:
    """A LogView answered by a store one question at a time, rather than from records in memory."""

    def __init__(self, store: LogQueries) -> None:
        self.store = store
        self.completions = QueriedCompletions(store)

    @property
    def last_completion(self) -> str | None:
        return self.store.last_completion()

    def record(self, record_id: str) -> LogRecord | None:
        return self.store.record(record_id)

    def is_retracted(self, record_id: str) -> bool:
        return self.store.is_retracted(record_id)

    def last_time(self) -> dt.datetime | None:
        return self.store.last_time()

    def incident_ids(self) -> set[str]:
        return opened_incidents(self.store.records_of_types(INCIDENT_OPEN))


class QueriedCompletions:
    """A log's completions, answered by a store one question at a time."""

    def __init__(self, store: LogQueries) -> None:
        self.store = store
        self._known: dict[tuple[str, str], Completion | None] = {}

    def prefetch(self, keys: Iterable[tuple[str, str]]) -> None:
        """Ask the store about all of ``keys`` at once (one round trip to a database), so that
        `get` answers them without asking again."""
        wanted = {key for key in keys if key not in self._known}
        found = self.store.completions_of(wanted)
        self._known.update((key, found.get(key)) for key in wanted)

    def get(self, key: tuple[str, str], /) -> Completion | None:
        if key in self._known:
            return self._known[key]
        return self.store.completion(*key)

    def keys_of(self, activity: str, limit: int | None = None) -> set[str]:
        return self.store.keys_of(activity, limit)

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Iterable[tuple[tuple[str, str], Completion]]:
        return self.store.completions_between(start, end)


def opened_incidents(records: Iterable[LogRecord]) -> set[str]:
    """The ids of the incidents these records open (an id is taken for good, even when closed)."""
    return {str(r.data.get("incident")) for r in records if r.type == INCIDENT_OPEN}


def retraction_target(view: LogView, record_id: str | None, where: object) -> LogRecord:
    """The record an `undo` retracts: ``record_id``, else the newest completion in force.

    Run again under the append's lock with the id chosen before it, this is the check that
    one retraction of a record wins and the others are told it is already retracted.
    """
    target_id = record_id or view.last_completion
    if target_id is None:
        raise LookupFailed("there is no completion to undo in this log")
    target = view.record(target_id)
    if target is None:
        raise LookupFailed(f"no record '{target_id}' in {where}")
    if target.type not in (DONE, SKIP, SKIP_RANGE, TRACK):
        raise LookupFailed(
            f"record {target_id} is a '{target.type}' record; undo retracts done, skip and track records"
        )
    if view.is_retracted(target_id):
        raise LookupFailed(f"record {target_id} is already retracted")
    return target


def select_records(records: Sequence[R], activity: str | None, since: dt.date | None) -> tuple[list[R], set[str]]:
    """The records `log` shows (of one activity, from a day on) and the ids retracted."""
    from commsplan.plan.lookup import find_activity

    chosen = list(records)
    if activity is not None:
        wanted = find_activity(
            activity, sorted({str(r.data.get("activity")) for r in chosen if r.data.get("activity")})
        )
        chosen = [r for r in chosen if r.data.get("activity") == wanted]
    if since is not None:
        chosen = [r for r in chosen if r.ts.date() >= since]
    retracted = {str(r.data.get("target")) for r in records if r.type == RETRACT}
    return chosen, retracted
