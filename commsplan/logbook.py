"""The completion log: append-only, tamper-evident, safe with many writers, and nothing lost.

A JSON Lines file; each line is one self-describing record carrying the sha256 of the line
before it, so an edited, removed or inserted line breaks the chain where it happened.

Writing: the file is opened O_APPEND|O_NOFOLLOW|O_CLOEXEC and refused if it is a link, a
hard-linked file, not a regular file, or writable by others. Under an exclusive flock held
across reading the tail, writing and fsync, a torn tail left by an interrupted writer is moved
to a side file and cut off, then the record goes out as ONE os.write of one line. flock, not
lockf: a lockf (POSIX) lock vanishes when *any* descriptor of the file in the process is
closed, which reading the file does. A short write or an error leaves the log as it was.

Reading never raises for damaged content: a torn final line or a corrupt line is reported
and skipped, and every other record still counts.

``CompletionLog`` is the small interface the rest of commsplan uses, so a team that outgrows
one machine can keep its log in a database server without touching the rules.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import stat
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from commsplan.errors import LogError

FORMAT_VERSION = 1
_TAIL_CHUNK = 64 * 1024
_ENVELOPE = ("v", "id", "ts", "type", "plan", "prev")
_NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs", "ceph", "glusterfs"})


@dataclass(frozen=True)
class LogRecord:
    line: int  # 1-based line number in the file (0: not known, as for a record just appended)
    id: str
    ts: dt.datetime
    type: str
    data: Mapping[str, Any]
    plan: str  # sha256 of the plan file the record was made under
    prev: str  # sha256 of the previous line's bytes, "" for the first


@dataclass(frozen=True)
class LogProblem:
    line: int
    kind: str  # "torn-tail" | "corrupt" | "chain"
    message: str


@dataclass(frozen=True)
class LogRead:
    records: tuple[LogRecord, ...]
    problems: tuple[LogProblem, ...]


class CompletionLog(Protocol):
    def append(
        self, type: str, ts: dt.datetime, data: Mapping[str, Any], plan: str, record_id: str | None = None
    ) -> LogRecord: ...

    def read(self) -> LogRead: ...

    def verify(self) -> LogRead: ...


def plan_identity(plan_bytes: bytes) -> str:
    return hashlib.sha256(plan_bytes).hexdigest()


def default_log_path(plan_path: Path) -> Path:
    """One log per plan file, in the user's data folder."""
    from platformdirs import user_data_path

    resolved = str(plan_path.resolve())
    tag = hashlib.sha256(resolved.encode()).hexdigest()[:8]
    return user_data_path("commsplan", appauthor=False) / f"{plan_path.stem}-{tag}.jsonl"


