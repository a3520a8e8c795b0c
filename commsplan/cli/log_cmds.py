"""Commands that write or read the completion log: done, skip, undo, log, info."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from commsplan.cli.common import (
    ByOpt,
    JsonOpt,
    LogOpt,
    NowOpt,
    PlanOpt,
    UnitOpt,
    cache_dir,
    completion_plan,
    login_name,
    renderer,
    session,
    typer_app,
    warn,
)
from commsplan.errors import LogError, LookupFailed, UsageError
from commsplan.log.book import LogBackend

app = typer_app("The completion log: record, retract, read and verify.")


def activity_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the plan's activity ids (from --plan or COMMSPLAN_PLAN if given)."""
    plan = completion_plan(ctx)
    return [] if plan is None else [a.id for a in plan.activities if a.id.startswith(incomplete)]


ActivityArg = Annotated[
    str,
    typer.Argument(help="Activity id, or a unique start of one.", autocompletion=activity_ids, show_default=False),
]
OccurrenceOpt = Annotated[
    str | None,
    typer.Option(
        "--occurrence",
        help="Which one: its key (2020-Q4, 2020-W44, halloween-2020...) or any day in its window (2020-10-12).",
    ),
]


def _complete(
    kind: str,
    activity: str,
    occurrence: str | None,
    unit: str | None,
    by: str | None,
    plan: Path | None,
    log: str | None,
    now: str | None,
    json: bool,
    **extra: str | None,
) -> None:
    from commsplan.plan.lookup import find, find_activity
    from commsplan.rules.occurrence import check_channel, choose_occurrence, completion_data, refuse_twice
    from commsplan.rules.schedule import Schedule

    sess = session(plan, log, now)
    p = sess.plan
    chosen = p.activity(find_activity(activity, [a.id for a in p.activities]))
    if extra.get("channel") is not None:
        extra["channel"] = check_channel(p, chosen, str(extra["channel"]))
    try:
        history = sess.history(writing=True)
    except LogError as exc:
        raise LogError(f"completion NOT recorded: {exc.message}") from None
    target = choose_occurrence(
        p,
        Schedule(p),
        chosen,
        history.completions,
        sess.now,
        occurrence,
        verb=kind,
        tracking_from=history.tracking_from,
        unit=find(unit, p.units, "unit").id if unit else None,
    )
    data = completion_data(chosen, target, by or login_name(), **extra)
    if chosen.conditional is None:  # a conditional duty is done as often as there is news
        refuse_twice(chosen, target, history.completions)
        # Asked again under the log's lock: of two people recording the same thing at once, one wins.
        record = sess.append(kind, data, check=lambda now: refuse_twice(chosen, target, now.completions))
    else:
        record = sess.append(kind, data)
    renderer(json).recorded(record, target.late_days)


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
    unit: UnitOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that a communication happened.

    Without --occurrence: the one open now, else the only overdue one; with several overdue it
    lists them and records nothing. --occurrence takes a key (2020-Q3) or a day in its window.
    Example: commsplan done snb-quarterly-meeting --note "Minutes on the SNB site"
    """
    from commsplan.log.records import DONE

    _complete(DONE, activity, occurrence, unit, by, plan, log, now, json, channel=channel, note=note, evidence=evidence)


@app.command()
def skip(
    activity: ActivityArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it will not happen.", show_default=False)],
    occurrence: OccurrenceOpt = None,
    from_: Annotated[
        dt.datetime | None,
        typer.Option(
            "--from", formats=["%Y-%m-%d"], help="Skip every occurrence due from this day...", show_default=False
        ),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option(
            "--until", formats=["%Y-%m-%d"], help="...to this day (inclusive), in one record.", show_default=False
        ),
    ] = None,
    unit: UnitOpt = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that an occurrence will not happen: it leaves the due list as skipped, not missed.

    With --from and --until, every occurrence due in that range is skipped in one record
    (all or nothing), and undone as one.
    Example: commsplan skip ward-panel-meeting --occurrence 2020-Q2 --reason "Cancelled: lockdown"
    """
    from commsplan.log.records import SKIP, SKIP_RANGE

    if not reason.strip():
        raise LookupFailed("--reason must say why")
    if from_ is None and until is None:
        _complete(SKIP, activity, occurrence, unit, by, plan, log, now, json, reason=reason)
        return
    if from_ is None or until is None or occurrence is not None:
        raise UsageError("a range skip takes both --from and --until, and no --occurrence")
    from commsplan.plan.lookup import find, find_activity
    from commsplan.rules.occurrence import occurrences_in_range, range_skip_data
    from commsplan.rules.schedule import Schedule

    sess = session(plan, log, now)
    p = sess.plan
    chosen = p.activity(find_activity(activity, [a.id for a in p.activities]))
    try:
        history = sess.history()
    except LogError as exc:
        raise LogError(f"skip NOT recorded: {exc.message}") from None
    start, end = from_.date(), until.date()
    unit_id = find(unit, p.units, "unit").id if unit else None
    covered = occurrences_in_range(p, Schedule(p), chosen, history.completions, start, end, unit_id)
    data = range_skip_data(chosen, covered, start, end, by or login_name(), reason)
    record = sess.append(SKIP_RANGE, data)
    renderer(json).range_skipped(record, covered)


