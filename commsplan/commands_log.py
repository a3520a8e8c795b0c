"""Commands that write or read the completion log: done, skip, undo, log, info."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from commsplan.cli import (
    JsonOpt,
    LogOpt,
    NowOpt,
    PlanOpt,
    Session,
    app,
    cache_dir,
    print_json,
    say,
    session,
    warn,
)
from commsplan.errors import LogError, LookupFailed
from commsplan.matching import find, find_activity
from commsplan.safetext import visible

if TYPE_CHECKING:
    from commsplan.agenda import Completion
    from commsplan.history import History
    from commsplan.logbook import FileLog, LogProblem, LogRecord


def activity_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the plan's activity ids (from --plan or COMMSPLAN_PLAN if given)."""
    from commsplan.cli import open_plan

    plan_path = ctx.params.get("plan") or os.environ.get("COMMSPLAN_PLAN") or None
    try:
        plan = open_plan(Path(plan_path) if plan_path else None).plan
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [a.id for a in plan.activities if a.id.startswith(incomplete)]


ActivityArg = Annotated[
    str,
    typer.Argument(help="Activity id, or a unique start of one.", autocompletion=activity_ids, show_default=False),
]
OccurrenceOpt = Annotated[
    str | None,
    typer.Option("--occurrence", help="Which one: 2020-Q4, 2020-W44, 2020-10-26, halloween-2020..."),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who did it. Default: your login name.")]


# --- the log of a session ----------------------------------------------------------------------


def log_path(sess: Session) -> Path:
    if sess.log_path is not None:
        return sess.log_path
    from commsplan.logbook import default_log_path

    return default_log_path(sess.loaded.path)


def open_log(sess: Session) -> FileLog:
    from commsplan.logbook import FileLog

    return FileLog(log_path(sess))


def read_history(sess: Session, *, quiet: bool = False, full: bool = False) -> History:
    """What the log says, with damage and strays reported on stderr.

    Through the log's SQLite index (only what was appended since the last command is read),
    or, with ``full`` or when the index cannot be used, by folding every record.
    """
    from commsplan.history import fold

    book = open_log(sess)
    known = {a.id for a in sess.plan.activities}
    indexed = None if full else _indexed_history(book, known)
    if indexed is not None:
        history, problems = indexed
    else:
        read = book.read()
        history, problems = fold(read.records, known), list(read.problems)
    if not quiet:
        for problem in problems:
            warn(f"log {problem.message}")
        for message in history.ignored:
            warn(f"log {message}")
        if history.unknown_activities:
            names = ", ".join(sorted(history.unknown_activities))
            count = sum(history.unknown_activities.values())
            warn(f"the log has {count} record(s) for activities this plan does not have ({names}); kept, not counted")
    return history


def _indexed_history(book: FileLog, known: set[str]) -> tuple[History, list[LogProblem]] | None:
    import sqlite3
    import stat

    from commsplan.history import fold
    from commsplan.logindex import LogIndex

    try:
        info = os.stat(book.path, follow_symlinks=False)
    except OSError:
        return None  # no log yet (an empty history), or one the full read explains
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    index = LogIndex(book)
    try:
        index.open()
        incidents = fold(index.records_of_types("incident-"), known)
        history = incidents  # its incidents, and what its fold could not use
        history.completions = _IndexCompletions(index)
        history.unknown_activities = index.unknown_activities(known)
        history.last_completion = index.last_completion()
        history.count = index.count()
        return history, index.problems()
    except (sqlite3.Error, OSError):
        index.close()
        return None  # a read-only folder or a broken index: the full read still answers


class _IndexCompletions:
    def __init__(self, index: Any) -> None:
        self.index = index

    def get(self, key: tuple[str, str], /) -> Completion | None:
        result: Completion | None = self.index.completion(*key)
        return result

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Any:
        return self.index.completions_between(start, end)


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers, cron)
        return "unknown"


def _append(sess: Session, kind: str, data: dict[str, Any]) -> LogRecord:
    from commsplan.logbook import filesystem_warning

    log = open_log(sess)
    fs = filesystem_warning(log.path)
    if fs:
        warn(fs)
    return log.append(kind, sess.now, data, sess.loaded.digest)


def _record_dict(record: LogRecord) -> dict[str, Any]:
    return {
        "record": record.id,
        "line": record.line,
        "ts": record.ts.isoformat(),
        "type": record.type,
        **dict(record.data),
    }


