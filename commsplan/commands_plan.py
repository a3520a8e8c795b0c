"""Calendars, reports and plan authoring: calendar, report, schema, init."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table
from rich.text import Text

from commsplan.cli import (
    AudienceOpt,
    ChannelOpt,
    JsonOpt,
    LogOpt,
    NowOpt,
    OwnerOpt,
    PlanOpt,
    app,
    print_json,
    say,
    session,
    stdout,
)
from commsplan.commands import resolve_filters
from commsplan.errors import CommsplanError, UsageError

UntilOpt = Annotated[
    dt.datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], help="Last day (YYYY-MM-DD).", show_default=False)
]
FromOpt = Annotated[
    dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD).", show_default=False)
]


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` whole: a temp file in the same folder, then rename."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    except OSError as exc:
        raise CommsplanError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise CommsplanError(f"cannot write {path}: {exc.strerror}") from None


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
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Export the plan's occurrences as an iCalendar file for Outlook, Google or Thunderbird.

    One all-day event per occurrence on its due day; re-importing updates, never duplicates.
    Default window: from today for a year. Example: commsplan calendar --until 2021-03-31 --out plan.ics
    """
    from commsplan.render.ics import calendar_bytes
    from commsplan.schedule import Schedule

    sess = session(plan, log, now, period_warning=False)
    p = sess.plan
    start = from_.date() if from_ else sess.now.date()
    end = until.date() if until else start + dt.timedelta(days=365)
    if end < start:
        raise UsageError(f"--until {end.isoformat()} is before the start ({start.isoformat()})")
    filters = resolve_filters(p, audience, owner, channel)
    schedule = Schedule(p)
    occurrences = [
        occ
        for activity in p.activities
        if activity.scheduled and filters.accepts(activity)
        for occ in schedule.occurrences(activity, start, end)
        if start <= occ.due <= end
    ]
    occurrences.sort(key=lambda o: (o.due, o.activity))
    data = calendar_bytes(p, occurrences, sess.now)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    write_atomically(out, data)
    say(f"Wrote {len(occurrences)} events ({start.isoformat()} to {end.isoformat()}) to {out}.")


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
    from commsplan.commands_log import read_history
    from commsplan.report import build_report
    from commsplan.schedule import Schedule

    sess = session(plan, log, now, period_warning=False)
    p = sess.plan
    start = from_.date() if from_ else p.meta.period.start
    end = until.date() if until else min(sess.now.date(), p.meta.period.end)
    if end < start:
        raise UsageError(f"the report's window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    history = read_history(sess)
    rows = build_report(p, Schedule(p), history.completions, sess.now, start, end, by)
    columns = ["group", "name", "due", "on_time", "late", "skipped", "missed", "pending", "rate"]

    def row(g: Any) -> list[Any]:
        rate = None if g.rate is None else round(g.rate, 4)
        return [g.key, g.name, g.due, g.on_time, g.late, g.skipped, g.missed, g.pending, rate]

    if json:
        print_json(
            {
                "from": start.isoformat(),
                "until": end.isoformat(),
                "by": by,
                "groups": [dict(zip(columns, row(g), strict=True)) for g in rows],
            }
        )
        return
    if csv:
        import csv as csvlib

        writer = csvlib.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row(g)] for g in rows])
        return
    console = stdout()
    console.print(Text(f"How the plan was kept, {start:%-d %b %Y} to {end:%-d %b %Y}, by {by}", style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column(by.capitalize(), no_wrap=True, max_width=22, overflow="ellipsis")
    for name in ("Due", "On time", "Late", "Skipped", "Missed"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Done", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for g in rows:
        rate = "-" if g.rate is None else f"{g.rate:.0%}"
        filled = 0 if g.rate is None else round(g.rate * 8)
        bar = Text("█" * filled, style="green" if (g.rate or 0) >= 0.8 else "red")
        bar.append("░" * (8 - filled), style="dim")
        table.add_row(
            g.name.split(" (", 1)[0],
            str(g.due),
            str(g.on_time),
            str(g.late),
            str(g.skipped),
            Text(str(g.missed), style="red" if g.missed else ""),
            rate,
            bar,
        )
    from commsplan.render.text import print_trimmed

    print_trimmed(console, table)


@app.command()
def schema(
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Print the plan file's JSON Schema, for editors (yaml-language-server) and other tools.

    Example: commsplan schema > plan.schema.json
    """
    from commsplan.render.jsonout import dumps

    sys.stdout.write(dumps(plan_schema()) + "\n")


def plan_schema() -> dict[str, Any]:
    from commsplan.model import Plan

    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "commsplan plan"
    return schema


STARTER = Path(__file__).resolve().parent / "starter.yaml"


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the new plan.", dir_okay=False, show_default=False)],
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Write a commented starter plan for another unit; it validates as it is.

    Refuses to overwrite a file. Example: commsplan init plans/north_area.yaml
    """
    data = STARTER.read_bytes()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise CommsplanError(f"{path} already exists; commsplan init never overwrites a file") from None
    except OSError as exc:
        raise CommsplanError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    say(f"Wrote a starter plan to {path}. Edit it, then: commsplan validate --plan {path}")
