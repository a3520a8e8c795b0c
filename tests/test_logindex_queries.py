"""What a command asks the log's index is answered from its indexes and kept counts, never by
reading every record: SQLite's own query plan says so, which holds for any size of log (a
timing would not)."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from commsplan.log.book import Logbook

from .helpers import Cli

TS = dt.datetime(2020, 10, 26, 9, 0, tzinfo=dt.UTC)

# Tables a command may read whole: the schema (checked on every open), counts kept as lines are
# indexed (a handful of rows each), and the damaged lines (one row per problem it reports anyway).
SMALL = {"sqlite_master", "meta", "plans", "activities", "problems", "closed"}  # "closed": a row per occurrence
# A common table expression is read whole only after its own rows came from an index.
DERIVED = {"live"}


def a_log(cli: Cli) -> None:
    """Every kind of record a command meets: done, skip, range skip, undo, track, incidents."""
    for args in (
        ("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00"),
        ("done", "cmg", "--occurrence", "2020-Q4", "--now", "2020-10-26T11:00"),
        ("skip", "ward-panel", "--occurrence", "2020-Q3", "--reason", "Cancelled", "--now", "2020-10-26T12:00"),
        ("done", "cmg", "--occurrence", "2020-Q3", "--now", "2020-10-26T12:30"),
        ("undo", "--now", "2020-10-26T12:40"),
        ("track", "--from", "2020-06-01", "--now", "2020-10-26T13:00"),
        ("incident", "open", "Disorder, Ilford Lane", "--level", "major", "--now", "2020-10-26T23:10"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement run on a connection opened while the test runs (as SQLite ran it)."""
    seen: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = connect(*args, **kwargs)
        db.set_trace_callback(seen.append)
        return db

    monkeypatch.setattr(sqlite3, "connect", traced)
    yield seen


# How a command may reach the records and the occurrences range skips cover: through an index,
# by a key that picks out a few rows (one occurrence, one record, a window of time, the rare
# kinds kept whole), or by line number. A search on an index by record type would read most of
# the log: it counts as a full scan, like SCAN.
SELECTIVE = (
    "USING INTEGER PRIMARY KEY (rowid=?)",
    "USING INDEX records_key (activity=? AND occurrence=?",
    "USING INDEX records_id (id=?)",
    "USING INDEX records_epoch (epoch>? AND epoch<?)",
    "USING INDEX records_rare (",
    "USING INDEX covered_line (line=?)",
    "USING INDEX sqlite_autoindex_covered_1 (activity=? AND occurrence=?",
)


def full_scans(cli: Cli, queries: list[str]) -> list[tuple[str, str]]:
    """(query, step) for each step of a query's plan that reads much of a big table."""
    found = []
    index = cli.log.with_name(cli.log.name + ".index")
    with closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
        for query in queries:
            for *_, detail in db.execute(f"EXPLAIN QUERY PLAN {query}"):
                step = re.match(r"(SCAN|SEARCH) (\w+)(.*)", detail)
                if step is None or step.group(2) in SMALL | DERIVED:
                    continue
                if step.group(1) == "SCAN" or not step.group(3).replace("COVERING ", "").strip().startswith(SELECTIVE):
                    found.append((query, detail))
    return found


@pytest.mark.parametrize(
    "command",
    [
        ("due", "--week", "--now", "2020-10-28"),
        ("due", "--json", "--overdue", "--now", "2020-10-28"),
        ("digest", "--now", "2020-10-27T07:00", "--since", "2020-10-26"),
        ("report", "--now", "2020-10-28"),
        ("incident", "list", "--now", "2020-10-28"),
    ],
)
def test_a_command_reads_no_table_from_end_to_end(cli: Cli, statements: list[str], command: tuple[str, ...]) -> None:
    a_log(cli)
    assert cli("info").exit_code == 0  # the index is up to date with the log: a command only asks
    statements.clear()
    result = cli(*command)
    assert result.exit_code in (0, 1), result.stderr
    queries = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert any("FROM records" in q for q in queries)  # it did use the index
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "CREATE")) for s in statements)
    assert full_scans(cli, queries) == []


def test_the_check_sees_a_full_scan(cli: Cli) -> None:
    a_log(cli)
    assert cli("info").exit_code == 0
    assert full_scans(cli, ["SELECT activity, COUNT(*) FROM records GROUP BY activity"]) != []
    assert full_scans(cli, ["SELECT * FROM records WHERE type LIKE 'incident-%'"]) != []
    assert full_scans(cli, ["SELECT * FROM records WHERE activity = 'iag' ORDER BY line"]) != []
    assert full_scans(cli, ["SELECT * FROM records WHERE line > 5"]) != []


def test_an_append_indexes_only_the_new_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = Logbook(tmp_path / "log.jsonl")
    for n in range(300):  # 1.5 MB of log
        book.append("done", TS, {"activity": "a", "occurrence": str(n), "by": "x", "note": "n" * 5000}, "p")
    history, _ = book.history({"a"})  # builds the index
    assert history.count == 300
    size = book.path.stat().st_size
    reads: list[tuple[int, int]] = []
    pread = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        reads.append((n, offset))
        return pread(fd, n, offset)

    monkeypatch.setattr(os, "pread", counting)
    book.append("done", TS, {"activity": "a", "occurrence": "new", "by": "x"}, "p")
    monkeypatch.undo()
    # the log's own check of its end (one block), then the index: from the old end only
    assert sum(n for n, _ in reads) < 100_000 < size
    assert max(offset for _, offset in reads) >= size
    history, _ = book.history({"a"})
    assert history.count == 301
    assert history.completions.get(("a", "new")) is not None
