from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from .helpers import Cli, flat


def due_json(cli: Cli, *args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    result = cli("due", "--json", *args, env=env)
    assert result.exit_code == 0, result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)
    return items


def test_week_lists_overdue_first_then_the_week(cli: Cli) -> None:
    items = due_json(cli, "--week", "--now", "2020-10-28")
    statuses = [i["status"] for i in items]
    first_open = statuses.index("open")
    assert set(statuses[:first_open]) == {"overdue"}
    assert "overdue" not in statuses[first_open:]
    keys = {(i["id"], i["occurrence"]): i for i in items}
    snb = keys[("snb-quarterly-meeting", "2020-Q4")]
    assert snb == {
        "id": "snb-quarterly-meeting",
        "occurrence": "2020-Q4",
        "audience": "snb",
        "owner": "snt-inspectors",
        "channels": ["meeting"],
        "what": "Ward priorities and regular updates of crime statistics",
        "opens": "2020-10-01",
        "due": "2020-12-31",
        "status": "open",
    }
    assert keys[("snb-quarterly-meeting", "2020-Q3")]["days_late"] == 28
    assert keys[("cp-halloween", "halloween-2020")]["status"] == "open"
    assert keys[("ward-street-briefing", "2020-W44")]["due"] == "2020-11-01"
    # a daily item: one occurrence per day of the week, none doubled
    daily = [i for i in items if i["id"] == "ward-social-media" and i["status"] != "overdue"]
    assert [i["occurrence"] for i in daily] == [f"2020-10-{d}" for d in (28, 29, 30, 31)] + ["2020-11-01"]


def test_human_view_collapses_daily_items_and_groups_sections(cli: Cli) -> None:
    result = cli("due", "--week", "--now", "2020-10-28")
    out = result.stdout.splitlines()
    assert out[0] == "Due this week: Mon 26 Oct 2020 to Sun 1 Nov 2020"
    assert out[1] == "East Area BCU · now Wed 28 Oct 2020 00:00 GMT"
    assert out[3] == "OVERDUE (497)"
    assert "  1 Apr   ward-social-media · 210 overdue, 1 Apr to 27 Oct" in out
    assert "  29 Oct  ward-social-media · 4 to come, 29 Oct to 1 Nov" in out
    assert "  31 Oct  cp-halloween · halloween-2020" in out
    assert "ON REQUEST, no schedule (3)" in out
    assert all(len(line) <= 80 and line == line.rstrip() for line in out)


def test_overdue_only(cli: Cli) -> None:
    items = due_json(cli, "--overdue", "--now", "2020-10-28", "--audience", "SNB")
    assert [(i["occurrence"], i["status"]) for i in items] == [("2020-Q2", "overdue"), ("2020-Q3", "overdue")]
    human = cli("due", "--overdue", "--now", "2020-10-28", "--audience", "SNB").stdout
    assert human.startswith("Overdue since the plan began (Wed 1 Apr 2020)\n")
    assert "OPEN" not in human and "ON REQUEST" not in human


@pytest.mark.parametrize(
    ("args", "heading", "last"),
    [
        (("--today",), "Due today: Wed 28 Oct 2020", "2020-10-28"),
        (("--week",), "Due this week: Mon 26 Oct 2020 to Sun 1 Nov 2020", "2020-11-01"),
        (("--month",), "Due this month: Thu 1 Oct 2020 to Sat 31 Oct 2020", "2020-10-31"),
        (("--days", "3"), "Due the next 3 days: Wed 28 Oct 2020 to Fri 30 Oct 2020", "2020-10-30"),
        (("--until", "2020-11-05"), "Due until 2020-11-05: Wed 28 Oct 2020 to Thu 5 Nov 2020", "2020-11-05"),
    ],
)
def test_windows(cli: Cli, args: list[str], heading: str, last: str) -> None:
    items = due_json(cli, *args, "--now", "2020-10-28T10:00", "--audience", "ward panel", "--channel", "social")
    # the window's past days are already overdue; its later days are open or to come
    later = [i["due"] for i in items if i["status"] != "overdue"]
    assert later[0] == "2020-10-28" and later[-1] == last
    overdue = [i["due"] for i in items if i["status"] == "overdue"]
    assert overdue[0] == "2020-04-01" and overdue[-1] == "2020-10-27"
    human = cli("due", *args, "--now", "2020-10-28T10:00", "-a", "ward panel", "-c", "social").stdout
    assert human.splitlines()[0] == heading


def test_window_conflicts_and_bad_until_are_usage_errors(cli: Cli) -> None:
    both = cli("due", "--week", "--month", "--now", "2020-10-28")
    assert both.exit_code == 2
    assert both.stderr.endswith("commsplan: error: choose one window, not --week and --month\n")
    before = cli("due", "--until", "2020-01-01", "--now", "2020-10-28")
    assert before.exit_code == 2
    assert "--until 2020-01-01 is before now (2020-10-28)" in before.stderr
    assert cli("due", "--days", "0").exit_code == 2


