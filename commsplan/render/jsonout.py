"""``--json``: one JSON document on stdout, the stable, sorted contract other tools rely on."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring as _str  # a JSON string, as json.dumps writes it
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commsplan.plan.data import dump
from commsplan.render.base import Renderer
from commsplan.render.safetext import json_text
from commsplan.rules.period import period_rule

if TYPE_CHECKING:
    from commsplan.log.book import LogBackend
    from commsplan.log.records import Head, LogRead, LogRecord
    from commsplan.log.state import Completion, Incident
    from commsplan.plan.data import Activity, Plan
    from commsplan.plan.load import LoadedPlan
    from commsplan.plan.renew import Renewal
    from commsplan.rules.agenda import Agenda, Item, Run, Undated
    from commsplan.rules.digest import Digest
    from commsplan.rules.incidents import Step
    from commsplan.rules.period import PeriodStatus
    from commsplan.rules.plandiff import Change, PlanDiff
    from commsplan.rules.report import GroupBy, GroupStats, Report
    from commsplan.rules.schedule import Occurrence
    from commsplan.rules.select import Filters


def dumps(value: Any, *, pretty: bool = True) -> str:
    """Sorted keys always; indented for a person, compact for a pipe (json's C encoder only
    runs without indent, and a large agenda is 10x faster so)."""
    if pretty:
        return json_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))
    return json_text(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")))


def frequency_dict(activity: Activity) -> dict[str, Any]:
    freq = activity.frequency
    data: dict[str, Any] = dump(freq, exclude_none=True)
    data["interpreted"] = freq.interpretation is not None
    return data


def activity_dict(plan: Plan, activity: Activity) -> dict[str, Any]:
    audience = plan.audience(activity.audience)
    role = plan.role(activity.owner.role)
    return {
        "id": activity.id,
        "audience": audience.id,
        "audience_name": audience.name,
        "owner": role.id,
        "owner_name": role.name,
        "owner_with": list(activity.owner.with_),
        "owner_out_of_hours": activity.owner.out_of_hours,
        "owner_as_written": activity.owner.as_written,
        "what": activity.what.text,
        "what_as_written": activity.what.as_written,
        "channels": [
            {
                "channel": use.channel,
                "name": plan.channel(use.channel).name,
                "when": use.when,
                "detail": use.detail,
                "as_written": use.as_written,
            }
            for use in activity.channels
        ],
        "how_as_written": activity.how_as_written,
        "frequency": frequency_dict(activity),
        "why": activity.why,
        "notes": list(activity.notes),
        "source_row": activity.row,
        "conditional": dump(activity.conditional) if activity.conditional else None,
        "per_unit": activity.per_unit,
    }


def item_dict(plan: Plan, item: Item, shared: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One occurrence with its status; ``shared`` keeps what is the activity's, the same for
    each of its occurrences (a year of a large plan writes each activity's some 40 times)."""
    activity = item.activity
    occ = item.occurrence
    own = shared.get(activity.id) if shared is not None else None
    if own is None:
        own = {
            "id": activity.id,
            "audience": activity.audience,
            "owner": activity.owner.role,
            "channels": list(dict.fromkeys(use.channel for use in activity.channels)),
            "what": activity.what.text,
        }
        if shared is not None:
            shared[activity.id] = own
    data: dict[str, Any] = {
        **own,
        "occurrence": occ.key,
        "opens": occ.opens.isoformat(),
        "due": occ.due.isoformat(),
        "status": item.status,
    }
    _add_timing(data, item)
    if item.completion is not None:
        done = item.completion
        data["completed"] = {
            "at": done.at.isoformat(),
            "by": done.by,
            "record": done.record_id,
            "late": item.late_days > 0,
            "days_late": item.late_days,
        }
    return data


