"""The log's index is derived data: it proves it still describes the log, or it is rebuilt."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from commsplan.log.filelog import FileLog

from .helpers import Cli, flat

NOW = "2020-10-26T10:00"
IAG = ("iag-quarterly-briefing", "2020-Q3")


def index_of(cli: Cli) -> Path:
    return cli.log.with_name(cli.log.name + ".index")


def overdue_iag(cli: Cli) -> list[str]:
    result = cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "IAG")
    assert result.exit_code == 0, result.stderr
    return [item["occurrence"] for item in json.loads(result.stdout)["items"]]


def done_iag_q3(cli: Cli) -> None:
    assert cli("done", *IAG[:1], "--occurrence", IAG[1], "--now", NOW).exit_code == 0
    assert overdue_iag(cli) == ["2020-Q2"]  # through the index, which now exists


def objects(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return sorted(db.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"))
    finally:
        db.close()


def test_an_index_with_a_planted_trigger_is_replaced_by_a_fresh_one(cli: Cli) -> None:
    done_iag_q3(cli)
    # Someone who could write the index adds a trigger that hides every new record, and forges
    # a completion for an occurrence nobody recorded.
    db = sqlite3.connect(index_of(cli))
    db.execute("CREATE TRIGGER hide AFTER INSERT ON records BEGIN DELETE FROM records WHERE line = new.line; END")
    db.execute(
        "INSERT INTO records (line, id, type, ts, epoch, activity, occurrence, by_) "
        "VALUES (99, 'r-forged', 'done', '2020-10-01T00:00:00+00:00', 0, 'iag-quarterly-briefing', '2020-Q2', 'x')"
    )
    db.commit()
    db.close()
    assert cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW).exit_code == 0
    assert overdue_iag(cli) == []
    assert objects(index_of(cli)) == []  # rebuilt, not emptied: the trigger did not survive
    undo = cli("undo", "--now", NOW)
    assert undo.exit_code == 0, undo.stderr
    assert overdue_iag(cli) == ["2020-Q2"]  # the forged record is gone with the old file


def test_an_index_others_can_write_is_not_trusted(cli: Cli) -> None:
    done_iag_q3(cli)
    index = index_of(cli)
    old_inode = index.stat().st_ino
    index.chmod(0o666)
    assert overdue_iag(cli) == ["2020-Q2"]
    assert index.stat().st_mode & 0o777 == 0o600
    assert index.stat().st_ino != old_inode  # a fresh file, renamed into place


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_an_index_owned_by_someone_else_is_not_trusted(cli: Cli) -> None:
    done_iag_q3(cli)
    index = index_of(cli)
    db = sqlite3.connect(index)
    db.execute("UPDATE records SET retracted = 1")  # their copy says nothing is done
    db.commit()
    db.close()
    os.chown(index, 4321, 4321)
    assert overdue_iag(cli) == ["2020-Q2"]
    assert index.stat().st_uid == os.getuid()


def test_a_same_length_edit_of_a_middle_line_is_seen_even_with_the_old_mtime(cli: Cli) -> None:
    for key in ("2020-Q2", "2020-Q3"):
        assert cli("done", "iag", "--occurrence", key, "--now", NOW).exit_code == 0
    assert cli("done", "snb-quarterly-meeting", "--occurrence", "2020-Q2", "--now", NOW).exit_code == 0
    assert overdue_iag(cli) == []
    before = cli.log.stat()
    text = cli.log.read_bytes()
    edited = text.replace(b'"occurrence":"2020-Q2"', b'"occurrence":"2020-Q1"', 1)
    assert len(edited) == len(text) and edited != text
    with cli.log.open("r+b") as handle:  # in place: same inode, same size
        handle.write(edited)
    os.utime(cli.log, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    assert overdue_iag(cli) == ["2020-Q2"]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (
            b'{"activity":"iag-quarterly-briefing","occurrence":"2020-Q2","type":"done","id":"r-x"}',
            "not a record (no 'v' field)",
        ),
        (None, "not valid JSON (text after the record)"),  # CRLF
        (None, "not valid JSON"),  # leading spaces
    ],
)
def test_lines_the_full_read_skips_the_index_skips_too(cli: Cli, line: bytes | None, why: str) -> None:
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    copy = FileLog(cli.log).read().records[0]
    raw = cli.log.read_bytes().rstrip(b"\n").replace(copy.id.encode(), b"r-forged").replace(b"2020-Q3", b"2020-Q2")
    if line is None:
        line = raw + b"\r" if "after" in why else b"  " + raw
    with cli.log.open("ab") as handle:
        handle.write(line + b"\n")
    due = cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "IAG")  # through the index
    assert [item["occurrence"] for item in json.loads(due.stdout)["items"]] == ["2020-Q2"]
    assert f"commsplan: warning: log line 2: {why} (skipped)" in flat(due.stderr)
    # and what nobody recorded can be recorded
    assert cli("done", "iag", "--occurrence", "2020-Q2", "--now", NOW).exit_code == 0


def test_records_made_under_another_plan_file_are_counted_and_said(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_bytes((Path(__file__).parent.parent / "plans" / "east_area_2020.yaml").read_bytes())
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW, "--plan", str(plan)).exit_code == 0
    with plan.open("a") as handle:
        handle.write("# edited\n")
    for full in (False, True):  # through the index, and through a full read (undo, no index)
        if full:
            index_of(cli).unlink()
            index_of(cli).mkdir()
        due = cli("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "IAG", "--plan", str(plan))
        assert [item["occurrence"] for item in json.loads(due.stdout)["items"]] == ["2020-Q2"]
        digest = FileLog(cli.log).read().records[0].plan
        assert flat(due.stderr) == (
            f"commsplan: warning: the log has 1 record(s) made under another plan file than this one "
            f"(plan sha256 {digest[:12]}); they are counted against this plan\n"
        )


def test_done_writes_its_record_before_it_makes_an_index(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # On a nearly full disk the index (and its journal) must not take the room the record needs:
    # a command that appends makes a missing index only once its record is written.
    from commsplan.log.index import LogIndex

    seen: list[int] = []
    real = LogIndex._rebuild

    def rebuild(self: LogIndex, fd: int) -> sqlite3.Connection:
        seen.append(cli.log.read_bytes().count(b"\n"))  # not FileLog.read: the append holds the lock
        return real(self, fd)

    monkeypatch.setattr(LogIndex, "_rebuild", rebuild)
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    assert seen == [1]
    assert index_of(cli).is_file()


def test_done_records_even_when_no_index_can_be_made(cli: Cli) -> None:
    index_of(cli).mkdir()
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    again = cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    assert again.exit_code == 1 and "is already done" in flat(again.stderr)
    assert len(FileLog(cli.log).read().records) == 1
