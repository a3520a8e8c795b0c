"""A disposable SQLite index of the completion log, so reading a million records stays fast.

The log file stays the record (append-only, hash-chained); the index is derived from it and
must prove that it still is, or be rebuilt:

- It is used only when it is a regular file of the user's own that nobody else can write,
  holding exactly the tables and indexes commsplan creates (no trigger, no view), with no
  journal files of someone else's beside it.
- It remembers the identity of the log it describes: device, inode, size, mtime_ns and
  ctime_ns. Any difference (an edit in place, even of the same length, a restored copy, a
  line appended by hand) rebuilds it. Only commsplan's own append, which holds the log's
  exclusive lock from before the identity it saw to after its write, brings the index
  forward incrementally, reading just the line it wrote.
- A rebuild writes a fresh file beside it and renames it into place, never empties one, so
  nothing another person put in the old file survives.

Every write to the index happens under the log's exclusive flock (a reader that finds the
index stale upgrades its shared lock), so one process at a time touches it, and a rebuild
never renames a file from under another writer's journal. Lines are decoded by log.records,
as by every other read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from commsplan.log.filelog import FileLog
from commsplan.log.records import DONE, RETRACT, SKIP, SKIP_RANGE, Decoder, LogProblem, LogRecord, decode_line
from commsplan.log.state import Completion, recorded_time

SCHEMA_VERSION = "6"  # 4: the log's file identity; 5: when recorded, counts per plan and activity; 6: range skips
_COMMON = frozenset({DONE, SKIP, RETRACT})
_COMPLETION_COLUMNS = "type, ts, by_, id, channel, note, due, recorded"
_SIDE_FILES = ("-journal", "-wal", "-shm")

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
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
    recorded REAL,  -- the real time of recording (the time claimed is ts)
    body TEXT  -- the whole record, kept only for the rare kinds (incidents) folded in Python
);
CREATE INDEX records_key ON records (activity, occurrence, line);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_epoch ON records (epoch);
CREATE INDEX records_type ON records (type);
-- Counts kept as lines are indexed, so a command never scans every record to find them.
CREATE TABLE plans (plan TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE activities (activity TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE problems (line INTEGER PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL);
-- the occurrences a range skip (one record) covers, one row each
CREATE TABLE covered (
    activity TEXT NOT NULL, occurrence TEXT NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (activity, occurrence, line)
);
CREATE INDEX covered_line ON covered (line);
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


def _expected_schema() -> set[tuple[str, str, str, str]]:
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.executescript(_DDL)
        return set(db.execute("SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master"))


_EXPECTED: set[tuple[str, str, str, str]] | None = None


class Untrusted(Exception):
    """The index on disk is not one commsplan can vouch for (and why)."""


def identity(info: os.stat_result) -> str:
    """What the index remembers of the log: any change to the file changes this."""
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


class LogIndex:
    def __init__(self, log: FileLog, path: Path | None = None, progress: Progress | None = None) -> None:
        self.log = log
        self.path = path or log.path.with_name(log.path.name + ".index")
        self._db: sqlite3.Connection | None = None
        self.rebuilt = False  # the last open built a fresh file
        self.progress = progress  # told how far a build has gone (a progress bar on a terminal)

    # --- keeping up with the log ---------------------------------------------------------------

    def open(self, *, create: bool = True) -> LogIndex:
        """Bring the index up to date with the log, for a reader that holds no lock.

        Raises OSError / sqlite3.Error when it cannot (the caller reads the log in full), and
        FileNotFoundError when there is no log, or no index and ``create`` is false.
        """
        fd = os.open(self.log.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            locking = _flock(fd, fcntl.LOCK_SH)  # an append in flight finishes (and indexes) first
            if self._current(fd) is not None:
                return self
            if not create and not os.path.lexists(self.path):
                raise FileNotFoundError(self.path)
            if locking:
                _flock(fd, fcntl.LOCK_EX)  # the one writer of the index, as an appender is
            self.sync_locked(fd, before=None, create=True)
            return self
        finally:
            os.close(fd)  # releases the flock

    def sync_locked(self, fd: int, *, before: str | None, create: bool) -> bool:
        """Make the index describe the log open at ``fd``, whose exclusive lock the caller holds.

        ``before`` is the log's identity just before the caller appended to it under this same
        lock: an index that described that file needs only the new bytes. False when there is
        no index and ``create`` is false.
        """
        self.close()
        now = identity(os.fstat(fd))
        db = self._trusted_or_none()
        if db is not None:
            meta = _meta(db)
            if meta.get("identity") == now:
                self._db = db
                return True
            if before is not None and meta.get("identity") == before:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    _index_from(db, fd, int(meta["offset"]), int(meta["lines"]), os.fstat(fd).st_size)
                    _set(db, "identity", now)
                    db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    db.close()
                    raise
                self._db = db
                return True
            db.close()
        elif not create and not os.path.lexists(self.path):
            return False
        self._db = self._rebuild(fd)
        return True

    def _current(self, fd: int) -> sqlite3.Connection | None:
        db = self._trusted_or_none()
        if db is None:
            return None
        if _meta(db).get("identity") != identity(os.fstat(fd)):
            db.close()
            return None
        self._db = db
        return db

    def _trusted_or_none(self) -> sqlite3.Connection | None:
        try:
            return self._trusted()
        except (Untrusted, sqlite3.DatabaseError, FileNotFoundError):
            return None

    def _trusted(self) -> sqlite3.Connection:
        """The index on disk, opened, if it is one commsplan made and nobody else can have changed."""
        _check_private(self.path)
        for suffix in _SIDE_FILES:
            side = Path(f"{self.path}{suffix}")
            if os.path.lexists(side):
                _check_private(side)
        before = os.stat(self.path, follow_symlinks=False)
        db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, isolation_level=None, timeout=30)
        try:
            db.execute("PRAGMA trusted_schema=OFF")
            found = set(db.execute("SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master"))
            if found != _expected():
                raise Untrusted(f"{self.path} holds objects commsplan did not create")
            after = os.stat(self.path, follow_symlinks=False)
            if (before.st_dev, before.st_ino) != (after.st_dev, after.st_ino):
                raise Untrusted(f"{self.path} was replaced while being opened")
            if _meta(db).get("version") != SCHEMA_VERSION:
                raise Untrusted(f"{self.path} is from another version of commsplan")
        except BaseException:
            db.close()
            raise
        return db

    def _rebuild(self, fd: int) -> sqlite3.Connection:
        """A fresh index file built from the whole log and renamed into place."""
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.tmp")
        os.close(os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        try:
            with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as db:
                # A disposable file being built: no journal, no fsync; it is renamed in only whole.
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
                db.executescript(_DDL)
                db.execute("BEGIN")
                _set(db, "version", SCHEMA_VERSION)
                _index_from(db, fd, 0, 0, os.fstat(fd).st_size, self.progress)
                _set(db, "identity", identity(os.fstat(fd)))
                db.execute("COMMIT")
            # Journal files left beside the old index (a crash, or someone else's) would be
            # replayed into the new one: they go first. We hold the log's exclusive lock, so
            # no commsplan process is writing the index now.
            for suffix in _SIDE_FILES:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.rebuilt = True
        return self._trusted()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- questions -------------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "LogIndex.open() first"
        return self._db

    def problems(self) -> list[LogProblem]:
        found = [LogProblem(*row) for row in self.db.execute("SELECT line, kind, message FROM problems ORDER BY line")]
        meta = _meta(self.db)
        size = int(meta["identity"].split(":")[2])
        if size > int(meta["offset"]):
            number = int(meta["lines"]) + 1
            found.append(
                LogProblem(number, "torn-tail", f"line {number}: incomplete last line (an interrupted write; skipped)")
            )
        return found

    def count(self) -> int:
        return int(_meta(self.db)["records"])

    def completion(self, activity: str, occurrence: str) -> Completion | None:
        """The done or skip in force for one occurrence: the latest one not retracted."""
        row = self.db.execute(
            f"{_LIVE} SELECT {_COMPLETION_COLUMNS} FROM records WHERE line = "
            "(SELECT MAX(line) FROM live WHERE activity = ? AND occurrence = ?)",
            (activity, occurrence),
        ).fetchone()
        return None if row is None else _completion(*row)

    def keys_of(self, activity: str) -> set[str]:
        """The keys of one activity's occurrences that are done or skipped: one range query."""
        rows = self.db.execute(f"{_LIVE} SELECT DISTINCT occurrence FROM live WHERE activity = ?", (activity,))
        return {occurrence for (occurrence,) in rows}

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
        # A range on the type's index: LIKE would scan every record.
        rows = self.db.execute(
            "SELECT line, body FROM records WHERE type >= ? AND type < ? ORDER BY line", (prefix, prefix + "\U0010ffff")
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

    def record(self, record_id: str) -> LogRecord | None:
        """The first record with this id (its completion fields; incidents whole)."""
        row = self.db.execute(
            "SELECT line, id, type, ts, activity, occurrence, target, by_, due, channel, note, recorded, body "
            "FROM records WHERE id = ? ORDER BY line LIMIT 1",
            (record_id,),
        ).fetchone()
        if row is None:
            return None
        line, id_, kind, ts, activity, occurrence, target, by, due, channel, note, recorded, body = row
        if body is not None:
            return decode_line(body, line)
        data = {"activity": activity, "occurrence": occurrence, "target": target, "by": by, "due": due}
        data |= {"channel": channel, "note": note}
        if recorded is not None:
            data["recorded"] = dt.datetime.fromtimestamp(recorded, dt.UTC).isoformat()
        kept = {k: v for k, v in data.items() if v is not None}
        return LogRecord(line, id_, dt.datetime.fromisoformat(ts), kind, kept, "", "")

    def is_retracted(self, record_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM records WHERE id = ? AND retracted = 1 LIMIT 1", (record_id,)).fetchone()
        return row is not None

    def last_time(self) -> dt.datetime | None:
        row = self.db.execute("SELECT ts FROM records ORDER BY line DESC LIMIT 1").fetchone()
        return None if row is None else dt.datetime.fromisoformat(row[0])

    def unknown_activities(self, known: set[str]) -> dict[str, int]:
        rows = self.db.execute("SELECT activity, records FROM activities").fetchall()
        return {a: n for a, n in rows if a not in known}

    def other_plans(self, digest: str) -> dict[str, int]:
        """Records made under a plan file other than ``digest``: plan sha256 -> count."""
        rows = self.db.execute("SELECT plan, records FROM plans WHERE plan != ?", (digest,))
        return dict(rows.fetchall())

    def last_completion(self) -> str | None:
        row = self.db.execute(
            "SELECT id FROM records WHERE type IN ('done', 'skip', 'skip-range', 'track') AND retracted = 0 "
            "ORDER BY line DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])


def _expected() -> set[tuple[str, str, str, str]]:
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = _expected_schema()
    return _EXPECTED


def _check_private(path: Path) -> None:
    """Like the log itself: a regular file, ours, with one name, that nobody else can write."""
    info = os.stat(path, follow_symlinks=False)
    if not stat.S_ISREG(info.st_mode):
        raise Untrusted(f"{path} is not a regular file")
    if info.st_uid != os.getuid():
        raise Untrusted(f"{path} belongs to someone else (uid {info.st_uid})")
    if info.st_mode & 0o022:
        raise Untrusted(f"{path} is writable by group or others")
    if info.st_nlink != 1:
        raise Untrusted(f"{path} has {info.st_nlink} names")


def _flock(fd: int, how: int) -> bool:
    try:
        fcntl.flock(fd, how)
    except OSError:
        return False  # no locks here (some network filesystems): go on without
    return True


def _meta(db: sqlite3.Connection) -> dict[str, str]:
    return dict(db.execute("SELECT key, value FROM meta").fetchall())


def _set(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _index_from(
    db: sqlite3.Connection, fd: int, offset: int, lines: int, size: int, progress: Progress | None = None
) -> None:
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
    body = data[:complete]
    # The same decoder as every other read of the log: a line the full read skips, the
    # index skips too, with the same message.
    decoder = Decoder(chain=False, lines_before=lines)
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
                 _text(data_.get("note") or data_.get("reason")), _epoch(data_.get("recorded")),
                 None if common else text)
            )  # fmt: skip
        db.executemany(
            "INSERT OR REPLACE INTO records (line, id, type, ts, epoch, activity, occurrence, target, by_, due, "
            "channel, note, recorded, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        start = end
        if progress is not None:
            progress(start, len(body))
    problems = [(p.line, p.kind, p.message) for p in decoder.problems]
    db.executemany("INSERT OR REPLACE INTO problems VALUES (?, ?, ?)", problems)
    db.executemany("INSERT OR REPLACE INTO covered VALUES (?, ?, ?)", covered)
    db.executemany("UPDATE records SET retracted = 1 WHERE id = ?", [(t,) for t in retractions])
    plans: dict[str, int] = {}
    activities: dict[str, int] = {}
    for record in decoder.records:
        plans[record.plan] = plans.get(record.plan, 0) + 1
        if record.type in (DONE, SKIP, SKIP_RANGE) and record.data.get("activity") is not None:
            activity = str(record.data["activity"])
            activities[activity] = activities.get(activity, 0) + 1
    db.executemany(
        "INSERT INTO plans VALUES (?, ?) ON CONFLICT (plan) DO UPDATE SET records = records + excluded.records",
        plans.items(),
    )
    db.executemany(
        "INSERT INTO activities VALUES (?, ?) "
        "ON CONFLICT (activity) DO UPDATE SET records = records + excluded.records",
        activities.items(),
    )
    _set(db, "records", str(int(_meta(db).get("records", "0")) + len(decoder.records)))
    _set(db, "offset", str(offset + complete))
    _set(db, "lines", str(decoder.number))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _epoch(value: Any) -> float | None:
    when = recorded_time(value)
    return None if when is None else when.timestamp()


def _completion(
    kind: str,
    ts: str,
    by: str | None,
    record_id: str,
    channel: str | None,
    note: str | None,
    due: str | None,
    recorded: float | None,
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
        recorded=None if recorded is None else dt.datetime.fromtimestamp(recorded, dt.UTC),
    )
