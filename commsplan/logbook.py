"""The completion log: append-only, tamper-evident, safe with many writers, and nothing lost.

A JSON Lines file. Each line is one self-describing record that carries the sha256 of the
line before it, so an edited, removed or inserted line breaks the chain where it happened.

Writing: the file is opened O_APPEND|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK and refused if it is a
symbolic link, hard-linked, not a regular file, or writable by group or others. Under an
exclusive flock held across reading the tail, writing and fsync, a torn tail left by an
interrupted writer is moved to a side file and cut off, then the record goes out as ONE
os.write of one line. A short write or an I/O error takes the partial record back out and
raises LogError saying the completion was NOT recorded.

Reading never raises for damaged content: a torn last line or a corrupt line is reported with
its line number and skipped, and every other record still counts.

``CompletionLog`` is the small interface the rest of commsplan uses, so that a team that
outgrows one machine can keep its log in a database server without touching the rules.
Nothing here reads the clock: timestamps come from the caller.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import hashlib
import json
import os
import stat
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from commsplan.errors import LogError

__all__ = [
    "FORMAT_VERSION",
    "CompletionLog",
    "FileLog",
    "LogProblem",
    "LogRead",
    "LogRecord",
    "default_log_path",
    "filesystem_warning",
    "plan_identity",
]

FORMAT_VERSION = 1

# Keys of the envelope; everything else on a line is the record's data.
_ENVELOPE = frozenset({"v", "id", "ts", "type", "plan", "prev"})
_READ_CHUNK = 8 << 20  # bytes per read: bounds the memory spent beyond the records themselves
_TAIL_CHUNK = 64 << 10  # bytes per step when scanning back from the end for a newline
_NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs", "ceph", "glusterfs", "lustre"}
)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line of the log."""

    line: int  # 1-based line number in the file; 0 for a record just appended (not counted)
    id: str
    ts: datetime  # aware
    type: str
    data: Mapping[str, Any] = field(hash=False)  # activity, occurrence, by, note... (JSON values)
    plan: str  # sha256 of the plan file the record was made under
    prev: str  # sha256 of the previous line's bytes as stored; "" for the first line


@dataclass(frozen=True)
class LogProblem:
    """Damage found while reading: kind is "torn-tail", "corrupt" or "chain"."""

    line: int
    kind: str
    message: str


@dataclass(frozen=True)
class LogRead:
    records: tuple[LogRecord, ...]
    problems: tuple[LogProblem, ...]


@runtime_checkable
class CompletionLog(Protocol):
    """What commsplan needs of a completion log; a database backend would implement the same."""

    def append(
        self, type: str, ts: datetime, data: Mapping[str, Any], plan: str, record_id: str | None = None
    ) -> LogRecord: ...

    def read(self) -> LogRead: ...

    def verify(self) -> LogRead: ...


def plan_identity(plan_bytes: bytes) -> str:
    """The plan's identity in the log: the sha256 of its file's bytes, in hex."""
    return hashlib.sha256(plan_bytes).hexdigest()