def _day(value: str) -> str:
    return dt.date.fromisoformat(value).strftime("%a %-d %b %Y")


# --- done / skip ---------------------------------------------------------------------------------


def _complete(
    kind: str,
    activity: str,
    occurrence: str | None,
    by: str | None,
    plan: Path | None,
    log: Path | None,
    now: str | None,
    json: bool,
    **extra: str | None,
) -> None:
    from commsplan.history import DONE
    from commsplan.recording import choose_occurrence, completion_data
    from commsplan.schedule import Schedule

    sess = session(plan, log, now, period_warning=False)
    p = sess.plan
    chosen = p.activity(find_activity(activity, [a.id for a in p.activities]))
    channel = extra.get("channel")
    if channel is not None:
        found = find(channel, p.channels, "channel")
        if all(use.channel != found.id for use in chosen.channels):
            names = ", ".join(dict.fromkeys(p.channel(u.channel).name for u in chosen.channels))
            raise LookupFailed(f"'{chosen.id}' is not sent by {found.name}; the plan says: {names}")
        extra["channel"] = found.id
    try:
        history = read_history(sess)
    except LogError as exc:
        raise LogError(f"completion NOT recorded: {exc.message}") from None
    target = choose_occurrence(p, Schedule(p), chosen, history.completions, sess.now, occurrence)
    key = target.occurrence.key
    existing = history.completions.get((chosen.id, key))
    if existing is not None:
        raise LookupFailed(
            f"{chosen.id} {key} is already {existing.status} ({existing.at.date().isoformat()} by "
            f"{visible(existing.by)}, record {existing.record_id}); 'commsplan undo --id {existing.record_id}' "
            "retracts it"
        )
    record = _append(sess, kind, completion_data(chosen, target, by or login_name(), **extra))
    if json:
        print_json(_record_dict(record))
        return
    verb = "Done" if kind == DONE else "Skipped"
    line = Text(f"{verb}: ")
    line.append(chosen.id, style="bold cyan")
    line.append(f" {key} (due {_day(record.data['due'])})")
    if target.late_days and kind == DONE:
        line.append(f", {target.late_days} day{'s' if target.late_days != 1 else ''} late", style="red")
    line.append(f", by {visible(str(record.data['by']))}. Record {record.id}.")
    say(line)


@app.command()
def done(
    activity: ActivityArg,
    occurrence: OccurrenceOpt = None,
    by: ByOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="Anything worth keeping about it.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="The channel used (one of the plan's).")
    ] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="A link, a post id, a minute reference.")] = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that a communication happened.

    Without --occurrence: the one open now, else the oldest overdue one.
    Example: commsplan done snb-quarterly-meeting --note "Minutes on the SNB site"
    """
    from commsplan.history import DONE

    _complete(DONE, activity, occurrence, by, plan, log, now, json, channel=channel, note=note, evidence=evidence)


@app.command()
def skip(
    activity: ActivityArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it will not happen.", show_default=False)],
    occurrence: OccurrenceOpt = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that an occurrence will not happen: it leaves the due list as skipped, not missed.

    Example: commsplan skip ward-panel-meeting --occurrence 2020-Q2 --reason "Cancelled: lockdown"
    """
    from commsplan.history import SKIP

    if not reason.strip():
        raise LookupFailed("--reason must say why")
    _complete(SKIP, activity, occurrence, by, plan, log, now, json, reason=reason)


# --- undo ------------------------------------------------------------------------------------


