"""The commands: each parses its options, calls the domain, and picks a renderer."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.padding import Padding
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
    open_plan,
    print_json,
    session,
    stdout,
    warn,
)
from commsplan.errors import LookupFailed, UsageError
from commsplan.matching import Filters, find, find_activity
from commsplan.model import Plan
from commsplan.render import text

if TYPE_CHECKING:
    from commsplan.agenda import Window


def resolve_filters(plan: Plan, audience: str | None, owner: str | None, channel: str | None) -> Filters:
    return Filters(
        audience=find(audience, plan.audiences, "audience").id if audience else None,
        owner=find(owner, plan.roles, "role").id if owner else None,
        channel=find(channel, plan.channels, "channel").id if channel else None,
    )


# --- validate ---------------------------------------------------------------------------------


@app.command()
def validate(
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="List every interpretation of the source's wording.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Check a plan file and summarise it; report every problem as PATH:LINE:COL.

    Example: commsplan validate --plan plans/east_area_2020.yaml --explain
    """
    loaded = open_plan(plan)
    p = loaded.plan
    kinds = Counter(a.frequency.kind for a in p.activities)
    interpreted = [a for a in p.activities if a.frequency.interpretation is not None]
    rows = sum(len(s.rows) for s in p.source.sections) if p.source else 0
    if json:
        print_json(
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
                "warnings": list(loaded.warnings),
            }
        )
        return
    out = stdout()
    out.print(Text(f"{loaded.path}: valid", style="bold green"))
    scheduled = sum(1 for a in p.activities if a.scheduled)
    summary = [
        p.meta.title,
        f"{len(p.roles)} roles, {len(p.audiences)} audiences, {len(p.channels)} channels",
        f"{len(p.activities)} activities from {rows} source rows: {scheduled} scheduled, "
        f"{kinds['triggered']} triggered, {kinds['on_request']} on request",
        f"{len(interpreted)} frequencies interpreted rather than literal"
        + ("" if explain else " (--explain lists them)"),
    ]
    for line in summary:
        text.print_trimmed(out, Padding(Text(line), (0, 0, 0, 2)))
    for warning in loaded.warnings:
        warn(warning)
    if not explain:
        return
    out.print()
    out.print(Text("Interpretations of the source's wording and notes on it:", style="bold"))
    for a in p.activities:
        notes = [*([a.frequency.interpretation] if a.frequency.interpretation else []), *a.notes]
        if not notes:
            continue
        out.print()
        title = Text(f"  {a.id}", style="bold cyan")
        title.append(f' "{a.frequency.as_written}" -> {a.frequency.kind.replace("_", " ")}', style="")
        out.print(title)
        bullets = Table.grid(padding=(0, 1))
        for note in notes:
            bullets.add_row("-", Text(note))
        text.print_trimmed(out, Padding(bullets, (0, 0, 0, 4)))


# --- who / list / show -----------------------------------------------------------------------


