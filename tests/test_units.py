"""Duties per borough and per ward: each unit's occurrence is done on its own, --unit filters."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from commsplan.log.filelog import FileLog

from .helpers import MINIMAL, flat

if TYPE_CHECKING:
    from pathlib import Path

    from .helpers import Cli

NOW = "2020-10-07T09:00"

WARDS = MINIMAL.replace(
    "activities:\n",
    """units:
  - {id: havering, name: Havering, kind: borough}
  - {id: redbridge, name: Redbridge, kind: borough}
  - {id: cranham, name: Cranham, kind: ward, within: havering}
  - {id: upminster, name: Upminster, kind: ward, within: havering}
  - {id: hainault, name: Hainault, kind: ward, within: redbridge}
  - {id: fairlop, name: Fairlop, kind: ward, within: redbridge}
activities:
""",
).replace("    why: Trust\n", "    why: Trust\n    per_unit: ward\n")


def ward_plan(tmp_path: Path) -> str:
    path = tmp_path / "wards.yaml"
    path.write_text(WARDS, encoding="utf-8")
    return str(path)


def test_four_sergeants_mark_four_wards_and_get_four_occurrences(cli: Cli, tmp_path: Path) -> None:
    plan = ward_plan(tmp_path)
    for ward, sergeant in (("cranham", "A"), ("upminster", "B"), ("hainault", "C"), ("fairlop", "D")):
        result = cli("done", "panel-meeting", "--unit", ward, "--by", f"Sgt {sergeant}", "--plan", plan, "--now", NOW)
        assert result.exit_code == 0, result.stderr
        assert flat(result.stdout).startswith(f"Done: panel-meeting 2020-Q4@{ward} (due Thu 31 Dec 2020), by Sgt")
    keys = [r.data["occurrence"] for r in FileLog(cli.log).read().records]
    assert keys == ["2020-Q4@cranham", "2020-Q4@upminster", "2020-Q4@hainault", "2020-Q4@fairlop"]
    again = cli("done", "panel-meeting", "--unit", "Cranham", "--plan", plan, "--now", NOW)
    assert again.exit_code == 1
    assert "panel-meeting 2020-Q4@cranham is already done (2020-10-07 by Sgt A" in flat(again.stderr)


def test_done_for_a_per_unit_duty_without_unit_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("done", "panel-meeting", "--plan", ward_plan(tmp_path), "--now", NOW)
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        "commsplan: error: 'panel-meeting' is done for each ward on its own; say which with --unit (cranham, "
        "upminster, hainault, fairlop)\n"
    )
    assert not cli.log.exists()


def test_due_shows_a_per_unit_occurrence_compactly_and_unit_filters_it(cli: Cli, tmp_path: Path) -> None:
    plan = ward_plan(tmp_path)
    cli("done", "panel-meeting", "--unit", "cranham", "--plan", plan, "--now", NOW)
    out = cli("due", "--plan", plan, "--now", NOW).stdout
    assert "  31 Dec  panel-meeting · 2020-Q4: 1 of 4 wards done; Upminster, Hainault,\n" in out
    assert "          Fairlop pending\n" in out
    mine = json.loads(cli("due", "--json", "--expand", "--unit", "upminster", "--plan", plan, "--now", NOW).stdout)[
        "items"
    ]
    assert {(i["occurrence"], i["unit"]) for i in mine if i["status"] != "overdue"} == {
        ("2020-Q4@upminster", "upminster")
    }
    borough = json.loads(cli("due", "--json", "--expand", "--unit", "Redbridge", "--plan", plan, "--now", NOW).stdout)[
        "items"
    ]
    assert {i["occurrence"] for i in borough if i["status"] == "open"} == {"2020-Q4@hainault", "2020-Q4@fairlop"}
    report = json.loads(cli("report", "--json", "--unit", "fairlop", "--plan", plan, "--now", NOW).stdout)
    assert report["groups"][0]["missed"] == 2  # Q2 and Q3 of Fairlop's panel only


def test_the_bundled_plan_has_one_problem_solving_group_per_borough(cli: Cli) -> None:
    result = cli("done", "la-problem", "--unit", "Havering", "--now", NOW, "--by", "Insp Roy")
    assert flat(result.stdout).startswith(
        "Done: la-problem-solving-group 2020-10-05@havering (due Sun 18 Oct 2020), by Insp Roy."
    )
    out = cli("due", "--today", "-a", "local authorities", "--now", NOW).stdout
    assert (
        "  18 Oct  la-problem-solving-group · fortnight of 5 Oct: 1 of 3 boroughs done;\n"
        "          Barking & Dagenham, Redbridge pending\n"
    ) in out
    ics = cli("calendar", "--from", "2020-10-05", "--until", "2020-10-18", "--unit", "redbridge", "-a", "Councils")
    assert re.findall(r"X-COMMSPLAN-OCCURRENCE:(\S+)", ics.stdout) == ["2020-10-05@redbridge"]


def test_validate_hints_at_the_missing_wards(cli: Cli) -> None:
    result = cli("validate")
    assert (
        "commsplan: warning: activity 'ward-panel-meeting' repeats per ward, but the plan lists no wards; add "
        "them under 'units:' (kind: ward, within: BOROUGH). Until then it is one BCU-wide duty"
    ) in flat(result.stderr)


def test_a_ward_needs_a_borough(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(WARDS.replace("within: havering}", "within: haverin}", 1), encoding="utf-8")
    result = cli("validate", "--plan", str(path))
    assert result.exit_code == 1
    assert f"{path}:" in result.stderr
    assert "'haverin' is not a borough of this plan (did you mean 'havering'?)" in result.stderr


def test_show_says_a_duty_is_per_borough_and_conditional(cli: Cli) -> None:
    psg = " ".join(cli("show", "la-problem").stdout.split())
    assert "Each borough, on its own: Barking & Dagenham, Havering, Redbridge" in psg
    daily = " ".join(cli("show", "cp-daily").stdout.split())
    assert 'If "if applicable": when there is something to say; never missed' in daily
    data = json.loads(cli("show", "la-problem", "--json").stdout)
    assert data["per_unit"] == "borough" and data["conditional"] is None


def test_a_borough_digest_says_whose_it_is_and_keeps_its_own_marker(cli: Cli) -> None:
    out = cli("digest", "--unit", "Havering", "--now", "2020-10-27T07:00", "--no-mark").stdout
    assert out.startswith("commsplan havering Tue 27 Oct: 77 overdue, 0 due today\n")
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26")  # the log must exist to be marked
    cli("digest", "--unit", "havering")
    assert cli.log.with_name(cli.log.name + ".digest-havering").exists()
    assert not cli.log.with_name(cli.log.name + ".digest-all").exists()


def test_a_borough_s_view_counts_only_its_own_borough(cli: Cli) -> None:
    # nothing is done anywhere: Havering's view must not count the other boroughs as done
    out = flat(cli("due", "--now", "2020-10-26T09:00", "--unit", "havering").stdout)
    assert "fortnight of 19 Oct: Havering pending" in out
    assert "boroughs done" not in out
    whole = flat(cli("due", "--now", "2020-10-26T09:00").stdout)
    assert "fortnight of 19 Oct: 0 of 3 boroughs done; Barking & Dagenham, Havering, Redbridge pending" in whole


def test_log_says_which_units_a_range_skip_covers(cli: Cli) -> None:
    skip = cli(
        "skip", "la-problem", "--unit", "havering", "--from", "2020-11-02", "--until", "2020-11-29",
        "--reason", "Lockdown", "--now", "2020-10-26",
    )  # fmt: skip
    assert skip.exit_code == 0, skip.stderr
    assert "2020-11-02 2020-11-29 (2 occurrences of havering)" in flat(cli("log").stdout)
