"""A disposable SQLite index of the completion log, so reading a million records stays fast.

The log file stays the record (append-only, hash-chained); the index is derived from it and
can be deleted at any time. It remembers how far it has read (byte offset) and the sha256 of
the last line it read: each command indexes only what was appended since, after checking
that the file is the same one and still ends that line where it did. Anything unexpected
(another file, a shorter file, a different line there) rebuilds the index from the log.

Queries then answer only what a command asks (is this occurrence done? what was done since
yesterday?), instead of decoding every record of the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from commsplan.log.filelog import FileLog
from commsplan.log.records import DONE, RETRACT, SKIP, SKIP_RANGE, Decoder, LogProblem, LogRecord, decode_line
from commsplan.log.state import Completion

SCHEMA_VERSION = "4"  # 3: lines decoded by log.records, as every other read; 4: range skips
_COMMON = frozenset({DONE, SKIP, RETRACT})
_COMPLETION_COLUMNS = "type, ts, by_, id, channel, note, due"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    line INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts TEXT NOT NULL,
    epoch REAL NOT NULL,
    activity TEXT,
    occurrence TEXT,
    target TEXT,
    retracted INTEGER NOT NULL DEFAULT 0,
    by_ TEXT,
    due TEXT,
    channel TEXT,
    note TEXT,
    body TEXT  -- the whole record, kept only for the rare kinds (incidents) folded in Python
);
CREATE INDEX IF NOT EXISTS records_key ON records (activity, occurrence, line);
CREATE INDEX IF NOT EXISTS records_id ON records (id);
CREATE INDEX IF NOT EXISTS records_epoch ON records (epoch);
CREATE TABLE IF NOT EXISTS problems (line INTEGER PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL);
-- the occurrences a range skip (one record) covers, one row each
CREATE TABLE IF NOT EXISTS covered (
    activity TEXT NOT NULL, occurrence TEXT NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (activity, occurrence, line)
);
CREATE INDEX IF NOT EXISTS covered_line ON covered (line);
"""

# Completions in force, one row per occurrence: done and skip records, and each occurrence a
# range skip covers. The latest line for an occurrence is what the log says of it.
_LIVE = """
WITH live(line, activity, occurrence) AS (
    SELECT line, activity, occurrence FROM records WHERE type IN ('done', 'skip') AND retracted = 0
    UNION ALL
    SELECT c.line, c.activity, c.occurrence FROM covered c JOIN records r ON r.line = c.line WHERE r.retracted = 0
)
"""


Progress = Callable[[int, int], None]  # (bytes indexed so far, bytes to index)
SLICE = 1 << 22  # bytes of whole lines decoded and stored at a time, between progress reports


