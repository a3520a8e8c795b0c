"""`commsplan digest`: the morning e-mail of a team, for cron."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from commsplan.cli import JsonOpt, LogOpt, NowOpt, OwnerOpt, PlanOpt, app, print_json, resolve_now, session, stdout
from commsplan.commands_log import log_path, read_history
from commsplan.errors import CommsplanError
from commsplan.matching import find
from commsplan.render.text import Lines, _groups, moment, print_incident_steps, runs, short_day

if TYPE_CHECKING:
    from commsplan.digest import Digest
    from commsplan.model import Plan


class Overdue(CommsplanError):
    """--strict: something is overdue (for monitoring)."""


def _marker(log: Path, owner: str | None) -> Path:
    return log.with_name(f"{log.name}.digest-{owner or 'all'}")


def _read_marker(path: Path, zone: Any) -> dt.datetime | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        value = dt.datetime.fromisoformat(text)
    except (OSError, ValueError):
        return None
    return value.astimezone(zone) if value.tzinfo else None


def _write_marker(path: Path, when: dt.datetime) -> None:
    # Replaced whole (temp file + rename): a crash leaves the old marker or the new one.
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(when.isoformat() + "\n")
        os.replace(tmp, path)
    except OSError:
        pass  # the next digest then counts from 24 hours back


def render_text(plan: Plan, digest: Digest, markdown: bool) -> None:
    out = Lines(stdout(), width=100_000 if markdown else None)  # markdown is wrapped by its reader
    h = "## " if markdown else ""
    out.add(("# " if markdown else "") + digest.subject(), "bold")
    out.add(
        f"{plan.meta.unit} · now {moment(digest.now)} · the next {(digest.window.end - digest.window.start).days + 1}"
        f" days, to {short_day(digest.window.end, year=True)}",
        "dim",
    )
    if digest.incidents:
        out.add()
        print_incident_steps(out, plan, digest.incidents, digest.now, markdown=markdown)
    sections = [
        (f"OVERDUE ({digest.overdue_count})", digest.overdue, "bold red"),
        (f"DUE TODAY ({len(digest.today)})", runs(digest.today), "bold"),
        (f"COMING UP TO {short_day(digest.window.end).upper()} ({len(digest.coming)})", runs(digest.coming), "bold"),
    ]
    for title, groups, style in sections:
        out.add()
        out.add(f"{h}{title}", style)
        if groups:
            _groups(out, plan, groups, digest.now.year, markdown=markdown)
        else:
            out.add("  nothing", "dim")
    if digest.campaigns:
        out.add()
        out.add(f"{h}CAMPAIGNS STARTING SOON ({len(digest.campaigns)})", "bold")
        for item in digest.campaigns:
            occ = item.occurrence
            out.wrapped(
                f"{item.activity.id} · {occ.key}: opens {short_day(occ.opens)}, "
                f"due {short_day(occ.due)} ({item.activity.what.text})",
                4,
                first=[("- " if markdown else "  ", "")],
            )
    out.add()
    late = f", {digest.late_since} of them late" if digest.late_since else ""
    skipped = f"; {digest.skipped_since} skipped" if digest.skipped_since else ""
    out.add(f"{h}DONE SINCE {moment(digest.since).upper()}: {digest.done_since}{late}{skipped}", "bold")
    out.emit()


def digest_dict(plan: Plan, digest: Digest) -> dict[str, Any]:
    from commsplan.commands_incident import step_dict
    from commsplan.render import jsonout

    return {
        "subject": digest.subject(),
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
        "overdue": [jsonout.item_dict(plan, i) for run in digest.overdue for i in run],
        "today": [jsonout.item_dict(plan, i) for i in digest.today],
        "coming": [jsonout.item_dict(plan, i) for i in digest.coming],
        "campaigns": [jsonout.item_dict(plan, i) for i in digest.campaigns],
        "done_since": {
            "since": digest.since.isoformat(),
            "done": digest.done_since,
            "late": digest.late_since,
            "skipped": digest.skipped_since,
        },
    }


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
    from commsplan.digest import build_digest
    from commsplan.schedule import Schedule

    sess = session(plan, log, now)
    p = sess.plan
    owner_id = find(owner, p.roles, "role").id if owner else None
    schedule = Schedule(p)
    history = read_history(sess)
    marker = _marker(log_path(sess), owner_id)
    start = (
        resolve_now(since, schedule.zone)
        if since
        else (_read_marker(marker, schedule.zone) or sess.now - dt.timedelta(hours=24))
    )
    result = build_digest(p, schedule, history, sess.now, days, start, owner_id)
    if json or fmt == "json":
        print_json(digest_dict(p, result))
    else:
        render_text(p, result, markdown=fmt == "markdown")
    if mark and since is None and now is None and log_path(sess).exists():
        _write_marker(marker, sess.now)
    if strict and result.overdue_count:
        raise Overdue(f"{result.overdue_count} overdue (--strict)")
