from __future__ import annotations

import json
from pathlib import Path

from .helpers import MINIMAL, Cli, flat


def test_validate_bundled_plan_summarises_it(cli: Cli) -> None:
    result = cli("validate")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith("plans/east_area_2020.yaml: valid")
    assert lines[1:5] == [
        "  EAST AREA External Communication Action Plan 2020-2021",
        "  8 roles, 10 audiences, 15 channels",
        "  27 activities from 10 source rows: 19 scheduled, 5 triggered, 3 on request",
        "  20 frequencies interpreted rather than literal (--explain lists them)",
    ]
    assert "named date 'we-are-festival' lists no dates" in flat(result.stderr)


def test_validate_explain_lists_each_interpretation(cli: Cli) -> None:
    result = cli("validate", "--explain")
    assert result.exit_code == 0
    assert '  business-bid-meetings "Periodic" -> monthly' in result.stdout
    assert '    - Monthly, as the How cell says ("Monthly BID meetings").' in result.stdout


def test_validate_json(cli: Cli) -> None:
    result = cli("validate", "--json")
    data = json.loads(result.stdout)
    assert data["valid"] is True
    assert data["counts"]["activities"] == 27
    assert data["counts"]["frequencies"]["quarterly"] == 5


def test_validate_reports_every_problem_with_its_place(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    text = MINIMAL.replace("kind: quarterly", "kind: fortnighly").replace("    why: Trust", "    why: Trust\n    id: x")
    bad.write_text(text)
    result = cli("validate", "--plan", str(bad))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert flat(result.stderr).splitlines() == [
        f"commsplan: error: {bad}: invalid plan (2 problems)",
        f"{bad}:31:13: 'fortnighly' is not one of daily, weekly, fortnightly, monthly, quarterly, annual, "
        "rrule, named_dates, season, triggered, on_request (did you mean 'fortnightly'?)",
        f"{bad}:34:5: duplicate key 'id' (first at 22:5)",
    ]


def test_plan_from_the_environment(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "mini.yaml"
    good.write_text(MINIMAL)
    result = cli("validate", env={"COMMSPLAN_PLAN": str(good)})
    assert result.exit_code == 0
    assert "1 activities from 0 source rows: 1 scheduled" in result.stdout


def test_missing_plan_is_a_data_error_not_a_traceback(cli: Cli, tmp_path: Path) -> None:
    result = cli("who", "--plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert flat(result.stderr) == f"commsplan: error: {tmp_path / 'nope.yaml'}: no such plan file\n"


def test_explain_names_the_period_office_hours_and_every_season_window(cli: Cli) -> None:
    out = cli("validate", "--explain").stdout
    lines = out.splitlines()
    for heading, reading in [
        ('  period "2020-2021"', "    -> Wed 1 Apr 2020 to Wed 31 Mar 2021"),
        ('  quarters "Quarterly"', "    -> quarters begin in Jan, Apr, Jul, Oct"),
        (
            '  season autumn-nights "Periodic CP Advice: Summer/ Autumn/ Winter Nights"',
            "    -> Autumn Nights: Wed 21 Oct 2020 to Sun 8 Nov 2020",
        ),
        (
            '  season winter-nights "Periodic CP Advice: Summer/ Autumn/ Winter Nights"',
            "    -> Winter Nights: Mon 30 Nov 2020 to Sun 3 Jan 2021",
        ),
        (
            '  season summer-nights "Periodic CP Advice: Summer/ Autumn/ Winter Nights"',
            "    -> Summer Nights: Mon 20 Jul 2020 to Mon 31 Aug 2020",
        ),
    ]:
        assert lines[lines.index(heading) + 1] == reading
    text = flat(out)
    assert (
        'office hours "E-mail during office hours and telephone contact out of office hours." '
        "-> Mon to Fri 08:00-18:00; not on England's bank holidays; e-mail in them, telephone out of them"
    ) in text
    # where each date comes from, and the reading chosen where the Met gives none
    assert "Wed 21 Oct 2020 to Sun 8 Nov 2020: Met press release" in text
    assert "The Met announces no fixed dates for a Summer Nights operation" in text
    assert "-> School half-term: Mon 25 May 2020 to Fri 29 May 2020;" in text
    assert "-> Senior Leadership Team in office hours, Duty Officers out of them" in text
    assert "when an incident involves critical-incident or major-incident and media-enquiry" in text
    # the fortnight's anchor is still listed with its activity
    assert "counted from Monday 6 April 2020" in text


def test_explain_json_lists_the_readings(cli: Cli) -> None:
    data = json.loads(cli("validate", "--explain", "--json").stdout)
    subjects = [r["subject"] for r in data["readings"]]
    assert subjects[:6] == ["period", "quarters", "office hours", "season summer-nights", "season autumn-nights",
                            "season winter-nights"]  # fmt: skip
    assert json.loads(cli("validate", "--json").stdout)["readings"] == []


def test_explain_names_units_per_unit_duties_and_conditional_duties(cli: Cli) -> None:
    out = flat(cli("validate", "--explain").stdout)
    assert 'unit havering "Havering" -> Havering, a borough' in out
    assert (
        "per borough la-problem-solving-group -> one occurrence for each borough, done on its own: "
        "Barking & Dagenham, Havering, Redbridge" in out
    )
    assert "per ward ward-panel-meeting -> one occurrence for each ward, but the plan lists none" in out
    assert (
        'conditional cp-daily-updates "if applicable" -> wanted when there is something to say: listed for '
        "today, never overdue or missed" in out
    )