def filesystem_warning(path: Path) -> str | None:
    """A warning when the log's folder is on a network filesystem, where locks are unreliable."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    folder = str(path.parent.resolve()) if path.parent.exists() else str(path.parent.absolute())
    best, best_type = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = folder == point or folder.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, best_type = point, parts[2]
    if best_type in _NETWORK_FS:
        return (
            f"the log {path} is on a network filesystem ({best_type} at {best}): file locks there are "
            "unreliable, so two people recording at once could clash; keep the log on a local disk"
        )
    return None


def _encode(record_id: str, ts: dt.datetime, type_: str, data: Mapping[str, Any], plan: str, prev: str) -> bytes:
    if ts.tzinfo is None:
        raise ValueError("a record's timestamp needs a UTC offset")
    clash = set(_ENVELOPE) & set(data)
    if clash:
        raise ValueError(f"record data may not use the keys {sorted(clash)}")
    body = {
        "v": FORMAT_VERSION,
        "id": record_id,
        "ts": ts.isoformat(),
        "type": type_,
        "plan": plan,
        "prev": prev,
        **data,
    }
    # JSON escapes \n and \r, so no text inside a record can split it or forge another.
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _decode(raw: bytes, number: int) -> LogRecord:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    try:
        ts = dt.datetime.fromisoformat(value["ts"])
        record = LogRecord(
            line=number,
            id=str(value["id"]),
            ts=ts,
            type=str(value["type"]),
            data={k: v for k, v in value.items() if k not in _ENVELOPE},
            plan=str(value.get("plan", "")),
            prev=str(value.get("prev", "")),
        )
    except KeyError as exc:
        raise ValueError(f"missing {exc}") from None
    if ts.tzinfo is None or not record.type or not record.id:
        raise ValueError("incomplete record")
    return record


class FileLog:
    """CompletionLog over a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    # --- reading -------------------------------------------------------------------------------

    def _raw(self) -> bytes:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return b""
        except IsADirectoryError:
            raise LogError(f"{self.path}: is a folder, not a log file") from None
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise LogError(f"{self.path}: is a folder, not a log file")
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"{self.path}: is not a regular file")
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {exc.strerror}") from None
        finally:
            os.close(fd)

    def read(self) -> LogRead:
        return self._scan(check_chain=False)

    def verify(self) -> LogRead:
        return self._scan(check_chain=True)

    def _scan(self, *, check_chain: bool) -> LogRead:
        raw = self._raw()
        records: list[LogRecord] = []
        problems: list[LogProblem] = []
        lines = raw.split(b"\n")
        torn = lines.pop()  # b"" when the file ends with a newline, as it should
        previous_hash = ""
        chain_broken = False
        decode = _decode
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                problems.append(LogProblem(number, "corrupt", f"line {number}: empty line (skipped)"))
            else:
                try:
                    record = decode(line, number)
                except (ValueError, UnicodeDecodeError, TypeError) as exc:
                    problems.append(
                        LogProblem(number, "corrupt", f"line {number}: not a valid record: {exc} (skipped)")
                    )
                else:
                    records.append(record)
                    if check_chain and not chain_broken and record.prev != previous_hash:
                        chain_broken = True
                        problems.append(
                            LogProblem(
                                number,
                                "chain",
                                f"line {number}: hash chain broken (a line was edited, removed or inserted "
                                "at or before it)",
                            )
                        )
            if check_chain:
                previous_hash = hashlib.sha256(line).hexdigest()
        if torn:
            number = len(lines) + 1
            problems.append(
                LogProblem(number, "torn-tail", f"line {number}: incomplete last line (an interrupted write; skipped)")
            )
        return LogRead(tuple(records), tuple(problems))

    # --- appending -----------------------------------------------------------------------------

    def _open_for_append(self) -> int:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise LogError(f"completion NOT recorded: {folder} is not a folder") from None
        except OSError as exc:
            raise LogError(f"completion NOT recorded: cannot create {folder}: {exc.strerror}") from None
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LogError(
                    f"completion NOT recorded: {self.path} is a symbolic link; refusing to follow it"
                ) from None
            if exc.errno == errno.EISDIR:
                raise LogError(f"completion NOT recorded: {self.path} is a folder, not a log file") from None
            raise LogError(f"completion NOT recorded: cannot open {self.path}: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"completion NOT recorded: {self.path} is not a regular file")
            if info.st_nlink > 1:
                raise LogError(f"completion NOT recorded: {self.path} has {info.st_nlink} hard links; refusing it")
            if info.st_mode & 0o022:
                raise LogError(
                    f"completion NOT recorded: {self.path} is writable by others "
                    f"(mode {stat.filemode(info.st_mode)}); run: chmod go-w {self.path}"
                )
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def append(
        self, type: str, ts: dt.datetime, data: Mapping[str, Any], plan: str, record_id: str | None = None
    ) -> LogRecord:
        if not type:
            raise ValueError("a record needs a type")
        record_id = record_id or f"r-{uuid.uuid4().hex[:12]}"
        fd = self._open_for_append()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise LogError(f"completion NOT recorded: cannot lock {self.path}: {exc.strerror}") from None
            try:
                size = os.fstat(fd).st_size
                prev, number, size = self._tail(fd, size)
            except OSError as exc:
                raise LogError(f"completion NOT recorded: cannot read the end of {self.path}: {_reason(exc)}") from None
            line = _encode(record_id, ts, type, data, plan, prev)
            self._write(fd, line, size)
        finally:
            os.close(fd)  # releases the flock
        return LogRecord(number, record_id, ts, type, dict(data), plan, prev)

    def _tail(self, fd: int, size: int) -> tuple[str, int, int]:
        """(hash of the last complete line, the new record's line number, the size to append at).

        Reads the file's end only, back to the newline before the last line: appending to a
        log of a million records costs what appending to an empty one does. The line number
        is not known without reading everything, so it is 0 (unknown) unless the log is empty.
        """
        if size == 0:
            return "", 1, 0
        data = os.pread(fd, 1, size - 1)
        end = size
        if data != b"\n":
            end = self._move_torn_tail(fd, size)
            if end == 0:
                return "", 1, 0
        start = _line_start(fd, end - 1)  # of the last complete line (end - 1 is its newline)
        last = os.pread(fd, end - 1 - start, start)
        return hashlib.sha256(last).hexdigest(), 0, end

    def _move_torn_tail(self, fd: int, size: int) -> int:
        """Move the bytes after the last newline to a side file and cut them off; return the new size."""
        cut = _line_start(fd, size)
        torn = os.pread(fd, size - cut, cut)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        side = self.path.with_name(f"{self.path.name}.torn-{stamp}")
        try:
            side_fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                _write_all(side_fd, torn)
                os.fsync(side_fd)
            finally:
                os.close(side_fd)
            os.ftruncate(fd, cut)
            os.fsync(fd)
        except OSError as exc:
            raise LogError(
                f"completion NOT recorded: the log ends with an interrupted record that could not be set "
                f"aside ({exc.strerror}); the log is unchanged"
            ) from None
        return cut

    def _write(self, fd: int, line: bytes, size: int) -> None:
        try:
            written = os.write(fd, line)
        except OSError as exc:
            self._restore(fd, size)
            raise LogError(f"completion NOT recorded: {_reason(exc)}; the log is unchanged") from None
        if written != len(line):
            self._restore(fd, size)
            raise LogError(
                f"completion NOT recorded: only {written} of {len(line)} bytes could be written "
                "(disk full or file size limit); the log is unchanged"
            )
        try:
            os.fsync(fd)
        except OSError as exc:
            # Never retry an fsync: after a failed one the kernel may have dropped the dirty
            # pages, and a second "success" would lie. Take the record back out instead.
            self._restore(fd, size)
            raise LogError(
                f"completion NOT recorded: {_reason(exc)} while saving to disk; the log is unchanged"
            ) from None

    @staticmethod
    def _restore(fd: int, size: int) -> None:
        try:
            if os.fstat(fd).st_size > size:
                os.ftruncate(fd, size)
        except OSError:
            pass


def _line_start(fd: int, pos: int) -> int:
    """The offset just after the last newline before ``pos`` (0 if there is none), read backwards
    in chunks so only the file's end is read."""
    while pos > 0:
        lo = max(0, pos - _TAIL_CHUNK)
        found = os.pread(fd, pos - lo, lo).rfind(b"\n")
        if found >= 0:
            return lo + found + 1
        pos = lo
    return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def _reason(exc: OSError) -> str:
    names = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EFBIG: "the file is too large",
        errno.EIO: "an input/output error",
    }
    return names.get(exc.errno or 0, exc.strerror or str(exc))
