"""The completion log: round trips, the record format, damaged lines, the hash chain, many writers."""

from __future__ import annotations

import datetime as dt
import fcntl
import gc
import hashlib
import json
import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsplan.errors import LogError
from commsplan.log import filelog as logbook
from commsplan.log.filelog import FileLog
from commsplan.log.records import CompletionLog, LogProblem, LogRead, LogRecord

from .helpers import PLAN_DIGEST as PLAN
from .helpers import TS, Cli, add, flat


def lines_of(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return raw[:-1].split(b"\n")


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


# --- round trips and the format ----------------------------------------------------------------


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "nowhere" / "log.jsonl")
    assert not log.exists()
    assert log.read() == LogRead((), ())
    assert log.verify() == LogRead((), ())
    assert not (tmp_path / "nowhere").exists()  # reading creates nothing


def test_appended_records_read_back_equal_and_the_chain_verifies(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "data" / "commsplan" / "log.jsonl", make_folder=True)
    written = [
        add(log, 1, channel="e-mail", note="Minutes sent.\nSecond line\r\nand\u2028a separator"),
        add(log, 2, "skip", reason="Meeting cancelled by the chair"),
        log.append("retract", TS + dt.timedelta(hours=1), {"target": "r-0123", "by": "insp.ali"}, PLAN, "r-own"),
        log.append(
            "incident-open",
            dt.datetime(2020, 10, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            {"incident": "i-1", "title": "Stabbing, Romford", "level": "critical", "steps": ["snb", "iag"], "n": 3},
            PLAN,
        ),
    ]
    assert log.exists()
    read = log.read()
    assert read.problems == ()
    assert [r.line for r in read.records] == [1, 2, 3, 4]
    # equal in everything but the line number, which append cannot know without counting
    assert [dt_replace_line(r, 0) for r in read.records] == written
    assert all(w.line == 0 for w in written)
    assert read.records[2].id == "r-own"
    assert read.records[3].ts == dt.datetime(2020, 10, 26, 9, 0, tzinfo=dt.UTC)
    assert read.records[3].ts.utcoffset() == dt.timedelta(hours=1)  # the offset given is kept
    verified = log.verify()
    assert (verified.records, verified.problems) == (read.records, read.problems)
    assert verified.head is not None and verified.head.lines == 4  # and where the log ends, to witness


def dt_replace_line(record: LogRecord, line: int) -> LogRecord:
    import dataclasses

    return dataclasses.replace(record, line=line)


def test_each_record_is_one_compact_sorted_json_line_chained_to_the_one_before(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    first = log.append("done", TS, {"activity": "a", "note": "é\n\u2028"}, PLAN, "r-0123456789ab")
    second = add(log, 2)
    raw = lines_of(log.path)
    assert (
        raw[0]
        == (
            '{"activity":"a","id":"r-0123456789ab","note":"é\\n\u2028","plan":"' + PLAN + '","prev":"",'
            '"ts":"2020-10-26T09:00:00+00:00","type":"done","v":1}'
        ).encode()
    )
    assert json.loads(raw[1])["prev"] == sha(raw[0]) == second.prev
    assert first.prev == ""
    assert len(second.id) == 14 and second.id.startswith("r-") and int(second.id[2:], 16) >= 0


def test_files_and_folders_are_private(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "a" / "b" / "log.jsonl", make_folder=True)  # the default log's folders
    add(log, 1)
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700  # parents created on the way too
    assert (tmp_path / "a" / "b").stat().st_mode & 0o777 == 0o700


def test_no_text_can_split_a_record(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    nasty = 'done\n{"v":1,"id":"forged"}\r\n\u2028\u2029\x85\x00\x1b[2J'
    add(log, 1, note=nasty, by=nasty)
    raw = log.path.read_bytes()
    assert raw.count(b"\n") == 1 and b"\r" not in raw
    [record] = log.read().records
    assert record.data["note"] == nasty and record.data["by"] == nasty


def test_records_from_a_later_version_are_read_with_their_new_keys(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    line = json.dumps(
        {
            "v": 2,
            "id": "r-1",
            "ts": "2020-10-26T09:00:00+00:00",
            "type": "done",
            "plan": "p",
            "prev": "",
            "activity": "a",
            "signature": {"alg": "ed25519", "sig": "00"},
        },
        separators=(",", ":"),
    )
    path.write_text(line + "\n")
    read = FileLog(path).verify()
    assert read.problems == ()
    assert dict(read.records[0].data) == {"activity": "a", "signature": {"alg": "ed25519", "sig": "00"}}


@pytest.mark.parametrize(
    ("kind", "ts", "data", "record_id", "message"),
    [
        ("", TS, {}, None, "completion NOT recorded: a record needs a type"),
        ("done", TS.replace(tzinfo=None), {}, None, "completion NOT recorded: a record's time needs a UTC offset"),
        (
            "done",
            TS,
            {"prev": "", "id": ""},
            None,
            "completion NOT recorded: record data may not use the keys id, prev",
        ),
        ("done", TS, {1: "x"}, None, "completion NOT recorded: record data keys must be strings"),
        ("done", TS, {"note": {1, 2}}, None, "completion NOT recorded: the record cannot be written as JSON: "),
        ("done", TS, {"n": float("nan")}, None, "completion NOT recorded: the record cannot be written as JSON: "),
        ("done", TS, {"note": "\udce9"}, None, "completion NOT recorded: the record cannot be written as JSON: "),
        ("done", TS, {}, "", "completion NOT recorded: a record id must be a non-empty string"),
    ],
)
def test_a_record_that_cannot_be_written_is_refused_before_the_file_is_touched(
    tmp_path: Path, kind: str, ts: dt.datetime, data: dict[str, object], record_id: str, message: str
) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    before = log.path.read_bytes()
    with pytest.raises(LogError) as caught:
        log.append(kind, ts, data, PLAN, record_id)
    assert caught.value.message.startswith(message)
    assert log.path.read_bytes() == before


# --- damaged lines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (b'{"v":1,"id":"r-x","ts":"2020', "not valid JSON"),
        (b"\xff\xfe not utf-8", "not valid UTF-8"),
        (b"", "empty line"),
        (b"[1,2]", "not a record (not a JSON object)"),
        (b'{"v":1}{"v":1}', "not valid JSON (text after the record)"),
        # strict JSON, as the encoder writes it: no NaN, no lone surrogate
        (b'{"v":1,"id":"r","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":"","n":NaN}', "not valid JSON"),
        (
            b'{"v":1,"id":"r","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":"","n":"\\ud800"}',
            "not valid JSON",
        ),
        (
            b'{"v":1,"id":"r","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":""} ',
            "not valid JSON (text after the record)",
        ),
        (b'{"v":1,"id":"r-x","type":"done","plan":"p","prev":""}', "not a record (no 'ts' field)"),
        (
            b'{"v":1,"id":"r-x","ts":"2020-10-26T09:00","type":"done","plan":"p","prev":""}',
            "not a record (time '2020-10-26T09:00' is not ISO 8601 with a UTC offset)",
        ),
        (
            b'{"v":1,"id":"","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":""}',
            "not a record ('id' is not a non-empty string)",
        ),
        (
            b'{"v":"1","id":"r","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":""}',
            "not a record (format version '1')",
        ),
        (
            b'{"v":1,"id":"r","ts":"2020-10-26T09:00Z","type":"done","plan":"p","prev":null}',
            "not a record ('prev' is not a string)",
        ),
    ],
)
def test_a_damaged_middle_line_is_named_and_skipped_and_the_rest_counts(tmp_path: Path, bad: bytes, why: str) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    for n in range(1, 5):
        add(log, n)
    lines = lines_of(log.path)
    lines[1] = bad
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    read = log.read()
    assert [r.data["occurrence"] for r in read.records] == ["2020-Q1", "2020-Q3", "2020-Q4"]
    assert [r.line for r in read.records] == [1, 3, 4]
    assert read.problems == (LogProblem(2, "corrupt", f"line 2: {why} (skipped)"),)


def test_a_torn_last_line_is_reported_and_skipped(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    add(log, 2)
    with log.path.open("ab") as handle:
        handle.write(b'{"activity":"snb-quarterly-meeting","by":"sgt')  # an append cut short
    read = log.read()
    assert [r.line for r in read.records] == [1, 2]
    assert read.problems == (
        LogProblem(3, "torn-tail", "line 3: incomplete last line (an interrupted write; skipped)"),
    )
    assert log.verify().problems == read.problems  # not a chain break: nothing follows it


def test_a_log_longer_than_a_read_chunk_with_a_line_longer_than_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logbook, "_READ_CHUNK", 1000)
    log = FileLog(tmp_path / "log.jsonl")
    written = [add(log, n, note="x" * (n * 700)) for n in range(8)]
    read = log.verify()
    assert read.problems == ()
    assert [r.id for r in read.records] == [w.id for w in written]
    assert read.records[7].data["note"] == "x" * 4900


def test_reading_a_folder_or_a_fifo_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(LogError) as caught:
        FileLog(tmp_path / "dir.jsonl").read()
    assert caught.value.message == f"{tmp_path / 'dir.jsonl'}: is a folder, not a log file"
    os.mkfifo(tmp_path / "fifo.jsonl", 0o600)
    with pytest.raises(LogError) as caught:
        FileLog(tmp_path / "fifo.jsonl").verify()  # and does not hang waiting for a writer
    assert caught.value.message == f"{tmp_path / 'fifo.jsonl'}: is not a regular file (a FIFO), so not a log"
    with pytest.raises(LogError) as caught:
        FileLog(Path("/dev/null/log.jsonl")).read()
    assert caught.value.message == "/dev/null/log.jsonl: cannot read the log: Not a directory"


def test_reading_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    log.read()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen if frozen == 0 else gc.get_freeze_count() >= frozen
    gc.disable()
    try:
        log.verify()
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- the hash chain ----------------------------------------------------------------------------


def five(tmp_path: Path) -> FileLog:
    log = FileLog(tmp_path / "log.jsonl")
    for n in range(1, 6):
        add(log, n)
    return log


def chain_problems(log: FileLog) -> list[LogProblem]:
    return [p for p in log.verify().problems if p.kind == "chain"]


def test_an_edited_line_breaks_the_chain_at_the_line_after_it(tmp_path: Path) -> None:
    log = five(tmp_path)
    lines = lines_of(log.path)
    lines[2] = lines[2].replace(b'"by":"sgt.jones"', b'"by":"sgt.smith"')  # still a valid record
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert log.read().problems == ()  # reading alone cannot tell
    assert chain_problems(log) == [
        LogProblem(4, "chain", "line 4: hash chain broken (line edited, removed or inserted before it)")
    ]


def test_an_edited_last_line_with_a_forged_prev_breaks_at_that_line(tmp_path: Path) -> None:
    log = five(tmp_path)
    lines = lines_of(log.path)
    lines[4] = lines[4].replace(json.loads(lines[4])["prev"].encode(), b"0" * 64)
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert [p.line for p in chain_problems(log)] == [5]


@pytest.mark.parametrize(("change", "broken_at"), [("remove-first", 1), ("remove-middle", 3), ("insert", 3)])
def test_a_removed_or_inserted_line_breaks_the_chain(tmp_path: Path, change: str, broken_at: int) -> None:
    log = five(tmp_path)
    lines = lines_of(log.path)
    if change == "remove-first":
        del lines[0]
    elif change == "remove-middle":
        del lines[2]
    else:
        lines.insert(2, lines[1])  # a copy of a genuine record, replayed
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert [p.line for p in chain_problems(log)] == [broken_at]


def test_only_the_first_break_is_reported(tmp_path: Path) -> None:
    log = five(tmp_path)
    lines = lines_of(log.path)
    del lines[3]
    del lines[1]
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert [p.line for p in chain_problems(log)] == [2]


def test_a_record_written_after_a_corrupt_line_chains_to_its_bytes(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    with log.path.open("ab") as handle:
        handle.write(b"scribbled by an editor\n")
    add(log, 3)
    checked = log.verify()
    assert [r.line for r in checked.records] == [1, 3]
    assert checked.problems == (LogProblem(2, "corrupt", "line 2: not valid JSON (skipped)"),)  # no chain break
    # removing the scribble now is a change the chain shows
    lines = lines_of(log.path)
    del lines[1]
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert [p.line for p in chain_problems(log)] == [2]


# --- appending stays cheap ---------------------------------------------------------------------


def write_big_log(path: Path, count: int, note_size: int) -> None:
    """A chained log written directly (fast), as FileLog would have written it."""
    prev, out = "", []
    for n in range(count):
        body = {
            "v": 1,
            "id": f"r-{n:012x}",
            "ts": TS.isoformat(),
            "type": "done",
            "plan": PLAN,
            "prev": prev,
            "activity": "cp-daily-updates",
            "occurrence": str(n),
            "note": "n" * note_size,
        }
        line = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        out.append(line)
        prev = sha(line)
    path.write_bytes(b"\n".join(out) + b"\n")
    path.chmod(0o600)


def test_appending_to_a_big_log_reads_only_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    write_big_log(log.path, 2000, 10_000)  # 20 MB
    assert log.path.stat().st_size > 20_000_000
    read_bytes = []
    real_pread = os.pread

    def counting_pread(fd: int, n: int, off: int) -> bytes:
        read_bytes.append(n)
        return real_pread(fd, n, off)

    monkeypatch.setattr(os, "pread", counting_pread)
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("append read the file from the start"))
    add(log, 1)
    monkeypatch.undo()
    assert sum(read_bytes) < 150_000
    checked = log.verify()
    assert checked.problems == () and len(checked.records) == 2001


# --- the interface and the helpers -------------------------------------------------------------


def test_file_log_is_a_completion_log(tmp_path: Path) -> None:
    log: CompletionLog = FileLog(tmp_path / "log.jsonl")
    assert isinstance(log, CompletionLog)


def test_plan_identity(tmp_path: Path) -> None:
    assert logbook.plan_identity(b"plan") == PLAN


def test_network_filesystem_warning(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    share = tmp_path / "police share"
    local = share / "local"
    local.mkdir(parents=True)
    escaped = str(share).replace(" ", "\\040")
    mounts.write_text(
        f"/dev/sda1 / ext4 rw 0 0\nserver:/export {escaped} nfs4 rw 0 0\n/dev/sdb1 {escaped}/local ext4 rw 0 0\n"
    )
    warning = logbook.filesystem_warning(share / "log.jsonl", mounts=mounts)
    assert warning == (
        f"the log {share / 'log.jsonl'} is on a network filesystem (nfs4 at {share}): file locks there are "
        "unreliable, so two people recording at once could damage it; keep the log on a local disk"
    )
    assert logbook.filesystem_warning(share / "new" / "deeper" / "log.jsonl", mounts=mounts) is not None
    assert logbook.filesystem_warning(local / "log.jsonl", mounts=mounts) is None  # the longest mount point wins
    assert logbook.filesystem_warning(tmp_path / "log.jsonl", mounts=mounts) is None
    for kind in ("cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "nfs"):
        mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nx {tmp_path} {kind} rw 0 0\n")
        assert f"({kind} at {tmp_path})" in (logbook.filesystem_warning(tmp_path / "log.jsonl", mounts=mounts) or "")
    assert logbook.filesystem_warning(tmp_path / "log.jsonl", mounts=tmp_path / "no-such-file") is None


# --- many writers at once ----------------------------------------------------------------------


def note_for(writer: int, n: int) -> str:
    """100 bytes to 70 KB, different for every record, and cheap to make and to check."""
    size = 100 + (n * 7919 + writer * 104_729) % (70_000 - 100)
    stamp = f"<w{writer}n{n}>"
    return (stamp * (size // len(stamp) + 1))[:size]


def append_many(path: str, writer: int, count: int) -> None:
    log = FileLog(Path(path))
    for n in range(count):
        log.append("done", TS, {"activity": f"w{writer}", "occurrence": n, "note": note_for(writer, n)}, PLAN)


def test_eight_processes_appending_at_once_lose_and_mix_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=append_many, args=(str(path), w, 500)) for w in range(8)]
    for p in writers:
        p.start()
    # Meanwhile, read: a reader waits for an append in flight, so it never sees a half record.
    reads = 0
    while any(p.is_alive() for p in writers) and reads < 5:
        if path.exists():
            assert FileLog(path).read().problems == ()
            reads += 1
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    checked = FileLog(path).verify()
    assert checked.problems == ()
    assert len(checked.records) == 4000
    for w in range(8):
        mine = [r for r in checked.records if r.data["activity"] == f"w{w}"]
        assert [r.data["occurrence"] for r in mine] == list(range(500))
        assert all(r.data["note"] == note_for(w, r.data["occurrence"]) for r in mine)


def waiting_for_lock(path: Path) -> bool:
    """True when some process waits for a flock on ``path`` (a "->" line in /proc/locks)."""
    inode = f":{path.stat().st_ino} "
    return any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def test_a_reader_waits_for_an_append_in_flight_instead_of_reporting_it_torn(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    line = lines_of(log.path)[0]
    fd = os.open(log.path, os.O_WRONLY | os.O_APPEND)
    results: list[LogRead] = []
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # play a writer half-way through its one write
        os.write(fd, line[:40])
        reader = threading.Thread(target=lambda: results.append(log.read()))
        reader.start()
        deadline = time.monotonic() + 20
        while not waiting_for_lock(log.path) and time.monotonic() < deadline:
            pass
        assert waiting_for_lock(log.path)
        os.write(fd, line[40:] + b"\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    reader.join(20)
    assert results[0].problems == ()
    assert len(results[0].records) == 2


# --- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
record_data = st.dictionaries(
    st.text(max_size=12).filter(lambda k: k not in {"v", "id", "ts", "type", "plan", "prev"}), json_values, max_size=5
)
records = st.lists(
    st.tuples(
        st.sampled_from(["done", "skip", "retract", "incident-open", "incident-note"]) | st.text(min_size=1),
        st.datetimes(timezones=st.timezones()),
        record_data,
        st.text(max_size=64),
        st.none() | st.text(min_size=1, max_size=20),
    ),
    max_size=8,
)


@given(items=records)
def test_any_sequence_of_records_round_trips(
    tmp_path_factory: pytest.TempPathFactory, items: list[tuple[str, dt.datetime, dict[str, object], str, str | None]]
) -> None:
    log = FileLog(tmp_path_factory.mktemp("log") / "log.jsonl")
    written = [log.append(kind, ts, data, plan, record_id) for kind, ts, data, plan, record_id in items]
    checked = log.verify()
    assert checked.problems == ()
    assert [(r.type, instant(r.ts), dict(r.data), r.plan, r.id) for r in checked.records] == [
        (kind, instant(ts), data, plan, record_id or w.id)
        for (kind, ts, data, plan, record_id), w in zip(items, written, strict=True)
    ]
    assert (log.path.read_bytes() if items else b"").count(b"\n") == len(items)  # one line per record
    assert log.exists() == bool(items)


def instant(ts: dt.datetime) -> tuple[dt.datetime, dt.timedelta | None]:
    # the wall time and offset as written; == between zones is False for times in a DST fold
    return ts.replace(tzinfo=None, fold=0), ts.utcoffset()


def test_export_out_never_replaces_a_link_or_a_device(cli: Cli, tmp_path: Path) -> None:
    assert cli("done", "snb-quarterly", "--now", "2020-10-26T10:00").exit_code == 0
    target = tmp_path / "target.jsonl"
    target.write_text("keep")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = cli("log", "export", "--out", str(link))
    assert result.exit_code == 1
    assert "nothing exported" in flat(result.stderr) and "not a regular file" in flat(result.stderr)
    assert link.is_symlink() and target.read_text() == "keep"
    out = tmp_path / "export.jsonl"
    assert cli("log", "export", "--out", str(out)).exit_code == 0
    assert out.read_bytes() == cli.log.read_bytes() and stat.S_IMODE(out.stat().st_mode) == 0o600
