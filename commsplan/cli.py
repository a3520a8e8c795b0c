"""The commsplan command line: options, the clock, the renderer, errors -> exit codes.

Rules live in the domain modules; a command here parses, calls them and renders the result.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from commsplan import __version__
from commsplan.errors import CommsplanError
from commsplan.planfile import LoadedPlan, bundled_plan_path, load_plan

# --- error handling: the one place CommsplanError becomes stderr + an exit code ----------------


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(exc: CommsplanError) -> NoReturn:
    console = _stderr()
    console.print(Text(f"commsplan: error: {exc.message}"))
    for line in exc.details:
        console.print(Text(line))
    raise typer.Exit(exc.exit_code)


class CommsplanGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # typer's Context; its click is vendored
        try:
            return super().invoke(ctx)
        except CommsplanError as exc:
            fail(exc)


def warn(message: str) -> None:
    _stderr().print(Text(f"commsplan: warning: {message}"))


app = typer.Typer(
    cls=CommsplanGroup,
    help="Turn a police unit's communication action plan into answers: what is due, who sends it, "
    "to whom, by which channel, and what has been done.\n\n"
    "Start with: commsplan due --week   (every command takes --plan, --log and --now; see 'COMMAND --help').",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# --- shared options, declared once -----------------------------------------------------------


def _check_now(value: str | None) -> str | None:
    if value is not None:
        parse_now_text(value)  # raises BadParameter early: exit 2 before any work
    return value


PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        envvar="COMMSPLAN_PLAN",
        help="Plan file (YAML). Default: the bundled East Area plan.",
        dir_okay=False,
        show_default=False,
    ),
]
LogOpt = Annotated[
    Path | None,
    typer.Option(
        "--log",
        envvar="COMMSPLAN_LOG",
        help="Completion log (JSON Lines). Default: one per plan in your data folder.",
        show_default=False,
    ),
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        envvar="COMMSPLAN_NOW",
        help="Pretend it is this moment (ISO 8601: 2020-10-26 or 2020-10-26T09:30). Default: the clock.",
        callback=_check_now,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document and nothing else on stdout.")]
AudienceOpt = Annotated[
    str | None, typer.Option("--audience", "-a", help="Audience: id, alias (SNB, IAG...) or part of its name.")
]
OwnerOpt = Annotated[
    str | None, typer.Option("--owner", "-o", help="Sender's role: id, alias (DWO, SLT...) or part of it.")
]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", "-c", help="Channel: e-mail, telephone, meeting, social...")
]


def parse_now_text(value: str) -> dt.date | dt.datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not an ISO 8601 date or date-time (e.g. 2020-10-26 or 2020-10-26T09:30)",
            param_hint="'--now'",
        ) from None


def resolve_now(value: str | None, zone: ZoneInfo) -> dt.datetime:
    """The moment 'now' in the plan's time zone: the only place the clock is read."""
    if value is None:
        return dt.datetime.now(zone)
    parsed = parse_now_text(value)
    if not isinstance(parsed, dt.datetime):
        from commsplan.schedule import local_midnight

        return local_midnight(parsed, zone)
    if parsed.tzinfo is None:
        from commsplan.schedule import resolve_local

        return resolve_local(parsed.date(), parsed.time(), zone)
    return parsed.astimezone(zone)


@dataclass
class Session:
    """What a command works with: the plan, its clock, and where its log is."""

    loaded: LoadedPlan
    now: dt.datetime
    log_path: Path | None

    @property
    def plan(self) -> Any:
        return self.loaded.plan


def cache_dir() -> Path | None:
    """Where checked plans are cached: COMMSPLAN_CACHE_DIR ('' turns the cache off), else the
    user's cache folder."""
    configured = os.environ.get("COMMSPLAN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    from platformdirs import user_cache_path

    return user_cache_path("commsplan", appauthor=False)


def open_plan(plan: Path | None) -> LoadedPlan:
    loaded = load_plan(plan if plan is not None else bundled_plan_path(), cache_dir())
    # The plan lives as long as the process: keep the cyclic GC from walking it again and
    # again while a large agenda is built (as mypy does for its own long-lived objects).
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    return loaded


def session(plan: Path | None, log: Path | None, now: str | None, *, period_warning: bool = True) -> Session:
    loaded = open_plan(plan)
    zone = ZoneInfo(loaded.plan.meta.timezone)
    moment = resolve_now(now, zone)
    period = loaded.plan.meta.period
    if period_warning and not (period.start <= moment.date() <= period.end):
        warn(
            f"{moment.date().isoformat()} is outside the plan's period "
            f"({period.start.isoformat()} to {period.end.isoformat()}); the schedule is computed all the same"
        )
    return Session(loaded, moment, log)


def stdout() -> Console:
    # rich drops colour when stdout is not a terminal, and honours NO_COLOR.
    return Console(highlight=False, emoji=False)


def say(text: str | Text) -> None:
    """One line to stdout, never hard-wrapped (it may be grepped, or read in a mail)."""
    stdout().print(text if isinstance(text, Text) else Text(text), soft_wrap=True)


def print_json(value: Any) -> None:
    """One JSON document on stdout: indented on a terminal, compact in a pipe."""
    from commsplan.render.jsonout import dumps

    sys.stdout.write(dumps(value, pretty=sys.stdout.isatty()) + "\n")


# --- top level ------------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        print(f"commsplan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """commsplan: what communication is due, who sends it, to whom, by which channel.

    Start with 'commsplan due --week'. Every command takes --plan, --log and --now.
    """


def run() -> None:
    """Entry point of the installed `commsplan` script and of `python -m commsplan`."""
    # pydantic scans every installed package's entry points for plugins the first time it
    # builds a validator; commsplan uses none, and in a large environment the scan is slow.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app(prog_name="commsplan")


# Commands register themselves on `app` when their module is imported.
from commsplan import commands as _commands  # noqa: E402, F401
from commsplan import commands_digest as _commands_digest  # noqa: E402, F401
from commsplan import commands_incident as _commands_incident  # noqa: E402, F401
from commsplan import commands_log as _commands_log  # noqa: E402, F401
from commsplan import commands_plan as _commands_plan  # noqa: E402, F401
