"""Build only the command being run, and read its options without pydantic.

Typer turns every command's function into a Click command when the app starts: for commsplan's
21 commands that meant importing every command module and inspecting every signature on each
call, though a call runs one command. The root group here knows the commands by name and
module (``COMMANDS``) and builds a command the first time Click asks for it: running ``due``
builds ``due``; ``--help`` builds them all, to list them.

Typer also reads each option's value through a pydantic TypeAdapter, built on first use:
``--audience SNB`` alone imported pydantic and built a validator. For the kinds of value
commsplan's options take (text, whole numbers in a range, paths, dates in given formats,
choices) the value is read here with the same rules; anything else, and any value these rules
do not accept, goes to Typer's own reading, so errors read exactly as Typer words them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer._coercion import RuntimeParam, build_runtime_param

from commsplan.cli.common import CommsplanGroup

# Every command, in the order `commsplan --help` lists them, and the module that defines it
# (tests/test_fast_path.py checks this against the modules' own lists).
COMMANDS: dict[str, str] = {
    "due": "agenda_cmds",
    "digest": "agenda_cmds",
    "calendar": "agenda_cmds",
    "report": "agenda_cmds",
    "done": "log_cmds",
    "skip": "log_cmds",
    "track": "log_cmds",
    "undo": "log_cmds",
    "log": "log_cmds",
    "info": "log_cmds",
    "validate": "plan_cmds",
    "who": "plan_cmds",
    "list": "plan_cmds",
    "show": "plan_cmds",
    "schema": "plan_cmds",
    "init": "plan_cmds",
    "renew": "plan_cmds",
    "diff": "plan_cmds",
    "incident": "incident_cmds",
}
GROUPS = {"incident"}  # command groups of their own (`commsplan incident open`)


def command_app(name: str) -> typer.Typer:
    """The Typer app of the module that defines command ``name``."""
    module = importlib.import_module(f"commsplan.cli.{COMMANDS[name]}")
    found: typer.Typer = module.app
    return found


def build(name: str, root: typer.Typer) -> Any:
    """The Click command (or group) ``name``, built as Typer would have built it in the app."""
    sub = command_app(name)
    if name in GROUPS:
        command: Any = typer.main.get_group_from_info(
            typer.models.TyperInfo(sub, name=name),
            pretty_exceptions_short=root.pretty_exceptions_short,
            rich_markup_mode=root.rich_markup_mode,
            suggest_commands=root.suggest_commands,
        )
    elif group := next((g for g in sub.registered_groups if g.name == name), None):
        command = typer.main.get_group_from_info(  # a group the module adds to its app (`log`)
            group,
            pretty_exceptions_short=root.pretty_exceptions_short,
            rich_markup_mode=root.rich_markup_mode,
            suggest_commands=root.suggest_commands,
        )
    else:
        info = next(
            c
            for c in sub.registered_commands
            if (c.name or typer.main.get_command_name(c.callback.__name__ if c.callback else "")) == name
        )
        command = typer.main.get_command_from_info(
            info, pretty_exceptions_short=root.pretty_exceptions_short, rich_markup_mode=root.rich_markup_mode
        )
    return command


class _Commands(dict[str, Any]):
    """The root group's commands by name, each built on first use (Click and tests read the
    group's ``commands`` as a dict)."""

    def __init__(self, root: typer.Typer, built: Mapping[str, Any]) -> None:
        super().__init__({name: None for name in COMMANDS})
        super().update(built)
        self.root = root

    def __getitem__(self, name: str) -> Any:
        command = super().__getitem__(name)
        if command is None:
            command = build(name, self.root)
            read_options_plainly(command)
            super().__setitem__(name, command)
        return command

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self:
            return default
        return self[name]

    def items(self) -> Any:
        return [(name, self[name]) for name in self]

    def values(self) -> Any:
        return [self[name] for name in self]


