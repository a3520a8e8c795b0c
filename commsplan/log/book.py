"""The completion log as commands use it: one object that reads, folds, appends and verifies.

Behind it sit the JSON Lines file (the record) and its disposable SQLite index (a fast way to
answer "is this occurrence done?" without decoding a million records). Commands never touch
either directly, and the rules above see only the folded state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from commsplan.log.choice import is_url
from commsplan.log.filelog import FileLog, filesystem_warning
from commsplan.log.index import LogIndex, Progress, identity
from commsplan.log.records import TRACK, Head, LogProblem, LogRead, LogRecord
from commsplan.log.state import FoldedView, History, LogView, QueriedCompletions, QueriedView, fold, history_warnings
from commsplan.log.transfer import continuation

__all__ = ["LogBackend", "Logbook", "open_log"]


class LogBackend(Protocol):
    """What commands use of a completion log, whichever back end holds it: the JSON Lines
    file (``Logbook``) or a PostgreSQL database (``commsplan.log.pglog.PgLog``)."""

    @property
    def where(self) -> str:
        """The log as a person names it: the file's path, or the database's URL."""
        ...

    @property
    def side_path(self) -> Path:
        """A local path beside which this machine keeps what belongs with the log (markers)."""
        ...

    @property
    def created(self) -> bool:
        """The last append started this log (a file log's file did not exist before)."""
        ...

    def exists(self) -> bool: ...
    def read(self) -> LogRead: ...
    def verify(self, witness: Head | None = None) -> LogRead: ...
    def head(self) -> Head | None: ...
    def head_hash(self) -> str: ...
    def append(
        self,
        type: str,
        ts: dt.datetime,
        data: Mapping[str, Any],
        plan: str,
        *,
        check: Callable[[LogView], None] | None = None,
    ) -> LogRecord: ...
    def view(self) -> LogView: ...
    def storage_warning(self) -> str | None: ...
    def history(
        self,
        known_activities: set[str],
        *,
        full: bool = False,
        plan: str | None = None,
        create_index: bool = True,
        progress: Progress | None = None,
    ) -> tuple[History, list[str]]: ...
    def export(self, out: IO[bytes]) -> int:
        """Write the records as JSON Lines, byte for byte what the file back end holds."""
        ...

    def import_file(self, path: Path, progress: Progress | None = None) -> tuple[int, int]:
        """Add a verified file log's records after those already here: (added, already here);
        ``progress`` is told the bytes of the file loaded so far, where loading takes a while."""
        ...


def open_log(target: str | Path, *, make_folder: bool = False) -> LogBackend:
    """The log a LogChoice names: a postgresql:// URL is a database, anything else a file
    (``make_folder``: the default log's data folder is made; a --log's folder must exist)."""
    if isinstance(target, str) and is_url(target):
        from commsplan.log.pglog import PgLog

        return PgLog(target)
    return Logbook(Path(target), make_folder=make_folder)


class Logbook:
    """The completion log at ``path`` (a JSON Lines file)."""

    def __init__(self, path: Path, *, make_folder: bool = False) -> None:
        self.path = Path(path)
        self._file = FileLog(self.path, make_folder=make_folder)

    def __repr__(self) -> str:
        return f"Logbook({str(self.path)!r})"

    @property
    def where(self) -> str:
        return str(self.path)

    @property
    def side_path(self) -> Path:
        return self.path

    def exists(self) -> bool:
        return self._file.exists()

    @property
    def created(self) -> bool:
        """The last append started this log (its file did not exist before)."""
        return self._file.created

    def export(self, out: IO[bytes]) -> int:
        """Write the log's complete lines as they are (a torn tail is not a line yet)."""
        count = 0
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as source:
            pending = b""
            while chunk := source.read(8 << 20):
                cut = chunk.rfind(b"\n") + 1
                if not cut:
                    pending += chunk
                    continue
                block = pending + chunk[:cut]
                out.write(block)
                count += block.count(b"\n")
                pending = chunk[cut:]
        return count

    def import_file(self, path: Path, progress: Progress | None = None) -> tuple[int, int]:
        """Add a verified file log's records after those already here, all or nothing (one
        write: over in a blink, so ``progress`` is not told)."""
        if not self._file.exists():
            continuation(path, None, str(self.path))  # a file refused leaves no empty log behind
        return self._file.extend(lambda here: continuation(path, here, str(self.path)))

    def read(self) -> LogRead:
        """Every intact record; damaged lines are reported as problems and skipped."""
        return self._file.read()

    def verify(self, witness: Head | None = None) -> LogRead:
        """Like read, and also reports the first line where the hash chain breaks, and a
        "head" problem when the log does not extend ``witness`` (a head a digest printed)."""
        return self._file.verify(witness)

    def head(self) -> Head | None:
        """Where the log ends now (lines and the last line's sha256), to keep as a witness."""
        return self._file.head()

    def head_hash(self) -> str:
        """sha256 of the log's last line ("" when empty): quoted by reports, checkable later."""
        head = self.head()
        return head.sha256 if head is not None else ""

    def append(
        self,
        type: str,
        ts: dt.datetime,
        data: Mapping[str, Any],
        plan: str,
        *,
        check: Callable[[LogView], None] | None = None,
    ) -> LogRecord:
        """Add one record durably, or raise LogError saying it was NOT recorded.

        ``check`` decides under the append's exclusive lock, against the log as it is then
        (through the index when it can answer, else a full read): it raises to refuse the
        record. Of N simultaneous appends that the same check guards, exactly one is written.
        The index is brought forward after the record is on disk, never before: on a nearly
        full disk the record comes first and the disposable index is what goes without.
        """
        index = LogIndex(self._file)
        before: list[str] = []

        def decide(fd: int, size: int) -> None:
            before.append(identity(os.fstat(fd)))
            if check is None:
                return
            view: LogView | None = None
            try:
                if index.sync_locked(fd, before=None, create=False):
                    view = QueriedView(index)
            except (sqlite3.Error, OSError):
                index.close()
            if view is None:
                view = FoldedView(self._file.read_locked(fd, size).records)
            check(view)

        def follow(fd: int, size: int) -> None:
            with contextlib.suppress(sqlite3.Error, OSError):
                index.sync_locked(fd, before=before[0], create=True)

        try:
            record = self._file.append(type, ts, data, plan, before_write=decide, after_write=follow)
            with contextlib.suppress(sqlite3.Error, OSError, AssertionError):  # no index: no line number
                row = index.db.execute("SELECT line FROM records WHERE id = ?", (record.id,)).fetchone()
                if row is not None:
                    record = dataclasses.replace(record, line=int(row[0]))
            return record
        finally:
            index.close()

    def view(self) -> LogView:
        """The log as it is now, to decide what to append (checked again under the lock)."""
        index = LogIndex(self._file)
        try:
            index.open(create=False)
            return QueriedView(index)
        except (sqlite3.Error, OSError):
            index.close()
        return FoldedView(self._file.read().records)

    def storage_warning(self) -> str | None:
        """Why this log's storage may let two writers damage it (a network filesystem), if so."""
        return filesystem_warning(self.path)

    def history(
        self,
        known_activities: set[str],
        *,
        full: bool = False,
        plan: str | None = None,
        create_index: bool = True,
        progress: Progress | None = None,
    ) -> tuple[History, list[str]]:
        """What the log says, and what a person should be told about it (damage, strays,
        records made under another plan file than ``plan``, the sha256 of the one in use).

        Through the SQLite index (only what was appended since the last command is read), or,
        with ``full`` or when the index cannot be used, by folding every record. Without
        ``create_index`` a missing index is not made (a command about to append makes it after).
        """
        indexed = None if full else self._indexed(known_activities, plan, create_index, progress)
        if indexed is not None:
            history, problems, others = indexed
        else:
            read = self._file.read()
            history, problems = fold(read.records, known_activities), list(read.problems)
            others = {}
            if plan is not None:
                for record in read.records:
                    if record.plan != plan:
                        others[record.plan] = others.get(record.plan, 0) + 1
        return history, history_warnings(history, problems, others)

    def _indexed(
        self, known: set[str], plan: str | None, create: bool, progress: Progress | None = None
    ) -> tuple[History, list[LogProblem], dict[str, int]] | None:
        try:
            info = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return None  # no log yet (an empty history), or one the full read explains
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return None
        index = LogIndex(self._file, progress=progress)
        try:
            index.open(create=create)
            # its incidents, when tracking began, and what could not be used
            history = fold([*index.records_of_types("incident-"), *index.records_in_force(TRACK)], known)
            history.completions = QueriedCompletions(index)
            history.unknown_activities = index.unknown_activities(known)
            history.last_completion = index.last_completion()
            history.count = index.count()
            return history, index.problems(), index.other_plans(plan) if plan is not None else {}
        except (sqlite3.Error, OSError):
            index.close()
            return None  # a read-only folder or a broken index: the full read still answers
