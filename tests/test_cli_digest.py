"""The digest, as cron runs it and as a mail reader sees it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

NOW = "2020-10-27T07:00"


def seed(cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    cli("done", "cmg", "--occurrence", "2020-Q4", "--now", "2020-10-26T11:00")
    cli("skip", "ward-panel", "--occurrence", "2020-Q3", "--reason", "Cancelled", "--now", "2020-10-26T12:00")
    cli("incident", "open", "Disorder, Ilford Lane", "--level", "major", "--now", "2020-10-26T23:10")


def test_digest_sections_in_order(cli):
    seed(cli)
    result = cli("digest", "--now", NOW, "--since", "2020-10-26")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "commsplan Tue 27 Oct: 1 incident (4 to notify), 494 overdue, 2 due today"
    headings = [line for line in lines if line and line == line.upper() and not line.startswith(" ")]
    assert headings == [
        "OPEN INCIDENTS (1)",
        "OVERDUE (494)",
        "DUE TODAY (2)",
        "COMING UP TO 2 NOV (18)",
    ]
    assert lines[-3] == "DONE SINCE MON 26 OCT 2020 00:00 GMT: 2, 1 of them late; 1 skipped"
    assert lines[-1].startswith("Log head: 4:")  # a witness of the log, for log --verify --head
    assert "  20201026-1 major, open 7 h 50 min: Disorder, Ilford Lane" in lines


def test_digest_for_one_owner(cli):
    seed(cli)
    result = cli("digest", "--owner", "Comms Team", "--now", NOW, "--since", "2020-10-26", "--days", "14")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("commsplan comms-team Tue 27 Oct: 1 incident (1 to notify)")
    assert "cp-bonfire-night" in result.stdout and "ward-street-briefing" not in result.stdout


def test_digest_json_and_markdown(cli):
    seed(cli)
    data = json.loads(cli("digest", "--json", "--now", NOW, "--since", "2020-10-26").stdout)
    assert data["subject"].startswith("commsplan Tue 27 Oct")
    assert data["done_since"] == {"since": "2020-10-26T00:00:00+00:00", "done": 2, "late": 1, "skipped": 1}
    assert [s["id"] for s in data["incidents"][0]["pending"]][:1] == ["snb-chair-incident-contact"]
    md = cli("digest", "--format", "markdown", "--now", NOW, "--since", "2020-10-26").stdout
    assert md.startswith("# commsplan Tue 27 Oct")
    assert "\n## OVERDUE (494)\n- **1 Apr** cp-daily-updates · 209 overdue" in md


def test_strict_exits_1_when_anything_is_overdue(cli):
    late = cli("digest", "--strict", "--now", NOW)
    assert late.exit_code == 1
    assert late.stderr.endswith("commsplan: error: 496 overdue (--strict)\n")
    early = cli("digest", "--strict", "--now", "2020-04-01T07:00")
    assert early.exit_code == 0


def test_the_last_digest_is_remembered(cli, tmp_path):
    # without --now the real clock runs; a fresh log's digest marks its run beside the log
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    cli("digest")
    marker = cli.log.with_name(cli.log.name + ".digest-all")
    assert marker.exists()
    assert "DONE SINCE" in cli("digest").stdout


def test_installed_digest_under_cron(tmp_path):
    """The installed command in cron's bare environment: plain text, 80 columns."""
    script = shutil.which("commsplan", path=os.path.dirname(sys.executable)) or shutil.which("commsplan")
    assert script
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COMMSPLAN_NOW": NOW}
    result = subprocess.run([script, "digest"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert not re.search("[\x1b\x07]", result.stdout)
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[0] == "commsplan Tue 27 Oct: 496 overdue, 2 due today"
    assert (Path(tmp_path) / ".local" / "share" / "commsplan").exists() is False  # reading makes no log
    tz = subprocess.run([script, "digest"], capture_output=True, text=True, env={**env, "TZ": "UTC"})
    assert tz.stdout == result.stdout
