"""Commands about what falls due: due, digest, calendar, report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from commsplan.cli.common import (
    AudienceOpt,
    ChannelOpt,
    JsonOpt,
    LogOpt,
    NowOpt,
    OwnerOpt,
    PlanOpt,
    UnitOpt,
    day_in_range,
    renderer,
    resolve_now,
    session,
    typer_app,
    warn,
)
from commsplan.errors import CommsplanError, UsageError

if TYPE_CHECKING:
    from commsplan.plan.data import Plan
    from commsplan.rules.digest import Digest

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


ExpandOpt = Annotated[
    bool,
    typer.Option(
        "--expand",
        help="With --json: list every overdue occurrence, not only each activity's count, first and last.",
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
    expand: ExpandOpt = False,
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    unit: UnitOpt = None,
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

    _expand_needs_json(expand, json)
    sess = session(plan, log, now)
    p = sess.plan
    window = choose_window(sess.now, today=today, week=week, month=month, days=days, until=until)
    filters = Filters.resolve(p, audience, owner, channel, unit)
    schedule = Schedule(p)
    history = sess.history()
    agenda = build_agenda(
        p,
        schedule,
        history.completions,
        sess.now,
        window,
        filters,
        include_done=all_,
        overdue_only=overdue,
        tracking_from=history.tracking_from,
        expand=expand,
        stream=True,  # written as it is worked out: a year of a large plan is never held whole
    )
    # Open incidents with notifications still to make head the list.
    incidents = pending_steps(p, history.incidents, sess.now, schedule.zone, filters.step_filter(p))
    renderer(json).due(sess.loaded, agenda, incidents, overdue_only=overdue)


def _expand_needs_json(expand: bool, json: bool) -> None:
    if expand and not json:
        raise UsageError("--expand lists each overdue occurrence in --json output; the text counts them")


class Overdue(CommsplanError):
    """--strict: something is overdue (for monitoring)."""


@app.command()
def digest(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How many days ahead, today included.")] = 7,
    owner: OwnerOpt = None,
    unit: UnitOpt = None,
    fmt: Annotated[
        Literal["text", "markdown", "json", "email"],
        typer.Option(
            "--format", help="text (for cron's mail), markdown, json, or email (a whole message for sendmail -t)."
        ),
    ] = "text",
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Send the e-mail through SMTP (server: COMMSPLAN_SMTP; login: ~/.netrc or "
            "COMMSPLAN_SMTP_USER/COMMSPLAN_SMTP_PASSWORD). Prints nothing when sent.",
        ),
    ] = False,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="ADDRESS",
            envvar="COMMSPLAN_MAIL_FROM",
            help="The e-mail's sender. Default: commsplan <you@this host>.",
            show_default=False,
        ),
    ] = None,
    mail_to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="ADDRESS",
            help="The e-mail's recipient (repeat for more). Default: the --owner role's email in the plan.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything is overdue (monitoring).")] = False,
    expand: ExpandOpt = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Count what was done since this moment (default: the last digest, else 24 h)."),
    ] = None,
    mark: Annotated[
        bool | None,
        typer.Option(
            "--mark/--no-mark",
            help="Remember this run, so the next digest counts from it. Default: yes, unless --now or --since "
            "replays another moment.",
            show_default=False,
        ),
    ] = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """The daily digest for cron: incidents, overdue, today, the coming days, campaigns, done.

    The first line is a mail subject. Example: commsplan digest --owner "Comms Team" --days 7;
    commsplan digest --owner SLT --format email --to slt@example.org | sendmail -t
    """
    from commsplan.log.marker import DigestMarker
    from commsplan.plan.lookup import find
    from commsplan.rules.digest import build_digest
    from commsplan.rules.schedule import Schedule

    as_mail = send or fmt == "email"
    _expand_needs_json(expand, json or fmt == "json")
    if json and fmt not in ("text", "json"):
        raise UsageError(f"--json and --format {fmt} ask for two different outputs: give one of them")
    if send and (json or fmt not in ("text", "email")):
        raise UsageError("--send sends the e-mail; it goes with no other --format and no --json")
    if not as_mail and (mail_from or mail_to):
        raise UsageError("--from and --to go with --format email or --send")
    notes: list[str] | None = [] if as_mail else None
    sess = session(plan, log, now, notes=notes)
    p = sess.plan
    role = find(owner, p.roles, "role") if owner else None
    owner_id = role.id if role else None
    unit_id = find(unit, p.units, "unit").id if unit else None
    schedule = Schedule(p)
    history = sess.history()
    book = sess.logbook()
    # each team's (and each unit's) digest remembers its own last run
    marker = DigestMarker(book.side_path, "-".join(part for part in (owner_id, unit_id) if part) or None)
    start = (
        resolve_now(since, sess.zone, "--since")
        if since
        else (marker.read(sess.zone) or sess.now - dt.timedelta(hours=24))
    )
    result = build_digest(p, schedule, history, sess.now, days, start, owner_id, unit_id, expand=expand)
    head = book.head()
    # The digest leaves the machine every morning: its last line is a witness of the log that
    # `log --verify --head` checks later (a truncation or a rewrite before it is then found).
    result = dataclasses.replace(result, log_head=None if head is None else str(head))
    if as_mail:
        _mail_digest(p, result, notes or [], mail_from, mail_to or ([role.email] if role and role.email else []), send)
    else:
        renderer(json, fmt).digest(p, result)
    # By default only a real run moves the marker: a replay (--now) or a preview (--since) does not.
    if (mark if mark is not None else since is None and now is None) and book.exists():
        marker.write(sess.now)
    if strict and result.overdue_count:
        raise Overdue(f"{result.overdue_count} overdue (--strict)")


def _mail_digest(plan: Plan, result: Digest, notes: list[str], sender: str | None, to: list[str], send: bool) -> None:
    """Write the digest's e-mail to stdout (for `sendmail -t`), or send it through SMTP."""
    import socket

    from commsplan.cli.common import login_name
    from commsplan.render.email import default_sender, digest_message

    if not to:
        raise UsageError("an e-mail needs a recipient: --to ADDRESS, or --owner a role with an email in the plan")
    message = digest_message(plan, result, notes, sender or default_sender(login_name(), socket.getfqdn()), to)
    if send:
        from commsplan.mail import send as send_message

        send_message(message)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(bytes(message))