def test_now_with_a_time_and_an_offset(cli: Cli) -> None:
    # 23:30 UTC on 31 Oct 2020 is still 31 Oct in London (GMT); 23:30 in New York is 1 Nov in London
    utc = due_json(cli, "--today", "--now", "2020-10-31T23:30:00+00:00", "-a", "ward panel", "-c", "social")
    ny = due_json(cli, "--today", "--now", "2020-10-31T23:30:00-04:00", "-a", "ward panel", "-c", "social")
    assert [i["due"] for i in utc if i["status"] == "open"] == ["2020-10-31"]
    assert [i["due"] for i in ny if i["status"] == "open"] == ["2020-11-01"]


def test_outside_the_period_warns_and_still_computes(cli: Cli) -> None:
    result = cli("due", "--today", "--now", "2026-11-29", "-a", "SNB")
    assert result.exit_code == 0
    assert flat(result.stderr) == (
        "commsplan: warning: 2026-11-29 is outside the plan's period (2020-04-01 to 2021-03-31); "
        "the schedule is computed all the same\n"
    )
    assert "  31 Dec  snb-quarterly-meeting · 2026-Q4" in result.stdout


def test_now_from_the_environment(cli: Cli) -> None:
    items = due_json(cli, "--today", "-a", "SNB", env={"COMMSPLAN_NOW": "2020-10-28"})
    assert items[-1]["occurrence"] == "2020-Q4"


def test_due_json_is_valid_json_only(cli: Cli) -> None:
    result = cli("due", "--json", "--now", "2020-10-28")
    json.loads(result.stdout)
    assert result.stdout.lstrip().startswith("[")


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"])
def test_results_do_not_depend_on_the_machine_time_zone(tz: str) -> None:
    def run(zone: str) -> str:
        env = {**os.environ, "TZ": zone}
        args = [sys.executable, "-m", "commsplan", "due", "--json", "--week", "--now", "2020-10-25T00:30"]
        return subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout

    assert run(tz) == run("Europe/London")


# --- the Met's Summer, Autumn and Winter Nights --------------------------------------------------


def seasonal(cli: Cli, *args: str) -> list[tuple[str, str, str]]:
    return [(i["occurrence"], i["status"], i["due"]) for i in due_json(cli, *args) if i["id"] == "cp-seasonal-advice"]


def test_no_autumn_campaign_at_the_start_of_september(cli: Cli) -> None:
    # Autumn Nights 2020 began on Wed 21 Oct: nothing of it is due or open on 1 September
    assert seasonal(cli, "--week", "--now", "2020-09-01") == [("summer-nights-2020", "overdue", "2020-07-20")]
    text = cli("due", "--month", "--now", "2020-09-01", "--audience", "CP").stdout
    assert "autumn-nights" not in text and "winter-nights" not in text


def test_autumn_nights_opens_in_the_week_of_19_october(cli: Cli) -> None:
    assert ("autumn-nights-2020", "open", "2020-10-21") in seasonal(cli, "--week", "--now", "2020-10-19")
    lines = cli("due", "--week", "--now", "2020-10-19", "--audience", "CP").stdout.splitlines()
    at = lines.index("  21 Oct  cp-seasonal-advice · autumn-nights-2020")
    assert lines[at + 1 : at + 3] == [
        "          Crime prevention advice for the Met's Summer, Autumn and Winter Nights",
        "          operations",
    ]
    assert lines.index("DUE THIS WEEK (8)") < at < lines.index("OPEN THIS WEEK, DUE LATER (3)")


def test_winter_nights_falls_due_on_30_november_not_when_the_clocks_go_back(cli: Cli) -> None:
    assert not [k for k, *_ in seasonal(cli, "--week", "--now", "2020-10-26") if k.startswith("winter")]
    assert seasonal(cli, "--week", "--now", "2020-11-16") == [
        ("summer-nights-2020", "overdue", "2020-07-20"),
        ("autumn-nights-2020", "overdue", "2020-10-21"),
        ("winter-nights-2020", "open", "2020-11-30"),
    ]
    assert ("winter-nights-2020", "open", "2020-11-30") in seasonal(cli, "--week", "--now", "2020-11-30")


def test_a_campaign_with_no_date_this_year_is_said_once(cli: Cli) -> None:
    # "We are Festival" has no date in the source: due says so, once, and never guesses one
    out = cli("due", "--month", "--now", "2020-10-26", "--audience", "CP").stdout
    assert out.count("cp-we-are-festival") == 1
    lines = out.splitlines()
    at = lines.index("NO DATE THIS PLAN YEAR (1 Apr 2020 to 31 Mar 2021): add the dates to the plan")
    assert lines[at + 1] == "  cp-we-are-festival: We are Festival (Havering)"
    # filtered out with its audience
    assert "NO DATE" not in cli("due", "--now", "2020-10-26", "--audience", "SNB").stdout
    # the next plan year lists no Met operation yet either
    nxt = cli("due", "--now", "2021-04-06", "--audience", "CP").stdout
    assert "  cp-seasonal-advice: Summer Nights, Autumn Nights, Winter Nights" in nxt.splitlines()


def test_json_due_keeps_stdout_a_list_and_names_undated_campaigns_on_stderr(cli: Cli) -> None:
    result = cli("due", "--json", "--now", "2020-10-26", "--audience", "CP")
    assert isinstance(json.loads(result.stdout), list)
    assert flat(result.stderr) == (
        "commsplan: warning: no date this plan year (2020-04-01 to 2021-03-31) for cp-we-are-festival; "
        "add the dates to the plan\n"
    )
