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
from commsplan.errors import LogError, LookupFailed

if TYPE_CHECKING:
    from commsplan.log.state import Incident, LogView

app = typer_app("Record an incident and its notifications: who must be told, how, right now.", no_args_is_help=True)

IncidentArg = Annotated[str, typer.Argument(help="Incident id (or a unique start of it).", show_default=False)]


def _find(sess: Session, query: str) -> Incident:
    from commsplan.rules.incidents import find_incident

    return find_incident(sess.history().incidents, query)


def trigger_words(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the plan's triggers and their aliases (from --plan or COMMSPLAN_PLAN)."""
    from commsplan.cli.common import completion_plan

    plan = completion_plan(ctx)
    if plan is None:
        return []
    words = [w for t in plan.triggers for w in (t.id, *t.aliases) if " " not in w]
    return [w for w in dict.fromkeys(words) if w.startswith(incomplete)]


LevelOpt = Annotated[
    str,
    typer.Option(
        "--level",
        help="What happened: one of the plan's triggers, by id or alias (critical, major, significant, "
        "multi-agency operation, crime rise, media enquiry...).",
        autocompletion=trigger_words,
        show_default=False,
    ),
]
TriggerArg = Annotated[
    str,
    typer.Argument(
        help="A trigger of the plan, by id or alias (e.g. media-enquiry).",
        autocompletion=trigger_words,
        show_default=False,
    ),
]


_ID_ATTEMPTS = 20


class _IdTaken(Exception):
    """The incident id chosen was taken meanwhile (checked under the log's lock)."""


@app.command("open")
def open_(
    title: Annotated[str, typer.Argument(help="What happened, in a few words.", show_default=False)],
    level: LevelOpt,
    also: Annotated[
        list[str] | None,
        typer.Option(
            "--also",
            help="A further trigger it involves (repeat it): media-enquiry, multi-agency...",
            show_default=False,
        ),
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="Where: ward, borough, street.")] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record an incident and print its notification checklist for this moment.

    --level takes the plan's triggers ('commsplan validate --explain' lists them).
    Example: commsplan incident open "Stabbing, Romford town centre" --level critical --area Romford
    """
    from commsplan.log.records import INCIDENT_OPEN
    from commsplan.rules.incidents import checklist, find_trigger, new_incident_id

    if not title.strip():
        raise LookupFailed("an incident needs a title")
    sess = session(plan, log, now)
    chosen = find_trigger(sess.plan, level).id
    more = [t for t in dict.fromkeys(find_trigger(sess.plan, word).id for word in also or []) if t != chosen]
    data: dict[str, Any] = {"title": title, "level": chosen, "by": by or login_name()}
    if more:
        data["also"] = more
    if area:
        data["area"] = area
    # The id is the day and a count; two people opening incidents at the same moment would
    # count alike, so the id is checked under the log's lock, and the one who finds it taken
    # counts again from the log as it is then.
    for attempt in range(_ID_ATTEMPTS):
        incident_id = new_incident_id(sess.history(quiet=attempt > 0).incidents, sess.now)

        def unique(view: LogView, wanted: str = incident_id) -> None:
            if wanted in view.incident_ids():
                raise _IdTaken

        try:
            sess.append(INCIDENT_OPEN, {"incident": incident_id, **data}, check=unique)
            break
        except _IdTaken:
            continue
    else:
        raise LogError(f"completion NOT recorded: no free incident id after {_ID_ATTEMPTS} tries; try again")
    incident = sess.history(quiet=True).incidents[incident_id]
    office, steps = checklist(sess.plan, incident, sess.now, sess.zone)
    renderer(json).incident(sess.plan, incident, steps, office, sess.now)


@app.command("also")
def also_(
    incident: IncidentArg,
    trigger: TriggerArg,
    note_: Annotated[str | None, typer.Option("--note", help="What came in: who asked, when.")] = None,
    by: ByOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that an open incident now also involves a trigger (a media enquiry, a multi-agency
    response...) and print its checklist, with the steps that adds.

    Example: commsplan incident also 20201026-1 media-enquiry --note "Local Recorder, 23:10"
    """
    from commsplan.log.records import INCIDENT_TRIGGER
    from commsplan.rules.incidents import checklist, find_trigger, incident_triggers

    sess = session(plan, log, now)
    found = _find(sess, incident)
    if not found.is_open:
        raise LookupFailed(f"incident {found.id} is closed")
    chosen = find_trigger(sess.plan, trigger)
    if chosen.id in incident_triggers(sess.plan, found):
        raise LookupFailed(f"incident {found.id} already involves {chosen.id}")
    data: dict[str, Any] = {"incident": found.id, "trigger": chosen.id, "by": by or login_name()}
    if note_:
        data["note"] = note_
    sess.append(INCIDENT_TRIGGER, data)
    updated = sess.history(quiet=True).incidents[found.id]
    office, steps = checklist(sess.plan, updated, sess.now, sess.zone)
    renderer(json).incident(sess.plan, updated, steps, office, sess.now)


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
    """Mark a notification step as done; again for each update while the incident is live.

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
    # A live incident is notified again with updates (the source asks for them while it is
    # live): a further notification of a step is recorded beside the first, never refused.
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
    left = sum(1 for s in steps if s.status == "pending") - (chosen.status == "pending")
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
