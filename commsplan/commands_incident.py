"""`commsplan incident ...`: record an incident and work through who must be told."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from commsplan.cli import (
    CommsplanGroup,
    JsonOpt,
    LogOpt,
    NowOpt,
    PlanOpt,
    Session,
    app,
    print_json,
    say,
    session,
    stdout,
)
from commsplan.commands_log import ByOpt, _append, login_name, read_history
from commsplan.errors import LookupFailed
from commsplan.safetext import visible

if TYPE_CHECKING:
    from commsplan.history import Incident
    from commsplan.incidents import Step
    from commsplan.model import Plan

incident_app = typer.Typer(
    cls=CommsplanGroup,
    help="Record an incident and its notifications: who must be told, how, right now.",
    no_args_is_help=True,
)
app.add_typer(incident_app, name="incident")

IncidentArg = Annotated[str, typer.Argument(help="Incident id (or a unique start of it).", show_default=False)]


def _zone(sess: Session) -> dt.tzinfo:
    return sess.now.tzinfo or dt.UTC


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
    }


def incident_dict(plan: Plan, incident: Incident, steps: list[Step], office: bool, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "level": incident.level,
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
                "record": e.record_id,
            }
            for e in incident.events
        ],
    }


def print_checklist(plan: Plan, incident: Incident, steps: list[Step], office: bool, now: dt.datetime) -> None:
    from commsplan.incidents import since
    from commsplan.render.text import Lines, display_name

    out = Lines(stdout())
    state = "open" if incident.is_open else f"closed {incident.closed:%a %-d %b %H:%M}"
    out.add(f"Incident {incident.id}: {visible(incident.title)}", "bold")
    area = f" · {visible(incident.area)}" if incident.area else ""
    out.wrapped(
        f"{incident.level} · {state} · opened {incident.opened:%a %-d %b %Y %H:%M} "
        f"({since(incident.opened, now)} ago) by {visible(incident.opened_by)}{area}",
        0,
        "dim",
    )
    hours = "within office hours: e-mail" if office else "out of office hours: telephone"
    out.add(f"Now {now:%a %-d %b %H:%M %Z}, {hours}.", "dim")
    out.add()
    for step in steps:
        mark = "[x]" if step.status == "done" else "[ ]"
        head: list[tuple[str, str]] = [(f"  {mark} {step.number}. ", "bold"), (step.id, "cyan")]
        if step.status == "done" and step.done_at:
            head.append((f" · done {step.done_at:%a %-d %b %H:%M} by {visible(step.done_by or '')}", "green"))
        out.add_segs(head)
        if step.rule:
            refer = plan.role(step.refer_to).name if step.refer_to else ""
            owner = display_name(plan.role(step.owner).name) if step.owner else "whoever takes the query"
            out.wrapped(f"{step.what} {owner} refers them to {refer}.", 9)
        else:
            sender = display_name(plan.role(step.owner).name)
            audience = display_name(plan.audience(step.audience).name)
            channels = " or ".join(plan.channel(c).name for c in step.channels)
            out.wrapped(f"{sender} notify {audience} by {channels}: {step.what}", 9)
    pending = sum(1 for s in steps if s.status == "pending")
    out.add()
    out.add(f"{pending} of {len(steps)} steps pending. Mark one: commsplan incident notify {incident.id} STEP", "dim")
    out.emit()


def _load(sess: Session, query: str) -> tuple[Incident, Any]:
    from commsplan.incidents import find_incident

    history = read_history(sess)
    return find_incident(history.incidents, query), history


@incident_app.command("open")
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
    from commsplan.history import INCIDENT_OPEN
    from commsplan.incidents import LEVELS, checklist, new_incident_id

    chosen = level.strip().lower()
    if chosen not in LEVELS:
        raise typer.BadParameter(f"'{level}' is not one of {', '.join(LEVELS)}", param_hint="'--level'")
    if not title.strip():
        raise LookupFailed("an incident needs a title")
    sess = session(plan, log, now, period_warning=False)
    history = read_history(sess)
    incident_id = new_incident_id(history.incidents, sess.now)
    data = {"incident": incident_id, "title": title, "level": chosen, "by": by or login_name()}
    if area:
        data["area"] = area
    _append(sess, INCIDENT_OPEN, data)
    incident = read_history(sess, quiet=True).incidents[incident_id]
    office, steps = checklist(sess.plan, incident, sess.now, _zone(sess))
    if json:
        print_json(incident_dict(sess.plan, incident, steps, office, sess.now))
        return
    print_checklist(sess.plan, incident, steps, office, sess.now)


@incident_app.command("list")
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
    from commsplan.incidents import checklist, since

    sess = session(plan, log, now, period_warning=False)
    history = read_history(sess)
    chosen = [i for i in sorted(history.incidents.values(), key=lambda i: i.opened) if all_ or i.is_open]
    rows = []
    for incident in chosen:
        office, steps = checklist(sess.plan, incident, sess.now, _zone(sess))
        rows.append((incident, steps, office))
    if json:
        print_json([incident_dict(sess.plan, i, s, o, sess.now) for i, s, o in rows])
        return
    if not rows:
        say(Text("No open incidents." if not all_ else "No incidents in the log."))
        return
    for incident, steps, _ in rows:
        pending = sum(1 for s in steps if s.status == "pending")
        state = f"open {since(incident.opened, sess.now)}" if incident.is_open else "closed"
        line = Text(f"{incident.id:<12} ", style="bold cyan")
        line.append(f"{incident.level:<11} {state:<18} {pending} of {len(steps)} pending  ")
        line.append(visible(incident.title))
        say(line)


@incident_app.command("show")
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
    from commsplan.incidents import checklist

    sess = session(plan, log, now, period_warning=False)
    found, _ = _load(sess, incident)
    office, steps = checklist(sess.plan, found, sess.now, _zone(sess))
    if json:
        print_json(incident_dict(sess.plan, found, steps, office, sess.now))
        return
    print_checklist(sess.plan, found, steps, office, sess.now)
    out = stdout()
    out.print()
    out.print(Text("Record (for the Community Impact Assessment):", style="bold"))
    for event in found.events:
        line = Text(f"  {event.at:%Y-%m-%d %H:%M}  {event.kind:<9} ")
        what = event.text
        if event.kind == "notified":
            channel = f" by {sess.plan.channel(event.channel).name}" if event.channel else ""
            what = f"{event.step}{channel}" + (f" · {event.text}" if event.text else "")
        line.append(visible(what))
        line.append(f" ({visible(event.by)})", style="dim")
        say(line)


@incident_app.command("note")
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
    from commsplan.history import INCIDENT_NOTE

    sess = session(plan, log, now, period_warning=False)
    found, _ = _load(sess, incident)
    if not text.strip():
        raise LookupFailed("the note is empty")
    record = _append(sess, INCIDENT_NOTE, {"incident": found.id, "text": text, "by": by or login_name()})
    say(Text(f"Noted on {found.id} at {sess.now:%H:%M}. Record {record.id}."))


@incident_app.command("notify")
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
    from commsplan.history import INCIDENT_NOTIFY
    from commsplan.incidents import checklist, find_step
    from commsplan.matching import find

    sess = session(plan, log, now, period_warning=False)
    found, _ = _load(sess, incident)
    if not found.is_open:
        raise LookupFailed(f"incident {found.id} is closed")
    _, steps = checklist(sess.plan, found, sess.now, _zone(sess))
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
    record = _append(sess, INCIDENT_NOTIFY, data)
    left = sum(1 for s in steps if s.status == "pending") - 1
    say(Text(f"Step {chosen.number} ({chosen.id}) done. {left} pending. Record {record.id}."))


@incident_app.command("close")
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
    from commsplan.history import INCIDENT_CLOSE
    from commsplan.incidents import checklist

    sess = session(plan, log, now, period_warning=False)
    found, _ = _load(sess, incident)
    if not found.is_open:
        raise LookupFailed(f"incident {found.id} is already closed")
    _, steps = checklist(sess.plan, found, sess.now, _zone(sess))
    data: dict[str, Any] = {"incident": found.id, "by": by or login_name()}
    if note_:
        data["note"] = note_
    record = _append(sess, INCIDENT_CLOSE, data)
    pending = [s.id for s in steps if s.status == "pending"]
    tail = f" {len(pending)} step(s) were never marked done: {', '.join(pending)}." if pending else ""
    say(Text(f"Closed {found.id}.{tail} Record {record.id}."))
