"""The plan's period bounds everything: occurrences, due, done, calendar and report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsplan.plan.data import Activity
from commsplan.plan.load import load_plan
from commsplan.rules.period import period_status, replay_day
from commsplan.rules.schedule import Schedule

from .helpers import PLAN, Cli, flat

PLAN_OBJ = load_plan(PLAN).plan
SCHEDULE = Schedule(PLAN_OBJ)
SCHEDULED = [a for a in PLAN_OBJ.activities if a.scheduled]
START, END = dt.date(2020, 4, 1), dt.date(2021, 3, 31)
days = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31))


@given(st.sampled_from(SCHEDULED), days, st.integers(min_value=0, max_value=900))
def test_no_occurrence_outside_the_period(activity: Activity, start: dt.date, length: int) -> None:
    found = SCHEDULE.occurrences(activity, start, start + dt.timedelta(days=length))
    assert all(START <= o.due <= END and START <= o.opens <= o.due for o in found)
    # and none of the period's own is lost: the clipped list is the calendar's, inside the period
    inside = [
        o.key
        for o in SCHEDULE.calendar_occurrences(activity, start, start + dt.timedelta(days=length))
        if START <= o.due <= END
    ]
    assert [o.key for o in found] == inside


def test_a_window_that_starts_before_the_period_is_clipped_to_its_first_day() -> None:
    first = SCHEDULE.occurrences(PLAN_OBJ.activity("la-problem-solving-group"), START, START)[0]
    assert (first.key, first.opens, first.due) == ("2020-03-23@barking-dagenham", START, dt.date(2020, 4, 5))
    week = SCHEDULE.occurrences(PLAN_OBJ.activity("ward-street-briefing"), START, START)[0]
    assert (week.key, week.opens, week.due) == ("2020-W14", START, dt.date(2020, 4, 5))


def test_notices_before_within_and_after() -> None:
    assert period_status(PLAN_OBJ, dt.date(2020, 10, 26)).notice is None
    after = period_status(PLAN_OBJ, dt.date(2026, 11, 29))
    assert after.position == "after" and after.replay == dt.date(2020, 11, 29)
    before = period_status(PLAN_OBJ, dt.date(2019, 5, 1))
    assert before.position == "before" and before.replay == START
    # 29 February has no day in a period without one: the month's last day stands in
    assert replay_day(PLAN_OBJ.meta.period, dt.date(2024, 2, 29)) == dt.date(2021, 2, 28)


def test_validate_explain_states_the_clipping(cli: Cli) -> None:
    out = flat(cli("validate", "--explain").stdout)
    assert (
        'The plan\'s period: 1 Apr 2020 to 31 Mar 2021 (source: "2020-2021"). Only occurrences due in the '
        "period exist: nothing is listed, done, exported or counted outside it. A window that would open before "
        "1 Apr 2020 (the week or fortnight the period starts in, a campaign's lead time) is clipped to open on "
        "1 Apr 2020; an occurrence due after 31 Mar 2021 belongs to the next plan."
    ) in out


def test_calendar_after_the_period_exports_nothing_and_says_why(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "plan.ics"
    result = cli("calendar", "--out", str(out), "--now", "2026-11-29")
    assert result.exit_code == 0
    assert flat(result.stdout) == (
        "This plan ran 1 Apr 2020 to 31 Mar 2021; nothing falls due after it. Replay it with --now 2020-11-29, "
        "or roll it forward with 'commsplan renew'.\n"
        f"Wrote 0 events (2026-11-29 to 2027-11-29) to {out}.\n"
    )
    assert list(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == []
    piped = cli("calendar", "--now", "2026-11-29")
    assert "nothing falls due after it" in flat(piped.stderr)
    assert "X-WR-CALDESC:This plan ran 1 Apr 2020 to 31 Mar 2021" in piped.stdout


def test_report_after_the_period_says_so_and_stops_at_its_end(cli: Cli) -> None:
    out = cli("report", "--now", "2026-11-29").stdout.splitlines()
    assert out[0] == "How the plan was kept, 1 Apr 2020 to 31 Mar 2021, by audience"
    assert out[1] == "This plan ran 1 Apr 2020 to 31 Mar 2021; nothing falls due after it. Replay it"


def test_a_plan_cached_under_another_model_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a field added to the model without a version bump must not meet a cache made before it:
    # the cache is tied to the plan-reading code itself, byte for byte
    from commsplan.plan import load

    first = load.load_plan(PLAN, tmp_path)
    monkeypatch.setattr(load, "code_identity", lambda: "another-model")
    checked: list[bytes] = []
    real = load.parse_plan

    def counting(raw: bytes, path: Path) -> load.LoadedPlan:
        checked.append(raw)
        return real(raw, path)

    monkeypatch.setattr(load, "parse_plan", counting)
    again = load.load_plan(PLAN, tmp_path)
    assert checked, "the plan was checked afresh, not read from the other model's cache"
    assert again.plan == first.plan
