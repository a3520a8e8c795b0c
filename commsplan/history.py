"""What the completion log says: records folded into completions and incidents. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from commsplan.agenda import Completion, CompletionMap, Completions

# Record types, as written to the log.
DONE = "done"
SKIP = "skip"
RETRACT = "retract"
INCIDENT_OPEN = "incident-open"
INCIDENT_NOTE = "incident-note"
INCIDENT_NOTIFY = "incident-notify"
INCIDENT_CLOSE = "incident-close"


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


@dataclass
class IncidentEvent:
    at: dt.datetime
    kind: str  # "opened" | "note" | "notified" | "closed"
    by: str
    text: str
    step: str | None = None
    channel: str | None = None
    record_id: str = ""


@dataclass
class Incident:
    id: str
    title: str
    level: str
    area: str | None
    opened: dt.datetime
    opened_by: str
    closed: dt.datetime | None = None
    notified: dict[str, IncidentEvent] = field(default_factory=dict)  # step id -> when it was done
    events: list[IncidentEvent] = field(default_factory=list)

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
    last_completion: str | None = None  # record id of the newest done/skip still in force
    count: int = 0


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
                )
                live_completions.append(record)
            elif record.type == INCIDENT_OPEN:
                incident = Incident(
                    id=str(data["incident"]),
                    title=str(data["title"]),
                    level=str(data["level"]),
                    area=_opt(data.get("area")),
                    opened=record.ts,
                    opened_by=str(data.get("by", "")),
                )
                incident.events.append(
                    IncidentEvent(record.ts, "opened", incident.opened_by, incident.title, record_id=record.id)
                )
                history.incidents[incident.id] = incident
            elif record.type in (INCIDENT_NOTE, INCIDENT_NOTIFY, INCIDENT_CLOSE):
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
                    incident.notified.setdefault(str(data["step"]), event)
                else:
                    incident.closed = record.ts
                    incident.events.append(
                        IncidentEvent(record.ts, "closed", by, str(data.get("note") or ""), record_id=record.id)
                    )
        except (KeyError, TypeError, ValueError) as exc:
            history.ignored.append(f"line {record.line}: {record.type} record lacks {exc} (ignored)")
    # Only completions still in force count for undo: the newest that is not retracted.
    in_force = {c.record_id for c in completions.values()}
    for record in reversed(live_completions):
        if record.id in in_force:
            history.last_completion = record.id
            break
    return history


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
