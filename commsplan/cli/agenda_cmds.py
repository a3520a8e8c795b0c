"""Commands about what falls due: due, digest, calendar, report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from commsplan.cli.common import (
    AudienceOpt,
    ChannelOpt,
    JsonOpt,
    LogOpt,
    NowOpt,
    OwnerOpt,
    PlanOpt,
    day_in_range,
    renderer,
    resolve_now,
    session,
    typer_app,
)
from commsplan.errors import CommsplanError, UsageError

app = typer_app("What falls due, and how the plan was kept.")

UntilOpt = Annotated[
    dt.datetime | None,
    typer.Option(
        "--until", formats=["%Y-%m-%d"], help="Last day (YYYY-MM-DD).", show_default=False, callback=day_in_range
    ),
]
FromOpt = Annotated[
    dt.datetime | None,
    typer.Option(
        "--from", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD).", show_default=False, callback=day_in_range
    ),
]


@app.command()
def due(
    today: Annotated[bool, typer.Option("--today", help="Only today.")] = False,
    week: Annotated[bool, typer.Option("--week", help="The Monday-to-Sunday week holding now (the default).")] = False,
    month: Annotated[bool, typer.Option("--month", help="The calendar month holding now.")] = False,
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=3660, help="The next N days, today included.")
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option(
            "--until", formats=["%Y-%m-%d"], help="From now to this date (YYYY-MM-DD).", callback=day_in_range
        ),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only what is overdue.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Include what is already done or skipped.")] = False,
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """What is due and overdue, for whom, by which channel.

    Overdue items (since the plan period began) come first. Example: commsplan due --week
    """
    from commsplan.rules.agenda import build_agenda, choose_window
    from commsplan.rules.incidents import pending_steps
    from commsplan.rules.schedule import Schedule
    from commsplan.rules.select import Filters

    sess = session(plan, log, now)
    p = sess.plan
    window = choose_window(sess.now, today=today, week=week, month=month, days=days, until=until)
    filters = Filters.resolve(p, audience, owner, channel)
    schedule = Schedule(p)
    history = sess.history()
    agenda = build_agenda(
        p, schedule, history.completions, sess.now, window, filters, include_done=all_, overdue_only=overdue
    )
    # Open incidents with notifications still to make head the list.
    incidents = pending_steps(p, history.incidents, sess.now, schedule.zone, filters)
    renderer(json).due(sess.loaded, agenda, incidents, overdue_only=overdue)


class Overdue(CommsplanError):
    """--strict: something is overdue (for monitoring)."""


@app.command()
def digest(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How many days ahead, today included.")] = 7,
    owner: OwnerOpt = None,
    fmt: Annotated[
        Literal["text", "markdown", "json"], typer.Option("--format", help="text (for mail), markdown or json.")
    ] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything is overdue (monitoring).")] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Count what was done since this moment (default: the last digest, else 24 h)."),
    ] = None,
    mark: Annotated[
        bool, typer.Option("--mark/--no-mark", help="Remember this run, so the next digest counts from it.")
    ] = True,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """The daily digest for cron: incidents, overdue, today, the coming days, campaigns, done.

    The first line is a mail subject. Example: commsplan digest --owner "Comms Team" --days 7
    """
    from commsplan.log.marker import DigestMarker
    from commsplan.plan.lookup import find
    from commsplan.rules.digest import build_digest
    from commsplan.rules.schedule import Schedule

    sess = session(plan, log, now)
    p = sess.plan
    owner_id = find(owner, p.roles, "role").id if owner else None
    schedule = Schedule(p)
    history = sess.history()
    book = sess.logbook()
    marker = DigestMarker(book.path, owner_id)
    start = (
        resolve_now(since, sess.zone, "--since")
        if since
        else (marker.read(sess.zone) or sess.now - dt.timedelta(hours=24))
    )
    result = build_digest(p, schedule, history, sess.now, days, start, owner_id)
    head = book.head()
    # The digest leaves the machine every morning: its last line is a witness of the log that
    # `log --verify --head` checks later (a truncation or a rewrite before it is then found).
    result = dataclasses.replace(result, log_head=None if head is None else str(head))
    renderer(json, fmt).digest(p, result)
    # Only a real run moves the marker: a replay (--now) or a preview (--since) does not.
    if mark and since is None and now is None and book.exists():
        marker.write(sess.now)
    if strict and result.overdue_count:
        raise Overdue(f"{result.overdue_count} overdue (--strict)")


@app.command()
def calendar(
    from_: FromOpt = None,
    until: UntilOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).", dir_okay=False)
    ] = None,
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    now: NowOpt = None,
) -> None:
    """Export the plan's occurrences as an iCalendar file for Outlook, Google or Thunderbird.

    One all-day event per occurrence on its due day; re-importing updates, never duplicates.
    Default window: from today for a year. Example: commsplan calendar --until 2021-03-31 --out plan.ics
    """
    from commsplan.files import write_atomically
    from commsplan.render.ics import calendar_bytes
    from commsplan.rules.agenda import occurrences_between
    from commsplan.rules.schedule import Schedule
    from commsplan.rules.select import Filters

    sess = session(plan, None, now, period_warning=False)
    p = sess.plan
    start = from_.date() if from_ else sess.now.date()
    end = until.date() if until else start + dt.timedelta(days=365)
    if end < start:
        raise UsageError(f"--until {end.isoformat()} is before the start ({start.isoformat()})")
    filters = Filters.resolve(p, audience, owner, channel)
    occurrences = occurrences_between(p, Schedule(p), start, end, filters)
    data = calendar_bytes(p, occurrences, sess.now)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    try:
        write_atomically(out, data)
    except OSError as exc:
        raise CommsplanError(f"cannot write {out}: {exc.strerror}") from None
    renderer().calendar_written(len(occurrences), start, end, out)


@app.command()
def report(
    from_: FromOpt = None,
    until: UntilOpt = None,
    by: Annotated[
        Literal["audience", "owner", "channel"], typer.Option("--by", help="Group by audience, owner or channel.")
    ] = "audience",
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """How the plan was kept: due, done on time, done late, skipped, missed, per group; worst first.

    Default window: the plan period so far. Example: commsplan report --by owner
    """
    from commsplan.rules.report import build_report
    from commsplan.rules.schedule import Schedule, local_midnight

    sess = session(plan, log, now, period_warning=False)
    p = sess.plan
    start = from_.date() if from_ else p.meta.period.start
    end = until.date() if until else min(sess.now.date(), p.meta.period.end)
    if end < start:
        raise UsageError(f"the report's window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    completions = sess.history().completions
    rows = build_report(p, Schedule(p), completions, sess.now, start, end, by)
    # "On time" is judged by the time a record claims; those recorded days later are listed.
    window = (local_midnight(start, sess.zone) - dt.timedelta(microseconds=1), local_midnight(end, sess.zone))
    back_dated = [(key, c) for key, c in completions.recorded_between(*window) if c.back_dated]
    renderer(json, "csv" if csv else "text").report(rows, start, end, by, back_dated)
