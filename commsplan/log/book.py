"""The completion log as commands use it: one object that reads, folds, appends and verifies.

Behind it sit the JSON Lines file (the record) and its disposable SQLite index (a fast way to
answer "is this occurrence done?" without decoding a million records). Commands never touch
either directly, and the rules above see only the folded state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from commsplan.log.filelog import FileLog, default_log_path, filesystem_warning
from commsplan.log.index import LogIndex, Progress, identity
from commsplan.log.records import TRACK, Head, LogProblem, LogRead, LogRecord
from commsplan.log.state import Completion, FoldedView, History, LogView, fold

__all__ = ["Logbook", "default_log_path"]


class Logbook:
    """The completion log at ``path`` (a JSON Lines file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = FileLog(self.path)

    def __repr__(self) -> str:
        return f"Logbook({str(self.path)!r})"

    def exists(self) -> bool:
        return self._file.exists()

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
                    view = _IndexView(index)
            except (sqlite3.Error, OSError):
                index.close()
            if view is None:
                view = FoldedView(self._file.read_locked(fd, size).records)
            check(view)

        def follow(fd: int, size: int) -> None:
            with contextlib.suppress(sqlite3.Error, OSError):
                index.sync_locked(fd, before=before[0], create=True)

        try:
            return self._file.append(type, ts, data, plan, before_write=decide, after_write=follow)
        finally:
            index.close()

    def view(self) -> LogView:
        """The log as it is now, to decide what to append (checked again under the lock)."""
        index = LogIndex(self._file)
        try:
            index.open(create=False)
            return _IndexView(index)
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
        warnings = [f"log {problem.message}" for problem in problems]
        warnings += [f"log {message}" for message in history.ignored]
        if history.unknown_activities:
            names = ", ".join(sorted(history.unknown_activities))
            count = sum(history.unknown_activities.values())
            warnings.append(
                f"the log has {count} record(s) for activities this plan does not have ({names}); kept, not counted"
            )
        if others:
            count = sum(others.values())
            digests = ", ".join(d[:12] or "none" for d in sorted(others, key=lambda d: -others[d])[:3])
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            warnings.append(
                f"the log has {count} record(s) made under another plan file than this one "
                f"(plan sha256 {digests}{more}); they are counted against this plan"
            )
        return history, warnings

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
            history.completions = _IndexCompletions(index)
            history.unknown_activities = index.unknown_activities(known)
            history.last_completion = index.last_completion()
            history.count = index.count()
            return history, index.problems(), index.other_plans(plan) if plan is not None else {}
        except (sqlite3.Error, OSError):
            index.close()
            return None  # a read-only folder or a broken index: the full read still answers


class _IndexView:
    """A LogView answered by the index, one question at a time."""

    def __init__(self, index: LogIndex) -> None:
        self.index = index
        self.completions = _IndexCompletions(index)

    @property
    def last_completion(self) -> str | None:
        return self.index.last_completion()

    def record(self, record_id: str) -> LogRecord | None:
        return self.index.record(record_id)

    def is_retracted(self, record_id: str) -> bool:
        return self.index.is_retracted(record_id)

    def last_time(self) -> dt.datetime | None:
        return self.index.last_time()


class _IndexCompletions:
    """The completions of a log, answered by its index one question at a time."""

    def __init__(self, index: LogIndex) -> None:
        self.index = index

    def get(self, key: tuple[str, str], /) -> Completion | None:
        return self.index.completion(*key)

    def keys_of(self, activity: str) -> set[str]:
        return self.index.keys_of(activity)

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[tuple[str, str], Completion]]:
        return self.index.completions_between(start, end)
