"""The completion log in PostgreSQL: the same records and hash chain as the file, for a team
on many machines.

Each record is stored as the very line the file back end would hold (``body``, without its
newline), numbered from 1 with no gaps (``line``). The database itself keeps the log honest,
whoever connects: ``setup-db`` installs triggers that derive every other column from ``body``,
refuse a line whose ``prev`` is not the sha256 of the line before it (so no gap and no fork),
and refuse UPDATE, DELETE and TRUNCATE. commsplan serialises its appends with a transaction
advisory lock and runs the append's check inside the same transaction, so of N people
recording the same occurrence at once exactly one is written.

Connections follow libpq's conventions (PGPASSFILE, ~/.pgpass, PGSERVICE, sslmode, PGOPTIONS):
a password is never taken in the URL, never printed, and never reaches the log. psycopg is
imported only here, only when a ``postgresql://`` URL is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from commsplan.errors import LogError
from commsplan.log.filelog import _against
from commsplan.log.records import (
    TRACK,
    Decoder,
    Head,
    LogRead,
    LogRecord,
    decode_line,
    encode,
    gc_paused,
)
from commsplan.log.records import check as check_record
from commsplan.log.state import Completion, History, LogView, QueriedCompletions, QueriedView, fold, history_warnings
from commsplan.log.transfer import continuation

if TYPE_CHECKING:
    import psycopg

SCHEMA_VERSION = 1
# pg_advisory_xact_lock key of the log's appends: "commsplan" as a 63-bit number.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"commsplan completion log").digest()[:8], "big") >> 1
INSTALL_HINT = "pip install 'commsplan[postgres]'"
_BATCH = 20_000  # rows per fetch when reading the whole log

_DDL = r"""
CREATE TABLE commsplan_schema (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now());
CREATE TABLE commsplan_log (
    line bigint PRIMARY KEY CHECK (line > 0),
    body text NOT NULL,  -- the record's line exactly as the JSON Lines file holds it, without "\n"
    -- derived from body by the trigger below, whatever the client sends:
    sha256 text COLLATE "C" NOT NULL,  -- of body's UTF-8 bytes: what the next line's prev must be
    id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    ts timestamptz NOT NULL,
    plan text COLLATE "C" NOT NULL,
    activity text COLLATE "C",
    occurrence text COLLATE "C",
    target text COLLATE "C"
);
CREATE INDEX commsplan_log_key ON commsplan_log (activity, occurrence, line);
CREATE INDEX commsplan_log_id ON commsplan_log (id);
CREATE INDEX commsplan_log_type ON commsplan_log (type, line);
CREATE INDEX commsplan_log_ts ON commsplan_log (ts);
CREATE INDEX commsplan_log_target ON commsplan_log (target) WHERE type = 'retract';
-- the occurrences a range skip (one record) covers, one row each
CREATE TABLE commsplan_covered (
    activity text COLLATE "C" NOT NULL,
    occurrence text COLLATE "C" NOT NULL,
    line bigint NOT NULL REFERENCES commsplan_log (line),
    PRIMARY KEY (activity, occurrence, line)
);
-- records per plan file and per activity, kept as lines arrive (a command never counts a million)
CREATE TABLE commsplan_counts (
    kind text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, records bigint NOT NULL, PRIMARY KEY (kind, key)
);

CREATE FUNCTION commsplan_log_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version integer;
    prev text;
    last_sha text;
BEGIN
    -- one statement: a trigger's cost is mostly per statement, and a million lines pass here
    SELECT x.v, x.prev, x.id, x.type, x.ts::timestamptz, x.plan, x.activity, x.occurrence, x.target,
           encode(sha256(convert_to(NEW.body, 'UTF8')), 'hex'),
           CASE WHEN NEW.line = 1 THEN '' ELSE (SELECT l.sha256 FROM commsplan_log l WHERE l.line = NEW.line - 1) END
      INTO version, prev, NEW.id, NEW.type, NEW.ts, NEW.plan, NEW.activity, NEW.occurrence, NEW.target,
           NEW.sha256, last_sha
      FROM json_to_record(NEW.body::json)
        AS x(v integer, id text, type text, ts text, plan text, prev text, activity text, occurrence text, target text);
    IF version IS NULL OR version < 1 OR coalesce(NEW.id, '') = '' OR coalesce(NEW.type, '') = ''
       OR NEW.plan IS NULL OR prev IS NULL OR NEW.ts IS NULL THEN
        RAISE EXCEPTION 'commsplan: line % is not a completion record', NEW.line;
    END IF;
    IF last_sha IS NULL THEN
        RAISE EXCEPTION 'commsplan: line % would leave a gap in the completion log', NEW.line;
    END IF;
    IF prev <> last_sha THEN
        RAISE EXCEPTION 'commsplan: line % does not chain to line % (prev is not its sha256)', NEW.line, NEW.line - 1;
    END IF;
    RETURN NEW;