@app.command()
def calendar(
    from_: FromOpt = None,
    until: UntilOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file, replacing it whole (default, or '-': stdout).", dir_okay=False),
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open-only", help="Leave out occurrences the log has as done or skipped.")
    ] = False,
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    unit: UnitOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Export the plan's occurrences as an iCalendar file for Outlook, Google or Thunderbird.

    An all-day event per occurrence on its due day; a campaign spans its lead time; a daily
    duty is one recurring event; what the log has as done is marked. Only the plan's period is
    exported; conditional ("if applicable") duties are left out. Re-importing updates, never
    duplicates. Default window: from today for a year.
    Example: commsplan calendar --until 2021-03-31 --out plan.ics
    """
    from commsplan.files import write_atomically
    from commsplan.render.ics import calendar_bytes
    from commsplan.rules.agenda import occurrences_between
    from commsplan.rules.period import window_outside_period
    from commsplan.rules.schedule import Schedule
    from commsplan.rules.select import Filters

    sess = session(plan, log, now)
    p = sess.plan
    start = from_.date() if from_ else sess.now.date()
    end = until.date() if until else start + dt.timedelta(days=365)
    if end < start:
        raise UsageError(f"--until {end.isoformat()} is before the start ({start.isoformat()})")
    filters = Filters.resolve(p, audience, owner, channel, unit)
    occurrences = occurrences_between(p, Schedule(p), start, end, filters)
    period = window_outside_period(p, start, end)
    notice = period.notice if period is not None else None
    completions = sess.history().completions
    if open_only:
        occurrences = [o for o in occurrences if completions.get((o.activity, o.key)) is None]
    data, events = calendar_bytes(p, occurrences, sess.now, completions.get, notice)
    if out is None or str(out) == "-":
        if notice:  # stdout is the calendar file itself; the calendar's description says it too
            warn(notice)
        sys.stdout.buffer.write(data)
        return
    try:
        write_atomically(out, data)
    except OSError as exc:
        raise CommsplanError(f"cannot write {out}: {exc.strerror}") from None
    renderer().calendar_written(events, start, end, out, period)


@app.command()
def report(
    from_: FromOpt = None,
    until: UntilOpt = None,
    by: Annotated[
        Literal["audience", "owner", "channel"] | None,
        typer.Option("--by", help="Group by audience (the default), owner or channel.", show_default=False),
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    unit: UnitOpt = None,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Print one self-contained HTML page (every grouping, a heat map of audiences by month, "
            "missed, skipped, incidents, the log's head).",
        ),
    ] = False,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """How the plan was kept: due, done on time, done late, skipped, missed, per group; worst first.

    Conditional duties ("if applicable") are shown apart, as done on N of M days.

    Default window: the plan period so far. Example: commsplan report --by owner;
    commsplan report --html --from 2020-09-01 --until 2020-11-30 > autumn.html
    """
    from commsplan.rules.report import build_report
    from commsplan.rules.schedule import Schedule, local_midnight
    from commsplan.rules.select import unit_scope

    sess = session(plan, log, now)
    p = sess.plan
    start = from_.date() if from_ else p.meta.period.start
    end = until.date() if until else min(sess.now.date(), p.meta.period.end)
    if end < start:
        raise UsageError(f"the report's window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if sum((csv, html, json)) > 1:
        raise UsageError("choose one of --csv, --html and --json")
    history = sess.history()
    units = unit_scope(p, unit) if unit else None
    if html:
        if by is not None:
            raise UsageError("--html shows every grouping; it takes no --by")
        from commsplan.render.html import report_html
        from commsplan.rules.report import build_overview

        book = sess.logbook()
        overview = build_overview(p, Schedule(p), history, sess.now, start, end, units)
        count = len(book.read().records) if book.exists() else 0
        sys.stdout.write(report_html(p, overview, count, book.head_hash(), sess.loaded.digest))
        return
    result = build_report(
        p,
        Schedule(p),
        history.completions,
        sess.now,
        start,
        end,
        by or "audience",
        tracking_from=history.tracking_from,
        units=units,
    )
    # "On time" is judged by the time a record claims; those recorded days later are listed.
    window = (local_midnight(start, sess.zone) - dt.timedelta(microseconds=1), local_midnight(end, sess.zone))
    back_dated = [
        (key, c)
        for key, c in history.completions.recorded_between(*window)
        if c.back_dated and (units is None or "@" not in key[1] or key[1].rsplit("@", 1)[1] in units)
    ]
    renderer(json, "csv" if csv else "text").report(result, by or "audience", back_dated)