class ItemText:
    """``item_dict`` as compact JSON text (sorted keys, no spaces), written directly: a year of a
    large plan is hundreds of thousands of items, and what is the activity's (its id, audience,
    owner, channels, what) is encoded once per activity, not once per occurrence. Equal to
    ``json.dumps(item_dict(plan, item), sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
    (tests/test_streaming.py holds it to that)."""

    def __init__(self) -> None:
        self._own: dict[str, tuple[str, str, str, str]] = {}

    def __call__(self, item: Item) -> str:
        activity = item.activity
        occ = item.occurrence
        own = self._own.get(activity.id)
        if own is None:
            channels = ",".join(_str(c) for c in dict.fromkeys(use.channel for use in activity.channels))
            own = self._own[activity.id] = (
                f'{{"audience":{_str(activity.audience)},"channels":[{channels}]',
                f',"id":{_str(activity.id)}',
                f',"owner":{_str(activity.owner.role)}',
                f',"what":{_str(activity.what.text)}}}',
            )
        head, ident, owner, what = own
        parts = [head]
        done = item.completion
        if done is not None:
            parts.append(
                f',"completed":{{"at":{_str(done.at.isoformat())},"by":{_str(done.by)},'
                f'"days_late":{int(item.late_days)},"late":{"true" if item.late_days > 0 else "false"},'
                f'"record":{_str(done.record_id)}}}'
            )
        if item.status == "overdue":
            parts.append(f',"days_late":{int(item.late_days)}')
        parts.append(f',"due":"{occ.due.isoformat()}"')
        if occ.at is not None:
            parts.append(f',"due_at":{_str(occ.at.isoformat())}')
        parts.append(f'{ident},"occurrence":{_str(occ.key)},"opens":"{occ.opens.isoformat()}"{owner}')
        parts.append(f',"status":{_str(item.status)}')
        if occ.unit is not None:
            parts.append(f',"unit":{_str(occ.unit)}')
        parts.append(what)
        return "".join(parts)


def _occurrence_ends(item: Item) -> dict[str, Any]:
    """The first or last occurrence of a run: its key (what done, skip and undo take), its
    window, and how late it is."""
    occ = item.occurrence
    data: dict[str, Any] = {"occurrence": occ.key, "opens": occ.opens.isoformat(), "due": occ.due.isoformat()}
    _add_timing(data, item)
    return data


def _add_timing(data: dict[str, Any], item: Item) -> None:
    """An occurrence's time of day, its unit and how late it is, where it has them."""
    occ = item.occurrence
    if occ.at is not None:
        data["due_at"] = occ.at.isoformat()
    if occ.unit is not None:
        data["unit"] = occ.unit
    if item.status == "overdue":
        data["days_late"] = item.late_days


def run_dict(plan: Plan, run: Run) -> dict[str, Any]:
    """One activity's overdue occurrences, counted: how many, the first and the last, per unit
    where the duty is per borough or ward; each of them only when expanded (``--expand``)."""
    activity = run.activity
    data: dict[str, Any] = {
        "id": activity.id,
        "audience": activity.audience,
        "owner": activity.owner.role,
        "channels": list(dict.fromkeys(use.channel for use in activity.channels)),
        "what": activity.what.text,
        "status": run.status,
        "count": run.count,
        "first": _occurrence_ends(run.first),
        "last": _occurrence_ends(run.last),
        "units": [
            {
                "unit": share.unit,
                "count": share.count,
                "first": _occurrence_ends(share.first),
                "last": _occurrence_ends(share.last),
            }
            for share in run.units
        ]
        if activity.per_unit is not None and run.units
        else None,
    }
    if run.listed is not None:
        data["occurrences"] = [item_dict(plan, item) for item in run.listed]
    return data


def overdue_list(plan: Plan, runs: Sequence[Run]) -> list[dict[str, Any]]:
    return [run_dict(plan, r) for r in sorted(runs, key=lambda r: (r.first.occurrence.due, r.activity.id))]


def step_item_dict(plan: Plan, incident: Incident, step: Step) -> dict[str, Any]:
    """An incident's pending notification, shaped like an occurrence of its activity."""
    return {
        "id": step.id,
        "occurrence": f"incident-{incident.id}",
        "incident": incident.id,
        "incident_title": incident.title,
        "level": incident.level,
        "audience": step.audience or None,
        "owner": step.owner or None,
        "channels": list(step.channels),
        "what": step.what,
        "opens": incident.opened.date().isoformat(),
        "due": incident.opened.date().isoformat(),
        "opened_at": incident.opened.isoformat(),
        "refer_to": step.refer_to,
        "status": "incident",
    }


def step_dict(plan: Plan, step: Step) -> dict[str, Any]:
    return {
        "step": step.number,
        "id": step.id,
        "audience": step.audience or None,
        "audience_name": plan.audience(step.audience).name if step.audience else None,
        "owner": step.owner or None,
        "owner_name": plan.role(step.owner).name if step.owner else None,
        "channel": list(step.channels),
        "channel_names": [plan.channel(c).name for c in step.channels],
        "what": step.what,
        "refer_to": step.refer_to,
        "status": step.status,
        "done_at": step.done_at.isoformat() if step.done_at else None,
        "done_by": step.done_by,
        "notifications": step.times,
        "last_at": step.last_at.isoformat() if step.last_at else None,
    }


