"""A team adopts the plan mid-year (track --from), skips a range in one step, and how report
and the conditional duties count."""

from __future__ import annotations

import datetime as dt
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from commsplan.log.filelog import FileLog
from commsplan.log.state import fold
from commsplan.plan.load import load_plan
from commsplan.rules.occurrence import choose_occurrence
from commsplan.rules.schedule import Schedule

from .helpers import PLAN, Cli, flat

NOW = "2020-10-26T09:00"
PLAN_OBJ = load_plan(PLAN).plan
SCHEDULE = Schedule(PLAN_OBJ)


def record_id(text: str) -> str:
    found: str = re.findall(r"r-[0-9a-f]{12}", text)[0]
    return found


def test_adopting_the_plan_on_26_october_leaves_nothing_overdue_from_before(cli: Cli) -> None:
    before = json.loads(cli("due", "--json", "--expand", "--now", NOW).stdout)
    assert sum(1 for i in before["items"] if i["status"] == "overdue") == 106
    result = cli("track", "--from", "2020-10-26", "--now", NOW, "--by", "Insp Khan")
    assert result.exit_code == 0
    record = record_id(result.stdout)
    assert flat(result.stdout) == (
        "Tracking from Mon 26 Oct 2020: occurrences due before then are neither overdue nor missed. "
        f"Record {record}; 'commsplan undo --id {record}' retracts it.\n"
    )
    due = cli("due", "--now", NOW).stdout.splitlines()
    assert due[2] == "Tracked from Mon 26 Oct 2020: nothing due before then counts."
    assert due[4] == "Nothing overdue."
    data = json.loads(cli("due", "--json", "--expand", "--now", NOW).stdout)
    assert data["counts_from"] == "2020-10-26"
    assert [i for i in data["items"] if i["status"] == "overdue"] == []
    # a week later, only what fell due since adoption is overdue
    later = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", "2020-11-03").stdout)["items"]
    assert later and min(i["due"] for i in later) == "2020-10-26"  # the day tracking began counts
    assert cli("digest", "--now", "2020-10-27T07:00", "--no-mark").stdout.startswith(
        "commsplan Tue 27 Oct: 1 overdue, 0 due today\n"  # half-term advice, due 26 Oct
    )
    report = cli("report", "--now", "2020-11-03").stdout.splitlines()
    assert report[0] == "How the plan was kept, 26 Oct 2020 to 3 Nov 2020, by audience"
    assert report[1] == "Counted from Mon 26 Oct 2020, when tracking began; nothing before it counts."
    # and it is undone like any record
    undone = cli("undo", "--id", record, "--now", NOW)
    assert undone.stdout.startswith(f"Retracted tracking from 2020-10-26 (record {record}, line 1).")
    again = json.loads(cli("due", "--json", "--expand", "--now", NOW).stdout)
    assert again["counts_from"] == "2020-04-01"


def test_track_outside_the_period_is_refused(cli: Cli) -> None:
    result = cli("track", "--from", "2021-06-01", "--now", NOW)
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        "commsplan: error: 2021-06-01 is outside the plan's period (1 Apr 2020 to 31 Mar 2021); nothing was recorded\n"
    )
    assert not cli.log.exists()


def test_done_without_occurrence_ignores_what_fell_due_before_tracking(cli: Cli) -> None:
    cli("track", "--from", "2020-10-20", "--now", NOW)
    # Summer Nights' advice fell due before 20 Oct: only Autumn Nights' (due 21 Oct) is overdue
    result = cli("done", "cp-seasonal", "--now", NOW)
    assert flat(result.stdout).startswith("Done: cp-seasonal-advice autumn-nights-2020 (due Wed 21 Oct 2020), 5 days")


