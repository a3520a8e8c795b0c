"""Overdue is counted, not listed: the count, first and last of each activity's (and unit's) missed
occurrences equal those of the full listing, for every log and date; `--json` says them, and
`--expand` lists each one."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from commsplan.log.state import Completion, CompletionMap
from commsplan.plan.data import Activity, Plan
from commsplan.plan.load import load_plan, parse_plan
from commsplan.rules.agenda import Run, Window, build_agenda
from commsplan.rules.overdue import Missed, OverdueCounter
from commsplan.rules.report import fates
from commsplan.rules.schedule import Schedule
from commsplan.rules.select import Filters

from .helpers import PLAN, Cli, flat

LONDON = ZoneInfo("Europe/London")

# Every kind of schedule, with times of day, a per-unit duty and a long period: a daily duty
# missed since 2015 has over 2,000 overdue occurrences.
SYNTHETIC = """\
version: 1
meta:
  title: Every kind
  unit: Test BCU
  source: tests
  period: {start: 2015-04-01, end: 2022-03-31, as_written: "2015-2022"}
  timezone: Europe/London
  quarters: {first_month: 2}
  office_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", as_written: office hours}
roles:
  - {id: sergeant, name: Ward Sergeant}
audiences:
  - {id: public, name: Residents}
channels:
  - {id: social, name: Social media}
named_dates:
  - {id: halloween, name: Halloween, fixed: "10-31"}
  - {id: clocks-back, name: Clocks go back, computed: clocks_back}
  - {id: clocks-forward, name: Clocks go forward, computed: clocks_forward}
seasons:
  - {id: winter, name: Winter nights, start: clocks-back, end: clocks-forward}
triggers:
  - {id: incident, name: Incident}
units:
  - {id: north, name: North borough, kind: borough}
  - {id: south, name: South borough, kind: borough}
  - {id: east, name: East borough, kind: borough}