@app.command()
def undo(
    record_id: Annotated[
        str | None, typer.Option("--id", help="The record to retract (default: the last completion).")
    ] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Retract the last completion (or --id one) by appending a retraction; nothing is deleted.

    Example: commsplan undo --id r-3f9a1c2b7d4e
    """
    from commsplan.history import DONE, RETRACT, SKIP

    sess = session(plan, log, now, period_warning=False)
    read = open_log(sess).read()
    history = read_history(sess, quiet=True, full=True)
    target_id = record_id or history.last_completion
    if target_id is None:
        raise LookupFailed("there is no completion to undo in this log")
    target = next((r for r in read.records if r.id == target_id), None)
    if target is None:
        raise LookupFailed(f"no record '{target_id}' in {log_path(sess)}")
    if target.type not in (DONE, SKIP):
        raise LookupFailed(f"record {target_id} is a '{target.type}' record; undo retracts done and skip records")
    if target_id in history.retracted:
        raise LookupFailed(f"record {target_id} is already retracted")
    record = _append(sess, RETRACT, {"target": target_id, "by": by or login_name()})
    if json:
        print_json(_record_dict(record))
        return
    data = target.data
    say(
        Text(
            f"Retracted {target.type} of {data.get('activity')} {data.get('occurrence')} "
            f"(record {target_id}, line {target.line}). Record {record.id}."
        )
    )


# --- log / info ----------------------------------------------------------------------------------


@app.command(name="log")
def log_(
    activity: Annotated[
        str | None, typer.Option("--activity", help="Only this activity (or a start of its id).")
    ] = None,
    since: Annotated[
        dt.datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="Only records from this day on.")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain; exit 1 and name the first broken line.")
    ] = False,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show the history of completions, skips, retractions and incidents.

    Example: commsplan log --activity snb --since 2020-10-01
    """
    sess = session(plan, log, now, period_warning=False)
    book = open_log(sess)
    if verify:
        checked = book.verify()
        breaks = [p for p in checked.problems if p.kind == "chain"]
        for problem in checked.problems:
            if problem.kind != "chain":
                warn(f"log {problem.message}")
        if json:
            print_json(
                {
                    "path": str(book.path),
                    "records": len(checked.records),
                    "intact": not breaks,
                    "problems": [{"line": p.line, "kind": p.kind, "message": p.message} for p in checked.problems],
                }
            )
        elif breaks:
            say(Text(f"{book.path}: {breaks[0].message}"))
        else:
            say(Text(f"{book.path}: {len(checked.records)} records, hash chain intact"))
        if breaks:
            raise LogError(f"{book.path}: the hash chain is broken at line {breaks[0].line}")
        return
    read = book.read()
    for problem in read.problems:
        warn(f"log {problem.message}")
    records = list(read.records)
    if activity is not None:
        wanted = find_activity(
            activity, sorted({str(r.data.get("activity")) for r in records if r.data.get("activity")})
        )
        records = [r for r in records if r.data.get("activity") == wanted]
    if since is not None:
        records = [r for r in records if r.ts.date() >= since.date()]
    retracted = {str(r.data.get("target")) for r in read.records if r.type == "retract"}
    if json:
        print_json([{**_record_dict(r), "retracted": r.id in retracted} for r in records])
        return
    if not records:
        say(Text(f"No records{' match' if activity or since else ''} in {book.path}."))
        return
    for r in records:
        line = Text(f"{r.ts.strftime('%Y-%m-%d %H:%M')}  ")
        line.append(f"{r.type:<8}", style="bold")
        data = r.data
        what = " ".join(str(data[k]) for k in ("activity", "occurrence", "incident", "step", "target") if data.get(k))
        line.append(f" {visible(what)}")
        if data.get("by"):
            line.append(f" by {visible(str(data['by']))}")
        for label in ("channel", "title", "note", "reason", "evidence", "text"):
            if data.get(label):
                line.append(f" · {label}: {visible(str(data[label]))}", style="dim")
        if r.id in retracted:
            line.append(" (retracted)", style="yellow")
        line.append(f"  [{r.id}]", style="dim")
        say(line)


@app.command()
def info(
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print the plan and log in use, and how many records the log holds.

    Example: commsplan info
    """
    from commsplan.logbook import filesystem_warning

    sess = session(plan, log, now, period_warning=False)
    book = open_log(sess)
    read = book.read()
    data = {
        "plan": str(sess.loaded.path),
        "plan_sha256": sess.loaded.digest,
        "plan_title": sess.plan.meta.title,
        "period": f"{sess.plan.meta.period.start.isoformat()} to {sess.plan.meta.period.end.isoformat()}",
        "timezone": sess.plan.meta.timezone,
        "now": sess.now.isoformat(),
        "log": str(book.path),
        "log_exists": book.exists(),
        "log_records": len(read.records),
        "log_problems": [p.message for p in read.problems],
        "cache": str(cache_dir() or "off"),
    }
    fs = filesystem_warning(book.path)
    if json:
        print_json({**data, "warning": fs})
        return
    for key, value in data.items():
        if key == "log_problems":
            value = "; ".join(value) or "none"
        say(Text(f"{key.replace('_', ' '):<13} {value}"))
    if fs:
        warn(fs)