def incident_dict(plan: Plan, incident: Incident, steps: list[Step], office: bool) -> dict[str, Any]:
    from commsplan.rules.incidents import incident_triggers

    return {
        "id": incident.id,
        "title": incident.title,
        "level": incident.level,
        "triggers": incident_triggers(plan, incident),
        "area": incident.area,
        "opened": incident.opened.isoformat(),
        "opened_by": incident.opened_by,
        "closed": incident.closed.isoformat() if incident.closed else None,
        "status": "open" if incident.is_open else "closed",
        "office_hours": office,
        "checklist": [step_dict(plan, s) for s in steps],
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "by": e.by,
                "text": e.text,
                "step": e.step,
                "channel": e.channel,
                "trigger": e.trigger,
                "record": e.record_id,
            }
            for e in incident.events
        ],
    }


def undated_list(undated: Sequence[Undated]) -> list[dict[str, Any]]:
    """Dated campaigns with no date this plan year: nobody will be reminded of them."""
    return [
        {
            "id": u.activity.id,
            "dates": list(u.names),
            "plan_year": {"start": u.year_start.isoformat(), "end": u.year_end.isoformat()},
        }
        for u in undated
    ]


def record_dict(record: LogRecord) -> dict[str, Any]:
    return {"record": record.id, "line": record.line, "ts": record.ts.isoformat(), "type": record.type, **record.data}


REPORT_COLUMNS = ["group", "name", "due", "on_time", "late", "skipped", "missed", "pending", "rate"]


def report_row(g: GroupStats) -> list[Any]:
    rate = None if g.rate is None else round(g.rate, 4)
    return [g.key, g.name, g.due, g.on_time, g.late, g.skipped, g.missed, g.pending, rate]


def emit(value: Any) -> None:
    """One JSON document on stdout: indented on a terminal, compact in a pipe."""
    sys.stdout.write(dumps(value, pretty=sys.stdout.isatty()) + "\n")


BATCH = 1000  # items of a streamed list encoded at a time


def emit_streaming(
    document: dict[str, Any],
    key: str,
    values: Iterable[Any],
    *,
    as_value: Callable[[Any], Any] | None = None,
    as_text: Callable[[Any], str] | None = None,
) -> None:
    """``emit(document | {key: [as_value(v) for v in values]})``, byte for byte, with the list
    written as its values come, a batch at a time, never held whole: the document's other
    members before and after it, in sorted order, as json.dumps writes them. ``as_text`` writes
    a value as compact JSON text itself (in a pipe, where the document is compact)."""
    if key in document:
        raise ValueError(f"{key!r} is already in the document")
    pretty = sys.stdout.isatty()
    write = sys.stdout.write
    before = dumps({k: v for k, v in document.items() if k < key}, pretty=pretty)
    after = dumps({k: v for k, v in document.items() if k > key}, pretty=pretty)
    name = dumps(key, pretty=False)
    if pretty:  # members indented by 2 spaces, the list's values by 4
        write(f"{before[:-2]},\n  {name}: [" if before != "{}" else f"{{\n  {name}: [")
        close, lead, cut = "\n  ]", "\n  ", -4  # a batch "[\n  X,\n  Y\n]" -> "\n    X,\n    Y"
    else:
        write(f"{before[:-1]},{name}:[" if before != "{}" else f"{{{name}:[")
        close, lead, cut = "]", "", -1
    written = False
    for batch in _batches(values):
        if as_text is not None and not pretty:
            text = json_text(",".join(map(as_text, batch)))
        else:
            text = dumps(batch if as_value is None else list(map(as_value, batch)), pretty=pretty)
            text = text.replace("\n", lead)[1:cut] if pretty else text[1:cut]
        write(("," if written else "") + text)
        written = True
    write(close if written else "]")
    if after == "{}":
        write("\n}\n" if pretty else "}\n")
    else:
        write(f",\n{after[2:]}\n" if pretty else f",{after[1:]}\n")


