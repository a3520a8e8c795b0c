from __future__ import annotations

import json

from .helpers import flat
from .plans import MINIMAL


def test_validate_bundled_plan_summarises_it(cli):
    result = cli("validate")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith("plans/east_area_2020.yaml: valid")
    assert lines[1:5] == [
        "  EAST AREA External Communication Action Plan 2020-2021",
        "  8 roles, 10 audiences, 15 channels",
        "  27 activities from 10 source rows: 19 scheduled, 5 triggered, 3 on request",
        "  19 frequencies interpreted rather than literal (--explain lists them)",
    ]
    assert "named date 'we-are-festival' lists no dates" in flat(result.stderr)


def test_validate_explain_lists_each_interpretation(cli):
    result = cli("validate", "--explain")
    assert result.exit_code == 0
    assert '  business-bid-meetings "Periodic" -> monthly' in result.stdout
    assert '    - Monthly, as the How cell says ("Monthly BID meetings").' in result.stdout


def test_validate_json(cli):
    result = cli("validate", "--json")
    data = json.loads(result.stdout)
    assert data["valid"] is True
    assert data["counts"]["activities"] == 27
    assert data["counts"]["frequencies"]["quarterly"] == 5


def test_validate_reports_every_problem_with_its_place(cli, tmp_path):
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


def test_plan_from_the_environment(cli, tmp_path):
    good = tmp_path / "mini.yaml"
    good.write_text(MINIMAL)
    result = cli("validate", env={"COMMSPLAN_PLAN": str(good)})
    assert result.exit_code == 0
    assert "1 activities from 0 source rows: 1 scheduled" in result.stdout


def test_missing_plan_is_a_data_error_not_a_traceback(cli, tmp_path):
    result = cli("who", "--plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert flat(result.stderr) == f"commsplan: error: {tmp_path / 'nope.yaml'}: no such plan file\n"