END $$;

-- Runs as the log's owner (who ran setup-db), so a team's role needs only SELECT and INSERT
-- on commsplan_log, and SELECT on the rest: nobody but the owner can write these tables.
CREATE FUNCTION commsplan_log_covered() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO commsplan_covered
        SELECT DISTINCT n.activity, o.value, n.line
        FROM new_rows n, json_array_elements_text((n.body::json)->'occurrences') AS o(value)
        WHERE n.type = 'skip-range' AND n.activity IS NOT NULL
          AND json_typeof((n.body::json)->'occurrences') = 'array';
    INSERT INTO commsplan_counts SELECT 'plan', plan, count(*) FROM new_rows GROUP BY plan
        ON CONFLICT (kind, key) DO UPDATE SET records = commsplan_counts.records + excluded.records;
    INSERT INTO commsplan_counts
        SELECT 'activity', activity, count(*) FROM new_rows
        WHERE type IN ('done', 'skip', 'skip-range') AND activity IS NOT NULL GROUP BY activity
        ON CONFLICT (kind, key) DO UPDATE SET records = commsplan_counts.records + excluded.records;
    RETURN NULL;
END $$;

CREATE FUNCTION commsplan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'commsplan: the completion log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER commsplan_log_line BEFORE INSERT ON commsplan_log
    FOR EACH ROW EXECUTE FUNCTION commsplan_log_line();
CREATE TRIGGER commsplan_log_after AFTER INSERT ON commsplan_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commsplan_log_covered();
CREATE TRIGGER commsplan_log_append_only BEFORE UPDATE OR DELETE ON commsplan_log
    FOR EACH ROW EXECUTE FUNCTION commsplan_append_only();
CREATE TRIGGER commsplan_log_no_truncate BEFORE TRUNCATE ON commsplan_log
    FOR EACH STATEMENT EXECUTE FUNCTION commsplan_append_only();
CREATE TRIGGER commsplan_covered_append_only BEFORE UPDATE OR DELETE ON commsplan_covered
    FOR EACH ROW EXECUTE FUNCTION commsplan_append_only();
CREATE TRIGGER commsplan_covered_no_truncate BEFORE TRUNCATE ON commsplan_covered
    FOR EACH STATEMENT EXECUTE FUNCTION commsplan_append_only();
CREATE TRIGGER commsplan_schema_append_only BEFORE UPDATE OR DELETE ON commsplan_schema
    FOR EACH ROW EXECUTE FUNCTION commsplan_append_only();
CREATE TRIGGER commsplan_schema_no_truncate BEFORE TRUNCATE ON commsplan_schema
    FOR EACH STATEMENT EXECUTE FUNCTION commsplan_append_only();
