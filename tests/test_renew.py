"""renew rolls a plan forward keeping its file's layout; diff says what commitments changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .helpers import PLAN, Cli, changed_plan, flat

PERIOD = "2026-04-01..2027-03-31"


def renewed(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    old = Path("east_area_2020.yaml")
    shutil.copy(PLAN, tmp_path / old)
    result = cli("renew", str(old), "--period", PERIOD)
    assert result.exit_code == 0, result.stderr
    return old, Path("east_area_2026.yaml")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans by short relative names, so messages that name them fit a line."""
    monkeypatch.chdir(tmp_path)


def test_renew_changes_only_the_values_that_depend_on_the_year(cli: Cli, tmp_path: Path) -> None:
    old, new = renewed(cli, tmp_path)
    before = old.read_text(encoding="utf-8").splitlines()
    after = new.read_text(encoding="utf-8").splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=False) if b != a]
    assert changed[:3] == [
        (
            "  title: EAST AREA External Communication Action Plan 2020-2021",
            "  title: EAST AREA External Communication Action Plan 2026-2027",
        ),
        (
            "    start: 2020-04-01",
            "    start: 2026-04-01  # rolled forward by commsplan renew from 2020-04-01..2021-03-31",
        ),
        ("    end: 2021-03-31", "    end: 2027-03-31"),
    ]
    text = new.read_text(encoding="utf-8")
    assert "    dates: []  # RENEW: list the 2026-2027 dates (2020-2021 listed: 2020-05-25..2020-05-29," in text
    assert "      anchor: 2026-04-13\n" in text  # the same fortnightly rhythm as 6 Apr 2020
    assert '    as_written: "2020-2021"\n' in text  # the source's words stay
    # every comment of the original is still there, in order
    comments = [line.strip() for line in before if line.strip().startswith("#")]
    assert [line.strip() for line in after if line.strip().startswith("#")] == comments
    assert len(after) == len(before) - 4  # the four half-term dates


def test_renew_reports_what_it_did_and_the_new_plan_validates_with_fill_in_warnings(cli: Cli, tmp_path: Path) -> None:
    shutil.copy(PLAN, tmp_path / "east_area_2020.yaml")
    out = cli("renew", "east_area_2020.yaml", "--period", PERIOD).stdout
    assert out.splitlines()[:2] == [
        "Wrote east_area_2026.yaml.",
        "  period 2020-04-01..2021-03-31 -> 2026-04-01..2027-03-31",
    ]
    out = flat(out)
    assert "To fill in (dates listed year by year, marked RENEW in the file): half-term, we-are-festival." in out
    check = cli("validate", "--plan", "east_area_2026.yaml")
    assert check.exit_code == 0
    warnings = [line for line in flat(check.stderr).splitlines() if line]
    assert [w for w in warnings if "ward-panel-meeting" not in w] == [
        "commsplan: warning: activity 'cp-half-term': named date 'half-term' lists no dates in the plan's period "
        "(2026-04-01 to 2027-03-31); fill in this year's dates, or it is never scheduled",
        "commsplan: warning: activity 'cp-we-are-festival': named date 'we-are-festival' lists no dates in the "
        "plan's period (2026-04-01 to 2027-03-31); fill in this year's dates, or it is never scheduled",
    ]
    due = cli("due", "--plan", "east_area_2026.yaml", "--now", "2026-11-30").stdout
    assert "This plan" not in due and "snb-quarterly-meeting · 2026-Q4" in due


def test_renew_never_overwrites(cli: Cli, tmp_path: Path) -> None:
    old, new = renewed(cli, tmp_path)
    first = new.read_bytes()
    again = cli("renew", str(old), "--period", PERIOD)
    assert again.exit_code == 1
    assert flat(again.stderr) == (
        f"commsplan: error: {new} already exists; commsplan renew never overwrites a file (choose another with --out)\n"
    )
    assert new.read_bytes() == first
    bad = cli("renew", str(old), "--period", "2026-04-01")
    assert bad.exit_code == 2
    assert "'2026-04-01' is not a period START..END" in flat(bad.stderr)


def test_diff_of_a_renewal_lists_the_period_and_nothing_else(cli: Cli, tmp_path: Path) -> None:
    old, new = renewed(cli, tmp_path)
    result = cli("diff", str(old), str(new))
    assert result.exit_code == 0
    assert flat(result.stdout) == (
        f"From {old} to {new}\n"
        "Period: 1 Apr 2020 to 31 Mar 2021 -> 1 Apr 2026 to 31 Mar 2027\n"
        "No commitment gained, lost or changed.\n"
    )
    data = json.loads(cli("diff", str(old), str(new), "--json").stdout)
    assert data["period"] == {"what": "period", "old": "1 Apr 2020 to 31 Mar 2021", "new": "1 Apr 2026 to 31 Mar 2027"}
    assert data["gained"] == data["lost"] == data["changed"] == [] and data["office_hours"] is None


def test_diff_says_what_a_superintendent_signs_off(cli: Cli, tmp_path: Path) -> None:
    old = Path("old.yaml")
    shutil.copy(PLAN, tmp_path / old)
    text = changed_plan(old.read_text(encoding="utf-8"))
    new = Path("new.yaml")
    new.write_text(text, encoding="utf-8")
    out = cli("diff", str(old), str(new)).stdout
    assert out.splitlines()[1:] == [
        "Office hours: Mon, Tue, Wed, Thu, Fri 08:00-18:00; bank holidays out of hours",
        "  -> Mon, Tue, Wed, Thu, Fri 09:00-17:00; bank holidays out of hours",
        "",
        "CHANGED (2)",
        "  snb-quarterly-meeting",
        "    frequency: quarterly -> monthly",
        "  partners-incident-notification",
        "    trigger: Critical incident, Major incident, Significant incident ->",
        "      Critical incident",
    ]
