"""The completion log under faults: torn and failed writes, full disks, odd files, killed writers.

Whatever happens, a record is either in the log whole or the caller is told "completion NOT
recorded", and no other record is lost or damaged.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import grp
import multiprocessing
import os
import re
import resource
import signal
import stat
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NoReturn

import pytest

from commsplan.errors import LogError
from commsplan.log.filelog import FileLog
from commsplan.log.records import LogProblem

from .helpers import PLAN_DIGEST as PLAN
from .helpers import TS, add

TORN = b'{"activity":"snb-quarterly-meeting","by":"sgt.jo'


def log_with(tmp_path: Path, count: int) -> FileLog:
    log = FileLog(tmp_path / "log.jsonl")
    for n in range(1, count + 1):
        add(log, n)
    return log


def message_of(caught: pytest.ExceptionInfo[LogError]) -> str:
    return caught.value.message


# --- torn tails --------------------------------------------------------------------------------


def test_the_next_append_sets_a_torn_tail_aside_and_writes_its_record_on_a_line_of_its_own(tmp_path: Path) -> None:
    log = log_with(tmp_path, 2)
    with log.path.open("ab") as handle:
        handle.write(TORN)
    kept = log.path.read_bytes()[: -len(TORN)]
    record = add(log, 3)  # at 09:03 UTC: the side file is named after the record's time
    side = tmp_path / "log.jsonl.torn-20201026T090300Z"
    assert side.read_bytes() == TORN
    assert side.stat().st_mode & 0o777 == 0o600
    assert log.path.read_bytes().startswith(kept)  # the records before it are untouched
    checked = log.verify()
    assert checked.problems == ()  # the new record chains to the last complete line
    assert [r.line for r in checked.records] == [1, 2, 3]
    assert checked.records[2].id == record.id
    # a second torn tail at the same time gets a side file of its own
    with log.path.open("ab") as handle:
        handle.write(b"{")
    log.append("done", TS + dt.timedelta(minutes=3), {"activity": "a"}, PLAN)
    assert (tmp_path / "log.jsonl.torn-20201026T090300Z-2").read_bytes() == b"{"
    assert side.read_bytes() == TORN
    assert log.verify().problems == ()


def test_a_log_that_is_all_torn_tail_starts_the_chain_again(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    log.path.write_bytes(TORN)
    log.path.chmod(0o600)
    assert log.read().problems == (
        LogProblem(1, "torn-tail", "line 1: incomplete last line (an interrupted write; skipped)"),
    )
    record = add(log, 1)
    assert record.prev == ""
    assert [r.id for r in log.verify().records] == [record.id] and log.verify().problems == ()
    assert [p.read_bytes() for p in tmp_path.glob("log.jsonl.torn-*")] == [TORN]


def test_when_a_torn_tail_cannot_be_set_aside_nothing_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = log_with(tmp_path, 2)
    with log.path.open("ab") as handle:
        handle.write(TORN)
    before = log.path.read_bytes()

    def failing_fsync(fd: int) -> NoReturn:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(LogError) as caught:
        add(log, 3)
    monkeypatch.undo()
    assert message_of(caught) == (
        f"completion NOT recorded: {log.path} ends with an interrupted record ({len(TORN)} bytes) that could "
        "not be set aside: an input/output error (the disk may be failing); the log is unchanged"
    )
    assert log.path.read_bytes() == before
    assert list(tmp_path.glob("log.jsonl.torn-*")) == []  # no half-written side file left behind


# --- short writes and I/O errors ---------------------------------------------------------------


def test_a_short_write_is_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = log_with(tmp_path, 2)
    before = log.path.read_bytes()
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data)[: len(data) // 2]))
    with pytest.raises(LogError) as caught:
        add(log, 3, note="x" * 1000)
    monkeypatch.undo()
    assert message_of(caught).startswith("completion NOT recorded: only ")
    assert message_of(caught).endswith(" bytes could be written (disk full or file size limit); the log is unchanged")
    assert log.path.read_bytes() == before
    add(log, 4)
    assert log.verify().problems == ()


def _append_under_size_limit(path: str, limit: int, conn: Connection) -> None:  # runs in a forked child
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer at the limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    try:
        FileLog(Path(path)).append("done", TS, {"activity": "big", "note": "x" * 50_000}, PLAN)
    except LogError as exc:
        conn.send(exc.message)
    else:
        conn.send("recorded")


@pytest.mark.parametrize(
    ("room", "expected"),
    [
        (
            1000,
            r"completion NOT recorded: only 1000 of \d+ bytes could be written \(disk full or file size limit\); "
            "the log is unchanged",
        ),
        (0, "completion NOT recorded: the file is too large; the log is unchanged"),
    ],
)
def test_a_real_short_write_at_the_file_size_limit(tmp_path: Path, room: int, expected: str) -> None:
    log = log_with(tmp_path, 2)
    before = log.path.read_bytes()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    writer = ctx.Process(target=_append_under_size_limit, args=(str(log.path), len(before) + room, child))
    writer.start()
    writer.join(30)
    assert writer.exitcode == 0
    assert parent.poll(0)
    assert re.fullmatch(expected, parent.recv())
    assert log.path.read_bytes() == before


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EIO, "an input/output error (the disk may be failing)"),
        (errno.EFBIG, "the file is too large"),
        (errno.EDQUOT, "the disk quota is exceeded"),
    ],
)
@pytest.mark.parametrize("call", ["write", "fsync"])
def test_write_and_fsync_errors_leave_the_log_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str, call: str
) -> None:
    log = log_with(tmp_path, 2)
    before = log.path.read_bytes()
    calls = []
    real = getattr(os, call)

    def failing(fd: int, *args: object) -> NoReturn:
        calls.append(fd)
        if call == "fsync":
            real(fd)  # the data reached the file; the disk then fails to keep it
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, call, failing)
    with pytest.raises(LogError) as caught:
        add(log, 3)
    monkeypatch.undo()
    saving = " while saving to disk" if call == "fsync" else ""
    assert message_of(caught) == f"completion NOT recorded: {reason}{saving}; the log is unchanged"
    assert len(calls) == 1  # an fsync is never retried, a write never repeated
    assert log.path.read_bytes() == before
    add(log, 4)
    assert log.verify().problems == ()


def test_when_even_taking_back_fails_the_message_says_so_and_the_next_append_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = log_with(tmp_path, 2)
    before = log.path.read_bytes()
    real_fsync = os.fsync

    def dying_disk(fd: int, *args: object) -> NoReturn:
        real_fsync(fd)
        raise OSError(errno.EIO, "I/O error")

    def no_truncate(fd: int, size: int) -> NoReturn:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", dying_disk)
    monkeypatch.setattr(os, "ftruncate", no_truncate)
    with pytest.raises(LogError) as caught:
        add(log, 3)
    monkeypatch.undo()
    assert message_of(caught) == (
        "completion NOT recorded: an input/output error (the disk may be failing) while saving to disk; "
        "a partial line may be left at the end of the log: the next append sets it aside"
    )
    # here the whole line did reach the file: it reads as a record, and the next append chains after it
    assert log.path.read_bytes().startswith(before)
    add(log, 4)
    assert log.verify().problems == ()


# --- files that are not a private regular file -------------------------------------------------


def test_dev_full_through_a_symbolic_link_and_directly_is_refused(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").symlink_to("/dev/full")
    with pytest.raises(LogError) as caught:
        add(FileLog(tmp_path / "log.jsonl"), 1)
    assert message_of(caught) == (
        f"completion NOT recorded: {tmp_path / 'log.jsonl'} is a symbolic link; refusing to follow it "
        "(give the real file with --log)"
    )
    with pytest.raises(LogError) as caught:
        add(FileLog(Path("/dev/full")), 1)
    assert message_of(caught) == "completion NOT recorded: /dev/full is not a regular file (a character device)"


def test_a_symbolic_link_to_a_real_log_is_refused_and_the_log_untouched(tmp_path: Path) -> None:
    real = log_with(tmp_path, 1)
    before = real.path.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(real.path)
    with pytest.raises(LogError, match="is a symbolic link; refusing to follow it"):
        add(FileLog(tmp_path / "link.jsonl"), 2)
    assert real.path.read_bytes() == before


def test_a_hard_linked_log_is_refused(tmp_path: Path) -> None:
    log = log_with(tmp_path, 1)
    os.link(log.path, tmp_path / "elsewhere.jsonl")
    with pytest.raises(LogError) as caught:
        add(log, 2)
    assert message_of(caught) == (
        f"completion NOT recorded: {log.path} has 2 hard links; a log must have exactly one name"
    )
    assert len(log.read().records) == 1


@pytest.mark.parametrize(("mode", "shown"), [(0o666, "-rw-rw-rw-"), (0o602, "-rw-----w-")])
def test_a_log_writable_by_everyone_is_refused(tmp_path: Path, mode: int, shown: str) -> None:
    log = log_with(tmp_path, 1)
    log.path.chmod(mode)
    with pytest.raises(LogError) as caught:
        add(log, 2)
    assert message_of(caught) == (
        f"completion NOT recorded: {log.path} is writable by everyone (mode {shown}); fix it with: chmod o-w {log.path}"
    )
    assert len(log.read().records) == 1


def test_a_log_writable_by_its_group_needs_a_folder_set_up_for_the_group(tmp_path: Path) -> None:
    log = log_with(tmp_path, 1)
    log.path.chmod(0o660)
    tmp_path.chmod(0o700)
    group = grp.getgrgid(os.stat(tmp_path).st_gid).gr_name
    with pytest.raises(LogError) as caught:
        add(log, 2)
    assert message_of(caught) == (
        f"completion NOT recorded: {log.path} is shared with group {group} (mode -rw-rw----) but its folder "
        f"is not set up for the group (group {group}, mode drwx------): the index and side files the team "
        f"creates there must belong to {group}; fix it with: chmod g+rwxs {tmp_path} "
        f"(or, if the log is yours alone: chmod g-w {log.path})"
    )
    assert len(log.read().records) == 1
    tmp_path.chmod(0o2770)  # as the message says: now the group's members can all append
    add(log, 2)
    assert len(log.read().records) == 2


def test_a_new_log_in_a_group_folder_is_the_groups_from_its_first_instant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two members' first records at once: the one who does not create the log opens it the
    moment it exists, so it must never be seen with the umask's mode (0640 under 022)."""
    tmp_path.chmod(0o2770)
    seen: list[int] = []
    real_open = os.open

    def open_and_look(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kw: object) -> int:
        fd = real_open(path, flags, mode, **kw)  # type: ignore[arg-type]
        if flags & os.O_CREAT and Path(path).name == "log.jsonl":
            seen.append(stat.S_IMODE(os.fstat(fd).st_mode))  # what another member would meet now
        return fd

    monkeypatch.setattr(os, "open", open_and_look)
    previous = os.umask(0o022)
    try:
        add(FileLog(tmp_path / "log.jsonl"), 1)
        assert os.umask(0o022) == 0o022  # put back as it was
    finally:
        os.umask(previous)
    assert seen == [0o660]
    assert stat.S_IMODE((tmp_path / "log.jsonl").stat().st_mode) == 0o660