def default_log_path(plan_path: Path) -> Path:
    """One log per plan file, in the user's data folder (~/.local/share/commsplan on Linux)."""
    from platformdirs import user_data_path

    tag = hashlib.sha256(str(plan_path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return user_data_path("commsplan", appauthor=False) / f"{plan_path.stem}-{tag}.jsonl"


def filesystem_warning(path: Path, *, mounts: Path = Path("/proc/mounts")) -> str | None:
    """A warning when the log's folder is on a network filesystem, where locks are unreliable."""
    try:
        table = mounts.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None  # not Linux, or no /proc: nothing to say
    folder = os.path.realpath(path.parent)
    best, best_type = "", ""
    for entry in table.split("\n"):
        parts = entry.split()
        if len(parts) < 3:
            continue
        point = _unescape_mount(parts[1])
        inside = folder == point or folder.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, best_type = point, parts[2]
    if best_type in _NETWORK_FS:
        return (
            f"the log {path} is on a network filesystem ({best_type} at {best}): file locks there are "
            "unreliable, so two people recording at once could damage it; keep the log on a local disk"
        )
    return None


def _unescape_mount(field_: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash in paths as \040 \011 \012 \134.
    if "\\" not in field_:
        return field_
    out, i = [], 0
    while i < len(field_):
        chunk = field_[i + 1 : i + 4]
        if field_[i] == "\\" and len(chunk) == 3 and all(c in "01234567" for c in chunk):
            out.append(chr(int(chunk, 8)))
            i += 4
        else:
            out.append(field_[i])
            i += 1
    return "".join(out)


# --- encoding ----------------------------------------------------------------------------------


def _encode(record_id: str, ts: datetime, type_: str, data: Mapping[str, Any], plan: str, prev: str) -> bytes:
    """The record as one line of UTF-8 JSON, newline included. Raises LogError if it cannot be."""
    try:
        body = dict(data)
        body.update(v=FORMAT_VERSION, id=record_id, ts=ts.isoformat(), type=type_, plan=plan, prev=prev)
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        line = text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError: a lone surrogate
        raise LogError(f"completion NOT recorded: the record cannot be written as JSON: {exc}") from None
    # JSON escapes every control character, so no note can split a record or forge another;
    # checked all the same, because one line per record is what reading and the chain rely on.
    if b"\n" in line or b"\r" in line:
        raise LogError("completion NOT recorded: the record would not fit on one line")
    return line + b"\n"


def _check(type_: str, ts: datetime, data: Mapping[str, Any], plan: str, record_id: str) -> None:
    if not isinstance(type_, str) or not type_:
        raise LogError("completion NOT recorded: a record needs a type")
    if not isinstance(record_id, str) or not record_id:
        raise LogError("completion NOT recorded: a record id must be a non-empty string")
    if not isinstance(plan, str):
        raise LogError("completion NOT recorded: the plan identity must be a string")
    if not isinstance(ts, datetime) or ts.utcoffset() is None:
        raise LogError("completion NOT recorded: a record's time needs a UTC offset")
    if not all(isinstance(key, str) for key in data):
        raise LogError("completion NOT recorded: record data keys must be strings")
    reserved = _ENVELOPE.intersection(data)
    if reserved:
        raise LogError(f"completion NOT recorded: record data may not use the keys {', '.join(sorted(reserved))}")


# --- reading -----------------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Each record is a new object the cyclic collector tracks; with a million of them it makes
    # repeated passes over objects that are all alive, which nearly triples the time to read
    # (measured: 11 s instead of 4 s for 1,000,000 records). Nothing built here forms cycles.
    if not gc.isenabled():
        yield
        return
    already_frozen = gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        # Without this, the first allocation after enable() walks the million new records
        # (0.6 s) only to find them all alive. freeze() moves everything young out of the
        # collector's way in O(1); unfreeze() then puts it in the oldest generation, unless the
        # program already keeps frozen objects (the CLI freezes after start-up), where the
        # records simply join them.
        gc.freeze()
        if not already_frozen:
            gc.unfreeze()
        gc.enable()


class _Scanner:
    """Turns complete lines into records and problems, keeping the line count and the chain."""

    def __init__(self, *, chain: bool) -> None:
        self.chain = chain
        self.records: list[LogRecord] = []
        self.problems: list[LogProblem] = []
        self.number = 0  # lines seen so far
        self.last_hash = ""  # sha256 of the last line seen, as stored: what the next prev must be
        self.broken = False  # the first chain break is reported, not the echoes after it

    def feed(self, block: bytes) -> None:
        """Scan ``block``, which holds whole lines, each ending in b"\\n"."""
        raw_lines: list[bytes] = []
        if self.chain:
            raw_lines = block.split(b"\n")
            raw_lines.pop()
        # One decode for the whole block is much cheaper than one per line; UTF-8 never uses
        # the byte 0x0A inside a character, so splitting the text on "\n" splits the same lines.
        try:
            lines: list[str | None] = list(block.decode("utf-8").split("\n"))
            lines.pop()
        except UnicodeDecodeError:
            if not raw_lines:
                raw_lines = block.split(b"\n")
                raw_lines.pop()
            lines = [_utf8_or_none(raw) for raw in raw_lines]
        first = self.number + 1
        parsed = self._parse_lines(lines, first)
        self.number += len(lines)
        if self.chain:
            self._check_chain(raw_lines, parsed, first)

    def _parse_lines(self, lines: list[str | None], first: int) -> list[LogRecord | None]:
        # The hot loop of reading a log: one JSON parse and a few type checks per line, locals
        # only. It costs about 1.3 times the JSON parsing alone.
        decode = _JSON.raw_decode
        fromiso = datetime.fromisoformat
        new = object.__new__
        set_line, set_id, set_ts, set_type, set_data, set_plan, set_prev = _SETTERS
        records = self.records
        parsed: list[LogRecord | None] = []
        for number, text in enumerate(lines, first):
            try:
                value, end = decode(text)  # type: ignore[arg-type]  # None: caught below
                version = value.pop("v")
                id_ = value.pop("id")
                ts = fromiso(value.pop("ts"))
                type_ = value.pop("type")
                plan = value.pop("plan")
                prev = value.pop("prev")
            except Exception:  # the rare damaged line: say exactly what is wrong with it
                self._corrupt(number, _what_is_wrong(text))
                parsed.append(None)
                continue
            if not (
                end == len(text)  # type: ignore[arg-type]
                and ts.tzinfo is not None
                and type(version) is int
                and version >= 1  # records of a later version are read too; their new keys go to data
                and type(id_) is str
                and id_
                and type(type_) is str
                and type_
                and type(plan) is str
                and type(prev) is str
            ):
                self._corrupt(number, _what_is_wrong(text))
                parsed.append(None)
                continue
            # A frozen dataclass's __init__ goes through object.__setattr__ by name for each field;
            # the slots' own setters build the same object in half the time.
            record: LogRecord = new(LogRecord)
            set_line(record, number)
            set_id(record, id_)
            set_ts(record, ts)
            set_type(record, type_)
            set_data(record, value)
            set_plan(record, plan)
            set_prev(record, prev)
            records.append(record)
            parsed.append(record)
        return parsed

    def _check_chain(self, raw_lines: list[bytes], parsed: list[LogRecord | None], first: int) -> None:
        sha256 = hashlib.sha256
        last_hash = self.last_hash
        for number, (raw, record) in enumerate(zip(raw_lines, parsed, strict=True), first):
            # A corrupt line still takes part: the record after it must chain to its bytes.
            if record is not None and record.prev != last_hash and not self.broken:
                self.broken = True
                message = f"line {number}: hash chain broken (line edited, removed or inserted before it)"
                self.problems.append(LogProblem(number, "chain", message))
            last_hash = sha256(raw).hexdigest()
        self.last_hash = last_hash

    def torn_tail(self) -> None:
        number = self.number + 1
        self.problems.append(
            LogProblem(number, "torn-tail", f"line {number}: incomplete last line (an interrupted write; skipped)")
        )

    def _corrupt(self, number: int, why: str) -> None:
        self.problems.append(LogProblem(number, "corrupt", f"line {number}: {why} (skipped)"))


_JSON = json.JSONDecoder()
_SETTERS = tuple(getattr(LogRecord, name).__set__ for name in ("line", "id", "ts", "type", "data", "plan", "prev"))


def _what_is_wrong(text: str | None) -> str:
    """Why a line is not a record, in words (the slow path, for damaged lines only)."""
    if text is None:
        return "not valid UTF-8"
    if not text:
        return "empty line"
    try:
        value, end = _JSON.raw_decode(text)
    except ValueError:
        return "not valid JSON"
    if end != len(text):
        return "not valid JSON (text after the record)"
    if type(value) is not dict:
        return "not a record (not a JSON object)"
    for key in ("v", "id", "ts", "type", "plan", "prev"):
        if key not in value:
            return f"not a record (no {key!r} field)"
    version = value["v"]
    if type(version) is not int or version < 1:
        return f"not a record (format version {version!r})"
    for key in ("id", "type"):
        if type(value[key]) is not str or not value[key]:
            return f"not a record ({key!r} is not a non-empty string)"
    for key in ("plan", "prev"):
        if type(value[key]) is not str:
            return f"not a record ({key!r} is not a string)"
    try:
        ts = datetime.fromisoformat(value["ts"])
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts.tzinfo is None:
        return f"not a record (time {value['ts']!r} is not ISO 8601 with a UTC offset)"
    return "not a record"


def _utf8_or_none(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- the file ----------------------------------------------------------------------------------


class FileLog:
    """CompletionLog over a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FileLog({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> LogRead:
        """Every intact record; torn and corrupt lines are reported and skipped."""
        return self._scan(chain=False)

    def verify(self) -> LogRead:
        """Like read, and also reports the first line where the hash chain breaks."""
        return self._scan(chain=True)

    # --- reading -------------------------------------------------------------------------------

    def _scan(self, *, chain: bool) -> LogRead:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return LogRead((), ())  # no log yet: nothing recorded
        except IsADirectoryError:
            raise LogError(f"{self.path}: is a folder, not a log file") from None
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {_reason(exc)}") from None
        scanner = _Scanner(chain=chain)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise LogError(f"{self.path}: is a folder, not a log file")
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"{self.path}: is not a regular file ({_kind(info.st_mode)}), so not a log")
            size = _settled_size(fd)
            with _gc_paused():
                pending: list[bytes] = []
                remaining = size
                while remaining > 0:
                    chunk = os.read(fd, min(_READ_CHUNK, remaining))
                    if not chunk:
                        break  # the file shrank under us (a torn tail being set aside)
                    remaining -= len(chunk)
                    cut = chunk.rfind(b"\n") + 1
                    if not cut:  # no line ends in this chunk: a long line, keep gathering
                        pending.append(chunk)
                        continue
                    pending.append(chunk[:cut])
                    scanner.feed(b"".join(pending) if len(pending) > 1 else pending[0])
                    pending = [chunk[cut:]] if cut < len(chunk) else []
                if any(pending):
                    scanner.torn_tail()
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {_reason(exc)}") from None
        finally:
            os.close(fd)
        return LogRead(tuple(scanner.records), tuple(scanner.problems))

    # --- appending -----------------------------------------------------------------------------

    def append(
        self, type: str, ts: datetime, data: Mapping[str, Any], plan: str, record_id: str | None = None
    ) -> LogRecord:
        """Add one record at the end, durably, or raise LogError and leave the log as it was."""
        record_id = f"r-{uuid.uuid4().hex[:12]}" if record_id is None else record_id
        _check(type, ts, data, plan, record_id)
        # Encode once before touching the file, so data that is not JSON fails with the log untouched.
        _encode(record_id, ts, type, data, plan, "")
        fd = self._open_for_append()
        try:
            # flock, not lockf/fcntl: a POSIX record lock is dropped when the process closes ANY
            # descriptor of the file (a read of the log elsewhere in the same process would
            # silently unlock it); a flock belongs to this open file and ends only with it.
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise LogError(f"completion NOT recorded: cannot lock {self.path}: {_reason(exc)}") from None
            self._still_the_log(fd)
            try:
                size = os.fstat(fd).st_size
                if size and _pread_exact(fd, 1, size - 1) != b"\n":
                    size = self._set_aside_torn_tail(fd, size, ts)
                prev = _last_line_hash(fd, size)
            except OSError as exc:
                raise LogError(f"completion NOT recorded: cannot read the end of {self.path}: {_reason(exc)}") from None
            self._write(fd, _encode(record_id, ts, type, data, plan, prev), size)
        finally:
            os.close(fd)  # also releases the flock
        return LogRecord(0, record_id, ts, type, dict(data), plan, prev)

    def _open_for_append(self) -> int:
        _make_folder(self.path.parent)
        # O_RDWR, not O_WRONLY: `prev` is read through this same descriptor, under the same
        # lock, so it is the hash of the file being appended to and not of whatever the path
        # names a moment later. O_NONBLOCK keeps a FIFO from hanging the open; cleared below.
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LogError(
                    f"completion NOT recorded: {self.path} is a symbolic link; refusing to follow it "
                    "(give the real file with --log)"
                ) from None
            if exc.errno == errno.EISDIR:
                raise LogError(f"completion NOT recorded: {self.path} is a folder, not a log file") from None
            if exc.errno in (errno.ENXIO, errno.EWOULDBLOCK):
                raise LogError(f"completion NOT recorded: {self.path} is not a regular file") from None
            raise LogError(f"completion NOT recorded: cannot open {self.path}: {_reason(exc)}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"completion NOT recorded: {self.path} is not a regular file ({_kind(info.st_mode)})")
            if info.st_nlink > 1:
                raise LogError(
                    f"completion NOT recorded: {self.path} has {info.st_nlink} hard links; "
                    "a log must have exactly one name"
                )
            if info.st_mode & 0o022:
                raise LogError(
                    f"completion NOT recorded: {self.path} is writable by group or others "
                    f"(mode {stat.filemode(info.st_mode)}); fix it with: chmod go-w {self.path}"
                )
            os.set_blocking(fd, True)
            if info.st_size == 0:
                # A new (or empty) log: make its name durable too, before the first record counts.
                _fsync_folder(self.path.parent)
        except OSError as exc:
            os.close(fd)
            raise LogError(f"completion NOT recorded: cannot use {self.path}: {_reason(exc)}") from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _still_the_log(self, fd: int) -> None:
        """After waiting for the lock: refuse if the file was removed or replaced meanwhile."""
        try:
            mine = os.fstat(fd)
            named = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        except OSError as exc:
            raise LogError(f"completion NOT recorded: cannot check {self.path}: {_reason(exc)}") from None
        if named is None or mine.st_nlink == 0 or (named.st_dev, named.st_ino) != (mine.st_dev, mine.st_ino):
            raise LogError(
                f"completion NOT recorded: {self.path} was removed or replaced while waiting to write; try again"
            )

    def _set_aside_torn_tail(self, fd: int, size: int, ts: datetime) -> int:
        """Move the bytes after the last newline to a side file, cut them off; return the new size.

        An interrupted append leaves a partial line; appending after it would glue the new
        record onto it and spoil both. The partial bytes are kept, not deleted: nothing is lost.
        """
        cut = _last_newline(fd, size) + 1
        torn = _pread_exact(fd, size - cut, cut)
        stamp = ts.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        side = self.path.with_name(f"{self.path.name}.torn-{stamp}")
        side_fd = -1
        try:
            for attempt in range(1, 1000):
                if attempt > 1:
                    side = self.path.with_name(f"{self.path.name}.torn-{stamp}-{attempt}")
                try:
                    side_fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                    break
                except FileExistsError:
                    continue
            else:
                raise OSError(errno.EEXIST, "too many side files with this time")
            try:
                _write_all(side_fd, torn)
                os.fsync(side_fd)
            finally:
                os.close(side_fd)
            _fsync_folder(self.path.parent)
            os.ftruncate(fd, cut)
        except OSError as exc:
            if side_fd != -1:
                with suppress(OSError):
                    os.unlink(side)
            raise LogError(
                f"completion NOT recorded: {self.path} ends with an interrupted record ({size - cut} bytes) "
                f"that could not be set aside: {_reason(exc)}; the log is unchanged"
            ) from None
        return cut

    def _write(self, fd: int, line: bytes, size: int) -> None:
        try:
            written = os.write(fd, line)
        except OSError as exc:
            raise LogError(f"completion NOT recorded: {_reason(exc)}{self._take_back(fd, size)}") from None
        if written != len(line):
            raise LogError(
                f"completion NOT recorded: only {written} of {len(line)} bytes could be written "
                f"(disk full or file size limit){self._take_back(fd, size)}"
            )
        try:
            os.fsync(fd)
        except OSError as exc:
            # Never retry an fsync: after a failure the kernel may have dropped the dirty pages
            # and marked them clean, so a second call can "succeed" with the record not on disk.
            raise LogError(
                f"completion NOT recorded: {_reason(exc)} while saving to disk{self._take_back(fd, size)}"
            ) from None

    @staticmethod
    def _take_back(fd: int, size: int) -> str:
        """Cut the file back to ``size``; say what state the log is left in."""
        try:
            if os.fstat(fd).st_size > size:
                os.ftruncate(fd, size)
        except OSError:
            return "; a partial line may be left at the end of the log: the next append sets it aside"
        return "; the log is unchanged"


# --- small helpers -----------------------------------------------------------------------------


def _make_folder(folder: Path) -> None:
    """Create the log's folder and any missing parents, each private to the user (0o700)."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except FileNotFoundError:
        _make_folder(folder.parent)
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise LogError(f"completion NOT recorded: cannot create the folder {folder}: {_reason(exc)}") from None
    except FileExistsError:
        raise LogError(f"completion NOT recorded: {folder} is not a folder") from None
    except NotADirectoryError:
        raise LogError(f"completion NOT recorded: {folder}: part of this path is not a folder") from None
    except OSError as exc:
        raise LogError(f"completion NOT recorded: cannot create the folder {folder}: {_reason(exc)}") from None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _settled_size(fd: int) -> int:
    """The file's size at a moment when no append is half-written.

    Appends hold an exclusive flock while they write; a shared flock for the time of an fstat
    waits for one in flight, so a reader never mistakes a record being written for a torn one.
    Bytes appended after this are simply not read this time.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError:
        return os.fstat(fd).st_size  # no locks here (some network filesystems): read what is there
    try:
        return os.fstat(fd).st_size
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _pread_exact(fd: int, count: int, offset: int) -> bytes:
    parts: list[bytes] = []
    while count > 0:
        chunk = os.pread(fd, count, offset)
        if not chunk:
            raise OSError(errno.EIO, "the log ended sooner than its size says")
        parts.append(chunk)
        count -= len(chunk)
        offset += len(chunk)
    return b"".join(parts)


def _last_newline(fd: int, before: int) -> int:
    """Offset of the last b"\\n" before ``before``, or -1; reads backwards, a chunk at a time."""
    pos = before
    while pos > 0:
        start = max(0, pos - _TAIL_CHUNK)
        found = _pread_exact(fd, pos - start, start).rfind(b"\n")
        if found >= 0:
            return start + found
        pos = start
    return -1


def _last_line_hash(fd: int, size: int) -> str:
    """sha256 of the last line (without its newline) of a file whose ``size`` bytes end in one."""
    if size == 0:
        return ""
    start = _last_newline(fd, size - 1) + 1
    return hashlib.sha256(_pread_exact(fd, size - 1 - start, start)).hexdigest()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "nothing could be written")
        view = view[written:]


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def _reason(exc: OSError) -> str:
    plain = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EFBIG: "the file is too large",
        errno.EIO: "an input/output error (the disk may be failing)",
        errno.EROFS: "the filesystem is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
    }
    return plain.get(exc.errno or 0, exc.strerror or str(exc))