@app.command()
def track(
    from_: Annotated[
        dt.datetime,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day tracked (YYYY-MM-DD).", show_default=False),
    ],
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Start tracking the plan from a day: occurrences due before it are neither overdue nor missed.

    For a team that adopts the plan mid-year. One record in the log; undo retracts it.
    Example: commsplan track --from 2020-10-26
    """
    from commsplan.log.records import TRACK
    from commsplan.rules.period import long_day

    sess = session(plan, log, now)
    period = sess.plan.meta.period
    day = from_.date()
    if not period.start <= day <= period.end:
        raise LookupFailed(
            f"{day.isoformat()} is outside the plan's period ({long_day(period.start)} to {long_day(period.end)}); "
            "nothing was recorded"
        )
    try:
        sess.history(quiet=True)
    except LogError as exc:
        raise LogError(f"tracking NOT recorded: {exc.message}") from None
    record = sess.append(TRACK, {"from": day.isoformat(), "by": by or login_name()})
    renderer(json).tracking_recorded(record, day)


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
    """Retract the last completion, range skip or track (or --id one) by appending a retraction.

    Example: commsplan undo --id r-3f9a1c2b7d4e
    """
    from commsplan.log.records import RETRACT
    from commsplan.log.state import LogView, retraction_target

    sess = session(plan, log, now)
    book = sess.logbook()
    target = retraction_target(book.view(), record_id, book.where)

    def still_in_force(now: LogView) -> None:
        # Asked again under the log's lock: of two retractions of one record at once, one wins.
        retraction_target(now, target.id, book.where)

    record = sess.append(RETRACT, {"target": target.id, "by": by or login_name()}, check=still_in_force)
    renderer(json).retracted(record, target)


_LOG_HELP = """Show the history of completions, skips, retractions and incidents.

    Its commands: setup-db (a PostgreSQL log's tables, once), export and import (JSON Lines).
    Example: commsplan log --activity snb --since 2020-10-01
    """
log_app = typer_app(_LOG_HELP, invoke_without_command=True)
app.add_typer(log_app, name="log")


@log_app.callback()
def log_(
    ctx: typer.Context,
    activity: Annotated[
        str | None, typer.Option("--activity", help="Only this activity (or a start of its id).")
    ] = None,
    since: Annotated[
        dt.datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="Only records from this day on.")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain; exit 1 and name the first broken line.")
    ] = False,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="With --verify: a head LINES:SHA256 that a digest printed; exit 1 unless the log still extends it.",
            show_default=False,
        ),
    ] = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show the history of completions, skips, retractions and incidents.

    Its commands: setup-db (a PostgreSQL log's tables, once), export and import (JSON Lines).
    Example: commsplan log --activity snb --since 2020-10-01
    """
    if ctx.invoked_subcommand is not None:
        return
    from commsplan.log.records import Head
    from commsplan.log.state import select_records

    witness = None
    if head is not None:
        if not verify:
            raise UsageError("--head goes with --verify: commsplan log --verify --head LINES:SHA256")
        try:
            witness = Head.parse(head)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    sess = session(plan, log, None)
    book = sess.logbook()
    out = renderer(json)
    if verify:
        checked = book.verify(witness)
        for problem in checked.problems:
            if problem.kind not in ("chain", "head"):
                warn(f"log {problem.message}")
        out.verification(book, checked, witness)
        breaks = [p for p in checked.problems if p.kind == "chain"]
        if breaks:
            raise LogError(f"{book.where}: the hash chain is broken at line {breaks[0].line}")
        moved = [p for p in checked.problems if p.kind == "head"]
        if moved:
            raise LogError(f"{book.where}: does not extend the head {head}")
        return
    read = book.read()
    for problem in read.problems:
        warn(f"log {problem.message}")
    records, retracted = select_records(read.records, activity, since.date() if since else None)
    out.log_records(book, records, retracted, filtered=bool(activity or since))


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
    from commsplan.log.choice import adopted_from

    sess = session(plan, log, now)
    choice = sess.log_choice()
    book = sess.logbook()
    read = book.read()
    storage = book.storage_warning()
    period = sess.plan.meta.period
    older = adopted_from(choice.path) if choice.origin == "default" else []
    reason = choice.reason
    if older:
        reason += f", adopted from {', '.join(map(str, older))}"
    if choice.candidates:
        reason += f"; {len(choice.candidates)} older logs of this plan are waiting for you to choose one (see above)"
    renderer(json).info(
        {
            "plan": str(sess.loaded.path),
            "plan_sha256": sess.loaded.digest,
            "plan_title": sess.plan.meta.title,
            "period": f"{period.start.isoformat()} to {period.end.isoformat()}",
            "timezone": sess.plan.meta.timezone,
            "now": sess.now.isoformat(),
            "log": str(book.where),
            "log_from": reason,
            "log_origin": choice.origin,
            "log_plan_id": choice.plan_id or None,
            "log_adopted_from": [str(path) for path in older],
            "log_candidates": [str(path) for path in choice.candidates],
            "log_exists": book.exists(),
            "log_records": len(read.records),
            "log_problems": [p.message for p in read.problems],
            "cache": str(cache_dir() or "off"),
            "warning": storage,
        }
    )
    if storage and not json:
        warn(storage)


@log_app.command("setup-db")
def setup_db(log: LogOpt = None) -> None:
    """Set up a PostgreSQL log: its tables, index and append-only triggers (once; safe to repeat).

    Run it as the database's owner; the URL names the database (createdb makes it) and no
    password: libpq finds that in ~/.pgpass, PGPASSFILE or PGSERVICE.
    Example: commsplan log setup-db --log postgresql://comms@db.example.org/commsplan
    """
    from commsplan.log.choice import is_url
    from commsplan.log.pglog import PgLog
    from commsplan.render.console import say

    if log is None or not is_url(log):
        raise UsageError(
            "setup-db sets up a PostgreSQL log: give its URL with --log postgresql://HOST/DATABASE "
            "(or COMMSPLAN_LOG); a file log needs no set-up"
        )
    say(PgLog(log).setup())


@log_app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (replaced whole, mode 0600) instead of stdout.", dir_okay=False),
    ] = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
) -> None:
    """Write the log's records as JSON Lines: byte for byte what a file log holds.

    From a database this is its backup, or a file log to carry elsewhere (see log import).
    Example: commsplan log export --log postgresql://db.example.org/commsplan --out team-log.jsonl
    """
    import sys

    from commsplan.render.console import say, stderr

    book = session(plan, log, None).logbook()
    if out is None:
        sys.stdout.flush()
        book.export(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if book.where == str(out):
        raise UsageError(f"--out {out} is the log itself")
    count = _export_to(book, out)
    say(f"exported {count} record{'s' if count != 1 else ''} from {book.where} to {out}", stderr())


def _export_to(book: LogBackend, out: Path) -> int:
    """Export into a temp file beside ``out``, then rename it in: never a half-written copy."""
    from commsplan.files import write_whole

    try:
        return write_whole(out, book.export, mode=0o600)
    except OSError as exc:
        raise LogError(f"nothing exported: cannot write {out}: {exc.strerror or exc}") from None


@log_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A file log (JSON Lines), as `log export` writes it.", show_default=False)
    ],
    plan: PlanOpt = None,
    log: LogOpt = None,
) -> None:
    """Load a file log into the log (a database, or another file), all or nothing.

    The file's hash chain is verified first. An empty log takes every record; a log whose
    records the file begins with takes the rest (running it again adds nothing); any other
    log refuses it, so two histories are never mixed.
    Example: commsplan log import team-log.jsonl --log postgresql://db.example.org/commsplan
    """
    from commsplan.render.console import IndexProgress, say

    book = session(plan, log, None).logbook()
    # A database checks each row as it comes (some 100,000 a minute): a bar on a terminal.
    progress = IndexProgress("Importing the records", min_bytes=4 << 20)
    try:
        added, kept = book.import_file(file, progress)
    finally:
        progress.close()
    total = added + kept
    if not added:
        say(f"nothing to import: {book.where} already holds all {total} record{'s' if total != 1 else ''} of {file}")
    elif kept:
        say(
            f"imported {added} record{'s' if added != 1 else ''} from {file} into {book.where}, after the {kept} it held"
        )
    else:
        say(f"imported {added} record{'s' if added != 1 else ''} from {file} into {book.where}")