def test_a_range_skip_is_one_record_shown_and_undone_as_one(cli: Cli) -> None:
    result = cli(
        "skip", "ward-street", "--from", "2020-04-01", "--until", "2020-06-30", "--reason", "Lockdown",
        "--by", "Sgt Bell", "--now", NOW,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    record = record_id(result.stdout)
    assert flat(result.stdout) == (
        "Skipped: ward-street-briefing 13 occurrences, 2020-W14 to 2020-W26 (due Sun 5 Apr 2020 to Sun 28 Jun "
        f"2020), by Sgt Bell, in one record. Record {record}; 'commsplan undo --id {record}' retracts them all.\n"
    )
    assert len(FileLog(cli.log).read().records) == 1
    overdue = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "ward panel").stdout)[
        "items"
    ]
    briefings = [i["due"] for i in overdue if i["id"] == "ward-street-briefing"]
    assert briefings[0] == "2020-07-05" and len(briefings) == 17
    report = json.loads(cli("report", "--json", "--now", NOW, "--until", "2020-06-30").stdout)
    ward = next(g for g in report["groups"] if g["group"] == "ward-panels")
    assert ward["skipped"] == 13
    cli("undo", "--id", record, "--now", NOW)
    overdue = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "ward panel").stdout)[
        "items"
    ]
    assert len([i for i in overdue if i["id"] == "ward-street-briefing"]) == 30


def test_a_range_skip_leaves_what_is_done_and_refuses_an_empty_range(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW)
    cli("skip", "iag", "--from", "2020-04-01", "--until", "2020-09-30", "--reason", "x", "--now", NOW)
    records = FileLog(cli.log).read().records
    assert records[-1].data["occurrences"] == ["2020-Q3"]
    empty = cli("skip", "iag", "--from", "2020-04-01", "--until", "2020-09-30", "--reason", "x", "--now", NOW)
    assert empty.exit_code == 1
    assert flat(empty.stderr) == (
        "commsplan: error: no occurrence of 'iag-quarterly-briefing' due from 2020-04-01 to 2020-09-30 is left "
        "to skip\n"
    )
    usage = cli("skip", "iag", "--from", "2020-04-01", "--reason", "x", "--now", NOW)
    assert usage.exit_code == 2
    assert "a range skip takes both --from and --until, and no --occurrence" in flat(usage.stderr)


days = st.dates(min_value=dt.date(2020, 3, 1), max_value=dt.date(2021, 4, 30))


@settings(max_examples=60)
@given(st.sampled_from([a for a in PLAN_OBJ.activities if a.scheduled]), days, days)
def test_a_range_skip_covers_exactly_its_occurrences(activity: object, first: dt.date, second: dt.date) -> None:
    from commsplan.errors import LookupFailed
    from commsplan.plan.data import Activity
    from commsplan.rules.occurrence import occurrences_in_range

    assert isinstance(activity, Activity)
    start, end = min(first, second), max(first, second)
    expected = [
        o.key for o in SCHEDULE.calendar_occurrences(activity, start, end) if start <= o.due <= end
        and PLAN_OBJ.meta.period.start <= o.due <= PLAN_OBJ.meta.period.end
    ]  # fmt: skip
    try:
        covered = [o.key for o in occurrences_in_range(PLAN_OBJ, SCHEDULE, activity, {}, start, end)]
    except LookupFailed:  # nothing to skip there (or the range is outside the period)
        covered = []
    assert covered == expected


class _Record:
    def __init__(self, n: int, kind: str, data: dict[str, object]) -> None:
        self.id, self.type, self.data, self.line = f"r-{n}", kind, data, n
        self.ts = dt.datetime(2020, 4, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)


