"""The README's crontab lines, run as a real cron daemon runs them: cron's `%` rule applied,
`sh -c` in an environment emptied by `env -i` and given only what cron gives (HOME, LOGNAME,
SHELL, and the crontab's own PATH and MAILTO). Only `sendmail` is a stand-in, and the
README's venv path (/opt/commsplan/bin) is this test's venv."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import ROOT

README = ROOT / "README.md"
VENV_IN_README = "/opt/commsplan/bin"
# The real clock runs here: within a plan's period the subject counts what is owed; after it,
# it says the plan has ended (the bundled plan ran 2020-21).
SUBJECT = re.compile(
    r"commsplan slt \w{3} \d{1,2} \w{3}: ((\d+ incidents? \(\d+ to notify\), )?\d+ overdue, \d+ due today"
    r"|the plan ended \d{1,2} \w{3} \d{4}, nothing falls due)"
)
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


@dataclass(frozen=True)
class Job:
    schedule: str
    command: str  # as the shell receives it
    stdin: str | None  # what cron feeds the job (the text after the first unescaped %)


def cron_percent_rule(text: str) -> tuple[str, str | None]:
    """What cron makes of a job's text: `\\%` is a `%`; the first bare `%` ends the command
    and the rest, each further `%` a new line, is the job's standard input."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("\\%", i):
            out.append("%")
            i += 2
        elif text[i] == "%":
            return "".join(out), text[i + 1 :].replace("%", "\n") + "\n"
        else:
            out.append(text[i])
            i += 1
    return "".join(out), None


def crontab(text: str) -> tuple[dict[str, str], list[Job]]:
    env: dict[str, str] = {}
    jobs: list[Job] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = ASSIGNMENT.match(line)
        if assignment:
            env[assignment[1]] = assignment[2]
            continue
        fields = line.split(None, 5)
        command, stdin = cron_percent_rule(fields[5])
        jobs.append(Job(" ".join(fields[:5]), command, stdin))
    return env, jobs


def readme_crontabs() -> list[str]:
    return re.findall(r"^```cron\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_percent_rule() -> None:
    assert cron_percent_rule("date +\\%F") == ("date +%F", None)
    assert cron_percent_rule("mail -s hi x%line one%line two") == ("mail -s hi x", "line one\nline two\n")


def test_an_unescaped_percent_breaks_a_line_as_cron_would() -> None:
    # the README's old line: cron cut it at the first %, and the shell got half a quote
    old = """out=$(echo x 2>&1); printf '%s\\n' "$out" | cat"""
    command, stdin = cron_percent_rule(old)
    assert command == "out=$(echo x 2>&1); printf '"
    result = subprocess.run(["sh", "-c", command], input=stdin, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert result.stderr


def test_the_readme_has_crontab_lines() -> None:
    tables = readme_crontabs()
    assert len(tables) == 1
    _env, jobs = crontab(tables[0])
    assert len(jobs) == 3
    assert any("\\%" in line for line in tables[0].splitlines())  # one line shows the escape


def _run(job: Job, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c", job.command],
        input=job.stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_readme_crontab_line_runs_under_cron_rules(tmp_path: Path) -> None:
    venv_bin = Path(sys.executable).parent
    if shutil.which("commsplan", path=str(venv_bin)) is None:
        pytest.skip(f"commsplan is not installed in {venv_bin} (pip install -e .)")
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    sendmail = fake_bin / "sendmail"
    # a stand-in that keeps what it was given: its arguments, and the message on stdin
    sendmail.write_text('#!/bin/sh\necho "$@" > "$HOME/sendmail.args"\ncat > "$HOME/sendmail.eml"\n')
    sendmail.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()

    table_env, jobs = crontab(readme_crontabs()[0])
    assert table_env["PATH"].split(":")[0] == VENV_IN_README
    env = {"HOME": str(home), "LOGNAME": "cron-test", "SHELL": "/bin/sh", **table_env}
    env["PATH"] = f"{fake_bin}:" + table_env["PATH"].replace(VENV_IN_README, str(venv_bin))

    plain, mailed, archived = jobs
    result = _run(plain, env)
    assert result.returncode == 0, result.stderr
    # cron mails stdout and stderr; the digest comes first in it
    assert SUBJECT.fullmatch(result.stdout.splitlines()[0]), result.stdout[:200]

    result = _run(mailed, env)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")  # nothing for cron to mail besides the message
    assert (home / "sendmail.args").read_text() == "-t\n"
    message = email.message_from_bytes((home / "sendmail.eml").read_bytes(), policy=email.policy.default)
    # a Subject over 69 characters is folded onto the next line (RFC 5322's 78): unfolded, it
    # keeps that line's leading space, which readers drop
    assert SUBJECT.fullmatch(str(message["Subject"]).lstrip()), message["Subject"]
    assert message["To"] == "east-area-slt@example.org"
    assert message.get_content_type() == "multipart/alternative"

    result = _run(archived, env)
    assert result.returncode == 0, result.stderr
    [kept] = (home / "digests").iterdir()
    assert re.fullmatch(r"slt-\d{4}-\d{2}-\d{2}\.md", kept.name)
    first = kept.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and SUBJECT.fullmatch(first[2:]), first
