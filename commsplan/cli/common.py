"""What every command shares: the options (declared once), the one clock read, the session,
the renderer chosen once, and the one place a CommsplanError becomes stderr and an exit code."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from commsplan.errors import CommsplanError
from commsplan.log.choice import DEFAULT, ENVIRONMENT, OPTION, LogChoice
from commsplan.plan.data import Plan
from commsplan.plan.load import LoadedPlan, bundled_plan_path, load_plan
from commsplan.render.base import Renderer
from commsplan.render.console import Lines, stderr
from commsplan.render.safetext import visible

if TYPE_CHECKING:  # the log is imported by the commands that read it: who, list, show never do
    from commsplan.log.book import LogBackend
    from commsplan.log.records import LogRecord
    from commsplan.log.state import History, LogView

# --- errors and warnings: the one place CommsplanError becomes stderr + an exit code -----------

EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`


def _message(prefix: str, message: str) -> Lines:
    """A message to stderr, each of its lines wrapped at the terminal's width (80 columns in a
    pipe or a cron mail); every character a terminal would act on is shown as an escape."""
    out = Lines(stderr())
    for n, line in enumerate(message.split("\n")):
        text = visible(f"{prefix}{line}" if n == 0 else line)
        indent = len(text) - len(text.lstrip(" "))
        out.wrapped(text.lstrip(" "), indent + 2, first=[(" " * indent, "")])
    return out


def fail(exc: CommsplanError) -> NoReturn:
    out = _message("commsplan: error: ", exc.message)
    # PATH:LINE:COL lines stay whole, one per line, as editors and `grep` expect of a compiler.
    for line in exc.details:
        out.add(visible(line))
    out.emit()
    raise typer.Exit(exc.exit_code)


def warn(message: str) -> None:
    _message("commsplan: warning: ", message).emit()


class CommsplanGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # typer's Context; its click is vendored
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return result
        except CommsplanError as exc:
            fail(exc)
        except BrokenPipeError:
            closed_pipe()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            closed_pipe()


def closed_pipe() -> NoReturn:
    """The reader of stdout went away (`commsplan due | head -1`): stop quietly, as every
    command does, with the status a shell gives a process ended by SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file descriptor (a test's captured stdout): nothing more to write
    raise typer.Exit(EXIT_CLOSED_PIPE)


def typer_app(help: str, **extra: Any) -> typer.Typer:
    """A Typer app (or a group of commands to merge into one) with commsplan's settings."""
    extra.setdefault("cls", CommsplanGroup)
    return typer.Typer(
        help=help,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
        **extra,
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
_LOG_ORIGIN: ContextVar[str] = ContextVar("log_origin", default=OPTION)


def _log_origin(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Remember whether the log came from --log or COMMSPLAN_LOG, for `info` to say."""
    source = ctx.get_parameter_source(param.name or "log")
    _LOG_ORIGIN.set(ENVIRONMENT if source is not None and source.name == "ENVIRONMENT" else OPTION)
    return value


LogOpt = Annotated[
    str | None,
    typer.Option(
        "--log",
        envvar="COMMSPLAN_LOG",
        metavar="PATH-OR-URL",
        help="Completion log: a JSON Lines file, or a postgresql:// URL (no password in it: ~/.pgpass). "
        "Default: one file per plan (named by its unit and period) in your data folder.",
        callback=_log_origin,
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
ByOpt = Annotated[str | None, typer.Option("--by", help="Who did it. Default: your login name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document and nothing else on stdout.")]
AudienceOpt = Annotated[
    str | None, typer.Option("--audience", "-a", help="Audience: id, alias (SNB, IAG...) or part of its name.")
]
OwnerOpt = Annotated[
    str | None, typer.Option("--owner", "-o", help="Sender's role: id, alias (DWO, SLT...) or part of it.")
]
UnitOpt = Annotated[
    str | None,
    typer.Option(
        "--unit", "-u", help="Borough or ward: its duties (a ward's with its borough's) and the BCU-wide ones."
    ),
]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", "-c", help="Channel: e-mail, telephone, meeting, social...")
]


def parse_now_text(value: str, option: str = "--now") -> dt.date | dt.datetime:
    text = value.strip()
    try:
        parsed = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{visible(value)}' is not an ISO 8601 date or date-time (e.g. 2020-10-26 or 2020-10-26T09:30)",
            param_hint=f"'{option}'",
        ) from None
    in_range(parsed.date() if isinstance(parsed, dt.datetime) else parsed, value, option)
    return parsed


def in_range(day: dt.date, typed: str, option: str) -> None:
    """A usage error unless ``day`` is one commsplan computes with (windows around year 1 or
    9999 would leave the calendar)."""
    from commsplan.plan.data import FIRST_DAY, LAST_DAY

    if not FIRST_DAY <= day <= LAST_DAY:
        raise typer.BadParameter(
            f"'{visible(typed)}' is outside the dates commsplan works with ({FIRST_DAY} to {LAST_DAY})",
            param_hint=f"'{option}'",
        )


def day_in_range(param: typer.CallbackParam, value: dt.datetime | None) -> dt.datetime | None:
    """Option callback for --from and --until."""
    if value is not None:
        in_range(value.date(), value.date().isoformat(), param.opts[0] if param.opts else str(param.name))
    return value


def resolve_now(value: str | None, zone: ZoneInfo, option: str = "--now") -> dt.datetime:
    """The moment 'now' in the plan's time zone: the only place the clock is read."""
    if value is None:
        return dt.datetime.now(zone)
    parsed = parse_now_text(value, option)
    if not isinstance(parsed, dt.datetime):
        from commsplan.rules.schedule import local_midnight

        return local_midnight(parsed, zone)
    if parsed.tzinfo is None:
        from commsplan.rules.schedule import resolve_local

        return resolve_local(parsed.date(), parsed.time(), zone)
    return parsed.astimezone(zone)


@dataclass
class Session:
    """What a command works with: the plan, its clock, and where its log is."""

    loaded: LoadedPlan
    now: dt.datetime  # --now, else the clock: the time records claim
    log_path: str | None  # --log: a file's path or a postgresql:// URL
    notes: list[str] | None = None  # when set, warnings are kept here (for a mail's body), not printed
    clock: dt.datetime | None = None  # the real clock, read once: when a record was really made
    log_origin: str = OPTION  # where log_path came from: --log or COMMSPLAN_LOG
    _choice: LogChoice | None = field(default=None, repr=False)
    _book: LogBackend | None = field(default=None, repr=False)

    def warn(self, message: str) -> None:
        if self.notes is None:
            warn(message)
        else:
            self.notes.append(message)

    @property
    def plan(self) -> Plan:
        return self.loaded.plan

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.plan.meta.timezone)

    def log_choice(self) -> LogChoice:
        """Which log, and why: --log or COMMSPLAN_LOG (its folder must exist), else the plan's
        default log, named by its unit and period, adopting its older log once (said on stderr)."""
        if self._choice is None:
            from commsplan.log.choice import default_log, explicit_log, plan_log_id

            if self.log_path is not None:
                self._choice = explicit_log(self.log_path, self.log_origin)
            else:
                from platformdirs import user_data_path

                period = self.plan.meta.period
                self._choice = default_log(
                    user_data_path("commsplan", appauthor=False),
                    plan_log_id(self.plan.meta.unit),
                    period.start,
                    period.end,
                    digest=self.loaded.digest,
                    plan_path=self.loaded.path,
                )
                if self._choice.adopted_from is not None:
                    warn(
                        f"this plan's log is now {self._choice.path}, named by the plan's unit and period "
                        f"rather than its file's path; it was {self._choice.adopted_from} (adopted once, "
                        "nothing copied or lost)"
                    )
                for message in (self._choice.ambiguity(), self._choice.unclaimed()):
                    if message is not None:  # never an empty log in silence, in a cron mail least of all
                        self.warn(message)
        return self._choice

    def logbook(self) -> LogBackend:
        """The completion log: --log, else the default one for this plan (one object per
        session: a database's connection is made once)."""
        if self._book is None:
            from commsplan.log.book import open_log

            choice = self.log_choice()
            self._book = open_log(choice.target, make_folder=choice.origin == DEFAULT)
        return self._book

    def append(self, kind: str, data: dict[str, Any], check: Callable[[LogView], None] | None = None) -> LogRecord:
        """Append one record to the log, warning first where its storage is unsafe; ``check``
        runs under the log's lock against the log as it is then, and raises to refuse.

        The record keeps the time it claims (--now, else the clock) and, beside it, the real
        time it was recorded; a record dated before the log's last one is kept, with a warning.
        """
        book = self.logbook()
        if self.log_choice().candidates:
            from commsplan.errors import LogError

            # A record written now would start a third log, and the older ones would be forgotten.
            raise LogError(
                "completion NOT recorded: several older logs hold this plan's records (listed above); "
                "choose one as said there, then record again"
            )
        storage = book.storage_warning()
        if storage:
            warn(storage)
        clock = self.clock or dt.datetime.now(dt.UTC)
        data = {**data, "recorded": clock.astimezone(dt.UTC).isoformat(timespec="seconds")}
        later: list[dt.datetime] = []

        def decide(log: LogView) -> None:
            last = log.last_time()
            if last is not None and self.now < last:
                later.append(last)
            if check is not None:
                check(log)

        record = book.append(kind, self.now, data, self.loaded.digest, check=decide)
        if book.created:
            _message("commsplan: ", f"started a new log at {book.where}").emit()
        if later:
            zone = self.zone
            warn(
                f"this record is dated {self.now.astimezone(zone):%Y-%m-%d %H:%M}, before the log's last record "
                f"({later[0].astimezone(zone):%Y-%m-%d %H:%M}); it is kept with the time it was really recorded"
            )
        return record

    def history(self, *, full: bool = False, quiet: bool = False, writing: bool = False) -> History:
        """What the log says (warnings about it on stderr unless ``quiet``). ``writing``: the
        command appends next, and makes a missing index only after its record is written."""
        from commsplan.render.console import IndexProgress

        progress = IndexProgress()
        try:
            history, warnings = self.logbook().history(
                {a.id for a in self.plan.activities},
                full=full,
                plan=self.loaded.digest,
                create_index=not writing,
                progress=progress,
            )
        finally:
            progress.close()
        if not quiet:
            for message in warnings:
                self.warn(message)
        return history


def cache_dir() -> Path | None:
    """Where checked plans are cached: COMMSPLAN_CACHE_DIR ('' turns the cache off), else the
    user's cache folder."""
    configured = os.environ.get("COMMSPLAN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    from platformdirs import user_cache_path

    return user_cache_path("commsplan", appauthor=False)


# Set by the process entry point (cli.app.run), never by an in-process caller such as a test.
FREEZE_AFTER_LOAD = False


def open_plan(plan: Path | None, *, cached: bool = True) -> LoadedPlan:
    """The plan (--plan, else the bundled one), checked, or from the cache when ``cached``."""
    loaded = load_plan(plan if plan is not None else bundled_plan_path(), cache_dir() if cached else None)
    if FREEZE_AFTER_LOAD:
        # The plan lives as long as the process: keep the cyclic GC from walking it again and
        # again while a large agenda is built (as mypy does for its own long-lived objects).
        import gc

        gc.freeze()
    return loaded


def completion_plan(ctx: typer.Context) -> Plan | None:
    """The plan shell completion offers words from (--plan, COMMSPLAN_PLAN, else the bundled
    one), or None when it cannot be read: completion never prints a traceback into the shell."""
    given = ctx.params.get("plan") or os.environ.get("COMMSPLAN_PLAN") or None
    try:
        return open_plan(Path(given) if given else None).plan
    except Exception:
        return None


def session(plan: Path | None, log: str | None, now: str | None, *, notes: list[str] | None = None) -> Session:
    """The plan, the clock and the log for a command; ``notes`` collects its warnings instead
    of printing them (a mailed digest puts them in its body)."""
    loaded = open_plan(plan)
    zone = ZoneInfo(loaded.plan.meta.timezone)
    clock = dt.datetime.now(zone)  # the one read of the real clock
    moment = resolve_now(now, zone) if now is not None else clock
    # A moment outside the plan's period is said in the output of the commands it concerns
    # (rules.period), where a reader sees it, not in a stderr line that scrolls away.
    return Session(loaded, moment, log, notes=notes, clock=clock, log_origin=_LOG_ORIGIN.get())


def renderer(json: bool = False, fmt: str = "text") -> Renderer:
    """The one choice of output for a command: --json wins, else --format (text, markdown, csv).
    Each renderer is imported only when chosen: JSON output never loads rich's layout."""
    if json or fmt == "json":
        from commsplan.render.jsonout import JsonRenderer

        return JsonRenderer()
    if fmt == "csv":
        from commsplan.render.csvout import CsvRenderer

        return CsvRenderer()
    from commsplan.render.text import MarkdownRenderer, TextRenderer

    return MarkdownRenderer() if fmt == "markdown" else TextRenderer()


def login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers, cron)
        return "unknown"
