"""The completion log as commands use it: one object that reads, folds, appends and verifies.

Behind it sit the JSON Lines file (the record) and its disposable SQLite index (a fast way to
answer "is this occurrence done?" without decoding a million records). Commands never touch
either directly, and the rules above see only the folded state.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from commsplan.log.filelog import FileLog, default_log_path, filesystem_warning
from commsplan.log.index import LogIndex, Progress
from commsplan.log.records import TRACK, LogProblem, LogRead, LogRecord
from commsplan.log.state import Completion, History, fold

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

    def verify(self) -> LogRead:
        """Like read, and also reports the first line where the hash chain breaks."""
        return self._file.verify()

    def head_hash(self) -> str:
        """sha256 of the log's last line ("" when empty): quoted by reports, checkable later."""
        return self._file.last_line_hash()

    def append(self, type: str, ts: dt.datetime, data: Mapping[str, Any], plan: str) -> LogRecord:
        """Add one record durably, or raise LogError saying it was NOT recorded."""
        return self._file.append(type, ts, data, plan)

    def storage_warning(self) -> str | None:
        """Why this log's storage may let two writers damage it (a network filesystem), if so."""
        return filesystem_warning(self.path)

    def history(
        self, known_activities: set[str], *, full: bool = False, progress: Progress | None = None
    ) -> tuple[History, list[str]]:
        """What the log says, and what a person should be told about it (damage, strays).

        Through the SQLite index (only what was appended since the last command is read), or,
        with ``full`` or when the index cannot be used, by folding every record.
        """
        indexed = None if full else self._indexed(known_activities, progress)
        if indexed is not None:
            history, problems = indexed
        else:
            read = self._file.read()
            history, problems = fold(read.records, known_activities), list(read.problems)
        warnings = [f"log {problem.message}" for problem in problems]
        warnings += [f"log {message}" for message in history.ignored]
        if history.unknown_activities:
            names = ", ".join(sorted(history.unknown_activities))
            count = sum(history.unknown_activities.values())
            warnings.append(
                f"the log has {count} record(s) for activities this plan does not have ({names}); kept, not counted"
            )
        return history, warnings

    def _indexed(self, known: set[str], progress: Progress | None = None) -> tuple[History, list[LogProblem]] | None:
        try:
            info = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return None  # no log yet (an empty history), or one the full read explains
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return None
        index = LogIndex(self._file, progress=progress)
        try:
            index.open()
            # its incidents, when tracking began, and what could not be used
            history = fold([*index.records_of_types("incident-"), *index.records_in_force(TRACK)], known)
            history.completions = _IndexCompletions(index)
            history.unknown_activities = index.unknown_activities(known)
            history.last_completion = index.last_completion()
            history.count = index.count()
            return history, index.problems()
        except (sqlite3.Error, OSError):
            index.close()
            return None  # a read-only folder or a broken index: the full read still answers


class _IndexCompletions:
    """The completions of a log, answered by its index one question at a time."""

    def __init__(self, index: LogIndex) -> None:
        self.index = index

    def get(self, key: tuple[str, str], /) -> Completion | None:
        return self.index.completion(*key)

    def recorded_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[tuple[str, str], Completion]]:
        return self.index.completions_between(start, end)
