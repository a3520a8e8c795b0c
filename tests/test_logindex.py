"""The log's SQLite index answers like a full read of the log, and rebuilds when it must."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commsplan.log import index as index_module
from commsplan.log.book import Logbook
from commsplan.log.filelog import FileLog, index_path
from commsplan.log.index import LogIndex
from commsplan.log.state import fold

from .helpers import Cli

TS = dt.datetime(2020, 10, 26, 9, 0, tzinfo=dt.UTC)
KEYS = [("a", "2020-Q3"), ("a", "2020-Q4"), ("b", "2020-10-26")]


def same_answers(log: FileLog) -> None:
    read = log.read()
    full = fold(read.records)
    book = Logbook(log.path)
    indexed, _ = book.history({"a", "b"})
    whole, _ = book.history({"a", "b"}, full=True)
    assert indexed.tracking_from == whole.tracking_from == full.tracking_from
    for key in KEYS:
        assert indexed.completions.get(key) == whole.completions.get(key), key
    full_keys = [key for key in KEYS if full.completions.get(key) is not None]
    index = LogIndex(log).open()
    try:
        # the same lines are damaged, for the same reason: one decoder for both
        assert index.problems() == list(read.problems)
        assert index.count() == len(read.records)
        for key in KEYS:
            assert index.completion(*key) == full.completions.get(key), key
        assert index.last_completion() == full.last_completion
        for activity in ("a", "b"):  # the closed-occurrence aggregate, kept as lines are indexed
            assert index.keys_of(activity) == {o for a, o in full_keys if a == activity}, activity
        since = list(index.completions_between(TS - dt.timedelta(days=1), TS + dt.timedelta(days=1)))
        assert sorted(since) == sorted(
            full.completions.recorded_between(TS - dt.timedelta(days=1), TS + dt.timedelta(days=1))
        )
    finally:
        index.close()


# Lines that are not records, each of a kind met in the wild: they must be skipped alike.
DAMAGE = [
    b"garbage",
    b"",
    b"[1, 2]",
    b'{"v":"1","id":"r-forged","ts":"2020-10-26T09:00:00+00:00","type":"done","plan":"p","prev":"",'
    b'"activity":"a","occurrence":"2020-Q3"}',
    b'{"id":"r-noenvelope","ts":"2020-10-26T09:00:00+00:00","type":"done","activity":"a","occurrence":"2020-Q4"}',
    b'  {"v":1,"id":"r-spaces","ts":"2020-10-26T09:00:00+00:00","type":"done","plan":"p","prev":"",'
    b'"activity":"b","occurrence":"2020-10-26"}',
    b'{"v":1,"id":"r-crlf","ts":"2020-10-26T09:00:00+00:00","type":"done","plan":"p","prev":"",'
    b'"activity":"b","occurrence":"2020-10-26"}\r',
    b'{"v":1,"id":"r-naive","ts":"2020-10-26T09:00:00","type":"done","plan":"p","prev":"",'
    b'"activity":"a","occurrence":"2020-Q3"}',
    b"\xff\xfe not utf-8",
    b'{"v":1,"id":"r-nan","ts":"2020-10-26T09:00:00+00:00","type":"done","plan":"p","prev":"",'
    b'"activity":"a","occurrence":"2020-Q4","n":NaN}',
]

steps = st.lists(
    st.tuples(
        st.sampled_from(["done", "skip", "retract", "track", "skip-range", "damage"]),
        st.sampled_from(range(len(DAMAGE))),
    ),
    max_size=15,
)


@settings(max_examples=40)
@given(sequence=steps)
def test_index_and_full_read_agree_after_every_append(
    tmp_path_factory: pytest.TempPathFactory, sequence: list[tuple[str, int]]
) -> None:
    log = FileLog(tmp_path_factory.mktemp("idx") / "log.jsonl")
    ids: list[str] = []
    for n, (kind, k) in enumerate(sequence):
        ts = TS + dt.timedelta(minutes=n)
        if kind == "damage":
            with open(log.path, "ab") as handle:
                handle.write(DAMAGE[k] + b"\n")
        elif kind == "retract":
            if not ids:
                continue
            log.append("retract", ts, {"target": ids[-1 - (k % len(ids))]}, "p")
        elif kind == "track":
            ids.append(log.append(kind, ts, {"from": f"2020-10-{10 + k % len(KEYS)}", "by": "x"}, "p").id)
        elif kind == "skip-range":  # one record for the first k+1 occurrences of activity a (and b)
            keys = [occurrence for activity, occurrence in KEYS[: k % len(KEYS) + 1] if activity == "a"]
            data = {"activity": "a", "from": "2020-07-01", "until": "2020-12-31", "occurrences": keys, "by": "x"}
            ids.append(log.append(kind, ts, {**data, "reason": "r"}, "p").id)
        else:
            activity, occurrence = KEYS[k % len(KEYS)]
            ids.append(log.append(kind, ts, {"activity": activity, "occurrence": occurrence, "by": "x"}, "p").id)
        same_answers(log)  # incremental: the index reads only what was appended


def test_a_rewritten_log_rebuilds_the_index(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    log.append("done", TS, {"activity": "a", "occurrence": "2020-Q3", "by": "x"}, "p")
    log.append("done", TS, {"activity": "a", "occurrence": "2020-Q4", "by": "x"}, "p")
    same_answers(log)
    # someone restores an older copy with other content: same size is not enough to fool it
    lines = log.path.read_text().splitlines(keepends=True)
    log.path.write_text(lines[0] + lines[1].replace("2020-Q4", "2020-Q2"))
    index = LogIndex(log).open()
    assert index.completion("a", "2020-Q4") is None
    assert index.completion("a", "2020-Q2") is not None
    index.close()


def test_damage_is_reported_through_the_index(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "log.jsonl")
    log.append("done", TS, {"activity": "a", "occurrence": "2020-Q3", "by": "x"}, "p")
    with open(log.path, "ab") as handle:
        handle.write(b"garbage\n")
    log.append("done", TS, {"activity": "a", "occurrence": "2020-Q4", "by": "x"}, "p")
    with open(log.path, "ab") as handle:
        handle.write(b'{"torn')
    index = LogIndex(log).open()
    assert [(p.line, p.kind) for p in index.problems()] == [(2, "corrupt"), (4, "torn-tail")]
    assert index.completion("a", "2020-Q4") is not None
    index.close()


def test_commands_fall_back_to_a_full_read_when_the_index_cannot_be_kept(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26")
    cli("due", "--now", "2020-10-26")  # builds the index
    cli.log.with_name(cli.log.name + ".index").unlink()
    cli.log.with_name(cli.log.name + ".index").mkdir()  # nothing can be written there now
    items = json.loads(cli("due", "--json", "--expand", "--overdue", "--now", "2020-10-26", "-a", "IAG").stdout)[
        "items"
    ]
    assert [i["occurrence"] for i in items] == ["2020-Q2"]


@pytest.mark.parametrize("slice_bytes", [64, 300, 1 << 22])
def test_a_build_in_slices_of_any_size_answers_like_the_full_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    # 64 bytes: every line is longer than a slice; 300: slices end mid-line; 4 MiB: one slice
    monkeypatch.setattr(index_module, "SLICE", slice_bytes)
    log = FileLog(tmp_path / "log.jsonl")
    for n, (activity, occurrence) in enumerate(KEYS * 3):
        record = log.append("done", TS + dt.timedelta(minutes=n), {"activity": activity, "occurrence": occurrence}, "p")
        if n % 4 == 1:
            log.append("retract", TS + dt.timedelta(minutes=n, seconds=1), {"target": record.id}, "p")
        if n % 3 == 2:
            with open(log.path, "ab") as handle:
                handle.write(DAMAGE[n % len(DAMAGE)] + b"\n")
    log.append("track", TS + dt.timedelta(hours=1), {"from": "2020-10-12", "by": "x"}, "p")
    with open(log.path, "ab") as handle:
        handle.write(b'{"v":1,"id":"r-torn"')  # an interrupted write
    same_answers(log)
    index = LogIndex(log).open()
    try:
        assert index.problems()[-1].kind == "torn-tail"
        assert index.last_time() == TS + dt.timedelta(hours=1)
    finally:
        index.close()


def index_contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of an index file, in a fixed order."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr) for table in tables}


appends = st.lists(
    st.tuples(
        st.sampled_from(["done", "skip", "retract", "track", "skip-range", "incident-open"]),
        st.integers(min_value=0, max_value=11),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None)
@given(sequence=appends)
def test_an_index_kept_append_by_append_holds_what_a_first_build_makes(
    tmp_path_factory: pytest.TempPathFactory, sequence: list[tuple[str, int]]
) -> None:
    # A first build fills its counts in a few statements after the load; an append folds its
    # record into them. Both must leave the same rows, or a command would answer differently
    # depending on how the index came to be.
    book = Logbook(tmp_path_factory.mktemp("inc") / "log.jsonl")
    ids: list[str] = []
    inode = 0
    for n, (kind, k) in enumerate(sequence):
        ts = TS + dt.timedelta(minutes=n)
        activity, occurrence = KEYS[k % len(KEYS)]
        if kind == "retract" and not ids:
            kind = "done"  # nothing to take back yet
        if kind == "retract":
            data: dict[str, object] = {"target": ids[-1 - (k % len(ids))]}  # a retraction may be retracted too
        elif kind == "track":
            data = {"from": f"2020-10-{10 + k % 3}", "by": "x"}
        elif kind == "skip-range":  # some occurrences of a named twice, some of b
            keys = [o for a, o in KEYS if a == activity] * (1 + k % 2)
            data = {"activity": activity, "occurrences": keys, "reason": "r", "by": "x"}
        elif kind == "incident-open":
            data = {"incident": f"i-{k}", "level": "major", "title": "Disorder", "by": "x"}
        else:
            data = {"activity": activity, "occurrence": occurrence, "by": "x"}
            data |= {"note": "n"} if k % 3 else ({"reason": "r"} if kind == "skip" else {})
        ids.append(book.append(kind, ts, data, f"plan-{k % 2}").id)
        inode = inode or index_path(book.path).stat().st_ino
    index = index_path(book.path)
    assert index.stat().st_ino == inode  # built once, then kept append by append
    kept = index_contents(index)
    index.unlink()
    LogIndex(FileLog(book.path)).open().close()  # one first build of the whole log
    assert index_contents(index) == kept
