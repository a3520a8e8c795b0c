"""The completion log: round trips, damage, faults, many writers, crashes."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsplan import logbook
from commsplan.errors import LogError
from commsplan.logbook import FileLog

from .logworkers import TS, append_many, note_for

ROOT = Path(__file__).resolve().parent.parent


def add(log: FileLog, n: int, **extra: str):
    return log.append("done", TS + dt.timedelta(minutes=n), {"activity": "a", "occurrence": str(n), **extra}, "plan1")


def test_round_trip_and_chain(tmp_path):
    log = FileLog(tmp_path / "sub" / "log.jsonl")
    assert log.read().records == () and log.read().problems == ()  # a missing log is empty
    written = [add(log, n, note=f"note {n}\nwith a newline\u2028and a separator") for n in range(5)]
    read = log.read()
    assert [(r.id, r.type, dict(r.data), r.plan, r.line) for r in read.records] == [
        (w.id, "done", dict(w.data), "plan1", n + 1) for n, w in enumerate(written)
    ]
    assert read.records[2].ts == TS + dt.timedelta(minutes=2)
    assert log.verify().problems == ()
    raw = log.path.read_bytes()
    assert raw.count(b"\n") == 5  # JSON escaped the notes' newlines: one record, one line
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"
    assert oct(log.path.parent.stat().st_mode & 0o777) == "0o700"
    first, second = raw.split(b"\n")[:2]
    assert json.loads(second)["prev"] == hashlib.sha256(first).hexdigest()


def test_torn_final_line_is_reported_then_set_aside(tmp_path):
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    with open(log.path, "ab") as handle:
        handle.write(b'{"v":1,"id":"r-torn","ts":"2020')  # an interrupted append
    read = log.read()
    assert len(read.records) == 1
    assert [(p.line, p.kind) for p in read.problems] == [(2, "torn-tail")]
    record = add(log, 2)
    assert [r.id for r in log.read().records] == [read.records[0].id, record.id]
    assert log.read().problems == () and log.verify().problems == ()
    [side] = tmp_path.glob("log.jsonl.torn-*")
    assert side.read_bytes() == b'{"v":1,"id":"r-torn","ts":"2020'


def test_corrupt_middle_line_is_skipped_and_named(tmp_path):
    log = FileLog(tmp_path / "log.jsonl")
    for n in range(3):
        add(log, n)
    lines = log.path.read_bytes().split(b"\n")
    lines[1] = b"{not json"
    log.path.write_bytes(b"\n".join(lines))
    read = log.read()
    assert [r.data["occurrence"] for r in read.records] == ["0", "2"]
    assert [(p.line, p.kind) for p in read.problems] == [(2, "corrupt")]
    assert read.problems[0].message.startswith("line 2: not a valid record")
    # line 3 was chained to line 2 as it was written: verify shows where the damage is
    chain = [p for p in log.verify().problems if p.kind == "chain"]
    assert [p.line for p in chain] == [3]


def test_an_edited_line_breaks_the_chain_where_it_was_edited(tmp_path):
    log = FileLog(tmp_path / "log.jsonl")
    for n in range(5):
        add(log, n, by="alice")
    text = log.path.read_text()
    log.path.write_text(text.replace('"occurrence":"2"', '"occurrence":"9"'))
    chain = [p for p in log.verify().problems if p.kind == "chain"]
    assert [p.line for p in chain] == [4]
    assert chain[0].message.startswith("line 4: hash chain broken")
    # a removed line too
    lines = text.splitlines(keepends=True)
    log.path.write_text("".join(lines[:1] + lines[2:]))
    assert [p.line for p in log.verify().problems] == [2]


def test_short_write_leaves_the_log_unchanged(tmp_path, monkeypatch):
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    before = log.path.read_bytes()
    real_write = os.write
    monkeypatch.setattr(logbook.os, "write", lambda fd, data: real_write(fd, bytes(data)[: len(data) // 2]))
    with pytest.raises(LogError, match=r"completion NOT recorded: only .* bytes could be written"):
        add(log, 2)
    monkeypatch.undo()
    assert log.path.read_bytes() == before
    add(log, 3)
    assert log.verify().problems == ()


def test_real_short_write_under_a_file_size_limit(tmp_path):
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    before = log.path.read_bytes()
    limit = len(before) + 1000
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "logworkers.py"), "limit", str(log.path), str(limit)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 3, result.stderr
    assert "completion NOT recorded" in result.stdout
    assert log.path.read_bytes() == before


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("call", ["write", "fsync"])
def test_write_and_fsync_errors_leave_the_log_unchanged(tmp_path, monkeypatch, code, call):
    log = FileLog(tmp_path / "log.jsonl")
    add(log, 1)
    before = log.path.read_bytes()
    calls = []
    real = getattr(os, call)

    def failing(fd, *args):
        if call == "write":
            calls.append(fd)
            raise OSError(code, os.strerror(code))
        real(fd, *args)  # let fsync write the data, then fail like a dying disk
        calls.append(fd)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(logbook.os, call, failing)
    with pytest.raises(LogError) as caught:
        add(log, 2)
    monkeypatch.undo()
    assert caught.value.message.startswith("completion NOT recorded: ")
    assert len(calls) == 1  # an fsync is never retried
    assert log.path.read_bytes() == before


def test_dev_full(tmp_path):
    with pytest.raises(LogError, match="is not a regular file"):
        add(FileLog(Path("/dev/full")), 1)
    (tmp_path / "log.jsonl").symlink_to("/dev/full")
    with pytest.raises(LogError, match="is a symbolic link"):
        add(FileLog(tmp_path / "log.jsonl"), 1)


def test_symlink_hard_link_and_writable_by_others_are_refused(tmp_path):
    real = FileLog(tmp_path / "real.jsonl")
    add(real, 1)
    (tmp_path / "link.jsonl").symlink_to(real.path)
    with pytest.raises(LogError, match="is a symbolic link; refusing to follow it"):
        add(FileLog(tmp_path / "link.jsonl"), 2)
    os.link(real.path, tmp_path / "hard.jsonl")
    with pytest.raises(LogError, match="has 2 hard links"):
        add(real, 2)
    os.unlink(tmp_path / "hard.jsonl")
    real.path.chmod(0o666)
    with pytest.raises(LogError, match=r"is writable by others \(mode -rw-rw-rw-\); run: chmod go-w"):
        add(real, 2)
    assert len(real.read().records) == 1


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(LogError, match="is not a regular file"):
        add(FileLog(fifo), 1)
    with pytest.raises(LogError, match="is not a regular file"):
        FileLog(fifo).read()


def test_folder_where_the_log_should_be_and_unusable_paths(tmp_path):
    (tmp_path / "log.jsonl").mkdir()
    with pytest.raises(LogError, match="is a folder, not a log file"):
        add(FileLog(tmp_path / "log.jsonl"), 1)
    with pytest.raises(LogError, match="is a folder, not a log file"):
        FileLog(tmp_path / "log.jsonl").read()
    with pytest.raises(LogError, match="completion NOT recorded: /dev/null is not a folder"):
        add(FileLog(Path("/dev/null/log.jsonl")), 1)


def test_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions; /dev/null/... above covers an unwritable path")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(LogError, match="completion NOT recorded"):
        add(FileLog(folder / "log.jsonl"), 1)


def test_many_processes_lose_and_interleave_nothing(tmp_path):
    path = tmp_path / "log.jsonl"
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=append_many, args=(str(path), w, 500)) for w in range(8)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
        assert p.exitcode == 0
    read = FileLog(path).verify()
    assert read.problems == ()
    assert len(read.records) == 4000
    for w in range(8):
        mine = [r for r in read.records if r.data["activity"] == f"w{w}"]
        assert [r.data["occurrence"] for r in mine] == [str(n) for n in range(500)]
        assert all(r.data["note"] == note_for(w, int(r.data["occurrence"])) for r in mine)


def test_killed_writers_leave_a_log_that_parses(tmp_path):
    path = tmp_path / "log.jsonl"
    script = str(ROOT / "tests" / "logworkers.py")
    procs = [subprocess.Popen([sys.executable, script, "forever", str(path), str(w)], cwd=ROOT) for w in range(3)]
    try:
        # wait (polling, not sleeping) until they have written a good deal, then kill them mid-flight
        give_up = time.monotonic() + 30
        while (not path.exists() or path.stat().st_size < 2_000_000) and time.monotonic() < give_up:
            os.sched_yield()
        assert path.stat().st_size >= 2_000_000
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
        for p in procs:
            p.wait()
    log = FileLog(path)
    read = log.read()
    assert read.records
    assert all(p.kind == "torn-tail" for p in read.problems)  # at most the record in flight
    for w in range(3):
        mine = [int(r.data["occurrence"]) for r in read.records if r.data["activity"] == f"w{w}"]
        assert mine == list(range(len(mine)))
    after = log.append("done", TS, {"activity": "after", "occurrence": "1"}, "p")
    final = log.verify()
    assert final.problems == ()
    assert final.records[-1].id == after.id


def test_network_filesystem_warning(tmp_path, monkeypatch):
    mounts = f"server:/export {tmp_path} nfs4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\n"
    real_read_text = Path.read_text
    monkeypatch.setattr(
        Path,
        "read_text",
        lambda self, *a, **k: mounts if str(self) == "/proc/mounts" else real_read_text(self, *a, **k),
    )
    assert "network filesystem (nfs4" in logbook.filesystem_warning(tmp_path / "log.jsonl")
    assert logbook.filesystem_warning(Path("/var/log.jsonl")) is None


records = st.lists(
    st.tuples(
        st.sampled_from(["done", "skip", "retract", "incident-open"]),
        st.dictionaries(
            st.sampled_from(["activity", "occurrence", "note", "by", "target"]),
            st.text(max_size=40),
            max_size=4,
        ),
    ),
    max_size=12,
)


@given(items=records)
def test_any_records_round_trip(tmp_path_factory, items):
    log = FileLog(tmp_path_factory.mktemp("log") / "log.jsonl")
    written = [log.append(kind, TS, data, "p") for kind, data in items]
    read = log.verify()
    assert read.problems == ()
    assert [(r.id, r.type, dict(r.data)) for r in read.records] == [(w.id, w.type, dict(w.data)) for w in written]