class LazyGroup(CommsplanGroup):
    """A group whose commands are named up front and built when first asked for."""

    root: typer.Typer | None = None  # the app this group is the command of (set by cli.app)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.root is not None
        self.commands = _Commands(self.root, self.commands)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        read_options_plainly(self, ctx)  # the app's own options (--version, completion), added after __init__
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is not None:
            read_options_plainly(command, ctx)  # its --help, made with this context's option names
        return command


# --- option values without pydantic ----------------------------------------------------------

_MISSED = object()


@dataclass(frozen=True)
class _Refused:
    """A value the plain reading can say is wrong, and why (Click puts the option's name first)."""

    reason: str


_WHOLE = re.compile(r"[+-]?[0-9]+")


class PlainParam(RuntimeParam):
    """Reads a value as Typer's TypeAdapter would, for the simple kinds; hands anything else to
    Typer's own reading (built only then)."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            result = self._plain(value, param, ctx)
        except Exception:
            result = _MISSED
        if isinstance(result, _Refused):  # in words a person reads, not a validator's
            raise typer.BadParameter(result.reason, ctx=ctx, param=param)
        if result is _MISSED:
            typer_reading = build_runtime_param(param.type_descriptor)
            param._runtime_param = typer_reading
            return typer_reading._coerce_value(value, param=param, ctx=ctx)
        return result

    def _plain(self, value: Any, param: Any, ctx: Any) -> Any:
        annotation, info = self.annotation, self.parameter_info
        if annotation is str:
            return value if isinstance(value, str) else _MISSED
        if annotation == list[str]:  # a repeated option (digest --to A --to B)
            if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
                return list(value)
            return _MISSED
        if annotation is int:
            if info.clamp:
                return _MISSED
            if isinstance(value, int) and not isinstance(value, bool):
                number = value  # a default (digest's --days 7): taken as it is
            elif not isinstance(value, str):
                return _MISSED
            elif not _WHOLE.fullmatch(value.strip()):
                return _Refused(f"'{value}' is not a whole number.")
            else:
                number = int(value)
            if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
                low = "" if info.min is None else f"{info.min}<="
                high = "" if info.max is None else f"<={info.max}"
                return _Refused(f"{number} is not in the range {low}x{high}.")
            return number
        if annotation is dt.datetime:
            if not info.formats or not isinstance(value, str):
                return _MISSED
            for pattern in info.formats:
                try:
                    return dt.datetime.strptime(value, pattern)
                except ValueError:
                    continue
            if list(info.formats) == ["%Y-%m-%d"]:
                return _Refused(f"'{value}' is not a date in the form YYYY-MM-DD (e.g. 2020-10-26).")
            return _MISSED  # other formats: in Typer's own words
        from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path
        from typer._typing import is_literal_type, literal_values

        if is_literal_type(annotation):
            choices = literal_values(annotation)
            return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
        if isinstance(value, str) and routes_to_path(annotation, info):
            path_type: Any = info.path_type
            if path_type is None and isinstance(annotation, type) and issubclass(annotation, Path):
                path_type = annotation
            if not value:
                return _MISSED
            if isinstance(path_type, type) and issubclass(path_type, Path):
                value = path_type(value)  # what pydantic's reading of text as a path gives
            return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)
        return _MISSED


def read_options_plainly(command: Any, ctx: Any = None) -> None:
    """Give each option of ``command`` (and of its subcommands) the plain reading; with ``ctx``,
    --help too (made here with the help option names of ``ctx``, as Click makes it on first use)."""
    help_option = command.get_help_option(ctx) if ctx is not None else None
    for param in [*getattr(command, "params", []), *([help_option] if help_option is not None else [])]:
        descriptor = getattr(param, "type_descriptor", None)
        # (an option Typer has not read yet; a Typer whose options work otherwise is left alone)
        if (
            descriptor is not None
            and descriptor.file_annotation is None
            and getattr(param, "_runtime_param", 0) is None
        ):
            param._runtime_param = PlainParam(
                annotation=descriptor.annotation, parameter_info=descriptor.parameter_info
            )
    subcommands = getattr(command, "commands", None)
    if subcommands is not None and not isinstance(subcommands, _Commands):
        for sub in subcommands.values():
            read_options_plainly(sub, ctx)
