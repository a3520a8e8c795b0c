"""A record keeps the time it claims (--now) and the real time it was recorded; a back-dated
record is shown as such, warned about when out of order, and listed by the report."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from commsplan.log.filelog import FileLog

from .helpers import MINIMAL, Cli, flat

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def test_a_record_keeps_the_real_time_beside_the_time_it_claims(cli: Cli) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert (
        cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-09-30T10:00", "--by", "Insp Khan").exit_code == 0
    )
    after = dt.datetime.now(dt.UTC)
    [record] = FileLog(cli.log).read().records
    assert record.ts == dt.datetime(2020, 9, 30, 9, 0, tzinfo=dt.UTC)  # 10:00 BST, as claimed
    recorded = dt.datetime.fromisoformat(record.data["recorded"])
    assert before <= recorded <= after
    line = flat(cli("log").stdout)
    assert re.fullmatch(
        rf"2020-09-30 10:00  done     iag-quarterly-briefing 2020-Q3 by Insp Khan · recorded {STAMP} UTC  "
        r"\[r-[0-9a-f]{12}\]\n",
        line,
    ), line


def test_a_record_made_now_shows_one_time(cli: Cli, tmp_path: Path) -> None:
    # a plan whose period holds today, so that a record made on the real clock is in it
    today = dt.date.today()
    period = f"period: {{start: {today - dt.timedelta(days=100)}, end: {today + dt.timedelta(days=200)}"
    plan = tmp_path / "current.yaml"
    plan.write_text(MINIMAL.replace("period: {start: 2020-04-01, end: 2021-03-31", period), encoding="utf-8")
    result = cli("done", "panel-meeting", "--by", "Insp Khan", "--plan", str(plan))
    assert result.exit_code == 0, result.stderr
    line = flat(cli("log", "--plan", str(plan)).stdout)
    assert "recorded" not in line
    assert "panel-meeting" in line


def test_a_record_dated_before_the_last_one_is_kept_with_a_warning(cli: Cli) -> None:
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-27T10:00").exit_code == 0
    earlier = cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26T10:05")
    assert earlier.exit_code == 0
    assert flat(earlier.stderr) == (
        "commsplan: warning: this record is dated 2020-10-26 10:05, before the log's last record "
        "(2020-10-27 10:00); it is kept with the time it was really recorded\n"
    )
    assert len(FileLog(cli.log).read().records) == 2
    later = cli("done", "iag", "--occurrence", "2020-Q4", "--now", "2020-10-28T10:00")
    assert later.stderr == ""


def test_report_judges_by_the_time_claimed_and_lists_back_dated_records(cli: Cli) -> None:
    assert cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-06-29T10:00", "--by", "Sgt Bell").exit_code == 0
    report = cli("report", "--now", "2020-10-01", "--json")
    document = json.loads(report.stdout)
    [iag] = [g for g in document["groups"] if g["group"] == "iag"]
    assert (iag["due"], iag["on_time"], iag["missed"]) == (2, 1, 1)  # on time, by the time it claims
    [listed] = document["back_dated"]
    assert (listed["activity"], listed["occurrence"], listed["claimed"], listed["by"]) == (
        "iag-quarterly-briefing",
        "2020-Q2",
        "2020-06-29T10:00:00+01:00",
        "Sgt Bell",
    )
    text = flat(cli("report", "--now", "2020-10-01").stdout)
    assert re.search(
        r"\nBack-dated: 1 completion recorded more than a day after the time claimed, and counted at that time: "
        r"iag-quarterly-briefing 2020-Q2 · claims 29 Jun 2020 10:00, recorded \d+ \w{3} \d{4} \d\d:\d\d UTC "
        r"by Sgt Bell \[r-[0-9a-f]{12}\]\n$",
        text,
    ), text