def _batches(values: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class JsonRenderer(Renderer):
    """Every view as one JSON document."""

    def validation(self, loaded: LoadedPlan, explain: bool) -> None:
        from commsplan.rules.readings import plan_readings

        p = loaded.plan
        kinds = Counter(a.frequency.kind for a in p.activities)
        interpreted = [a for a in p.activities if a.frequency.interpretation is not None]
        rows = sum(len(s.rows) for s in p.source.sections) if p.source else 0
        emit(
            {
                "valid": True,
                "path": str(loaded.path),
                "sha256": loaded.digest,
                "title": p.meta.title,
                "counts": {
                    "roles": len(p.roles),
                    "audiences": len(p.audiences),
                    "channels": len(p.channels),
                    "activities": len(p.activities),
                    "source_rows": rows,
                    "frequencies": dict(sorted(kinds.items())),
                    "interpreted": len(interpreted),
                },
                "interpretations": [
                    {
                        "activity": a.id,
                        "as_written": a.frequency.as_written,
                        "interpretation": a.frequency.interpretation,
                        "notes": list(a.notes),
                    }
                    for a in (interpreted if explain else [])
                ],
                "readings": [
                    {"subject": r.subject, "as_written": r.as_written, "reading": r.reading, "notes": list(r.notes)}
                    for r in (plan_readings(p) if explain else [])
                ],
                "warnings": list(loaded.warnings),
                "period": {
                    "start": p.meta.period.start.isoformat(),
                    "end": p.meta.period.end.isoformat(),
                    "rule": period_rule(p),
                },
            }
        )

    def activities(self, plan: Plan, chosen: Sequence[Activity], filters: Filters) -> None:
        emit([activity_dict(plan, a) for a in chosen])

    def activity_list(self, plan: Plan, chosen: Sequence[Activity]) -> None:
        emit([activity_dict(plan, a) for a in chosen])

    def activity(self, plan: Plan, activity: Activity) -> None:
        from commsplan.rules.readings import activity_dates

        data = activity_dict(plan, activity)
        row = plan.source_row(activity.row)
        data["source"] = dump(row) if row else None
        data["dates"] = activity_dates(plan, activity)
        emit(data)

    def schema(self, schema: dict[str, Any]) -> None:
        sys.stdout.write(dumps(schema) + "\n")

    def plan_written(self, path: Path) -> None:
        emit({"written": str(path)})

    def renewed(self, path: Path, renewal: Renewal, warnings: Sequence[str]) -> None:
        emit({"written": str(path), "changes": renewal.changes, "to_fill": renewal.to_fill, "warnings": list(warnings)})

    def plan_diff(self, old: LoadedPlan, new: LoadedPlan, diff: PlanDiff) -> None:
        def change(c: Change | None) -> dict[str, str] | None:
            return None if c is None else {"what": c.what, "old": c.old, "new": c.new}

        emit(
            {
                "old": str(old.path),
                "new": str(new.path),
                "period": change(diff.period),
                "office_hours": change(diff.office_hours),
                "gained": [{"id": i, "commitment": text} for i, text in diff.gained],
                "lost": [{"id": i, "commitment": text} for i, text in diff.lost],
                "changed": [{"id": a.activity, "changes": [change(c) for c in a.changes]} for a in diff.changed],
            }
        )

    def due(
        self,
        loaded: LoadedPlan,
        agenda: Agenda,
        incidents: Sequence[tuple[Incident, list[Step]]],
        *,
        overdue_only: bool,
    ) -> None:
        plan = loaded.plan
        steps = [step_item_dict(plan, incident, step) for incident, pending in incidents for step in pending]
        window = agenda.window
        shared: dict[str, dict[str, Any]] = {}
        item_text = ItemText()

        def as_value(value: dict[str, Any] | Item) -> dict[str, Any]:
            return value if isinstance(value, dict) else item_dict(plan, value, shared)

        def as_text(value: dict[str, Any] | Item) -> str:
            return dumps(value, pretty=False) if isinstance(value, dict) else item_text(value)

        # The window's items are a stream: written as they come, never all held (a year of a
        # large plan is hundreds of thousands); the document is the same, byte for byte.
        emit_streaming(
            {
                "now": agenda.now.isoformat(),
                "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "label": window.label},
                "period": agenda.period.as_dict() if agenda.period else None,
                "counts_from": agenda.counts_from.isoformat() if agenda.counts_from else None,
                "overdue": overdue_list(plan, agenda.overdue_runs),
                "overdue_count": agenda.overdue_count,
                "expanded": agenda.expanded,
                "undated": undated_list(agenda.undated),
            },
            "items",
            itertools.chain(steps, agenda.items),
            as_value=as_value,
            as_text=as_text,
        )

    def digest(self, plan: Plan, digest: Digest) -> None:
        emit(
            {
                "subject": digest.subject(),
                "log_head": digest.log_head,
                "now": digest.now.isoformat(),
                "owner": digest.owner,
                "window": {"start": digest.window.start.isoformat(), "end": digest.window.end.isoformat()},
                "incidents": [
                    {
                        "id": inc.id,
                        "title": inc.title,
                        "level": inc.level,
                        "opened": inc.opened.isoformat(),
                        "pending": [step_dict(plan, s) for s in steps],
                    }
                    for inc, steps in digest.incidents
                ],
                "overdue": overdue_list(plan, digest.overdue),
                "overdue_count": digest.overdue_count,
                "today": [item_dict(plan, i) for i in digest.today],
                "coming": [item_dict(plan, i) for i in digest.coming],
                "campaigns": [item_dict(plan, i) for i in digest.campaigns],
                "preparing": [item_dict(plan, i) for i in digest.preparing],
                "optional": [item_dict(plan, i) for i in digest.optional],
                "period": digest.period.as_dict() if digest.period else None,
                "undated": undated_list(digest.undated),
                "done_since": {
                    "since": digest.since.isoformat(),
                    "done": digest.done_since,
                    "late": digest.late_since,
                    "skipped": digest.skipped_since,
                },
            }
        )

    def recorded(self, record: LogRecord, late_days: int) -> None:
        emit(record_dict(record))

    def range_skipped(self, record: LogRecord, occurrences: Sequence[Occurrence]) -> None:
        emit(record_dict(record))

    def tracking_recorded(self, record: LogRecord, day: dt.date) -> None:
        emit(record_dict(record))

    def retracted(self, record: LogRecord, target: LogRecord) -> None:
        emit(record_dict(record))

    def log_records(self, book: LogBackend, records: Sequence[LogRecord], retracted: set[str], filtered: bool) -> None:
        emit([{**record_dict(r), "retracted": r.id in retracted} for r in records])

    def verification(self, book: LogBackend, checked: LogRead, witness: Head | None = None) -> None:
        emit(
            {
                "path": book.where,
                "records": len(checked.records),
                "intact": not any(p.kind == "chain" for p in checked.problems),
                "head": None if checked.head is None else str(checked.head),
                "extends": None if witness is None else not any(p.kind == "head" for p in checked.problems),
                "problems": [{"line": p.line, "kind": p.kind, "message": p.message} for p in checked.problems],
            }
        )

    def info(self, facts: dict[str, Any]) -> None:
        emit(facts)

    def incident(
        self,
        plan: Plan,
        incident: Incident,
        steps: list[Step],
        office: bool,
        now: dt.datetime,
        *,
        events: bool = False,
    ) -> None:
        emit(incident_dict(plan, incident, steps, office))

    def incidents(
        self, plan: Plan, rows: Sequence[tuple[Incident, list[Step], bool]], now: dt.datetime, all_: bool
    ) -> None:
        emit([incident_dict(plan, i, s, o) for i, s, o in rows])

    def incident_noted(self, incident: Incident, record: LogRecord) -> None:
        emit(record_dict(record))

    def step_notified(self, step: Step, pending: int, record: LogRecord) -> None:
        emit({**record_dict(record), "pending": pending})

    def incident_closed(self, incident: Incident, never_done: Sequence[str], record: LogRecord) -> None:
        emit({**record_dict(record), "never_done": list(never_done)})

    def calendar_written(
        self, count: int, start: dt.date, end: dt.date, path: Path, period: PeriodStatus | None = None
    ) -> None:
        emit(
            {
                "events": count,
                "from": start.isoformat(),
                "until": end.isoformat(),
                "path": str(path),
                "period": period.as_dict() if period else None,
            }
        )

    def report(
        self, report: Report, by: GroupBy, back_dated: Sequence[tuple[tuple[str, str], Completion]] = ()
    ) -> None:
        emit(
            {
                "from": report.start.isoformat(),
                "until": report.end.isoformat(),
                "by": by,
                "tracked_from": report.tracked_from.isoformat() if report.tracked_from else None,
                "period": report.period.as_dict(),
                "groups": [dict(zip(REPORT_COLUMNS, report_row(g), strict=True)) for g in report.groups],
                "conditional": [
                    {"id": o.activity, "what": o.what, "unit": o.unit, "done": o.done, "of": o.of}
                    for o in report.occasional
                ],
                "back_dated": [
                    {
                        "activity": activity,
                        "occurrence": key,
                        "claimed": c.at.isoformat(),
                        "recorded": None if c.recorded is None else c.recorded.isoformat(),
                        "by": c.by,
                        "record": c.record_id,
                    }
                    for (activity, key), c in sorted(back_dated, key=lambda item: item[1].at)
                ],
            }
        )
