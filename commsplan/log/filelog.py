"""The completion log: append-only, tamper-evident, safe with many writers, and nothing lost.

A JSON Lines file. Each line is one self-describing record that carries the sha256 of the
line before it, so an edited, removed or inserted line breaks the chain where it happened.

Writing: the file is opened O_APPEND|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK and refused if it is a
symbolic link, hard-linked, not a regular file, or writable by others; writable by its group
only in a folder set up for that group (see ``sharing_problem``), where every file commsplan
creates is the group's, mode 0660 (the index excepted: one per person). Under an
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
import hashlib
import os
import stat
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commsplan.errors import LogError
from commsplan.log.records import Decoder, Head, LogProblem, LogRead, LogRecord, check, encode, gc_paused

_READ_CHUNK = 8 << 20  # bytes per read: bounds the memory spent beyond the records themselves
_TAIL_CHUNK = 64 << 10  # bytes per step when scanning back from the end for a newline
_NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs", "ceph", "glusterfs", "lustre"}
)


def plan_identity(plan_bytes: bytes) -> str:
    """The plan's identity in the log: the sha256 of its file's bytes, in hex."""
    return hashlib.sha256(plan_bytes).hexdigest()


def index_path(log_path: Path) -> Path:
    """Where the SQLite index of the log at ``log_path`` lives.

    A log its group shares gets one index per person (``.index-u<uid>``), each private to its
    owner: an index is trusted only when nobody else can have written it (another member could
    put rows, or triggers that forge completions, in a shared one), so each member keeps their
    own rather than trusting a colleague's.
    """
    try:
        shared = bool(os.stat(log_path).st_mode & 0o020)
    except OSError:
        shared = False
    return log_path.with_name(f"{log_path.name}.index-u{os.getuid()}" if shared else f"{log_path.name}.index")


def new_file_mode(folder: Path) -> int:
    """The mode for a file commsplan creates in ``folder``: 0660 in a folder set up for a group
    (setgid, the group can write it, others cannot, and you are in its group), else 0600."""
    try:
        info = os.stat(folder)
    except OSError:
        return 0o600
    return 0o660 if _group_folder(info) else 0o600


def create_exclusive(path: Path, flags: int, mode: int) -> int:
    """Make ``path`` (O_EXCL: FileExistsError if it is there) with exactly ``mode`` from its
    first instant.

    Not open-then-fchmod: a group member opening the file between the two would find it with
    the umask's mode (0640 under the usual 022) and be refused a log that is meant to be theirs.
    The umask is cleared just for the open; commsplan changes it nowhere else.
    """
    previous = os.umask(0)
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, mode)
    finally:
        os.umask(previous)


def sharing_problem(path: Path, file: os.stat_result, folder: os.stat_result) -> str | None:
    """Why a log with this mode and owner, in this folder, is not safe to append to, with the
    commands that fix it; None when it is safe (private to its owner, or shared by a group
    set up as the README says)."""
    where = path.parent
    mode = f"mode {stat.filemode(file.st_mode)}"
    if file.st_mode & 0o002:
        return f"{path} is writable by everyone ({mode}); fix it with: chmod o-w {_q(path)}"
    if folder.st_mode & 0o002 and not folder.st_mode & stat.S_ISVTX:
        return (
            f"the log's folder {where} is writable by everyone, so anyone could replace the log; "
            f"fix it with: chmod o-w {_q(where)}"
        )
    if not file.st_mode & 0o020:
        return None  # a private log: the owner's alone
    group = _group_name(file.st_gid)
    if file.st_gid not in _my_groups():
        return (
            f"{path} is shared with group {group}, which you are not in; ask to be added "
            f"(sudo usermod -aG {group} {_me()}, then log in again), or, if the log is yours alone, "
            f"fix it with: chmod g-w {_q(path)}"
        )
    if folder.st_mode & 0o002:
        return (
            f"{path} is shared with group {group} but its folder {where} is writable by everyone; "
            f"a shared log needs a folder of its own: sudo install -d -m 2770 -g {group} FOLDER, "
            f"then move the log there"
        )
    fixes = []
    if folder.st_gid != file.st_gid:
        fixes.append(f"chgrp {group} {_q(where)}")
    if (folder.st_mode & 0o070) != 0o070 or not folder.st_mode & stat.S_ISGID:
        fixes.append(f"chmod g+rwxs {_q(where)}")
    if not file.st_mode & 0o040:
        fixes.append(f"chmod g+r {_q(path)}")
    if fixes:
        return (
            f"{path} is shared with group {group} ({mode}) but its folder is not set up for the group "
            f"(group {_group_name(folder.st_gid)}, mode {stat.filemode(folder.st_mode)}): the index and "
            f"side files the team creates there must belong to {group}; fix it with: {' && '.join(fixes)} "
            f"(or, if the log is yours alone: chmod g-w {_q(path)})"
        )
    return None


def _group_folder(info: os.stat_result) -> bool:
    return (
        bool(info.st_mode & stat.S_ISGID)
        and info.st_mode & 0o070 == 0o070
        and not info.st_mode & 0o002
        and info.st_gid in _my_groups()
    )


def _my_groups() -> set[int]:
    return {os.getegid(), *os.getgroups()}


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _me() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _q(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


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


# --- the file ----------------------------------------------------------------------------------


class FileLog:
    """CompletionLog over a JSON Lines file."""

    def __init__(self, path: Path, *, make_folder: bool = False) -> None:
        self.path = Path(path)
        self.make_folder = make_folder  # the default log's data folder is made; a --log's is not
        self.created = False  # the last append started this log (made its file)

    def __repr__(self) -> str:
        return f"FileLog({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> LogRead:
        """Every intact record; torn and corrupt lines are reported and skipped."""
        return self._scan(chain=False)

    def verify(self, witness: Head | None = None) -> LogRead:
        """Like read, and also reports the first line where the hash chain breaks, and whether
        the log still extends ``witness``, a head taken earlier (a "head" problem if not)."""
        return self._scan(chain=True, witness=witness)

    def head(self) -> Head | None:
        """The log's head now: its complete lines and the sha256 of the last; None when empty."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            size = _settled_size(fd)
            end = _last_newline(fd, size)
            if end < 0:
                return None
            lines = 0
            pos = 0
            while pos <= end:
                chunk = os.pread(fd, min(_READ_CHUNK, end + 1 - pos), pos)
                if not chunk:
                    break
                lines += chunk.count(b"\n")
                pos += len(chunk)
            return Head(lines, _last_line_hash(fd, end + 1))
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {_reason(exc)}") from None
        finally:
            os.close(fd)

    def last_line_hash(self) -> str:
        """sha256 of the last complete line, as the next record's ``prev`` will quote it ("" for
        an empty or missing log): the log's head, for a report to cite."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return ""
        except OSError as exc:
            raise LogError(f"cannot read the log {self.path}: {_reason(exc)}") from None
        try:
            end = _last_newline(fd, os.fstat(fd).st_size)  # a torn tail after it is not a line yet
            return "" if end < 0 else _last_line_hash(fd, end + 1)
        finally:
            os.close(fd)

    # --- reading -------------------------------------------------------------------------------

    def _scan(self, *, chain: bool, witness: Head | None = None) -> LogRead:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return LogRead((), ())  # no log yet: nothing recorded
        except IsADirectoryError:
            raise LogError(f"{self.path}: is a folder, not a log file") from None
        except PermissionError:
            raise LogError(self._denied("read")) from None
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {_reason(exc)}") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise LogError(f"{self.path}: is a folder, not a log file")
            if not stat.S_ISREG(info.st_mode):
                raise LogError(f"{self.path}: is not a regular file ({_kind(info.st_mode)}), so not a log")
            return self.read_locked(fd, _settled_size(fd), chain=chain, witness=witness)
        except OSError as exc:
            raise LogError(f"{self.path}: cannot read the log: {_reason(exc)}") from None
        finally:
            os.close(fd)

    def read_locked(self, fd: int, size: int, *, chain: bool = False, witness: Head | None = None) -> LogRead:
        """The first ``size`` bytes of the open log ``fd`` as records, taking no lock: for a
        caller that holds the log's lock already (a check made under an append's lock)."""
        scanner = Decoder(chain=chain)
        if witness is not None:
            scanner.watch = witness.lines
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            with gc_paused():
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
        head = Head(scanner.number, scanner.last_hash) if chain and scanner.number else None
        problems = list(scanner.problems)
        if witness is not None:
            problems += _against(witness, scanner.number, scanner.watched)
        return LogRead(tuple(scanner.records), tuple(problems), head)

    # --- appending -----------------------------------------------------------------------------

    def append(
        self,
        type: str,
        ts: datetime,
        data: Mapping[str, Any],
        plan: str,
        record_id: str | None = None,
        *,
        before_write: Callable[[int, int], None] | None = None,
        after_write: Callable[[int, int], None] | None = None,
    ) -> LogRecord:
        """Add one record at the end, durably, or raise LogError and leave the log as it was.

        ``before_write(fd, size)`` runs under the exclusive lock, after any torn tail was set
        aside and before the record is written: it sees the log as it is then (read it through
        ``read_locked``) and raises to refuse the record. ``after_write(fd, size)`` runs under
        the same lock once the record is on disk (``size`` is the log's size before it); what it
        raises is not the append's business, so it must not raise.
        """
        record_id = f"r-{uuid.uuid4().hex[:12]}" if record_id is None else record_id
        check(type, ts, data, plan, record_id)
        # Encode once before touching the file, so data that is not JSON fails with the log untouched.
        encode(record_id, ts, type, data, plan, "")
        fd = self._open_for_append()
        try:
            self._lock(fd, "completion NOT recorded")
            try:
                size = os.fstat(fd).st_size
                if size and _pread_exact(fd, 1, size - 1) != b"\n":
                    size = self._set_aside_torn_tail(fd, size, ts)
                prev = _last_line_hash(fd, size)
            except OSError as exc:
                raise LogError(f"completion NOT recorded: cannot read the end of {self.path}: {_reason(exc)}") from None
            if before_write is not None:
                before_write(fd, size)
            self._write(fd, encode(record_id, ts, type, data, plan, prev), size)
            if after_write is not None:
                after_write(fd, size)
        finally:
            os.close(fd)  # also releases the flock
        return LogRecord(0, record_id, ts, type, dict(data), plan, prev)

    def extend(self, lines_after: Callable[[Head | None], list[bytes]]) -> tuple[int, int]:
        """Append many whole lines in one write, all or nothing: ``lines_after(head)`` gives
        them (without newlines) for the log's head as it is under the lock, and raises to
        refuse. Returns (lines added, lines there before)."""
        try:
            fd = self._open_for_append()
        except LogError as exc:
            raise LogError(exc.message.replace("completion NOT recorded", "nothing imported", 1)) from None
        try:
            self._lock(fd, "nothing imported")
            size = os.fstat(fd).st_size
            read = self.read_locked(fd, size, chain=True)
            if read.problems:
                raise LogError(
                    f"nothing imported: {self.path}: {read.problems[0].message}; "
                    f"see `commsplan log --verify --log {self.path}`"
                )
            lines = lines_after(read.head)
            if lines:
                try:
                    self._write(fd, b"".join(line + b"\n" for line in lines), size)
                except LogError as exc:
                    raise LogError(exc.message.replace("completion NOT recorded", "nothing imported", 1)) from None
        finally:
            os.close(fd)
        return len(lines), read.head.lines if read.head else 0

    def _open_for_append(self) -> int:
        if self.make_folder:
            _make_folder(self.path.parent)
        # O_RDWR, not O_WRONLY: `prev` is read through this same descriptor, under the same
        # lock, so it is the hash of the file being appended to and not of whatever the path
        # names a moment later. O_NONBLOCK keeps a FIFO from hanging the open; cleared below.
        flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        self.created = False
        try:
            try:
                fd = os.open(self.path, flags)
            except FileNotFoundError:
                # A new log: made here (O_EXCL: only one of two first writers makes it), with
                # its group's mode in a folder set up for a group, else private.
                try:
                    fd = create_exclusive(self.path, flags, new_file_mode(self.path.parent))
                    self.created = True
                except FileExistsError:
                    fd = os.open(self.path, flags)
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
            if exc.errno == errno.ENOTDIR:
                raise LogError(f"completion NOT recorded: {self.path}: part of this path is not a folder") from None
            if exc.errno == errno.ENOENT:
                raise LogError(f"completion NOT recorded: the folder {self.path.parent} does not exist") from None
            if exc.errno == errno.EACCES:
                raise LogError(f"completion NOT recorded: {self._denied('open')}") from None
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
            problem = sharing_problem(self.path, info, os.stat(self.path.parent))
            if problem is not None:
                raise LogError(f"completion NOT recorded: {problem}")
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

    def _denied(self, verb: str) -> str:
        """Why opening the log was refused, in terms a team can act on."""
        try:
            info = os.stat(self.path)
        except OSError:
            return f"cannot {verb} {self.path}: permission denied in its folder {self.path.parent}"
        if info.st_mode & 0o060 and info.st_gid not in _my_groups():
            group = _group_name(info.st_gid)
            return (
                f"{self.path} is shared with group {group}, which you are not in; ask to be added "
                f"(sudo usermod -aG {group} {_me()}, then log in again)"
            )
        return f"cannot {verb} {self.path}: permission denied ({stat.filemode(info.st_mode)})"

    def _lock(self, fd: int, refused: str) -> None:
        """Take the log's exclusive lock, then refuse (saying ``refused``) if the file was
        removed or replaced while we waited.

        flock, not lockf/fcntl: a POSIX record lock is dropped when the process closes ANY
        descriptor of the file (a read of the log elsewhere in the same process would silently
        unlock it); a flock belongs to this open file and ends only with it.
        """
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise LogError(f"{refused}: cannot lock {self.path}: {_reason(exc)}") from None
        try:
            mine = os.fstat(fd)
            named = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        except OSError as exc:
            raise LogError(f"{refused}: cannot check {self.path}: {_reason(exc)}") from None
        if named is None or mine.st_nlink == 0 or (named.st_dev, named.st_ino) != (mine.st_dev, mine.st_ino):
            raise LogError(f"{refused}: {self.path} was removed or replaced while waiting to write; try again")

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
        mode = new_file_mode(self.path.parent)  # in a group's folder, the group can read it too
        try:
            for attempt in range(1, 1000):
                if attempt > 1:
                    side = self.path.with_name(f"{self.path.name}.torn-{stamp}-{attempt}")
                try:
                    side_fd = create_exclusive(side, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
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


def _against(witness: Head, lines: int, watched: str) -> list[LogProblem]:
    """Why a log of ``lines`` lines, whose line ``witness.lines`` hashes to ``watched``, does not
    extend the head ``witness``; nothing if it does."""
    short = f"{witness.lines}:{witness.sha256[:12]}"
    if lines < witness.lines:
        return [
            LogProblem(
                lines + 1,
                "head",
                f"the log has {lines} line{'s' if lines != 1 else ''} but the head {short} was taken "
                f"at line {witness.lines}: "
                "lines were removed from it",
            )
        ]
    if watched != witness.sha256:
        return [
            LogProblem(
                witness.lines,
                "head",
                f"line {witness.lines}: not the line of the head {short}: the log was rewritten up to there",
            )
        ]
    return []


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
