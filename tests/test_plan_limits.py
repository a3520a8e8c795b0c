"""A plan file that is hostile or absurd gets PATH:LINE:COL errors, never a traceback or a runaway."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import MINIMAL, Cli, flat


def write(tmp_path: Path, text: str) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8", newline="")
    return plan


@pytest.mark.parametrize(
    ("char", "code"),
    [("\x00", "0000"), ("\x1b", "001B"), ("\x7f", "007F"), ("\ufffe", "FFFE"), ("\x01", "0001")],
)
def test_a_byte_yaml_does_not_allow_is_an_error_with_its_position(
    cli: Cli, tmp_path: Path, char: str, code: str
) -> None:
    plan = write(tmp_path, MINIMAL.replace("    why: Trust", f"    why: Tr{char}ust"))
    for command in ("validate", "who"):
        result = cli(command, "--plan", str(plan))
        assert result.exit_code == 1
        assert flat(result.stderr) == (
            f"commsplan: error: {plan}: invalid plan (1 problem)\n"
            f"{plan}:33:12: character U+{code} is not allowed in YAML\n"
        )


def test_a_period_beyond_the_dates_commsplan_works_with_is_refused(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path, MINIMAL.replace("start: 2020-04-01, end: 2021-03-31", "start: 0001-01-01, end: 9999-12-31"))
    for command in (("validate",), ("due", "--now", "2020-10-26"), ("report", "--now", "2020-10-26")):
        result = cli(*command, "--plan", str(plan))
        assert result.exit_code == 1
        assert f"{plan}:6:11: a plan's period lies between 1900-01-01 and 2199-12-31\n" in result.stderr


def test_a_period_longer_than_ten_years_is_refused(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path, MINIMAL.replace("end: 2021-03-31", "end: 2040-03-31"))
    result = cli("validate", "--plan", str(plan))
    assert result.exit_code == 1
    assert f"{plan}:6:11: a plan's period is at most 10 years long (next year's plan is a new one)" in result.stderr


@pytest.mark.parametrize("now", ["9999-12-31", "0001-01-01", "9999-12-31T23:59+14:00"])
def test_now_beyond_the_dates_commsplan_works_with_is_a_usage_error(cli: Cli, now: str) -> None:
    for command in ("due", "calendar", "report", "digest"):
        result = cli(command, "--now", now)
        assert result.exit_code == 2
        assert f"'{now}' is outside the dates commsplan works with (1900-01-01 to 2199-12-31)" in flat(result.stderr)


def test_a_million_empty_items_stop_at_the_cap_with_one_error(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path, "activities:\n" + "- \n" * 1_000_000)
    result = cli("validate", "--plan", str(plan))
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        f"commsplan: error: {plan}: invalid plan (1 problem)\n"
        f"{plan}:250000:2: more than 250,000 values, lists and mappings: too large for a plan\n"
    )


def test_thousands_of_problems_show_the_first_fifty_and_a_count(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path, MINIMAL.replace("activities:\n", "activities:\n" + "  - {}\n" * 2000))
    result = cli("validate", "--plan", str(plan))
    assert result.exit_code == 1
    lines = flat(result.stderr).splitlines()
    assert lines[0] == f"commsplan: error: {plan}: invalid plan (18000 problems)"
    assert len(lines) == 52
    assert lines[-1] == "... and 17950 more problems (fix these first)"


def test_a_ten_megabyte_word_is_refused_not_wrapped(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path, MINIMAL.replace("what: {text: Updates,", "what: {text: " + "w" * 10_000_000 + ","))
    result = cli("due", "--plan", str(plan), "--now", "2020-10-26")
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        f"commsplan: error: {plan}: invalid plan (1 problem)\n"
        f"{plan}:26:18: text of 10,000,000 characters; the limit is 10,000\n"
    )


@pytest.mark.parametrize(
    ("args", "option", "typed"),
    [
        (("report", "--from", "0001-01-01"), "--from", "0001-01-01"),
        (("report", "--until", "9999-12-31"), "--until", "9999-12-31"),
        (("calendar", "--from", "0001-01-01", "--until", "0001-02-01"), "--from", "0001-01-01"),
        (("due", "--until", "9999-12-31"), "--until", "9999-12-31"),
        (("digest", "--since", "0001-01-01"), "--since", "0001-01-01"),
    ],
)
def test_other_dates_beyond_the_range_are_usage_errors_not_tracebacks(
    cli: Cli, args: tuple[str, ...], option: str, typed: str
) -> None:
    result = cli(*args, "--now", "2020-10-26")
    assert result.exit_code == 2
    assert (
        f"Invalid value for '{option}': '{typed}' is outside the dates commsplan works with (1900-01-01 to 2199-12-31)"
        in flat(result.stderr)
    )
