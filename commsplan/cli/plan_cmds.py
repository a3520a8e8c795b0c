"""Commands about the plan itself: validate, who, list, show, schema, init, renew, diff."""

from __future__ import annotations

import datetime as dt
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
    chosen = filters.activities(p)
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
    renderer(json).activity_list(p, Filters.resolve(p, audience, owner, channel).activities(p))


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
    _write_new(path, STARTER.read_bytes(), "commsplan init")
    renderer().plan_written(path)


def _period(value: str) -> tuple[dt.date, dt.date]:
    start, sep, end = value.partition("..")
    try:
        if not sep:
            raise ValueError
        return dt.date.fromisoformat(start.strip()), dt.date.fromisoformat(end.strip())
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a period START..END (e.g. 2026-04-01..2027-03-31)", param_hint="'--period'"
        ) from None


def _renewed_name(path: Path, old_year: int, new_year: int) -> Path:
    """east_area_2020.yaml -> east_area_2026.yaml; a name without the year gets it added."""
    if str(old_year) in path.stem:
        return path.with_name(path.stem.replace(str(old_year), str(new_year)) + path.suffix)
    return path.with_name(f"{path.stem}-{new_year}{path.suffix}")


@app.command()
def renew(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN", help="The plan to roll forward.", dir_okay=False, show_default=False)
    ],
    period: Annotated[
        str, typer.Option("--period", help="The new period, START..END (2026-04-01..2027-03-31).", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The new plan file (default: PLAN's name with the new year).", dir_okay=False),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Roll a plan forward to a new period: same commitments, new dates; comments and layout kept.

    Anchors move to the new period; dates listed year by year (school half-terms) are emptied
    and marked for the owner to fill in. Never overwrites a file.
    Example: commsplan renew plans/east_area_2020.yaml --period 2026-04-01..2027-03-31
    """
    from commsplan.plan.load import parse_plan
    from commsplan.plan.renew import renew_text

    start, end = _period(period)
    loaded = open_plan(plan_file)
    try:
        raw = plan_file.read_bytes()
    except OSError as exc:
        raise CommsplanError(f"cannot read {plan_file}: {exc.strerror}") from None
    renewal = renew_text(raw.decode("utf-8"), loaded.plan, start, end)
    target = out or _renewed_name(plan_file, loaded.plan.meta.period.start.year, start.year)
    data = renewal.text.encode("utf-8")
    checked = parse_plan(data, target)  # what is written must be a valid plan
    _write_new(target, data, "commsplan renew", " (choose another with --out)")
    renderer(json).renewed(target, renewal, checked.warnings)


def _write_new(path: Path, data: bytes, who: str, hint: str = "") -> None:
    """Write ``path`` whole, and only if it does not exist (files.write_whole, linked into place)."""
    from commsplan.files import write_whole

    if path.exists():
        raise CommsplanError(f"{path} already exists; {who} never overwrites a file{hint}")
    try:
        write_whole(path, lambda handle: handle.write(data), replace=False)
    except FileExistsError:
        raise CommsplanError(f"{path} already exists; {who} never overwrites a file") from None
    except OSError as exc:
        raise CommsplanError(f"cannot create {path}: {exc.strerror}") from None


@app.command(name="diff")
def diff_(
    old: Annotated[Path, typer.Argument(help="The earlier plan.", dir_okay=False, show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later plan.", dir_okay=False, show_default=False)],
    json: JsonOpt = False,
) -> None:
    """What the commitments gained, lost or changed between two versions of a plan, by activity.

    Audience, sender, channel, frequency, trigger, office hours and the period, in words.
    Example: commsplan diff plans/east_area_2020.yaml plans/east_area_2026.yaml
    """
    from commsplan.rules.plandiff import diff_plans

    before, after = open_plan(old), open_plan(new)
    renderer(json).plan_diff(before, after, diff_plans(before.plan, after.plan))