@settings(max_examples=150)
@given(
    st.sampled_from([a for a in PLAN_OBJ.activities if a.scheduled and a.conditional is None]),
    st.dates(min_value=dt.date(2020, 4, 1), max_value=dt.date(2021, 3, 31)),
    st.sets(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_done_without_occurrence_never_picks_one_older_than_another_overdue(
    activity: object, today: dt.date, done_indexes: set[int]
) -> None:
    from commsplan.errors import LookupFailed
    from commsplan.plan.data import Activity

    assert isinstance(activity, Activity)
    now = dt.datetime.combine(today, dt.time(12), SCHEDULE.zone)
    occurrences = SCHEDULE.occurrences(activity, PLAN_OBJ.meta.period.start, PLAN_OBJ.meta.period.end)
    records = [
        _Record(n, "done", {"activity": activity.id, "occurrence": occurrences[i].key, "by": "x"})
        for n, i in enumerate(sorted(done_indexes))
        if i < len(occurrences)
    ]
    completions = fold(records).completions
    overdue = [o for o in occurrences if o.is_closed(now) and completions.get((activity.id, o.key)) is None]
    try:
        chosen = choose_occurrence(PLAN_OBJ, SCHEDULE, activity, completions, now, None).occurrence
    except LookupFailed:
        return
    if chosen.is_closed(now):
        # an overdue one is chosen only when it is the only one overdue
        assert overdue == [chosen]
    else:
        assert chosen.opens <= today <= chosen.due


def test_report_shows_conditional_duties_as_done_on_n_of_m_days(cli: Cli) -> None:
    for day in ("2020-10-01", "2020-10-02", "2020-10-05"):
        cli("done", "cp-daily", "--now", f"{day}T10:00")
    cli("done", "cp-daily", "--now", "2020-10-05T16:00", "--note", "a second story the same day")
    out = cli("report", "--from", "2020-10-01", "--until", "2020-10-07", "--now", NOW).stdout.splitlines()
    at = out.index("When there is something to say (never counted as missed):")
    assert out[at : at + 3] == [
        "When there is something to say (never counted as missed):",
        "  ward-social-media  done on 0 of 7 days",
        "  cp-daily-updates   done on 3 of 7 days",
    ]
    data = json.loads(cli("report", "--json", "--from", "2020-10-01", "--until", "2020-10-07", "--now", NOW).stdout)
    assert data["conditional"][1] == {
        "id": "cp-daily-updates",
        "what": "Good news stories and crime prevention advice",
        "unit": "days",
        "done": 3,
        "of": 7,
    }
    groups = {g["group"]: g for g in data["groups"]}
    assert "cp-daily-updates" not in json.dumps(groups)
    assert groups["cp-public"]["missed"] == 0


def test_the_autumn_week_replayed(cli: Cli) -> None:
    """A team adopts the plan on Monday 26 Oct 2020 and works through the week."""
    cli("track", "--from", "2020-10-26", "--now", "2020-10-26T08:00", "--by", "Insp Khan")
    cli("done", "cp-half-term", "--now", "2020-10-26T10:00", "--by", "Comms")
    for day in range(26, 32):
        now = f"2020-10-{day}T17:00"
        if day % 2:
            cli("done", "cp-daily", "--now", now, "--by", "Comms")
        items = json.loads(cli("due", "--json", "--expand", "--now", now).stdout)["items"]
        overdue = [i for i in items if i["status"] == "overdue"]
        # nothing from before adoption, and a conditional duty never
        assert all(i["due"] >= "2020-10-26" for i in overdue), day
        assert not [i for i in overdue if i["id"] in ("cp-daily-updates", "ward-social-media")], day
        optional = sorted(i["id"] for i in items if i["status"] == "optional")
        assert optional == (["ward-social-media"] if day % 2 else ["cp-daily-updates", "ward-social-media"]), day
    digest = cli("digest", "--now", "2020-11-02T07:00", "--no-mark", "--since", "2020-10-26").stdout
    # three boroughs' PSGs and a street briefing due 1 Nov; three monthly items and Halloween due 31 Oct
    assert digest.splitlines()[0] == "commsplan Mon 2 Nov: 8 overdue, 0 due today"
    assert "cp-daily-updates" not in digest.split("DUE TODAY")[0]


def test_plain_undo_takes_back_the_last_thing_recorded_even_a_track(cli: Cli) -> None:
    skip = cli("skip", "ward-street", "--from", "2020-11-02", "--until", "2020-11-29", "--reason", "L", "--now", NOW)
    assert skip.exit_code == 0
    track = cli("track", "--from", "2020-10-01", "--now", NOW)
    undone = cli("undo", "--now", NOW)
    assert undone.exit_code == 0, undone.stderr
    assert record_id(track.stdout) in flat(undone.stdout)  # the track, not the older range skip
    again = cli("undo", "--now", NOW)
    assert record_id(skip.stdout) in flat(again.stdout)


def test_a_conditional_duty_done_days_later_is_not_late(cli: Cli) -> None:
    result = cli("done", "cp-daily", "--occurrence", "2020-10-20", "--now", "2020-10-27T09:00")
    assert result.exit_code == 0, result.stderr
    assert "late" not in flat(result.stdout)
    digest = cli("digest", "--now", "2020-10-27T10:00", "--since", "2020-10-26", "--no-mark").stdout
    assert "DONE SINCE MON 26 OCT 2020 00:00 GMT: 1\n" in digest