activities:
"""

FREQUENCIES = [
    "{kind: daily, as_written: Daily}",
    '{kind: daily, time: "09:30", as_written: Daily at 9.30}',
    "{kind: weekly, as_written: Weekly}",
    '{kind: weekly, due: wed, time: "18:00", as_written: Wednesdays}',
    "{kind: fortnightly, anchor: 2015-04-06, due: tue, as_written: Fortnightly}",
    "{kind: monthly, due: 31, as_written: Monthly}",
    "{kind: monthly, as_written: Monthly}",
    "{kind: quarterly, as_written: Quarterly}",
    "{kind: annual, as_written: Annual}",
    '{kind: rrule, rrule: "FREQ=MONTHLY;BYDAY=1TU", start: 2015-04-01, lead_days: 3, as_written: First Tuesday}',
    '{kind: rrule, rrule: "FREQ=DAILY;INTERVAL=3", start: 2015-04-02, time: "12:00", as_written: Every 3 days}',
    "{kind: named_dates, dates: [halloween, clocks-back], lead_days: 5, as_written: Halloween}",
    "{kind: season, seasons: [winter], as_written: Winter nights}",
]


def _synthetic() -> Plan:
    lines = [SYNTHETIC]
    for n, freq in enumerate(FREQUENCIES):
        for per_unit in ("", ", per_unit: borough"):
            lines.append(
                f"  - {{id: a{n:02d}{'u' if per_unit else ''}, row: r, audience: public,"
                f" owner: {{role: sergeant, as_written: Sgt}}, what: {{text: Item {n}, as_written: Item}},"
                f" channels: [{{channel: social}}], how_as_written: Social, frequency: {freq}, why: Trust{per_unit}}}\n"
            )
    return parse_plan("".join(lines).encode(), Path("every-kind.yaml")).plan


PLANS = {"synthetic": _synthetic(), "bundled": load_plan(PLAN).plan}
SCHEDULES = {name: Schedule(plan) for name, plan in PLANS.items()}


def _scheduled(plan: Plan) -> list[Activity]:
    return [a for a in plan.activities if a.scheduled and a.conditional is None]


def _summary(occs: list[tuple[str | None, str, dt.date]]) -> dict[str | None, tuple[int, str, str]]:
    found: dict[str | None, tuple[int, str, str]] = {}
    for unit, key, _ in occs:
        count, first, _last = found.get(unit, (0, key, key))
        found[unit] = (count + 1, first, key)
    return found


def _counted(parts: list[Missed]) -> dict[str | None, tuple[int, str, str]]:
    return {m.unit: (m.count, m.first.key, m.last.key) for m in parts}


def _completion(status: str, at: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)) -> Completion:
    return Completion("done" if status == "done" else "skipped", at, "t", "r-1")


@given(st.data())
def test_the_count_equals_the_listing_for_every_log_and_date(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(PLANS)), label="plan")
    plan, schedule = PLANS[name], SCHEDULES[name]
    period = plan.meta.period
    activity = data.draw(st.sampled_from(_scheduled(plan)), label="activity")
    span = (period.end - period.start).days
    day = period.start + dt.timedelta(days=data.draw(st.integers(0, span), label="now"))
    now = dt.datetime.combine(day, dt.time(data.draw(st.integers(0, 23)), data.draw(st.sampled_from([0, 30]))), LONDON)
    start = period.start + dt.timedelta(days=data.draw(st.integers(0, (day - period.start).days), label="from"))
    units = data.draw(st.sampled_from([None, frozenset({"north"}), frozenset({"south", "east"})]), label="units")
    # a log that closes some occurrences anywhere (in the middle of a run too), and names
    # keys the plan does not have
    every = [o.key for o in schedule.occurrences(activity, start, day)]
    closed = data.draw(st.sets(st.sampled_from(every)) if every else st.just(set()), label="closed")
    if data.draw(st.booleans(), label="most closed") and every:
        closed |= set(every[: len(every) * 9 // 10])
    junk = data.draw(
        st.sets(
            st.sampled_from(
                ["2020-W60", "2020-Q9", "1999-01-01", "nonsense", "2020-13", "2020-W41-1", "2018-W41-1@north"]
            )
        )
    )
    moments = st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2022, 6, 1), timezones=st.just(dt.UTC))
    state = CompletionMap(
        {
            (activity.id, key): _completion(data.draw(st.sampled_from(["done", "skipped"])), data.draw(moments))
            for key in sorted(closed | junk)
        }
    )
    counter = OverdueCounter(schedule, state, now)
    listed = [(o.unit, o.key, o.due) for o in counter.listed(activity, start, units)]
    assert all(o.is_closed(now) for o in counter.listed(activity, start, units))
    assert _counted(counter.missed(activity, start, units)) == _summary(listed)
    # a log asked one occurrence at a time (a plain mapping) is counted by walking the run
    plain = dict(state)
    walked = OverdueCounter(schedule, plain, now).missed(activity, start, units)
    assert _counted(walked) == _summary(listed)
    # the report's outcomes, counted, are its fates listed one by one
    end = period.start + dt.timedelta(days=data.draw(st.integers(0, span + 30), label="until"))
    fated = Counter(f.outcome for f in fates(plan, schedule, state, now, start, end, units) if f.activity is activity)
    assert counter.outcomes(activity, start, end, units) == {
        outcome: fated[outcome] for outcome in ("on_time", "late", "skipped", "missed", "pending")
    }
    assert OverdueCounter(schedule, plain, now).outcomes(activity, start, end, units) == counter.outcomes(
        activity, start, end, units
    )


def _alike() -> Plan:
    """Every kind of schedule held by three activities (two of them per borough), as a large
    plan repeats a few schedules."""
    lines = [SYNTHETIC]
    for n, freq in enumerate(FREQUENCIES):
        for copy, per_unit in (("a", ""), ("b", ""), ("c", ", per_unit: borough"), ("d", ", per_unit: borough")):
            lines.append(
                f"  - {{id: a{n:02d}{copy}, row: r, audience: public,"
                f" owner: {{role: sergeant, as_written: Sgt}}, what: {{text: Item {n}, as_written: Item}},"
                f" channels: [{{channel: social}}], how_as_written: Social, frequency: {freq}, why: Trust{per_unit}}}\n"
            )
    return parse_plan("".join(lines).encode(), Path("alike.yaml")).plan


ALIKE = _alike()
ALIKE_SCHEDULE = Schedule(ALIKE)


@given(st.data())
def test_activities_of_one_schedule_are_counted_each_as_their_own(data: st.DataObject) -> None:
    """One counter for the whole plan, as an agenda uses it: an activity whose log closed nothing
    has the run of the first such activity of its schedule, under its own id; one whose log
    closed something has its own; each equals a counter of its own and the listing."""
    period = ALIKE.meta.period
    day = period.start + dt.timedelta(days=data.draw(st.integers(0, (period.end - period.start).days), label="now"))
    now = dt.datetime.combine(day, dt.time(data.draw(st.integers(0, 23))), LONDON)
    start = period.start + dt.timedelta(days=data.draw(st.integers(0, (day - period.start).days), label="from"))
    units = data.draw(st.sampled_from([None, frozenset({"north"})]), label="units")
    activities = _scheduled(ALIKE)
    touched = data.draw(st.sets(st.integers(0, len(activities) - 1), max_size=8), label="touched")
    closed: dict[tuple[str, str], Completion] = {}
    for activity in (activities[n] for n in sorted(touched)):
        every = [o.key for o in ALIKE_SCHEDULE.occurrences(activity, start, day)]
        for key in data.draw(st.sets(st.sampled_from(every)) if every else st.just(set()), label=activity.id):
            closed[activity.id, key] = _completion("done")
    state = CompletionMap(closed)
    shared = OverdueCounter(ALIKE_SCHEDULE, state, now)
    for activity in activities:
        parts = shared.missed(activity, start, units)
        assert all(m.first.activity == m.last.activity == activity.id for m in parts)
        alone = OverdueCounter(ALIKE_SCHEDULE, state, now).missed(activity, start, units)
        assert parts == alone
        listed = [(o.unit, o.key, o.due) for o in shared.listed(activity, start, units)]
        assert _counted(parts) == _summary(listed)


def test_a_daily_duty_missed_for_six_years_is_one_count_not_thousands_of_items() -> None:
    plan, schedule = PLANS["synthetic"], SCHEDULES["synthetic"]
    daily = plan.activity("a00")
    now = dt.datetime(2021, 11, 28, 10, 0, tzinfo=LONDON)  # 2,433 days since 1 Apr 2015
    # done on three days in the middle of the run, and the very first day
    state = CompletionMap(
        {("a00", key): _completion("done") for key in ("2015-04-01", "2018-06-01", "2018-06-02", "2019-12-31")}
    )
    counter = OverdueCounter(schedule, state, now)
    (missed,) = counter.missed(daily, plan.meta.period.start)
    assert (missed.count, missed.first.key, missed.last.key) == (2433 - 4, "2015-04-02", "2021-11-27")
    assert len(counter.listed(daily, plan.meta.period.start)) == 2429


def _runs(agenda_runs: list[Run]) -> list[tuple[str, int, str, str, list[tuple[str, int, str, str]]]]:
    return [
        (
            r.activity.id,
            r.count,
            r.first.occurrence.key,
            r.last.occurrence.key,
            [(u.unit, u.count, u.first.occurrence.key, u.last.occurrence.key) for u in r.units],
        )
        for r in agenda_runs
    ]


@given(st.integers(0, 364), st.sampled_from([None, "havering", "barking-dagenham"]))
def test_the_agenda_counts_what_it_lists_when_expanded(offset: int, unit: str | None) -> None:
    plan, schedule = PLANS["bundled"], SCHEDULES["bundled"]
    now = dt.datetime.combine(dt.date(2020, 4, 1) + dt.timedelta(days=offset), dt.time(10), LONDON)
    filters = Filters(units=frozenset({unit}) if unit else None)
    state = CompletionMap({("la-problem-solving-group", "2020-10-05@havering"): _completion("done")})
    args = (plan, schedule, state, now, Window.week(now), filters)
    counted = build_agenda(*args)
    listed = build_agenda(*args, expand=True)
    assert _runs(counted.overdue_runs) == _runs(listed.overdue_runs)
    assert counted.overdue_count == listed.overdue_count == len(listed.overdue)
    assert all(r.listed is None for r in counted.overdue_runs)


NOW = "2020-10-26T10:00"


def test_due_json_counts_each_activity_and_expand_lists_every_occurrence(cli: Cli) -> None:
    data = json.loads(cli("due", "--json", "--overdue", "--now", NOW, "-a", "SNB").stdout)
    assert data["overdue_count"] == 2 and data["expanded"] is False
    assert [i for i in data["items"] if i["status"] == "overdue"] == []
    (snb,) = data["overdue"]
    assert {k: snb[k] for k in ("id", "status", "count", "units")} == {
        "id": "snb-quarterly-meeting",
        "status": "overdue",
        "count": 2,
        "units": None,
    }
    assert snb["first"] == {"occurrence": "2020-Q2", "opens": "2020-04-01", "due": "2020-06-30", "days_late": 118}
    assert snb["last"] == {"occurrence": "2020-Q3", "opens": "2020-07-01", "due": "2020-09-30", "days_late": 26}
    assert "occurrences" not in snb
    expanded = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "SNB").stdout)
    (listed,) = expanded["overdue"]
    assert [o["occurrence"] for o in listed["occurrences"]] == ["2020-Q2", "2020-Q3"]
    assert [i["occurrence"] for i in expanded["items"]] == ["2020-Q2", "2020-Q3"]
    # the text is the same either way: it counts
    text = cli("due", "--overdue", "--now", NOW, "-a", "SNB").stdout
    assert "  snb-quarterly-meeting · 2 overdue, 30 Jun to 30 Sep" in text


def test_per_unit_counts_name_the_key_done_takes(cli: Cli) -> None:
    data = json.loads(cli("digest", "--json", "--now", NOW, "--no-mark").stdout)
    psg = next(r for r in data["overdue"] if r["id"] == "la-problem-solving-group")
    assert [u["unit"] for u in psg["units"]] == ["barking-dagenham", "havering", "redbridge"]
    assert psg["count"] == sum(u["count"] for u in psg["units"])
    havering = psg["units"][1]
    assert havering["first"]["occurrence"] == "2020-03-23@havering"
    done = cli("done", "la-problem-solving-group", "--occurrence", havering["first"]["occurrence"], "--now", NOW)
    assert done.exit_code == 0, done.stderr
    after = json.loads(cli("digest", "--json", "--now", NOW, "--no-mark").stdout)
    psg_after = next(r for r in after["overdue"] if r["id"] == "la-problem-solving-group")
    assert psg_after["units"][1]["count"] == havering["count"] - 1
    assert psg_after["units"][1]["first"]["occurrence"] == "2020-04-06@havering"
    assert after["overdue_count"] == data["overdue_count"] - 1
    expanded = json.loads(cli("digest", "--json", "--expand", "--now", NOW, "--no-mark").stdout)
    psg_listed = next(r for r in expanded["overdue"] if r["id"] == "la-problem-solving-group")
    assert len(psg_listed["occurrences"]) == psg_after["count"]


def test_expand_goes_with_json(cli: Cli) -> None:
    result = cli("due", "--expand", "--now", NOW)
    assert result.exit_code == 2
    assert flat(result.stderr).endswith(
        "commsplan: error: --expand lists each overdue occurrence in --json output; the text counts them\n"
    )


def test_through_the_log_index_counts_equal_the_expanded_listing(cli: Cli) -> None:
    # a range skip and a done inside runs, read back through the log's SQLite index
    assert (
        cli(
            "skip", "ward-street-briefing", "--from", "2020-06-01", "--until", "2020-06-20", "--reason", "leave"
        ).exit_code
        == 0
    )
    assert cli("done", "snb-quarterly-meeting", "--occurrence", "2020-Q2", "--now", NOW).exit_code == 0
    assert cli("done", "la-problem-solving-group", "--occurrence", "2020-06-01@redbridge", "--now", NOW).exit_code == 0
    counted = json.loads(cli("due", "--json", "--overdue", "--now", NOW).stdout)
    expanded = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", NOW).stdout)
    listed = Counter(i["id"] for i in expanded["items"] if i["status"] == "overdue")
    assert {r["id"]: r["count"] for r in counted["overdue"]} == dict(listed)
    assert counted["overdue_count"] == sum(listed.values())
    for run, full in zip(counted["overdue"], expanded["overdue"], strict=True):
        keys = [o["occurrence"] for o in full["occurrences"]]
        assert (run["first"]["occurrence"], run["last"]["occurrence"]) == (keys[0], keys[-1])
    briefing = next(r for r in counted["overdue"] if r["id"] == "ward-street-briefing")
    assert "2020-W23" not in [
        o["occurrence"] for o in next(r for r in expanded["overdue"] if r["id"] == briefing["id"])["occurrences"]
    ]
