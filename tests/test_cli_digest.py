"""The digest, as cron runs it and as a mail reader sees it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .helpers import BOTH, Cli, flat

NOW = "2020-10-27T07:00"


def seed(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    cli("done", "cmg", "--occurrence", "2020-Q4", "--now", "2020-10-26T11:00")
    cli("skip", "ward-panel", "--occurrence", "2020-Q3", "--reason", "Cancelled", "--now", "2020-10-26T12:00")
    cli("incident", "open", "Disorder, Ilford Lane", "--level", "major", "--now", "2020-10-26T23:10")


@BOTH
def test_digest_sections_in_order(cli: Cli) -> None:
    seed(cli)
    result = cli("digest", "--now", NOW, "--since", "2020-10-26")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "commsplan Tue 27 Oct: 1 incident (3 to notify), 105 overdue, 0 due today"
    headings = [line for line in lines if line and line == line.upper() and not line.startswith(" ")]
    assert headings == [
        "OPEN INCIDENTS (1)",
        "OVERDUE (105)",
        "DUE TODAY (0)",
        "TODAY, IF THERE IS SOMETHING TO SAY (2)",
        "COMING UP TO 2 NOV (8)",
        "BEING PREPARED (1)",
        "CAMPAIGNS STARTING SOON (1)",
    ]
    # Winter Nights 2020 starts Mon 30 Nov: its campaign opens 14 days before
    assert "  cp-seasonal-advice · winter-nights-2020: opens 16 Nov, due 30 Nov (Crime" in lines
    assert lines[-3] == "DONE SINCE MON 26 OCT 2020 00:00 GMT: 2, 1 of them late; 1 skipped"
    assert lines[-1].startswith("Log head: 4:")  # a witness of the log, for log --verify --head
    assert "  20201026-1 Major incident, open 7 h 50 min: Disorder, Ilford Lane" in lines


def test_digest_for_one_owner(cli: Cli) -> None:
    seed(cli)
    result = cli("digest", "--owner", "Comms Team", "--now", NOW, "--since", "2020-10-26", "--days", "14")
    lines = result.stdout.splitlines()
    # a major incident with no media query asks nothing of the comms team (no DMC referral)
    assert lines[0].startswith("commsplan comms-team Tue 27 Oct: 10 overdue")
    assert "cp-bonfire-night" in result.stdout and "ward-street-briefing" not in result.stdout
    cli("incident", "also", "20201026-1", "media-enquiry", "--now", "2020-10-27T06:30")
    result = cli("digest", "--owner", "Comms Team", "--now", NOW, "--since", "2020-10-26", "--days", "14")
    assert result.stdout.startswith("commsplan comms-team Tue 27 Oct: 1 incident (2 to notify)")
    assert "[ ] 5. Media queries about a critical or major incident are referred to DMC." in flat(result.stdout)


def test_digest_json_and_markdown(cli: Cli) -> None:
    seed(cli)
    data = json.loads(cli("digest", "--json", "--now", NOW, "--since", "2020-10-26").stdout)
    assert data["subject"].startswith("commsplan Tue 27 Oct")
    assert data["done_since"] == {"since": "2020-10-26T00:00:00+00:00", "done": 2, "late": 1, "skipped": 1}
    assert [s["id"] for s in data["incidents"][0]["pending"]][:1] == ["snb-chair-incident-contact"]
    md = cli("digest", "--format", "markdown", "--now", NOW, "--since", "2020-10-26").stdout
    assert md.startswith("# commsplan Tue 27 Oct")
    assert "\n## OVERDUE (105)\n- **5 Apr** la-problem-solving-group · 45 overdue" in md


def test_strict_exits_1_when_anything_is_overdue(cli: Cli) -> None:
    late = cli("digest", "--strict", "--now", NOW)
    assert late.exit_code == 1
    assert late.stderr.endswith("commsplan: error: 107 overdue (--strict)\n")
    early = cli("digest", "--strict", "--now", "2020-04-01T07:00")
    assert early.exit_code == 0


def test_the_last_digest_is_remembered(cli: Cli, tmp_path: Path) -> None:
    # without --now the real clock runs; a fresh log's digest marks its run beside the log
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    cli("digest")
    marker = cli.log.with_name(cli.log.name + ".digest-all")
    assert marker.exists()
    assert "DONE SINCE" in cli("digest").stdout


def test_installed_digest_under_cron(tmp_path: Path) -> None:
    """The installed command in cron's bare environment: plain text, 80 columns."""
    script = shutil.which("commsplan", path=os.path.dirname(sys.executable)) or shutil.which("commsplan")
    assert script
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COMMSPLAN_NOW": NOW}
    result = subprocess.run([script, "digest"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert not re.search("[\x1b\x07]", result.stdout)
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[0] == "commsplan Tue 27 Oct: 107 overdue, 0 due today"
    assert (Path(tmp_path) / ".local" / "share" / "commsplan").exists() is False  # reading makes no log
    tz = subprocess.run([script, "digest"], capture_output=True, text=True, env={**env, "TZ": "UTC"})
    assert tz.stdout == result.stdout


@BOTH
def test_done_since_counts_from_the_saved_marker(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    first = cli("digest", "--now", "2020-10-26T12:00", "--mark")
    assert first.stdout.splitlines()[-3] == "DONE SINCE SUN 25 OCT 2020 12:00 GMT: 1, 1 of them late"  # 24 h back
    cli("done", "cmg", "--occurrence", "2020-Q4", "--now", "2020-10-26T15:00")
    cli("skip", "ward-panel", "--occurrence", "2020-Q3", "--reason", "Cancelled", "--now", "2020-10-26T16:00")
    second = cli("digest", "--now", "2020-10-27T07:00")
    assert second.stdout.splitlines()[-3] == "DONE SINCE MON 26 OCT 2020 12:00 GMT: 1; 1 skipped"
    # a replay without --mark leaves the marker where it was
    assert cli("digest", "--now", "2020-10-27T08:00").stdout.splitlines()[-3] == second.stdout.splitlines()[-3]


@BOTH
def test_incident_steps_for_a_team_are_the_same_in_due_and_digest(cli: Cli) -> None:
    """Duty officers send partners' notifications with the SLT: their cron mail must show them."""
    cli("incident", "open", "Flooding, Romford", "--level", "significant", "--now", "2020-10-26T22:00")
    due = json.loads(cli("due", "--json", "--owner", "duty-officers", "--now", "2020-10-27T07:00").stdout)
    digest = json.loads(cli("digest", "--json", "--owner", "duty-officers", "--now", "2020-10-27T07:00").stdout)
    in_due = [item["id"] for item in due["items"] if item["status"] == "incident"]
    in_digest = [step["id"] for incident in digest["incidents"] for step in incident["pending"]]
    assert in_due == in_digest == ["partners-incident-notification"]


def test_digest_says_once_which_campaigns_have_no_date_this_year(cli: Cli) -> None:
    text = cli("digest", "--now", NOW, "--no-mark").stdout
    assert text.count("We are Festival") == 1
    assert "  cp-we-are-festival: We are Festival (Havering)" in text.splitlines()
    data = json.loads(cli("digest", "--json", "--now", NOW, "--no-mark").stdout)
    assert data["undated"] == [
        {
            "id": "cp-we-are-festival",
            "dates": ["we-are-festival"],
            "plan_year": {"start": "2020-04-01", "end": "2021-03-31"},
        }
    ]


def test_a_campaign_being_prepared_stays_in_every_digest_until_due(cli: Cli) -> None:
    # Bonfire Night's campaign opens 22 Oct and is due 5 Nov: beyond a 3-day digest's window
    for day in ("2020-10-22", "2020-10-27", "2020-11-01"):
        out = cli("digest", "--days", "3", "--now", f"{day}T07:00", "--no-mark").stdout
        assert "\nBEING PREPARED (" in out, day
        assert "  cp-bonfire-night · bonfire-night-2020: opened 22 Oct, due 5 Nov (Crime" in out, day
    before = cli("digest", "--days", "3", "--now", "2020-10-21T07:00", "--no-mark").stdout
    assert "cp-bonfire-night · bonfire-night-2020: opened" not in before
    cli("done", "cp-bonfire", "--now", "2020-10-27T09:00")
    done = cli("digest", "--days", "3", "--now", "2020-10-28T07:00", "--no-mark").stdout
    assert "cp-bonfire-night · bonfire-night-2020: opened" not in done


def test_after_the_period_the_subject_says_the_plan_has_ended(cli: Cli) -> None:
    out = cli("digest", "--now", "2026-11-29T07:00", "--no-mark").stdout.splitlines()
    assert out[0] == "commsplan Sun 29 Nov: the plan ended 31 Mar 2021, nothing falls due"
    assert out[2] == "This plan ran 1 Apr 2020 to 31 Mar 2021; nothing falls due after it. Replay it"
    data = json.loads(cli("digest", "--json", "--now", "2026-11-29T07:00", "--no-mark").stdout)
    assert data["period"]["position"] == "after" and data["overdue"] == []


def test_json_and_another_format_are_refused_together(cli: Cli) -> None:
    result = cli("digest", "--json", "--format", "markdown", "--now", "2020-10-26T07:00")
    assert result.exit_code == 2
    assert "--json and --format markdown ask for two different outputs" in " ".join(result.stderr.split())