def test_a_log_in_a_folder_anyone_can_write_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    log = log_with(folder, 1)
    folder.chmod(0o777)
    with pytest.raises(LogError) as caught:
        add(log, 2)
    assert message_of(caught) == (
        f"completion NOT recorded: the log's folder {folder} is writable by everyone, so anyone could "
        f"replace the log; fix it with: chmod o-w {folder}"
    )
    folder.chmod(0o1777)  # sticky, as /tmp: nobody else can rename or remove the owner's private log
    add(log, 2)
    assert len(log.read().records) == 2


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "log.jsonl", 0o600)
    with pytest.raises(LogError) as caught:
        add(FileLog(tmp_path / "log.jsonl"), 1)
    assert message_of(caught) == f"completion NOT recorded: {tmp_path / 'log.jsonl'} is not a regular file (a FIFO)"


def test_a_folder_where_the_log_should_be(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").mkdir()
    with pytest.raises(LogError) as caught:
        add(FileLog(tmp_path / "log.jsonl"), 1)
    assert message_of(caught) == f"completion NOT recorded: {tmp_path / 'log.jsonl'} is a folder, not a log file"


def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    with pytest.raises(LogError) as caught:
        add(FileLog(Path("/dev/null/log.jsonl"), make_folder=True), 1)
    assert message_of(caught) == "completion NOT recorded: /dev/null is not a folder"
    with pytest.raises(LogError) as caught:
        add(FileLog(Path("/dev/null/log.jsonl")), 1)
    assert message_of(caught) == "completion NOT recorded: /dev/null/log.jsonl: part of this path is not a folder"
    with pytest.raises(LogError) as caught:
        add(FileLog(Path("/dev/null/commsplan/log.jsonl"), make_folder=True), 1)
    assert message_of(caught) == "completion NOT recorded: /dev/null/commsplan: part of this path is not a folder"


def test_a_read_only_folder(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions (the /dev/null/... test covers an unusable folder)")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(LogError) as caught:
            add(FileLog(folder / "log.jsonl"), 1)
    finally:
        folder.chmod(0o700)
    assert message_of(caught) == f"completion NOT recorded: cannot open {folder / 'log.jsonl'}: permission denied"


def test_a_log_replaced_while_waiting_for_the_lock_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = log_with(tmp_path, 1)
    before = log.path.read_bytes()
    real_flock = fcntl.flock

    def flock_after_someone_moves_the_log(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_EX:  # while this writer waited, another program replaced the file
            os.rename(log.path, tmp_path / "old.jsonl")
            log.path.write_bytes(b"")
            log.path.chmod(0o600)
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_someone_moves_the_log)
    with pytest.raises(LogError) as caught:
        add(log, 2)
    monkeypatch.undo()
    assert message_of(caught) == (
        f"completion NOT recorded: {log.path} was removed or replaced while waiting to write; try again"
    )
    assert (tmp_path / "old.jsonl").read_bytes() == before
    assert log.path.read_bytes() == b""


# --- writers killed mid-append -----------------------------------------------------------------


BIG = 1_000_000  # a big record takes long enough to write that a kill can land inside the write


def _append_until_killed(path: str, name: str) -> None:  # runs in a forked child
    log = FileLog(Path(path))
    note = "x" * BIG
    n = 0
    while True:
        log.append("done", TS, {"activity": name, "occurrence": n, "note": note}, PLAN)
        n += 1


def _kill_during_a_write(path: Path, procs: Sequence[multiprocessing.process.BaseProcess]) -> bool:
    """Poll the file (no sleeping) until a write is in flight, kill -9 the writers; say if caught."""
    start = path.stat().st_size if path.exists() else 0
    caught = False
    deadline = time.monotonic() + 20
    fd = -1
    try:
        while time.monotonic() < deadline and not caught:
            if fd == -1:
                try:
                    fd = os.open(path, os.O_RDONLY)
                except FileNotFoundError:
                    continue
            size = os.fstat(fd).st_size
            # two records more this round, and the file does not end in a newline: a write in flight
            caught = size > start + 2 * BIG and os.pread(fd, 1, size - 1) != b"\n"
    finally:
        for p in procs:
            assert p.pid is not None
            os.kill(p.pid, signal.SIGKILL)
        for p in procs:
            p.join(30)
        if fd != -1:
            os.close(fd)
    assert all(p.exitcode == -signal.SIGKILL for p in procs)
    return caught


def test_writers_killed_mid_append_leave_a_log_that_reads_and_carries_on(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = FileLog(path)
    ctx = multiprocessing.get_context("fork")
    rounds, torn_seen, caught = 0, 0, 0
    # Kill three writers in the middle of a write, again and again: each new round starts by
    # setting aside the torn tail the last one left (if the kill landed before the write ended).
    while rounds < 3 or ((torn_seen == 0 or caught == 0) and rounds < 12):
        procs = [ctx.Process(target=_append_until_killed, args=(str(path), f"r{rounds}w{w}")) for w in range(3)]
        for p in procs:
            p.start()
        caught += _kill_during_a_write(path, procs)
        read = log.read()
        # at most the record in flight is torn, and only at the end: under the lock each writer
        # set an earlier torn tail aside before writing
        assert len(read.problems) <= 1 and all(p.kind == "torn-tail" for p in read.problems)
        assert all(p.line == len(read.records) + 1 for p in read.problems)
        torn_seen += len(read.problems)
        rounds += 1

    # a test of killed writes that never killed a write proves nothing: it must have caught one
    assert caught >= 1, "no kill landed while a write was in flight"
    read = log.read()
    assert len(read.records) >= 2 * rounds
    for name in {r.data["activity"] for r in read.records}:
        mine = [r.data["occurrence"] for r in read.records if r.data["activity"] == name]
        assert mine == list(range(len(mine)))  # none lost before the last, none twice
    assert all(r.data["note"] == "x" * BIG for r in read.records)
    sides = sorted(tmp_path.glob("log.jsonl.torn-*"))
    for side in sides:  # what was set aside is the start of a record, kept
        torn = side.read_bytes()
        assert torn and b"\n" not in torn and torn.startswith(b'{"activity":"r')
    after = add(log, 99)
    final = log.verify()
    assert final.problems == ()
    assert final.records[-1].id == after.id
    assert len(list(tmp_path.glob("log.jsonl.torn-*"))) == torn_seen  # every torn tail was kept aside
