from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from .helpers import Cli, flat


def due_json(cli: Cli, *args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    result = cli("due", "--json", "--expand", *args, env=env)
    assert result.exit_code == 0, result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
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
    # a conditional daily duty: today's occurrence only, never overdue
    daily = [(i["occurrence"], i["status"]) for i in items if i["id"] == "ward-social-media"]
    assert daily == [("2020-10-28", "optional")]


def test_human_view_collapses_daily_items_and_groups_sections(cli: Cli) -> None:
    result = cli("due", "--week", "--now", "2020-10-28")
    out = result.stdout.splitlines()
    assert out[0] == "Due this week: Mon 26 Oct 2020 to Sun 1 Nov 2020"
    assert out[1] == "East Area BCU · now Wed 28 Oct 2020 00:00 GMT"
    assert out[3] == "OVERDUE (107)"
    assert "  5 Apr   ward-street-briefing · 30 overdue, 5 Apr to 25 Oct" in out
    assert "TODAY, IF THERE IS SOMETHING TO SAY (2)" in out
    assert "  28 Oct  ward-social-media · 2020-10-28 · if applicable, never overdue" in out
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
def test_windows(cli: Cli, args: tuple[str, ...], heading: str, last: str) -> None:
    items = due_json(cli, *args, "--now", "2020-10-28T10:00")
    # what falls due in the window is open or to come; nothing due after its last day but
    # what opens in it; the past is overdue; today's conditional duties are listed for today
    later = [i for i in items if i["status"] in ("open", "upcoming")]
    assert all(i["opens"] <= last for i in later)
    assert all(i["due"] >= "2020-10-28" for i in later)
    assert {i["due"] for i in items if i["status"] == "optional"} == {"2020-10-28"}
    assert max(i["due"] for i in items if i["status"] == "overdue") <= "2020-10-27"
    human = cli("due", *args, "--now", "2020-10-28T10:00").stdout
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
    assert [i["due"] for i in utc if i["status"] == "optional"] == ["2020-10-31"]
    assert [i["due"] for i in ny if i["status"] == "optional"] == ["2020-11-01"]


def test_after_the_period_due_says_so_first_and_lists_nothing_overdue(cli: Cli) -> None:
    result = cli("due", "--week", "--now", "2026-11-29")
    assert result.exit_code == 0
    assert result.stderr == ""
    out = result.stdout.splitlines()
    assert out[:4] == [
        "Due this week: Mon 23 Nov 2026 to Sun 29 Nov 2026",
        "This plan ran 1 Apr 2020 to 31 Mar 2021; nothing falls due after it. Replay it",
        "  with --now 2020-11-29, or roll it forward with 'commsplan renew'.",
        "East Area BCU · now Sun 29 Nov 2026 00:00 GMT",
    ]
    assert "Nothing overdue." in out
    assert "Nothing else due this week." in out
    assert "2026" not in "".join(out[4:]) and "2027" not in "".join(out[4:])
    document = json.loads(cli("due", "--json", "--expand", "--now", "2026-11-29").stdout)
    assert document["period"] == {
        "start": "2020-04-01",
        "end": "2021-03-31",
        "position": "after",
        "notice": "This plan ran 1 Apr 2020 to 31 Mar 2021; nothing falls due after it. Replay it with "
        "--now 2020-11-29, or roll it forward with 'commsplan renew'.",
    }
    assert [i["status"] for i in document["items"]] == []


def test_before_the_period_due_says_when_it_starts(cli: Cli) -> None:
    out = cli("due", "--week", "--now", "2020-03-02").stdout.splitlines()
    assert flat("\n".join(out[1:3])) == (
        "This plan runs 1 Apr 2020 to 31 Mar 2021; nothing falls due before it starts. "
        "Look ahead with --now 2020-04-01."
    )
    assert "Nothing overdue." in out


def test_within_the_period_there_is_no_notice(cli: Cli) -> None:
    document = json.loads(cli("due", "--json", "--expand", "--now", "2020-10-26").stdout)
    assert document["period"]["position"] == "within" and document["period"]["notice"] is None
    assert "This plan" not in cli("due", "--now", "2020-10-26").stdout


def test_now_from_the_environment(cli: Cli) -> None:
    items = due_json(cli, "--today", "-a", "SNB", env={"COMMSPLAN_NOW": "2020-10-28"})
    assert items[-1]["occurrence"] == "2020-Q4"


def test_due_json_is_valid_json_only(cli: Cli) -> None:
    result = cli("due", "--json", "--expand", "--now", "2020-10-28")
    document = json.loads(result.stdout)
    assert sorted(document) == [
        "counts_from",
        "expanded",
        "items",
        "now",
        "overdue",
        "overdue_count",
        "period",
        "undated",
        "window",
    ]
    assert document["window"] == {"start": "2020-10-26", "end": "2020-11-01", "label": "this week"}


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
    assert lines.index("DUE THIS WEEK (1)") < at < lines.index("OPEN THIS WEEK, DUE LATER (3)")


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
    # after the plan's period nothing falls due, so no campaign is missing a date either
    nxt = cli("due", "--now", "2021-04-06", "--audience", "CP").stdout
    assert "NO DATE" not in nxt and "This plan ran 1 Apr 2020 to 31 Mar 2021" in flat(nxt)


def test_json_due_names_undated_campaigns_in_its_document(cli: Cli) -> None:
    result = cli("due", "--json", "--expand", "--now", "2020-10-26", "--audience", "CP")
    assert result.stderr == ""
    assert json.loads(result.stdout)["undated"] == [
        {
            "id": "cp-we-are-festival",
            "dates": ["we-are-festival"],
            "plan_year": {"start": "2020-04-01", "end": "2021-03-31"},
        }
    ]
