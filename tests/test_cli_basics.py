"""The interface contract that every command shares."""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys

import pytest
import typer
from typer.core import TyperGroup

from commsplan import __version__
from commsplan.cli import app

from .helpers import Cli

ROOT_GROUP = typer.main.get_command(app)
assert isinstance(ROOT_GROUP, TyperGroup)
# `log` is a command with commands of its own (setup-db, export, import)
COMMANDS = sorted(
    name for name, c in ROOT_GROUP.commands.items() if not isinstance(c, TyperGroup) or c.invoke_without_command
)
INCIDENT_GROUP = ROOT_GROUP.commands["incident"]
assert isinstance(INCIDENT_GROUP, TyperGroup)
INCIDENT = sorted(INCIDENT_GROUP.commands)
LOG_GROUP = ROOT_GROUP.commands["log"]
assert isinstance(LOG_GROUP, TyperGroup)
LOG = [f"log {c}" for c in sorted(LOG_GROUP.commands)]

# Which shared options each command takes: exactly those it uses (GUIDE, interface contract).
READS_PLAN = {"validate", "who", "list", "show", "due", "digest", "calendar", "report", "done", "skip", "undo", "track"}
READS_PLAN |= {"log", "info", *(f"incident {c}" for c in INCIDENT)}
USES_LOG = {"due", "digest", "calendar", "report", "done", "skip", "undo", "track", "log", "info"}
USES_LOG |= {f"incident {c}" for c in INCIDENT}
READS_PLAN |= {"log export", "log import"}  # the default log is the plan's
USES_LOG |= set(LOG)
USES_NOW = USES_LOG - {"log", *LOG}


def test_version_same_from_module_and_script() -> None:
    module = subprocess.run([sys.executable, "-m", "commsplan", "--version"], capture_output=True, text=True)
    assert module.returncode == 0
    assert module.stdout == f"commsplan {__version__}\n"
    script = shutil.which("commsplan", path=os.path.dirname(sys.executable)) or shutil.which("commsplan")
    assert script is not None, "the commsplan script is installed"
    installed = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert installed.stdout == module.stdout


@pytest.mark.parametrize("command", [*COMMANDS, *(f"incident {c}" for c in INCIDENT), *LOG])
def test_every_command_has_help_with_an_example(cli: Cli, command: str) -> None:
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout, f"'commsplan {command} --help' shows no example"


@pytest.mark.parametrize("command", [*COMMANDS, *(f"incident {c}" for c in INCIDENT), *LOG])
def test_every_command_takes_the_shared_options_it_uses_and_no_other(cli: Cli, command: str) -> None:
    help_text = cli(*command.split(), "--help").stdout
    for option, users in (("--plan", READS_PLAN), ("--log", USES_LOG), ("--now", USES_NOW)):
        assert (option in help_text) == (command in users), f"{command} and {option}"


def test_every_command_is_listed_here() -> None:
    assert set(COMMANDS) == {"validate", "who", "list", "show", "due", "digest", "calendar", "report", "done"} | {
        "skip",
        "undo",
        "track",
        "log",
        "info",
        "schema",
        "init",
        "renew",
        "diff",
    }
    assert LOG == ["log export", "log import", "log setup-db"]


def test_unknown_option_is_a_usage_error(cli: Cli) -> None:
    result = cli("due", "--bogus")
    assert result.exit_code == 2
    assert "No such option: --bogus" in result.stderr


def test_bad_now_is_a_usage_error(cli: Cli) -> None:
    result = cli("due", "--now", "2020-13-01")
    assert result.exit_code == 2
    assert "'2020-13-01' is not an ISO 8601 date or date-time" in result.stderr


def test_no_command_shows_help(cli: Cli) -> None:
    result = cli()
    assert result.exit_code == 2  # click's convention for a missing command
    assert "due" in result.output and "who" in result.output


def test_no_ansi_when_piped() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = subprocess.run(
        [sys.executable, "-m", "commsplan", "due", "--week", "--now", "2020-10-26"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0
    assert not re.search(r"\x1b\[", out.stdout)


def test_running_commands_in_process_leaves_the_garbage_collector_alone(cli: Cli) -> None:
    """Only the installed entry point freezes the plan out of the GC's way, never a caller
    (a test run, an embedding program) that goes on after the command."""
    before = (gc.get_freeze_count(), gc.get_threshold())
    assert cli("due", "--now", "2020-10-26").exit_code == 0
    assert cli("who", "--audience", "SNB").exit_code == 0
    assert (gc.get_freeze_count(), gc.get_threshold()) == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["log", "--since", "notadate"],
            "Invalid value for '--since': 'notadate' is not a date in the form YYYY-MM-DD",
        ),
        (["due", "--days", "0"], "Invalid value for '--days': 0 is not in the range 1<=x<=3660."),
        (["due", "--days", "seven"], "Invalid value for '--days': 'seven' is not a whole number."),
    ],
)
def test_a_wrong_value_is_refused_in_plain_words(cli: Cli, args: list[str], said: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert said in " ".join(result.stderr.split())
    assert "Value error" not in result.stderr and "Input should" not in result.stderr