"""

_NOT_RETRACTED = "NOT EXISTS (SELECT 1 FROM commsplan_log r WHERE r.type = 'retract' AND r.target = l.id)"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise LogError(
            f"a postgresql:// log needs the PostgreSQL driver, which is not installed: {INSTALL_HINT}"
        ) from None
    return psycopg


class PgLog:
    """The completion log in a PostgreSQL database, named by a libpq URL without a password."""

    def __init__(self, url: str) -> None:
        pg = _psycopg()
        try:
            params = pg.conninfo.conninfo_to_dict(url)
        except pg.ProgrammingError:
            raise LogError(
                f"'{_scrub(url)}' is not a PostgreSQL URL (postgresql://[user@]host[:port]/database)"
            ) from None
        if params.get("password"):
            raise LogError(
                "the log URL carries a password; commsplan takes none there (it would show in shell history, "
                f"`ps` and cron mail): use {_scrub(url)} and put the password in ~/.pgpass "
                "(or the file PGPASSFILE names, or a PGSERVICE entry)"
            )
        self.url = url
        self._params = params
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._verified: psycopg.Connection[tuple[Any, ...]] | None = None  # holds a log of this version

    def __repr__(self) -> str:
        return f"PgLog({self.url!r})"

    @property
    def where(self) -> str:
        return self.url

    @property
    def created(self) -> bool:
        return False  # a database's log is made by `log setup-db`, never by an append

    @property
    def side_path(self) -> Path:
        """Where this machine keeps what belongs beside the log (a digest's last run)."""
        from platformdirs import user_data_path

        tag = hashlib.sha256(self.url.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return user_data_path("commsplan", appauthor=False) / f"postgresql-{tag}"

    # --- the connection --------------------------------------------------------------------------

    def address(self) -> str:
        """host:port (or socket folder:port) and database, for messages: never a password."""
        if self._conn is not None and not self._conn.closed:
            info = self._conn.info
            return f"{info.host}:{info.port} (database {info.dbname})"
        p = self._params
        host = p.get("host") or p.get("hostaddr") or os.environ.get("PGHOST") or ""
        port = p.get("port") or os.environ.get("PGPORT") or "5432"
        service = p.get("service") or os.environ.get("PGSERVICE")
        if not host and service:
            return f"service {service}"
        db = p.get("dbname") or os.environ.get("PGDATABASE") or p.get("user") or os.environ.get("PGUSER") or ""
        return f"{host or 'localhost'}:{port}" + (f" (database {db})" if db else "")

    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        pg = _psycopg()
        extra: dict[str, Any] = {"fallback_application_name": "commsplan"}
        if "connect_timeout" not in self._params and "PGCONNECT_TIMEOUT" not in os.environ:
            extra["connect_timeout"] = 10
        if not str(self._params.get("host") or os.environ.get("PGHOST", "")).startswith("/"):
            # a cut network shows within a minute, not after the system's two hours of silence
            for key, value in (("keepalives_idle", 15), ("keepalives_interval", 5), ("keepalives_count", 3)):
                if key not in self._params:
                    extra[key] = value
        options = str(self._params.get("options") or os.environ.get("PGOPTIONS") or "")
        # An append waits this long for another's lock, then says it was NOT recorded; a
        # team that wants another wait sets it with PGOPTIONS='-c lock_timeout=5s'.
        if "lock_timeout" not in options:
            options += " -c lock_timeout=30s"
        if "statement_timeout" not in options:
            options += " -c statement_timeout=300s"
        extra["options"] = options.strip()
        try:
            conn: psycopg.Connection[tuple[Any, ...]] = pg.connect(self.url, autocommit=True, **extra)
        except pg.Error as exc:
            raise LogError(f"PostgreSQL at {self.address()}: {_reason(exc)}") from None
        self._conn = conn
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _checked(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The connection to a database that holds a log of this version."""
        conn = self.connection()
        if self._verified is conn:
            return conn
        version = self._version(conn)
        if version is None:
            raise LogError(
                f"PostgreSQL at {self.address()} holds no commsplan log yet: set it up once with "
                f"`commsplan log setup-db --log {self.url}`"
            )
        if version > SCHEMA_VERSION:
            raise LogError(
                f"PostgreSQL at {self.address()}: the log was set up by a newer commsplan (schema version "
                f"{version}; this one knows {SCHEMA_VERSION}): upgrade commsplan"
            )
        self._verified = conn
        return conn

    def _version(self, conn: psycopg.Connection[tuple[Any, ...]]) -> int | None:
        pg = _psycopg()
        try:
            # two statements: a query naming a table that does not exist fails as it is planned
            found = conn.execute("SELECT to_regclass('commsplan_schema') IS NOT NULL").fetchone()
            if not (found and found[0]):
                return None
            row = conn.execute("SELECT max(version) FROM commsplan_schema").fetchone()
        except pg.Error as exc:
            raise LogError(f"PostgreSQL at {self.address()}: {_reason(exc)}") from None
        return None if row is None or row[0] is None else int(row[0])

    def _query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        pg = _psycopg()
        conn = self._checked()
        try:
            return conn.execute(sql, params).fetchall()
        except pg.Error as exc:
            raise LogError(f"cannot read the log: PostgreSQL at {self.address()}: {_reason(exc)}") from None

    # --- setting up ------------------------------------------------------------------------------

    def setup(self) -> str:
        """Create the log's tables, indexes and triggers; idempotent. Says what it did."""
        pg = _psycopg()
        conn = self.connection()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                version = self._version(conn)
                if version == SCHEMA_VERSION:
                    return f"the log (schema version {version}) in PostgreSQL at {self.address()} is already set up; nothing changed"
                if version is not None and version > SCHEMA_VERSION:
                    raise LogError(
                        f"PostgreSQL at {self.address()}: the log was set up by a newer commsplan (schema version "
                        f"{version}); nothing changed"
                    )
                found = conn.execute("SELECT to_regclass('commsplan_log') IS NOT NULL").fetchone()
                if found and found[0]:
                    raise LogError(
                        f"PostgreSQL at {self.address()} has a table commsplan_log that commsplan did not set up; "
                        "nothing changed"
                    )
                conn.execute(_DDL)
                conn.execute("INSERT INTO commsplan_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        except pg.Error as exc:
            raise LogError(f"log NOT set up: PostgreSQL at {self.address()}: {_reason(exc)}") from None
        return (
            f"set up the completion log (schema version {SCHEMA_VERSION}) in PostgreSQL at {self.address()}: "
            "append-only, hash-chained"
        )

    # --- reading ---------------------------------------------------------------------------------

    def exists(self) -> bool:
        self._checked()
        return True

    def read(self) -> LogRead:
        """Every record, in order (the database checked each line on its way in)."""
        return self._scan(chain=False)

    def verify(self, witness: Head | None = None) -> LogRead:
        """Like read, and also checks the hash chain line by line, and that the log still
        extends ``witness`` (a head a digest printed)."""
        return self._scan(chain=True, witness=witness)

    def _scan(self, *, chain: bool, witness: Head | None = None) -> LogRead:
        scanner = Decoder(chain=chain)
        if witness is not None:
            scanner.watch = witness.lines
        with gc_paused():
            for block in self.blocks():
                scanner.feed(block)
        head = Head(scanner.number, scanner.last_hash) if chain and scanner.number else None
        problems = list(scanner.problems)
        if witness is not None:
            problems += _against(witness, scanner.number, scanner.watched)
        return LogRead(tuple(scanner.records), tuple(problems), head)

    def blocks(self) -> Iterator[bytes]:
        """The log's lines as the file holds them, newlines included, some thousands at a time."""
        pg = _psycopg()
        conn = self._checked()
        try:
            # a server-side cursor, in one snapshot: a million records never sit in one result
            with (
                conn.transaction(),
                conn.cursor(name=f"commsplan_{uuid.uuid4().hex[:8]}", binary=True) as cur,
            ):
                cur.itersize = _BATCH
                cur.execute("SELECT convert_to(body, 'UTF8') FROM commsplan_log ORDER BY line")
                while rows := cur.fetchmany(_BATCH):
                    yield b"\n".join([row[0] for row in rows]) + b"\n"
        except pg.Error as exc:
            raise LogError(f"cannot read the log: PostgreSQL at {self.address()}: {_reason(exc)}") from None

    def export(self, out: IO[bytes]) -> int:
        """Write every record as the file back end would hold it; the number of records."""
        count = 0
        for block in self.blocks():
            out.write(block)
            count += block.count(b"\n")
        return count

    def head(self) -> Head | None:
        rows = self._query("SELECT line, sha256 FROM commsplan_log ORDER BY line DESC LIMIT 1")
        return Head(int(rows[0][0]), str(rows[0][1])) if rows else None

    def head_hash(self) -> str:
        head = self.head()
        return head.sha256 if head is not None else ""

    def view(self) -> LogView:
        return QueriedView(self)

    def storage_warning(self) -> str | None:
        return None  # the server serialises writers; nothing like a network filesystem's locks

    def history(
        self,
        known_activities: set[str],
        *,
        full: bool = False,
        plan: str | None = None,
        create_index: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[History, list[str]]:
        """What the log says, asked of the database one question at a time (``full``: by
        folding every record, as the file back end's full read does)."""
        if full:
            read = self.read()
            history = fold(read.records, known_activities)
            others: dict[str, int] = {}
            if plan is not None:
                for record in read.records:
                    if record.plan != plan:
                        others[record.plan] = others.get(record.plan, 0) + 1
            return history, history_warnings(history, list(read.problems), others)
        history = fold([*self.records_of_types("incident-"), *self.records_in_force(TRACK)], known_activities)
        history.completions = QueriedCompletions(self)
        counts = self._query("SELECT kind, key, records FROM commsplan_counts")
        history.unknown_activities = {
            k: int(n) for kind, k, n in counts if kind == "activity" and k not in known_activities
        }
        others = {k: int(n) for kind, k, n in counts if kind == "plan" and plan is not None and k != plan}
        history.last_completion = self.last_completion()
        rows = self._query("SELECT coalesce(max(line), 0) FROM commsplan_log")
        history.count = int(rows[0][0])
        return history, history_warnings(history, [], others)

    # --- questions the agenda asks ---------------------------------------------------------------

    def _records(self, sql: str, params: Any = None) -> list[LogRecord]:
        found = (decode_line(body, int(line)) for line, body in self._query(sql, params))
        return [record for record in found if record is not None]

    def records_of_types(self, prefix: str) -> list[LogRecord]:
        return self._records(
            "SELECT line, body FROM commsplan_log WHERE type >= %s AND type < %s ORDER BY line",
            (prefix, prefix + "\U0010ffff"),
        )

    def records_in_force(self, type_: str) -> list[LogRecord]:
        return self._records(
            f"SELECT line, body FROM commsplan_log l WHERE type = %s AND {_NOT_RETRACTED} ORDER BY line", (type_,)
        )

    def completion(self, activity: str, occurrence: str) -> Completion | None:
        """The done or skip in force for one occurrence: the latest one not retracted."""
        found = self._records(
            "SELECT l.line, l.body FROM commsplan_log l WHERE l.line IN ("
            "SELECT line FROM commsplan_log WHERE activity = %(a)s AND occurrence = %(o)s AND type IN ('done', 'skip') "
            "UNION ALL SELECT line FROM commsplan_covered WHERE activity = %(a)s AND occurrence = %(o)s"
            f") AND {_NOT_RETRACTED} ORDER BY l.line DESC LIMIT 1",
            {"a": activity, "o": occurrence},
        )
        return fold(found).completions.get((activity, occurrence)) if found else None

    def completions_of(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Completion]:
        """The done or skip in force for each of ``keys`` (those that have one), in one round trip:
        what `completion` answers one key at a time."""
        if not keys:
            return {}
        activities, occurrences = zip(*keys, strict=True)
        rows = self._query(
            "SELECT DISTINCT ON (k.a, k.o) k.a, k.o, l.line, l.body "
            "FROM unnest(%(a)s::text[], %(o)s::text[]) AS k(a, o) CROSS JOIN LATERAL ("
            "SELECT line FROM commsplan_log WHERE activity = k.a AND occurrence = k.o AND type IN ('done', 'skip') "
            "UNION ALL SELECT line FROM commsplan_covered WHERE activity = k.a AND occurrence = k.o"
            f") c JOIN commsplan_log l ON l.line = c.line WHERE {_NOT_RETRACTED} "
            "ORDER BY k.a, k.o, l.line DESC",
            {"a": list(activities), "o": list(occurrences)},
        )
        found: dict[tuple[str, str], Completion] = {}
        for activity, occurrence, line, body in rows:
            record = decode_line(body, int(line))
            completion = fold([record]).completions.get((activity, occurrence)) if record is not None else None
            if completion is not None:
                found[activity, occurrence] = completion
        return found

    def keys_of(self, activity: str, limit: int | None = None) -> set[str]:
        """The keys of one activity's occurrences that are done or skipped: one query."""
        rows = self._query(
            "SELECT occurrence FROM (SELECT l.occurrence FROM commsplan_log l WHERE l.activity = %(a)s AND l.type IN ('done', 'skip') "
            f"AND {_NOT_RETRACTED} UNION SELECT c.occurrence FROM commsplan_covered c JOIN commsplan_log l "
            f"ON l.line = c.line WHERE c.activity = %(a)s AND {_NOT_RETRACTED}) k LIMIT %(n)s",
            {"a": activity, "n": None if limit is None else limit + 1},
        )
        return {str(occurrence) for (occurrence,) in rows}

    def completions_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[tuple[str, str], Completion]]:
        """Completions in force that were recorded in (start, end]."""
        records = self._records(
            "SELECT line, body FROM commsplan_log l WHERE ts > %s AND ts <= %s "
            f"AND type IN ('done', 'skip', 'skip-range') AND {_NOT_RETRACTED} ORDER BY line",
            (start, end),
        )
        for record in records:
            for key, completion in fold([record]).completions.recorded_between(start, end):
                latest = self.completion(*key)
                if latest is not None and latest.record_id == completion.record_id:
                    yield key, completion

    def record(self, record_id: str) -> LogRecord | None:
        found = self._records("SELECT line, body FROM commsplan_log WHERE id = %s ORDER BY line LIMIT 1", (record_id,))
        return found[0] if found else None

    def is_retracted(self, record_id: str) -> bool:
        rows = self._query("SELECT 1 FROM commsplan_log WHERE type = 'retract' AND target = %s LIMIT 1", (record_id,))
        return bool(rows)

    def last_time(self) -> dt.datetime | None:
        found = self._records("SELECT line, body FROM commsplan_log ORDER BY line DESC LIMIT 1")
        return found[0].ts if found else None

    def last_completion(self) -> str | None:
        rows = self._query(
            "SELECT id FROM commsplan_log l WHERE type IN ('done', 'skip', 'skip-range', 'track') "
            f"AND {_NOT_RETRACTED} ORDER BY line DESC LIMIT 1"
        )
        return str(rows[0][0]) if rows else None

    # --- writing ---------------------------------------------------------------------------------

    def append(
        self,
        type: str,
        ts: dt.datetime,
        data: Mapping[str, Any],
        plan: str,
        *,
        check: Callable[[LogView], None] | None = None,
    ) -> LogRecord:
        """Add one record, or raise LogError saying it was NOT recorded.

        In one transaction: take the log's advisory lock (waiting at most lock_timeout), read
        the head, run ``check`` against the log as it is then, insert. A failure anywhere
        rolls the whole transaction back: nothing is half-written.
        """
        record_id = f"r-{uuid.uuid4().hex[:12]}"
        check_record(type, ts, data, plan, record_id)
        encode(record_id, ts, type, data, plan, "")  # data that is not JSON fails before connecting
        pg = _psycopg()
        try:
            conn = self._checked()
        except LogError as exc:
            raise LogError(f"completion NOT recorded: {exc.message}") from None
        prev, line = "", 0
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                row = conn.execute("SELECT line, sha256 FROM commsplan_log ORDER BY line DESC LIMIT 1").fetchone()
                line, prev = (int(row[0]) + 1, str(row[1])) if row else (1, "")
                if check is not None:
                    check(QueriedView(self))
                body = encode(record_id, ts, type, data, plan, prev)[:-1].decode("utf-8")
                conn.execute("INSERT INTO commsplan_log (line, body) VALUES (%s, %s)", (line, body))
        except pg.Error as exc:
            try:
                message = self._not_recorded(exc, record_id)
            except _Saved:  # the commit went through: at the line this transaction numbered
                return LogRecord(line, record_id, ts, type, dict(data), plan, prev)
            raise LogError(message) from None
        except LogError as exc:
            if "NOT recorded" in exc.message:
                raise
            raise LogError(f"completion NOT recorded: {exc.message}") from None
        return LogRecord(line, record_id, ts, type, dict(data), plan, prev)

    def _not_recorded(self, exc: Exception, record_id: str) -> str:
        where = self.address()
        message = f"completion NOT recorded: PostgreSQL at {where}: {_reason(exc)}"
        pg = _psycopg()
        if isinstance(exc, pg.OperationalError) and not isinstance(exc, pg.errors.LockNotAvailable):
            # The connection broke: perhaps while the server was committing. Ask again on a new one.
            self.close()
            try:
                rows = self.connection().execute("SELECT 1 FROM commsplan_log WHERE id = %s", (record_id,)).fetchall()
            except (LogError, pg.Error):
                return (
                    f"{message}; the server could not be asked again whether it had saved it: `commsplan log` "
                    "shows it if so, and recording it again is then refused as a duplicate"
                )
            if rows:
                raise _Saved(record_id)
        return message + "; the log is unchanged"

    def import_file(self, path: Path, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
        """Load a file log's records after those already here, all or nothing: (added, kept).
        The server checks each row as it arrives (a million take minutes): ``progress`` is told
        the bytes of the file sent so far."""
        pg = _psycopg()
        conn = self._checked()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                row = conn.execute("SELECT line, sha256 FROM commsplan_log ORDER BY line DESC LIMIT 1").fetchone()
                here = Head(int(row[0]), str(row[1])) if row else None
                lines = continuation(path, here, self.where)
                first = (here.lines if here else 0) + 1
                total = sum(len(raw) + 1 for raw in lines)
                sent = 0
                with conn.cursor().copy("COPY commsplan_log (line, body) FROM STDIN") as copy:
                    for number, raw in enumerate(lines, first):
                        copy.write_row((number, raw.decode("utf-8")))
                        sent += len(raw) + 1
                        if progress is not None and not number % 1000:
                            progress(sent, total)
                if progress is not None:
                    progress(total, total)
        except pg.Error as exc:
            raise LogError(f"nothing imported: PostgreSQL at {self.address()}: {_reason(exc)}") from None
        return len(lines), here.lines if here else 0


class _Saved(Exception):
    """The record was on the server after all (the connection broke after its commit)."""


def _scrub(url: str) -> str:
    """The URL without its password, wherever it has one: in its user part or in its query
    (``?password=``, which libpq reads too)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is not None:
            user = parts.username or ""
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            parts = parts._replace(netloc=f"{user}@{host}{port}" if user else f"{host}{port}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(key, value) for key, value in query if key.strip().lower() != "password"]
        if len(kept) != len(query):
            parts = parts._replace(query=urlencode(kept, safe="/"))
        return urlunsplit(parts)
    except ValueError:
        return "the URL given"


def _reason(exc: Exception) -> str:
    """What went wrong, in words, never with a password."""
    pg = _psycopg()
    errors = pg.errors
    text = str(exc)
    secret = os.environ.get("PGPASSWORD")
    if secret:
        text = text.replace(secret, "***")
    if isinstance(exc, errors.LockNotAvailable):
        return "another append held the log's lock for longer than lock_timeout (set it with PGOPTIONS='-c lock_timeout=...')"
    if isinstance(exc, errors.QueryCanceled):
        return "the server cancelled the statement (statement_timeout)"
    if isinstance(exc, errors.AdminShutdown | errors.CrashShutdown):
        return "the server ended the connection (it was stopped, or an administrator cut it)"
    if isinstance(exc, errors.UndefinedTable):
        return "no commsplan log here: set it up once with `commsplan log setup-db`"
    if isinstance(exc, errors.InsufficientPrivilege):
        return f"permission denied: {_first_line(text)}"
    lowered = text.lower()
    for needle, reason in (
        (
            "password authentication failed",
            "the server refused the password (libpq takes it from ~/.pgpass, PGPASSFILE or PGSERVICE)",
        ),
        (
            "no password supplied",
            "the server wants a password and none was found (put it in ~/.pgpass, or the file PGPASSFILE names)",
        ),
        ("connection refused", "no server is answering there (is PostgreSQL running?)"),
        ("no such file or directory", "no server is answering there (is PostgreSQL running?)"),
        ("timeout expired", "the server did not answer in time (connect_timeout)"),
        ("could not translate host name", "the host name is unknown"),
        ("server closed the connection", "the connection to the server was lost"),
        ("terminating connection", "the server ended the connection (it was stopped, or an administrator cut it)"),
        ("consuming input failed", "the connection to the server was lost"),
        ("the connection is lost", "the connection to the server was lost"),
        ("connection is closed", "the connection to the server was lost"),
    ):
        if needle in lowered:
            return reason
    return _first_line(text)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # libpq puts the server's own words after "FATAL:" or "ERROR:"
    for line in lines:
        for tag in ("FATAL:", "ERROR:"):
            if tag in line:
                return line.split(tag, 1)[1].strip()
    return lines[0] if lines else "an error"