class LogIndex:
    def __init__(self, log: FileLog, path: Path | None = None, progress: Progress | None = None) -> None:
        self.log = log
        self.path = path or log.path.with_name(log.path.name + ".index")
        self._db: sqlite3.Connection | None = None
        self.torn_tail: LogProblem | None = None
        self.progress = progress  # told how far indexing has gone (a progress bar on a terminal)

    # --- keeping up with the log ---------------------------------------------------------------

    def open(self) -> LogIndex:
        """Bring the index up to date with the log. Raises sqlite3.Error / OSError on trouble."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        os.close(fd)
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_DDL)
        self._db = db
        self._refresh(db)
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _meta(self, db: sqlite3.Connection) -> dict[str, str]:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())

    def _refresh(self, db: sqlite3.Connection) -> None:
        raw_fd = self._open_log()
        if raw_fd is None:  # no log yet
            db.execute("BEGIN IMMEDIATE")
            self._reset(db)
            db.execute("COMMIT")
            return
        try:
            info = os.fstat(raw_fd)
            db.execute("BEGIN IMMEDIATE")  # one indexer at a time; readers still read
            try:
                meta = self._meta(db)
                offset = int(meta.get("offset", "0"))
                same_file = meta.get("file") == f"{info.st_dev}:{info.st_ino}" and meta.get("version") == SCHEMA_VERSION
                if not same_file or offset > info.st_size or not self._ends_line(raw_fd, offset, meta.get("tail", "")):
                    self._reset(db)
                    meta = {}
                    offset = 0
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('file', ?)", (f"{info.st_dev}:{info.st_ino}",))
                self._index_from(db, raw_fd, offset, int(meta.get("lines", "0")), info.st_size)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            os.close(raw_fd)

    def _open_log(self) -> int | None:
        try:
            return os.open(self.log.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None

    @staticmethod
    def _ends_line(fd: int, offset: int, tail: str) -> bool:
        """Does the file still hold, just before ``offset``, the line whose hash is ``tail``?"""
        if offset == 0:
            return True
        start = max(0, offset - (1 << 20))
        chunk = os.pread(fd, offset - start, start)
        if not chunk.endswith(b"\n"):
            return False
        begin = chunk.rfind(b"\n", 0, len(chunk) - 1) + 1
        return hashlib.sha256(chunk[begin:-1]).hexdigest() == tail

    @staticmethod
    def _reset(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM records")
        db.execute("DELETE FROM problems")
        db.execute("DELETE FROM covered")
        db.execute("DELETE FROM meta")
        db.execute("INSERT INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))

    def _index_from(self, db: sqlite3.Connection, fd: int, offset: int, lines: int, size: int) -> None:
        data = b""
        if size > offset:
            parts = []
            pos = offset
            while pos < size:
                chunk = os.pread(fd, min(1 << 24, size - pos), pos)
                if not chunk:
                    break
                parts.append(chunk)
                pos += len(chunk)
            data = b"".join(parts)
        complete = data.rfind(b"\n") + 1
        body, torn = data[:complete], data[complete:]
        # The same decoder as every other read of the log: a line the full read skips, the
        # index skips too, with the same message.
        decoder = Decoder(chain=False, lines_before=lines)
        tail = body[body.rfind(b"\n", 0, len(body) - 1) + 1 : -1] if body else None
        retractions = []
        covered: list[tuple[str, str, int]] = []
        start = 0
        while start < len(body):
            # a slice of whole lines at a time, so a long first build can say how far it has got
            end = body.find(b"\n", min(start + SLICE, len(body)) - 1) + 1
            texts, parsed = decoder.feed(body[start:end])
            rows = []
            for text, record in zip(texts, parsed, strict=True):
                if record is None:
                    continue
                data_ = record.data
                kind = record.type
                if kind == RETRACT:
                    retractions.append(str(data_.get("target")))
                elif kind == SKIP_RANGE and isinstance(data_.get("occurrences"), list) and "activity" in data_:
                    activity = str(data_["activity"])
                    covered.extend((activity, str(key), record.line) for key in data_["occurrences"])
                common = kind in _COMMON
                rows.append(
                    (record.line, record.id, kind, record.ts.isoformat(), record.ts.timestamp(),
                     _text(data_.get("activity")), _text(data_.get("occurrence")), _text(data_.get("target")),
                     _text(data_.get("by")), _text(data_.get("due")), _text(data_.get("channel")),
                     _text(data_.get("note") or data_.get("reason")), None if common else text)
                )  # fmt: skip
            db.executemany(
                "INSERT OR REPLACE INTO records (line, id, type, ts, epoch, activity, occurrence, target, by_, due, "
                "channel, note, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            start = end
            if self.progress is not None:
                self.progress(start, len(body))
        number = decoder.number
        problems = [(p.line, p.kind, p.message) for p in decoder.problems]
        db.executemany("INSERT OR REPLACE INTO problems VALUES (?, ?, ?)", problems)
        db.executemany("INSERT OR REPLACE INTO covered VALUES (?, ?, ?)", covered)
        db.executemany("UPDATE records SET retracted = 1 WHERE id = ?", [(t,) for t in retractions])
        new_offset = offset + complete
        db.execute("INSERT OR REPLACE INTO meta VALUES ('offset', ?)", (str(new_offset),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('lines', ?)", (str(number),))
        if tail is not None:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('tail', ?)", (hashlib.sha256(tail).hexdigest(),))
        self.torn_tail = (
            LogProblem(
                number + 1, "torn-tail", f"line {number + 1}: incomplete last line (an interrupted write; skipped)"
            )
            if torn
            else None
        )

    # --- questions -------------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "LogIndex.open() first"
        return self._db

    def problems(self) -> list[LogProblem]:
        found = [LogProblem(*row) for row in self.db.execute("SELECT line, kind, message FROM problems ORDER BY line")]
        return [*found, *([self.torn_tail] if self.torn_tail else [])]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def completion(self, activity: str, occurrence: str) -> Completion | None:
        """The done or skip in force for one occurrence: the latest one not retracted."""
        row = self.db.execute(
            f"{_LIVE} SELECT {_COMPLETION_COLUMNS} FROM records WHERE line = "
            "(SELECT MAX(line) FROM live WHERE activity = ? AND occurrence = ?)",
            (activity, occurrence),
        ).fetchone()
        return None if row is None else _completion(*row)

    def completions_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[tuple[str, str], Completion]]:
        """Completions in force that were recorded in (start, end]."""
        rows = self.db.execute(
            f"{_LIVE} SELECT live.line, live.activity, live.occurrence, {_COMPLETION_COLUMNS} FROM live "
            "JOIN records USING (line) WHERE epoch > ? AND epoch <= ?",
            (start.timestamp(), end.timestamp()),
        ).fetchall()
        for line, activity, occurrence, *columns in rows:
            later = self.db.execute(
                f"{_LIVE} SELECT 1 FROM live WHERE activity = ? AND occurrence = ? AND line > ? LIMIT 1",
                (activity, occurrence, line),
            ).fetchone()
            if later is None:
                yield (activity, occurrence), _completion(*columns)

    def records_of_types(self, prefix: str) -> list[LogRecord]:
        rows = self.db.execute(
            "SELECT line, body FROM records WHERE type LIKE ? ORDER BY line", (prefix + "%",)
        ).fetchall()
        found = (decode_line(body, line) for line, body in rows)
        return [record for record in found if record is not None]

    def records_in_force(self, type_: str) -> list[LogRecord]:
        """The records of one rare type (kept whole) that no retraction cancels, in log order."""
        rows = self.db.execute(
            "SELECT line, body FROM records WHERE type = ? AND retracted = 0 ORDER BY line", (type_,)
        ).fetchall()
        found = (decode_line(body, line) for line, body in rows)
        return [record for record in found if record is not None]

    def unknown_activities(self, known: set[str]) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT activity, COUNT(*) FROM records WHERE activity IS NOT NULL AND type IN ('done', 'skip', 'skip-range') "
            "GROUP BY activity"
        ).fetchall()
        return {a: n for a, n in rows if a not in known}

    def last_completion(self) -> str | None:
        row = self.db.execute(
            "SELECT id FROM records WHERE type IN ('done', 'skip', 'skip-range') AND retracted = 0 "
            "ORDER BY line DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _completion(
    kind: str, ts: str, by: str | None, record_id: str, channel: str | None, note: str | None, due: str | None
) -> Completion:
    try:
        due_day = dt.date.fromisoformat(due) if due else None
    except ValueError:
        due_day = None
    return Completion(
        status="done" if kind == "done" else "skipped",
        at=dt.datetime.fromisoformat(ts),
        by=by or "",
        record_id=record_id,
        channel=channel,
        note=note,
        due=due_day,
    )