@app.command()
def who(
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Who talks to an audience: what, how, when and why.

    Example: commsplan who --audience SNB   (also --owner DWO, --channel email)
    """
    loaded = open_plan(plan)
    p = loaded.plan
    filters = resolve_filters(p, audience, owner, channel)
    chosen = [a for a in p.activities if filters.accepts(a)]
    if not chosen:
        raise LookupFailed("no activity matches all of those filters; 'commsplan list' shows them all")
    if json:
        from commsplan.render import jsonout

        print_json([jsonout.activity_dict(p, a) for a in chosen])
        return
    parts = []
    if filters.audience:
        parts.append(f"to {p.audience(filters.audience).name}")
    if filters.owner:
        parts.append(f"from {p.role(filters.owner).name}")
    if filters.channel:
        parts.append(f"by {p.channel(filters.channel).name}")
    heading = f"{len(chosen)} activit{'y' if len(chosen) == 1 else 'ies'} " + (" ".join(parts) or "in the plan")
    text.print_who(stdout(), p, chosen, heading)


@app.command(name="list")
def list_(
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """List every activity of the plan with its id.

    Example: commsplan list --owner "Comms Team"
    """
    loaded = open_plan(plan)
    p = loaded.plan
    filters = resolve_filters(p, audience, owner, channel)
    chosen = [a for a in p.activities if filters.accepts(a)]
    if json:
        from commsplan.render import jsonout

        print_json([jsonout.activity_dict(p, a) for a in chosen])
        return
    text.print_list(stdout(), p, chosen)


@app.command()
def show(
    activity: Annotated[str, typer.Argument(help="Activity id, or a unique start of one.", show_default=False)],
    plan: PlanOpt = None,
    log: LogOpt = None,
    now: NowOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print one activity in full, with the source text it came from.

    Example: commsplan show snb-quarterly-meeting
    """
    loaded = open_plan(plan)
    p = loaded.plan
    chosen = p.activity(find_activity(activity, [a.id for a in p.activities]))
    if json:
        from commsplan.render import jsonout

        data = jsonout.activity_dict(p, chosen)
        row = p.source_row(chosen.row)
        data["source"] = row.model_dump(mode="json") if row else None
        print_json(data)
        return
    text.print_trimmed(stdout(), text.activity_card(p, chosen, full=True))


# --- due --------------------------------------------------------------------------------------


def choose_window(
    now: dt.datetime, today: bool, week: bool, month: bool, days: int | None, until: dt.datetime | None
) -> Window:
    from commsplan.agenda import Window

    chosen = [
        name
        for name, on in (
            ("--today", today),
            ("--week", week),
            ("--month", month),
            ("--days", days is not None),
            ("--until", until is not None),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one window, not {' and '.join(chosen)}")
    if today:
        return Window.today(now)
    if month:
        return Window.month(now)
    if days is not None:
        return Window.days(now, days)
    if until is not None:
        if until.date() < now.date():
            raise UsageError(f"--until {until.date().isoformat()} is before now ({now.date().isoformat()})")
        return Window.until(now, until.date())
    return Window.week(now)


def _step_passes(plan: Plan, filters: Filters, step: Any) -> bool:
    if not step.rule:
        return filters.accepts(plan.activity(step.id))
    # a rule (refer media queries to DMC) has no audience or channel of its own
    no_other = filters.audience is None and filters.channel is None
    return no_other and filters.owner in (None, step.owner)


@app.command()
def due(
    today: Annotated[bool, typer.Option("--today", help="Only today.")] = False,
    week: Annotated[bool, typer.Option("--week", help="The Monday-to-Sunday week holding now (the default).")] = False,
    month: Annotated[bool, typer.Option("--month", help="The calendar month holding now.")] = False,
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=3660, help="The next N days, today included.")
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], help="From now to this date (YYYY-MM-DD).")
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
    from commsplan.agenda import build_agenda
    from commsplan.commands_log import read_history
    from commsplan.incidents import pending_steps
    from commsplan.schedule import Schedule

    sess = session(plan, log, now)
    p = sess.plan
    window = choose_window(sess.now, today, week, month, days, until)
    filters = resolve_filters(p, audience, owner, channel)
    schedule = Schedule(p)
    history = read_history(sess)
    agenda = build_agenda(
        p, schedule, history.completions, sess.now, window, filters, include_done=all_, overdue_only=overdue
    )
    # Open incidents with notifications still to make head the list.
    incidents = [
        (incident, [s for s in steps if _step_passes(p, filters, s)])
        for incident, steps in pending_steps(p, history.incidents, sess.now, schedule.zone)
    ]
    incidents = [(incident, steps) for incident, steps in incidents if steps]
    if json:
        from commsplan.render import jsonout

        steps = [jsonout.step_item_dict(p, incident, step) for incident, pending in incidents for step in pending]
        print_json(steps + [jsonout.item_dict(p, item) for item in agenda.items])
        return
    text.print_due(stdout(), sess.loaded, agenda, overdue_only=overdue, incidents=incidents)
