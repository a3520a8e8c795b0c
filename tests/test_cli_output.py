"""Output as people and pipes meet it: 80 columns, any stdout encoding, a reader that goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import PLAN, Cli

NOW = "2020-10-27T22:30"


def seeded(cli: Cli) -> Cli:
    cli("done", "iag", "--occurrence", "2020-Q3", "--by", "Insp Khan", "--note", "Minutes " * 12, "--now", NOW)
    cli("skip", "ward-panel", "--occurrence", "2020-Q2", "--reason", "Cancelled: lockdown " * 5, "--now", NOW)
    cli("incident", "open", "Disorder at the junction of Ilford Lane and the High Road", "--level", "major", "--area",
        "Clementswood ward, Redbridge", "--now", "2020-10-26T23:10")  # fmt: skip
    cli("incident", "notify", "20201026-1", "1", "--note", "Chair reached by phone " * 4, "--now", NOW)
    cli("incident", "note", "20201026-1", "Cordon lifted " * 8, "--now", NOW)
    return cli


TEXT_VIEWS = [
    ["due", "--week"],
    ["due", "--month", "--all"],
    ["due", "--overdue"],
    ["who"],
    ["list"],
    ["show", "partners-incident-notification"],
    ["show", "iag"],
    ["validate", "--explain"],
    ["log"],
    ["log", "--verify"],
    ["info"],
    ["digest"],
    ["digest", "--format", "text", "--owner", "SLT"],
    ["report"],
    ["report", "--by", "owner"],
    ["incident", "list", "--all"],
    ["incident", "show", "20201026-1"],
    ["who", "--audience", "Resid"],  # an ambiguity: the error lists the candidates
    ["done", "snb"],  # an ambiguity among activities
]


@pytest.mark.parametrize("args", TEXT_VIEWS, ids=lambda a: " ".join(a))
def test_every_text_view_fits_80_columns(cli: Cli, args: list[str]) -> None:
    seeded(cli)
    now = [] if args[0] in ("who", "list", "show", "validate", "log") else ["--now", NOW]
    result = cli(*args, *now)
    assert result.exit_code in (0, 1), result.stderr
    for stream in (result.stdout, result.stderr):
        # a path alone on its line is not broken (people copy it), whatever its length
        long = [line for line in stream.splitlines() if len(line) > 80 and " " in line.strip()]
        assert long == []


def _run(args: list[str], tmp_path: Path, encoding: str) -> tuple[int, str, str]:
    """(status, stdout, stderr) of the command with stdout in ``encoding``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSPLAN_")}
    env.update(COMMSPLAN_LOG=str(tmp_path / "log.jsonl"), COMMSPLAN_CACHE_DIR=str(tmp_path / "cache"))
    env["PYTHONIOENCODING"] = encoding
    done = subprocess.run([sys.executable, "-m", "commsplan", *args], capture_output=True, env=env)
    return done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stdout_that_cannot_encode_gets_ascii_not_a_traceback(tmp_path: Path, encoding: str) -> None:
    for args in (["due", "--now", "2020-10-26"], ["report", "--now", "2020-10-26"], ["show", "iag"]):
        status, _, errors = _run(args, tmp_path, encoding)
        assert status == 0, errors
        assert "Traceback" not in errors
    _, due, _ = _run(["due", "--now", "2020-10-26", "-a", "SNB"], tmp_path, "ascii")
    assert "East Area BCU - now Mon 26 Oct 2020 00:00 GMT" in due
    _, report, _ = _run(["report", "--now", "2020-10-26"], tmp_path, "ascii")
    assert "........" in report  # the bar's light shade, in ASCII


CLOSED_PIPE = [
    ["due", "--now", "2020-10-26"],
    ["due", "--json", "--now", "2020-10-26"],
    ["who"],
    ["list", "--json"],
    ["show", "iag"],
    ["validate"],
    ["schema"],
    ["log"],
    ["info"],
    ["digest", "--now", "2020-10-26"],
    ["report", "--csv", "--now", "2020-10-26"],
    ["calendar", "--now", "2020-10-26"],
    ["incident", "list"],
    ["done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26"],
]


@pytest.mark.parametrize("args", CLOSED_PIPE, ids=lambda a: " ".join(a))
def test_a_reader_that_goes_away_ends_every_command_the_same_way(tmp_path: Path, args: list[str]) -> None:
    """`commsplan ... | head -1`: no traceback, no "Exception ignored", the status of SIGPIPE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSPLAN_")}
    env.update(COMMSPLAN_LOG=str(tmp_path / "log.jsonl"), COMMSPLAN_CACHE_DIR=str(tmp_path / "cache"))
    env["COMMSPLAN_PLAN"] = str(PLAN)
    (tmp_path / "log.jsonl").touch(mode=0o600)  # not "started a new log at ..." on stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "commsplan", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first byte is written
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, errors
    assert errors == ""
