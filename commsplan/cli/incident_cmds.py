"""`commsplan incident ...`: record an incident and work through who must be told."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsplan.cli.common import (
    ByOpt,
    JsonOpt,
    LogOpt,
    NowOpt,
    PlanOpt,
    Session,
    login_name,
    renderer,
    session,
    typer_app,
)
from commsplan.errors import LookupFailed

if TYPE_CHECKING:
    from commsplan.log.state import Incident

app = typer_app("Record an incident and its notifications: who must be told, how, right now.", no_args_is_help=True)

IncidentArg = Annotated[str, typer.Argument(help="Incident id (or a unique start of it).", show_default=False)]


def _find(sess: Session, query: str) -> Incident:
    from commsplan.rules.incidents import find_incident

    return find_incident(sess.history().incidents, query)


@app.command("open")
def open_(
    title: Annotated[str, typer.Argument(help="What happened, in a few words.", show_default=False)],
    level: Annotated[str, typer.Option("--level", help="critical, major or significant.", show_default=False)],
    area: Annotated[str | None, typer.Option("--area", help="Where: ward, borough, street.")] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record an incident and print its notification checklist for this moment.

    Example: commsplan incident open "Stabbing, Romford town centre" --level critical --area Romford
    """
    from commsplan.log.records import INCIDENT_OPEN
    from commsplan.rules.incidents import LEVELS, checklist, new_incident_id

    chosen = level.strip().lower()
    if chosen not in LEVELS:
        raise typer.BadParameter(f"'{level}' is not one of {', '.join(LEVELS)}", param_hint="'--level'")
    if not title.strip():
        raise LookupFailed("an incident needs a title")
    sess = session(plan, log, now)
    incident_id = new_incident_id(sess.history().incidents, sess.now)
    data = {"incident": incident_id, "title": title, "level": chosen, "by": by or login_name()}
    if area:
        data["area"] = area
    sess.append(INCIDENT_OPEN, data)
    incident = sess.history(quiet=True).incidents[incident_id]
    office, steps = checklist(sess.plan, incident, sess.now, sess.zone)
    renderer(json).incident(sess.plan, incident, steps, office, sess.now)


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Closed incidents too.")] = False,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """List open incidents (--all: closed ones too) with their pending notifications.

    Example: commsplan incident list --all
    """
    from commsplan.rules.incidents import checklist

    sess = session(plan, log, now)
    chosen = [i for i in sorted(sess.history().incidents.values(), key=lambda i: i.opened) if all_ or i.is_open]
    rows = []
    for incident in chosen:
        office, steps = checklist(sess.plan, incident, sess.now, sess.zone)
        rows.append((incident, steps, office))
    renderer(json).incidents(sess.plan, rows, sess.now, all_)


@app.command("show")
def show(
    incident: IncidentArg,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """The incident's record: checklist, and every notification and note with times.

    Example: commsplan incident show 20201026-1
    """
    from commsplan.rules.incidents import checklist

    sess = session(plan, log, now)
    found = _find(sess, incident)
    office, steps = checklist(sess.plan, found, sess.now, sess.zone)
    renderer(json).incident(sess.plan, found, steps, office, sess.now, events=True)


@app.command("note")
def note(
    incident: IncidentArg,
    text: Annotated[str, typer.Argument(help="The note.", show_default=False)],
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Add a timestamped note to an incident's record.

    Example: commsplan incident note 20201026-1 "Cordon lifted 14:10"
    """
    from commsplan.log.records import INCIDENT_NOTE

    sess = session(plan, log, now)
    found = _find(sess, incident)
    if not text.strip():
        raise LookupFailed("the note is empty")
    record = sess.append(INCIDENT_NOTE, {"incident": found.id, "text": text, "by": by or login_name()})
    renderer().incident_noted(found, record)


@app.command("notify")
def notify(
    incident: IncidentArg,
    step: Annotated[str, typer.Argument(help="Step number or id (see 'incident show').", show_default=False)],
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="The channel used.")] = None,
    note_: Annotated[str | None, typer.Option("--note", help="Who was reached, what was said.")] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Mark a notification step as done.

    Example: commsplan incident notify 20201026-1 1 --note "Chair informed by phone 22:40"
    """
    from commsplan.log.records import INCIDENT_NOTIFY
    from commsplan.plan.lookup import find
    from commsplan.rules.incidents import checklist, find_step

    sess = session(plan, log, now)
    found = _find(sess, incident)
    if not found.is_open:
        raise LookupFailed(f"incident {found.id} is closed")
    _, steps = checklist(sess.plan, found, sess.now, sess.zone)
    chosen = find_step(steps, step)
    if chosen.status == "done" and chosen.done_at:
        raise LookupFailed(f"step {chosen.number} ({chosen.id}) was done {chosen.done_at:%a %-d %b %H:%M}")
    used = (
        find(channel, sess.plan.channels, "channel").id
        if channel
        else (chosen.channels[0] if chosen.channels else None)
    )
    data: dict[str, Any] = {"incident": found.id, "step": chosen.id, "by": by or login_name()}
    if used:
        data["channel"] = used
    if note_:
        data["note"] = note_
    record = sess.append(INCIDENT_NOTIFY, data)
    left = sum(1 for s in steps if s.status == "pending") - 1
    renderer().step_notified(chosen, left, record)


@app.command("close")
def close(
    incident: IncidentArg,
    note_: Annotated[str | None, typer.Option("--note", help="How it ended.")] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
) -> None:
    """Close an incident (its pending notifications leave due and digest).

    Example: commsplan incident close 20201026-1 --note "Stood down by Gold"
    """
    from commsplan.log.records import INCIDENT_CLOSE
    from commsplan.rules.incidents import checklist

    sess = session(plan, log, now)
    found = _find(sess, incident)
    if not found.is_open:
        raise LookupFailed(f"incident {found.id} is already closed")
    _, steps = checklist(sess.plan, found, sess.now, sess.zone)
    data: dict[str, Any] = {"incident": found.id, "by": by or login_name()}
    if note_:
        data["note"] = note_
    record = sess.append(INCIDENT_CLOSE, data)
    renderer().incident_closed(found, [s.id for s in steps if s.status == "pending"], record)
