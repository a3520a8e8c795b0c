"""done, skip, undo, log, info: what a user records and sees."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commsplan.log.filelog import FileLog
from commsplan.log.state import CompletionMap, fold

from .helpers import BOTH, Cli, flat

NOW = "2020-10-26T10:00"


@BOTH
def test_done_picks_the_open_occurrence_and_leaves_the_due_list(cli: Cli) -> None:
    result = cli("done", "snb-quarterly", "--now", NOW, "--by", "Sgt Jones", "--note", "Minutes on the SNB site")
    assert result.exit_code == 0, result.stderr
    assert flat(result.stdout).startswith(
        "Done: snb-quarterly-meeting 2020-Q4 (due Thu 31 Dec 2020), by Sgt Jones. Record r-"
    )
    due = json.loads(cli("due", "--json", "--expand", "--now", NOW, "-a", "SNB").stdout)["items"]
    assert [(i["occurrence"], i["status"]) for i in due] == [("2020-Q2", "overdue"), ("2020-Q3", "overdue")]
    with_done = json.loads(cli("due", "--json", "--expand", "--all", "--now", NOW, "-a", "SNB").stdout)["items"]
    done = [i for i in with_done if i["status"] == "done"]
    assert done[0]["occurrence"] == "2020-Q4"
    assert done[0]["completed"]["by"] == "Sgt Jones" and done[0]["completed"]["late"] is False


@BOTH
def test_done_again_is_refused_with_who_did_it_and_the_overdue_ones_to_name(cli: Cli) -> None:
    first = cli("done", "iag", "--now", NOW, "--by", "Insp Khan")
    record = re.findall(r"r-[0-9a-f]{12}", first.stdout)[0]
    again = cli("done", "iag", "--now", NOW)
    assert again.exit_code == 1
    assert again.stdout == ""
    lines = again.stderr.splitlines()
    assert flat("\n".join(lines[:3])) == (
        f"commsplan: error: iag-quarterly-briefing 2020-Q4 is already done (2020-10-26 by Insp Khan, record "
        f"{record}); 'commsplan undo --id {record}' retracts it"
    )
    assert lines[3:] == [
        "Older occurrences are overdue; to record one of them, name it:",
        "  2020-Q2, due Tue 30 Jun 2020 (118 days ago):",
        "    commsplan done iag-quarterly-briefing --occurrence 2020-Q2",
        "  2020-Q3, due Wed 30 Sep 2020 (26 days ago):",
        "    commsplan done iag-quarterly-briefing --occurrence 2020-Q3",
    ]
    assert len(cli.records()) == 1


def test_with_several_overdue_and_none_open_done_refuses_and_lists_them(cli: Cli) -> None:
    result = cli("done", "cp-seasonal", "--now", NOW)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "commsplan: error: cp-seasonal-advice has 2 overdue occurrences and none open",
        "  now; say which one with --occurrence:",
        "  summer-nights-2020, due Mon 20 Jul 2020 (98 days ago):",
        "    commsplan done cp-seasonal-advice --occurrence summer-nights-2020",
        "  autumn-nights-2020, due Wed 21 Oct 2020 (5 days ago):",
        "    commsplan done cp-seasonal-advice --occurrence autumn-nights-2020",
    ]
    assert not cli.log.exists()
    skip = cli("skip", "cp-seasonal", "--reason", "x", "--now", NOW)
    assert "    commsplan skip cp-seasonal-advice --occurrence summer-nights-2020" in skip.stderr


@BOTH
def test_with_exactly_one_overdue_and_none_open_done_takes_it_and_says_it_is_late(cli: Cli) -> None:
    cli("done", "cp-seasonal", "--occurrence", "summer-nights-2020", "--now", NOW)
    result = cli("done", "cp-seasonal", "--now", NOW)
    assert flat(result.stdout).startswith(
        "Done: cp-seasonal-advice autumn-nights-2020 (due Wed 21 Oct 2020), 5 days late, by"
    )


def test_a_campaign_open_now_is_the_one_done_never_last_season(cli: Cli) -> None:
    # 14 Oct 2020: Summer Nights' advice is overdue, but Autumn Nights' (the Met's operation
    # from Wed 21 Oct) opened on 7 Oct: that is the one being done
    result = cli("done", "cp-seasonal", "--now", "2020-10-14")
    assert flat(result.stdout).startswith("Done: cp-seasonal-advice autumn-nights-2020 (due Wed 21 Oct 2020), by")
    later = cli("done", "cp-seasonal", "--now", "2020-11-20")
    assert flat(later.stdout).startswith("Done: cp-seasonal-advice winter-nights-2020 (due Mon 30 Nov 2020), by")


def test_occurrence_by_a_day_inside_its_window(cli: Cli) -> None:
    result = cli("done", "la-problem", "--unit", "havering", "--occurrence", "2020-10-12", "--now", NOW)
    assert flat(result.stdout).startswith(
        "Done: la-problem-solving-group 2020-10-05@havering (due Sun 18 Oct 2020), 8 days late, by"
    )
    gap = cli("done", "cp-halloween", "--occurrence", "2020-07-01", "--now", NOW)
    assert gap.exit_code == 1
    assert flat(gap.stderr) == (
        "commsplan: error: no occurrence of 'cp-halloween' is open on 2020-07-01; the nearest: "
        "halloween-2020 (2020-10-17 to 2020-10-31)\n"
    )


def test_done_outside_the_period_is_refused_and_writes_nothing(cli: Cli) -> None:
    key = cli("done", "iag", "--occurrence", "2021-Q2", "--now", NOW)
    assert key.exit_code == 1
    assert flat(key.stderr) == (
        "commsplan: error: iag-quarterly-briefing 2021-Q2 is outside the plan's period (1 Apr 2020 to 31 Mar "
        "2021); nothing was recorded.\n"
    )
    day = cli("skip", "la-problem", "-u", "havering", "--occurrence", "2021-04-12", "--reason", "x", "--now", NOW)
    assert day.exit_code == 1
    assert "la-problem-solving-group 2021-04-12 is outside the plan's period" in flat(day.stderr)
    today = cli("done", "snb-quarterly", "--now", "2026-11-29")
    assert today.exit_code == 1
    assert flat(today.stderr) == (
        "commsplan: error: now (2026-11-29) is outside the plan's period (1 Apr 2020 to 31 Mar 2021); nothing "
        "was recorded. To record one of its occurrences, name it with --occurrence KEY.\n"
    )
    assert not cli.log.exists()


def test_a_wrong_key_is_matched_against_the_period_keys_only(cli: Cli) -> None:
    result = cli("done", "iag", "--occurrence", "2020-Q5", "--now", NOW)
    assert flat(result.stderr) == (
        "commsplan: error: 'iag-quarterly-briefing' has no occurrence '2020-Q5' (did you mean '2020-Q4' or "
        "'2020-Q3' or '2020-Q2'?)\n"
    )
    far = cli("done", "iag", "--occurrence", "Q4", "--now", NOW)
    assert flat(far.stderr) == (
        "commsplan: error: 'iag-quarterly-briefing' has no occurrence 'Q4'; its keys run from 2020-Q2 to 2021-Q1\n"
    )


def test_a_conditional_duty_is_done_as_often_as_there_is_news(cli: Cli) -> None:
    first = cli("done", "cp-daily", "--now", NOW)
    second = cli("done", "cp-daily", "--now", NOW, "--note", "second story")
    assert first.exit_code == second.exit_code == 0
    assert flat(second.stdout).startswith("Done: cp-daily-updates 2020-10-26 (due Mon 26 Oct 2020), by")
    assert len(FileLog(cli.log).read().records) == 2


@BOTH
def test_done_twice_for_one_occurrence_is_refused(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    again = cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    assert again.exit_code == 1
    assert "iag-quarterly-briefing 2020-Q3 is already done (2020-10-26 by" in flat(again.stderr)
    assert len(cli.records()) == 1


@BOTH
def test_unknown_or_ambiguous_activity_writes_nothing(cli: Cli) -> None:
    unknown = cli("done", "snb-quartely", "--now", NOW)
    assert unknown.exit_code == 1
    assert "no activity 'snb-quartely' (did you mean 'snb-quarterly-meeting'?)" in flat(unknown.stderr)
    ambiguous = cli("done", "cp-", "--now", NOW)
    assert ambiguous.exit_code == 1
    assert "'cp-' is the start of 8 activities" in ambiguous.stderr
    bad_key = cli("done", "snb-quarterly", "--occurrence", "2020-Q5", "--now", NOW)
    assert bad_key.exit_code == 1
    assert "has no occurrence '2020-Q5'" in bad_key.stderr
    assert not cli.records()


@BOTH
def test_channel_must_be_one_the_plan_names(cli: Cli) -> None:
    wrong = cli("done", "snb-quarterly", "--channel", "leaflet", "--now", NOW)
    assert wrong.exit_code == 1
    assert "'snb-quarterly-meeting' is not sent by Leaflet drop; the plan says: Meeting" in flat(wrong.stderr)
    ok = cli("done", "snb-quarterly", "--channel", "meetings", "--evidence", "minute 12/3", "--now", NOW, "--json")
    record = json.loads(ok.stdout)
    assert record["channel"] == "meeting" and record["evidence"] == "minute 12/3"


@BOTH
def test_skip_counts_as_skipped_not_missed(cli: Cli) -> None:
    result = cli(
        "skip", "ward-panel-meeting", "--occurrence", "2020-Q2", "--reason", "Cancelled: lockdown", "--now", NOW
    )
    assert result.stdout.startswith("Skipped: ward-panel-meeting 2020-Q2")
    overdue = json.loads(
        cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "ward panel", "-c", "meeting").stdout
    )["items"]
    assert [i["occurrence"] for i in overdue] == ["2020-Q3"]
    assert cli("skip", "ward-panel-meeting", "--reason", " ", "--now", NOW).exit_code == 1


@BOTH
def test_undo_appends_a_retraction_and_restores_the_item(cli: Cli) -> None:
    cli("done", "cmg", "--occurrence", "2020-Q3", "--now", NOW)
    cli("done", "cmg", "--occurrence", "2020-Q4", "--now", NOW)
    before = cli.records()
    result = cli("undo", "--now", "2020-10-26T11:00")
    assert result.stdout.startswith("Retracted done of cmg-quarterly-briefing 2020-Q4 (record r-")
    assert cli.records()[:2] == before  # appended, nothing rewritten
    open_items = json.loads(cli("due", "--json", "--expand", "--now", NOW, "-a", "CMG").stdout)["items"]
    assert ("2020-Q4", "open") in [(i["occurrence"], i["status"]) for i in open_items]
    second = cli("undo", "--now", "2020-10-26T11:01")
    assert "2020-Q3" in second.stdout
    assert (
        cli("undo", "--now", "2020-10-26T11:02").stderr
        == "commsplan: error: there is no completion to undo in this log\n"
    )


@BOTH
def test_log_lists_history_and_marks_retractions(cli: Cli) -> None:
    cli("done", "faith-briefings", "--occurrence", "2020-Q3", "--now", NOW, "--by", "PC \x1b]0;pwned\x07 Smith")
    cli("undo", "--now", NOW)
    out = cli("log").stdout
    # made with --now in 2020: the real time of recording is shown beside the time claimed
    assert re.search(
        r"done     faith-briefings 2020-Q3 by PC \\x1b\]0;pwned\\x07 Smith · recorded \d{4}-\d\d-\d\d \d\d:\d\d UTC "
        r"\(retracted\)",
        flat(out),
    )
    assert "\x1b" not in out
    records = json.loads(cli("log", "--json", "--activity", "faith").stdout)
    assert [(r["type"], r["retracted"]) for r in records] == [("done", True)]
    assert cli("log", "--since", "2020-10-27").stdout.startswith("No records match")


def test_log_verify_names_the_broken_line(cli: Cli) -> None:
    for key in ("2020-Q2", "2020-Q3", "2020-Q4"):
        cli("done", "iag", "--occurrence", key, "--now", NOW)
    assert "3 records, hash chain intact\nHead now: 3:" in flat(cli("log", "--verify").stdout)
    cli.log.write_text(cli.log.read_text().replace("2020-Q3", "2020-Q1"))
    result = cli("log", "--verify")
    assert result.exit_code == 1
    assert "line 3: hash chain broken" in flat(result.stdout)
    assert flat(result.stderr).endswith("the hash chain is broken at line 3\n")


def test_damaged_log_still_counts_the_rest(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW)
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    with open(cli.log, "ab") as handle:
        handle.write(b'{"v":1,"id":"r-x"')
    result = cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "IAG")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["items"] == []
    assert "commsplan: warning: log line 3: incomplete last line (an interrupted write; skipped)" in flat(result.stderr)


def test_records_for_activities_the_plan_no_longer_has_are_kept_and_reported(cli: Cli) -> None:
    FileLog(cli.log).append(
        "done",
        __import__("datetime").datetime(2020, 10, 1, tzinfo=__import__("datetime").UTC),
        {"activity": "old-activity", "occurrence": "2020-Q3", "by": "x"},
        "oldplan",
    )
    result = cli("due", "--today", "--now", NOW)
    assert result.exit_code == 0
    assert "the log has 1 record(s) for activities this plan does not have (old-activity); kept" in flat(result.stderr)


def test_unreadable_log_is_a_data_error(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    result = cli("due", "--now", NOW, "--log", str(folder))
    assert result.exit_code == 1
    assert flat(result.stderr) == f"commsplan: error: {folder}: is a folder, not a log file\n"
    write = cli("done", "iag", "--now", NOW, "--log", str(folder))
    assert write.exit_code == 1
    assert "completion NOT recorded" in write.stderr


@BOTH
def test_info(cli: Cli) -> None:
    cli("done", "iag", "--now", NOW)
    out = cli("info", "--now", NOW).stdout
    # whole, never broken: beside its label, or on a line of its own when too long for it
    assert f"log           {cli.target}\n" in out or f"log\n  {cli.target}\n" in out
    assert json.loads(cli("info", "--json", "--now", NOW).stdout)["log"] == cli.target
    assert "log records   1\n" in out
    data = json.loads(cli("info", "--json", "--now", NOW).stdout)
    assert data["log_records"] == 1 and data["plan_title"].startswith("EAST AREA")


def test_unscheduled_activities_are_recorded_against_the_day(cli: Cli) -> None:
    result = cli("done", "ward-leaflet", "--now", NOW, "--note", "Burglary leaflets, Elm Park")
    assert result.stdout.startswith("Done: ward-leaflet-drops 2020-10-26")


steps = st.lists(st.sampled_from(["done-q2", "done-q3", "done-q4", "undo"]), max_size=10)


@settings(max_examples=30)
@given(sequence=steps)
def test_any_sequence_of_done_and_undo_round_trips(
    tmp_path_factory: pytest.TempPathFactory, sequence: list[str]
) -> None:
    """The state rebuilt from the file equals the state the same steps give in memory."""
    import datetime as dt

    log = FileLog(tmp_path_factory.mktemp("seq") / "log.jsonl")
    expected: dict[str, str] = {}  # occurrence -> record id in force
    stack: list[tuple[str, str]] = []
    for n, step in enumerate(sequence):
        ts = dt.datetime(2020, 10, 26, 10, n, tzinfo=dt.UTC)
        if step == "undo":
            live = [(k, r) for k, r in stack if expected.get(k) == r]
            if not live:
                continue
            key, record_id = live[-1]
            log.append("retract", ts, {"target": record_id}, "p")
            stack.remove((key, record_id))
            earlier = [r for k, r in stack if k == key]
            if earlier:
                expected[key] = earlier[-1]
            else:
                expected.pop(key)
        else:
            key = "2020-" + step[-2:].upper()
            record = log.append("done", ts, {"activity": "a", "occurrence": key, "by": "x"}, "p")
            stack.append((key, record.id))
            expected[key] = record.id
    state = fold(log.read().records)
    assert isinstance(state.completions, CompletionMap)
    assert {k: c.record_id for (_, k), c in state.completions.items()} == expected


def test_a_line_the_log_reader_rejects_counts_nowhere(cli: Cli) -> None:
    """One parser: a record with "v": "1" (a string) is skipped by `log`, `due` and `report` alike."""
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW)
    good = json.loads(cli.log.read_text().splitlines()[0])
    forged = {**good, "v": "1", "id": "r-forged000000", "occurrence": "2020-Q3", "due": "2020-09-30"}
    with cli.log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(forged) + "\n")
    shown = cli("log")
    assert "line 2: not a record (format version '1') (skipped)" in flat(shown.stderr)
    assert "r-forged000000" not in shown.stdout
    overdue = json.loads(cli("due", "--json", "--expand", "--overdue", "-a", "IAG", "--now", NOW).stdout)["items"]
    assert [i["occurrence"] for i in overdue] == ["2020-Q3"]
    report = json.loads(cli("report", "--json", "--by", "audience", "--now", NOW).stdout)
    iag = next(g for g in report["groups"] if g["group"] == "iag")
    assert (iag["on_time"], iag["late"], iag["missed"]) == (0, 1, 1)


@BOTH
def test_a_back_dated_range_skip_is_reported_alike_on_both_back_ends(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-20")
    cli("skip", "ward-street", "--from", "2020-11-02", "--until", "2020-11-29", "--reason", "x", "--now", "2020-10-20")
    report = json.loads(cli("report", "--json", "--now", "2020-11-30").stdout)
    dated = sorted((b["activity"], b["occurrence"]) for b in report["back_dated"])
    assert ("iag-quarterly-briefing", "2020-Q2") in dated
    assert [o for a, o in dated if a == "ward-street-briefing"] == ["2020-W45", "2020-W46", "2020-W47", "2020-W48"]


def test_a_range_skip_folded_from_the_records_keeps_when_it_was_really_recorded(cli: Cli) -> None:
    from commsplan.log.state import fold

    cli("skip", "ward-street", "--from", "2020-11-02", "--until", "2020-11-29", "--reason", "x", "--now", "2020-10-20")
    folded = fold(cli.records()).completions  # the full read, as without an index
    skipped = folded.get(("ward-street-briefing", "2020-W45"))
    assert skipped is not None and skipped.recorded is not None and skipped.back_dated


@BOTH
def test_done_in_json_gives_the_line_it_wrote(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW)
    written = json.loads(cli("done", "cmg", "--occurrence", "2020-Q3", "--now", NOW, "--json").stdout)
    listed = json.loads(cli("log", "--json").stdout)
    lines = {r["record"]: r["line"] for r in (listed["records"] if isinstance(listed, dict) else listed)}
    assert written["line"] == lines[written["record"]] == 2
