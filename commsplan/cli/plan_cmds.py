"""Commands about the plan itself: validate, who, list, show, schema, init."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from commsplan.cli.common import (
    AudienceOpt,
    ChannelOpt,
    JsonOpt,
    OwnerOpt,
    PlanOpt,
    open_plan,
    renderer,
    typer_app,
)
from commsplan.errors import CommsplanError, LookupFailed

app = typer_app("The plan: check it, look things up in it, start a new one.")


@app.command()
def validate(
    plan: PlanOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="List every interpretation of the source's wording.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Check a plan file and summarise it; report every problem as PATH:LINE:COL.

    Example: commsplan validate --plan plans/east_area_2020.yaml --explain
    """
    from commsplan.cli.common import warn

    loaded = open_plan(plan, cached=False)  # validate checks the file itself, never a cache of it
    renderer(json).validation(loaded, explain)
    if not json:
        for warning in loaded.warnings:
            warn(warning)


@app.command()
def who(
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """Who talks to an audience: what, how, when and why.

    Example: commsplan who --audience SNB   (also --owner DWO, --channel email)
    """
    from commsplan.rules.select import Filters

    p = open_plan(plan).plan
    filters = Filters.resolve(p, audience, owner, channel)
    chosen = [a for a in p.activities if filters.accepts(a)]
    if not chosen:
        raise LookupFailed("no activity matches all of those filters; 'commsplan list' shows them all")
    renderer(json).activities(p, chosen, filters)


@app.command(name="list")
def list_(
    audience: AudienceOpt = None,
    owner: OwnerOpt = None,
    channel: ChannelOpt = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """List every activity of the plan with its id.

    Example: commsplan list --owner "Comms Team"
    """
    from commsplan.rules.select import Filters

    p = open_plan(plan).plan
    filters = Filters.resolve(p, audience, owner, channel)
    renderer(json).activity_list(p, [a for a in p.activities if filters.accepts(a)])


@app.command()
def show(
    activity: Annotated[str, typer.Argument(help="Activity id, or a unique start of one.", show_default=False)],
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print one activity in full, with the source text it came from.

    Example: commsplan show snb-quarterly-meeting
    """
    from commsplan.plan.lookup import find_activity

    p = open_plan(plan).plan
    renderer(json).activity(p, p.activity(find_activity(activity, [a.id for a in p.activities])))


@app.command()
def schema() -> None:
    """Print the plan file's JSON Schema, for editors (yaml-language-server) and other tools.

    Example: commsplan schema > plan.schema.json
    """
    from commsplan.plan.model import plan_schema

    renderer().schema(plan_schema())


STARTER = Path(__file__).resolve().parent.parent / "plan" / "starter.yaml"


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the new plan.", dir_okay=False, show_default=False)],
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
    renderer().plan_written(path)
