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

A command asks only what an index or a kept count answers: one occurrence's completion, one
record by id, the records of a window of time, the rare records kept whole (incidents, tracks),
and counts per activity and per plan file, the last time and the last completion in force,
all updated as lines are indexed. None reads the records table from end to end (a test asks
SQLite's query plan). A first build reads the log a slice at a time into one transaction on a
file without a journal, and makes the indexes and the count of what closes each occurrence
once every record is in (an append folds its records into that count; both leave the same rows).

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
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from commsplan.log.filelog import FileLog, index_path
from commsplan.log.records import (
    DONE,
    RETRACT,
    SKIP,
    SKIP_RANGE,
    TRACK,
    Decoder,
    Entry,
    LogProblem,
    LogRecord,
    decode_line,
    gc_paused,
)
from commsplan.log.state import Completion, recorded_time

SCHEMA_VERSION = "8"  # 4: file identity; 5: recorded, counts per plan/activity; 6: range skips; 7: aggregates;
# 8: the occurrences closed, per activity
_COMMON = frozenset({DONE, SKIP, RETRACT})
_IN_FORCE = frozenset({DONE, SKIP, SKIP_RANGE, TRACK})  # what undo takes back by default
_CLOSING = frozenset({DONE, SKIP})  # a record of its own occurrence that closes it
_COMPLETION_COLUMNS = "type, ts, by_, id, channel, note, due, recorded"
_SIDE_FILES = ("-journal", "-wal", "-shm")

_TABLES = """
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
    recorded TEXT,  -- the real time of recording, as the record says it (the time claimed is ts)
    body TEXT  -- the whole record, kept only for the rare kinds (incidents, tracks, range skips)
);
-- Counts kept as lines are indexed, so a command never scans every record to find them.
CREATE TABLE plans (plan TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE activities (activity TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE problems (line INTEGER PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL);
-- the occurrences a range skip (one record) covers, one row each
CREATE TABLE covered (
    activity TEXT NOT NULL, occurrence TEXT NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (activity, occurrence, line)
);
CREATE INDEX covered_line ON covered (line);
-- how many records in force close each occurrence (done, skip, or covered by a range skip):
-- one row per occurrence ever closed, so counting an overdue run never reads every record
CREATE TABLE closed (
    activity TEXT NOT NULL, occurrence TEXT NOT NULL, live INTEGER NOT NULL, PRIMARY KEY (activity, occurrence)
) WITHOUT ROWID;
"""
# Made after a first build has loaded every record: one sort each, not a million updates.
_INDEXES = """
CREATE INDEX records_key ON records (activity, occurrence, line);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_epoch ON records (epoch);
-- only the rare kinds kept whole (incidents, tracks, range skips), which every command folds
CREATE INDEX records_rare ON records (type, line) WHERE body IS NOT NULL;
"""
_DDL = _TABLES + _INDEXES

# Completions in force, one row per occurrence: done and skip records, and each occurrence a
# range skip covers. The latest line for an occurrence is what the log says of it.
_LIVE = """
WITH live(line, activity, occurrence) AS (
    SELECT line, activity, occurrence FROM records WHERE type IN ('done', 'skip') AND retracted = 0
    UNION ALL
    SELECT c.line, c.activity, c.occurrence FROM covered c JOIN records r ON r.line = c.line WHERE r.retracted = 0
)
"""

# What closes each occurrence, counted in one statement once a first build has loaded every
# record and its retractions (lines appended later are folded in by _close).
_CLOSED = """
INSERT INTO closed (activity, occurrence, live)
SELECT activity, occurrence, COUNT(*) FROM (
    SELECT activity, occurrence FROM records
    WHERE type IN ('done', 'skip') AND retracted = 0 AND activity IS NOT NULL AND occurrence IS NOT NULL
    UNION ALL
    SELECT c.activity, c.occurrence FROM covered c JOIN records r ON r.line = c.line WHERE r.retracted = 0
) GROUP BY activity, occurrence
"""

Progress = Callable[[int, int], None]  # (bytes indexed so far, bytes to index)
SLICE = 1 << 22  # bytes of whole lines decoded and stored at a time, between progress reports


def _close(db: sqlite3.Connection, closing: dict[tuple[str, str], int]) -> None:
    """Add what was indexed to the count of records in force closing each occurrence.

    An occurrence nothing closes any more has no row, as after a first build (_CLOSED).
    """
    db.executemany(
        "INSERT INTO closed VALUES (?, ?, ?) ON CONFLICT (activity, occurrence) DO UPDATE SET live = live + excluded.live",
        ((activity, occurrence, n) for (activity, occurrence), n in closing.items() if n),
    )
    db.executemany(
        "DELETE FROM closed WHERE activity = ? AND occurrence = ? AND live <= 0",
        (key for key, n in closing.items() if n < 0),
    )
    closing.clear()


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
        self.path = path or index_path(log.path)  # per person when a group shares the log
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
                # Nobody else opens it before then, so no locks to take either; the page cache
                # (and the sorts that make the indexes at the end) may use 32 MiB of memory.
                for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "cache_size=-32768"):
                    db.execute(f"PRAGMA {pragma}")
                db.executescript(_TABLES)
                db.execute("BEGIN")
                _set(db, "version", SCHEMA_VERSION)
                _index_from(db, fd, 0, 0, os.fstat(fd).st_size, self.progress, fresh=True)
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

    def completions_of(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Completion]:
        """What `completion` answers for each of ``keys`` that has one (in process, one at a time
        costs nothing more: this is for the database's sake)."""
        return {key: found for key in keys if (found := self.completion(*key)) is not None}

    def keys_of(self, activity: str, limit: int | None = None) -> set[str]:
        """The keys of one activity's occurrences that are done or skipped, from the aggregate
        kept as lines are indexed; with ``limit``, at most limit + 1 of them (enough to say
        there are more than a run of missed occurrences could hold)."""
        rows = self.db.execute(
            "SELECT occurrence FROM closed WHERE activity = ? AND live > 0 LIMIT ?",
            (activity, -1 if limit is None else limit + 1),
        )
        return {occurrence for (occurrence,) in rows}

    def completions_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[tuple[str, str], Completion]]:
        """Completions in force that were recorded in (start, end]."""
        # On the index of times: only the records of the window are read, then each is asked
        # whether a later record for its occurrence took its place.
        window = (start.timestamp(), end.timestamp())
        rows = self.db.execute(
            f"SELECT line, activity, occurrence, {_COMPLETION_COLUMNS} FROM records "
            "WHERE epoch > ? AND epoch <= ? AND type IN ('done', 'skip') AND retracted = 0 "
            "UNION ALL "
            f"SELECT c.line, c.activity, c.occurrence, {_COMPLETION_COLUMNS} FROM records r JOIN covered c "
            "ON c.line = r.line WHERE r.epoch > ? AND r.epoch <= ? AND r.type = 'skip-range' AND r.retracted = 0",
            window + window,
        ).fetchall()
        for line, activity, occurrence, *columns in rows:
            later = self.db.execute(
                f"{_LIVE} SELECT 1 FROM live WHERE activity = ? AND occurrence = ? AND line > ? LIMIT 1",
                (activity, occurrence, line),
            ).fetchone()
            if later is None:
                yield (activity, occurrence), _completion(*columns)

    def _rare(self, where: str, args: tuple[str, ...]) -> list[LogRecord]:
        # Only the records kept whole have a body: their partial index holds nothing else.
        rows = self.db.execute(
            f"SELECT line, body FROM records WHERE body IS NOT NULL AND {where} ORDER BY line", args
        ).fetchall()
        found = (decode_line(body, line) for line, body in rows)
        return [record for record in found if record is not None]

    def records_of_types(self, prefix: str) -> list[LogRecord]:
        """The records whose type begins with ``prefix`` (kept whole: incidents), in log order."""
        return self._rare("type >= ? AND type < ?", (prefix, prefix + "\U0010ffff"))

    def records_in_force(self, type_: str) -> list[LogRecord]:
        """The records of one rare type (kept whole) that no retraction cancels, in log order."""
        return self._rare("type = ? AND retracted = 0", (type_,))

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
        data |= {"channel": channel, "note": note, "recorded": recorded}
        kept = {k: v for k, v in data.items() if v is not None}
        return LogRecord(line, id_, dt.datetime.fromisoformat(ts), kind, kept, "", "")

    def is_retracted(self, record_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM records WHERE id = ? AND retracted = 1 LIMIT 1", (record_id,)).fetchone()
        return row is not None

    def last_time(self) -> dt.datetime | None:
        """The time the newest record claims (kept as lines are indexed)."""
        last = _meta(self.db).get("last_time")
        return dt.datetime.fromisoformat(last) if last else None

    def unknown_activities(self, known: set[str]) -> dict[str, int]:
        rows = self.db.execute("SELECT activity, records FROM activities").fetchall()
        return {a: n for a, n in rows if a not in known}

    def other_plans(self, digest: str) -> dict[str, int]:
        """Records made under a plan file other than ``digest``: plan sha256 -> count."""
        rows = self.db.execute("SELECT plan, records FROM plans WHERE plan != ?", (digest,))
        return dict(rows.fetchall())

    def last_completion(self) -> str | None:
        """The newest done, skip, range skip or track still in force (kept as lines are indexed)."""
        return _meta(self.db).get("last_completion") or None


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
    db: sqlite3.Connection,
    fd: int,
    offset: int,
    lines: int,
    size: int,
    progress: Progress | None = None,
    *,
    fresh: bool = False,
) -> None:
    """Index the whole lines of the log between ``offset`` and ``size``, in slices.

    A slice of whole lines is read, decoded, stored and let go before the next, so a first
    build of a million records holds a few megabytes of them at a time, not the whole log.
    ``fresh``: the tables are new and empty; their indexes, the retractions and the count of
    what closes each occurrence are made in a few statements after the last slice, where lines
    appended to an index are folded into them as they come.
    """
    # The same decoder as every other read of the log: a line the full read skips, the
    # index skips too, with the same message. Its entries are stored as they are: no object
    # per record.
    decoder = Decoder(chain=False, lines_before=lines, keep=False)
    retractions: list[tuple[str]] = []
    plans: Counter[str] = Counter()  # records per plan file
    activities: Counter[str] = Counter()  # done, skip and range skip records per activity
    closing: dict[tuple[str, str], int] = {}  # records in force that close each occurrence
    counted = 0
    last: Entry | None = None  # the newest record indexed now
    in_force: Entry | None = None  # the newest of the kinds undo takes back
    insert = (
        "INSERT INTO records (line, id, type, ts, epoch, activity, occurrence, target, by_, due, "
        "channel, note, recorded, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    if not fresh:
        insert = insert.replace("INSERT", "INSERT OR REPLACE", 1)
    columns = _COLUMNS
    plain = _PLAIN
    common = _COMMON
    closing_kinds = _CLOSING
    total = size - offset
    pos = offset
    tail = b""

    with gc_paused():  # each slice makes thousands of objects that form no cycles
        while pos < size:
            chunk = os.pread(fd, min(SLICE, size - pos), pos)
            if not chunk:
                break
            pos += len(chunk)
            block = tail + chunk if tail else chunk
            whole = block.rfind(b"\n") + 1
            tail = block[whole:]
            if not whole:
                continue  # a line longer than a slice: read on to its end
            entries = decoder.feed(block[:whole] if tail else block)
            del block, chunk
            rows = []
            covered: list[tuple[str, str, int]] = []
            made_under: list[str] = []  # the plan of each record
            of_activity: list[str] = []  # the activity of each done, skip and range skip
            for line, record_id, when, ts, kind, data, plan, _, raw in filter(None, entries):
                # The time as the line writes it (fromisoformat gives the same instant back).
                row: tuple[Any, ...] = (
                    line, record_id, kind, when, ts.timestamp(), *map(data.get, columns),
                    None if kind in common else raw.decode(),  # the rare kinds are kept whole
                )  # fmt: skip
                if not row[11] or not plain.issuperset(map(type, row[5:13])):
                    row = _as_text(row, data)
                rows.append(row)
                made_under.append(plan)
                if kind in closing_kinds:  # the common kinds first
                    activity = row[5]
                    if activity is not None:
                        of_activity.append(activity)
                        occurrence = row[6]
                        if occurrence is not None and not fresh:
                            closing[activity, occurrence] = closing.get((activity, occurrence), 0) + 1
                elif kind == RETRACT:
                    retractions.append((str(row[7]),))
                elif kind == SKIP_RANGE:
                    if row[5] is not None:
                        of_activity.append(row[5])
                    keys = data.get("occurrences")
                    if "activity" in data and isinstance(keys, list):
                        name = str(data["activity"])
                        # one row per occurrence it names, however often it names it
                        for key in dict.fromkeys(map(str, keys)):
                            covered.append((name, key, line))
                            if not fresh:
                                closing[name, key] = closing.get((name, key), 0) + 1
            plans.update(Counter(made_under))
            activities.update(Counter(of_activity))
            last = next(filter(None, reversed(entries)), last)
            in_force = next((e for e in filter(None, reversed(entries)) if e[4] in _IN_FORCE), in_force)
            counted += len(rows)
            problems = [(p.line, p.kind, p.message) for p in decoder.problems]
            decoder.problems.clear()
            del entries
            db.executemany(insert, rows)
            db.executemany("INSERT OR REPLACE INTO covered VALUES (?, ?, ?)", covered)
            if closing:
                _close(db, closing)  # slice by slice: a log of a million occurrences is not held at once
            db.executemany("INSERT OR REPLACE INTO problems VALUES (?, ?, ?)", problems)
            if progress is not None and pos < size:
                progress(pos - offset - len(tail), total)
    if fresh:  # one statement at a time: executescript would commit the transaction first
        for statement in _INDEXES.split(";"):
            db.execute(statement)
        db.executemany("UPDATE records SET retracted = 1 WHERE id = ?", dict.fromkeys(retractions))
        db.execute(_CLOSED)  # what closes each occurrence, counted once every record is in
    else:
        for target in dict.fromkeys(retractions):  # what each retraction takes back stops closing
            for kind, activity, occurrence, line in db.execute(
                "SELECT type, activity, occurrence, line FROM records WHERE id = ? AND retracted = 0", target
            ).fetchall():
                if kind in _CLOSING and activity is not None and occurrence is not None:
                    closing[activity, occurrence] = closing.get((activity, occurrence), 0) - 1
                elif kind == SKIP_RANGE:
                    for name, key in db.execute("SELECT activity, occurrence FROM covered WHERE line = ?", (line,)):
                        closing[name, key] = closing.get((name, key), 0) - 1
        db.executemany("UPDATE records SET retracted = 1 WHERE id = ?", retractions)
        _close(db, closing)
    db.executemany(
        "INSERT INTO plans VALUES (?, ?) ON CONFLICT (plan) DO UPDATE SET records = records + excluded.records",
        plans.items(),
    )
    db.executemany(
        "INSERT INTO activities VALUES (?, ?) "
        "ON CONFLICT (activity) DO UPDATE SET records = records + excluded.records",
        activities.items(),
    )
    meta = _meta(db)
    _set(db, "records", str(int(meta.get("records", "0")) + counted))
    _set(db, "offset", str(pos - len(tail)))
    _set(db, "lines", str(decoder.number))
    if last is not None:
        _set(db, "last_time", last[3].isoformat())
    if retractions or in_force is not None:
        _set(db, "last_completion", _newest_in_force(db, in_force, meta.get("last_completion", "")))
    if progress is not None and total:
        progress(pos - offset - len(tail), total)  # done: the indexes and counts are made too


def _newest_in_force(db: sqlite3.Connection, newest: Entry | None, before: str) -> str:
    """The id of the newest done, skip, range skip or track that no retraction cancels ("" if none).

    Asked when lines are indexed, never by a command: usually the newest such record just
    indexed; after a retraction, found by stepping back from the end of the log.
    """
    if newest is not None:
        row = db.execute("SELECT retracted FROM records WHERE line = ?", (newest[0],)).fetchone()
        if row is not None and not row[0]:
            return newest[1]
    elif before and db.execute("SELECT 1 FROM records WHERE id = ? AND retracted = 1", (before,)).fetchone() is None:
        return before  # only retractions of something else
    rows = db.execute("SELECT id, type, retracted FROM records ORDER BY line DESC")
    for record_id, kind, retracted in rows:
        if kind in _IN_FORCE and not retracted:
            return str(record_id)
    return ""


_PLAIN = frozenset({str, type(None)})
# The record's data stored in columns, in their order (a skip's reason stands in for a missing note).
_COLUMNS = ("activity", "occurrence", "target", "by", "due", "channel", "note", "recorded")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_text(row: tuple[Any, ...], data: dict[str, Any]) -> tuple[Any, ...]:
    """A row whose note is missing (a skip's reason stands in) or whose columns of the record's
    data hold a number or a list where text belongs (stored as text)."""
    fields = row[5:13]
    if not fields[6]:
        fields = (*fields[:6], data.get("reason"), fields[7])
    return (*row[:5], *map(_text, fields), row[13])


def _completion(
    kind: str,
    ts: str,
    by: str | None,
    record_id: str,
    channel: str | None,
    note: str | None,
    due: str | None,
    recorded: str | None,
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
        recorded=recorded_time(recorded),
    )
