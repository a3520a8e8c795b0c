"""Records of the completion log: the ONE encoder and decoder of a line.

A record is one line of UTF-8 JSON with an envelope (format version, record id, time with a
UTC offset, type, the sha256 of the plan file, and the sha256 of the line before it) and the
record's own data beside it. Every reader of the log (the full read, ``log --verify``, the
SQLite index) decodes lines here and nowhere else, so they accept and reject the same lines.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

import orjson

from commsplan.errors import LogError

FORMAT_VERSION = 1

# Record types, as written to the log.
DONE = "done"
SKIP = "skip"
RETRACT = "retract"
INCIDENT_OPEN = "incident-open"
INCIDENT_NOTE = "incident-note"
INCIDENT_NOTIFY = "incident-notify"
INCIDENT_CLOSE = "incident-close"
INCIDENT_TRIGGER = "incident-trigger"  # an open incident also involves another trigger (a media enquiry)
TRACK = "track"  # occurrences due before data["from"] are not tracked (a plan adopted mid-year)
SKIP_RANGE = "skip-range"  # data["occurrences"]: every key skipped at once, undone as one
COMPLETIONS = frozenset({DONE, SKIP, SKIP_RANGE})

# Keys of the envelope; everything else on a line is the record's data.
ENVELOPE = frozenset({"v", "id", "ts", "type", "plan", "prev"})


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line of the log."""

    line: int  # 1-based line number in the file; 0 for a record just appended (not counted)
    id: str
    ts: datetime  # aware
    type: str
    data: Mapping[str, Any] = field(hash=False)  # activity, occurrence, by, note... (JSON values)
    plan: str  # sha256 of the plan file the record was made under
    prev: str  # sha256 of the previous line's bytes as stored; "" for the first line


@dataclass(frozen=True)
class LogProblem:
    """Damage found while reading: kind is "torn-tail", "corrupt" or "chain"."""

    line: int
    kind: str
    message: str


@dataclass(frozen=True)
class LogRead:
    records: tuple[LogRecord, ...]
    problems: tuple[LogProblem, ...]
    head: Head | None = None  # what the log ends with (a verify finds it; None when empty)


@dataclass(frozen=True)
class Head:
    """Where the log ended when someone looked: its count of lines and the sha256 of the last.

    Every line carries the hash of the one before it, so a log that still holds line ``lines``
    with this hash holds exactly the lines 1..lines that were there then: a head kept elsewhere
    (the morning digest's mail) is a witness that a truncation or a rewrite cannot forge.
    """

    lines: int
    sha256: str

    def __str__(self) -> str:
        return f"{self.lines}:{self.sha256}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """``N:SHA256`` as a digest prints it; ValueError if it is not one."""
        lines, _, digest = text.strip().partition(":")
        if not (
            lines.isdigit() and int(lines) > 0 and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
        ):
            raise ValueError(f"'{text}' is not a log head (LINES:SHA256, as a digest ends with)")
        return cls(int(lines), digest)


# --- encoding ----------------------------------------------------------------------------------


def encode(record_id: str, ts: datetime, type_: str, data: Mapping[str, Any], plan: str, prev: str) -> bytes:
    """The record as one line of UTF-8 JSON, newline included. Raises LogError if it cannot be."""
    try:
        body = dict(data)
        body.update(v=FORMAT_VERSION, id=record_id, ts=ts.isoformat(), type=type_, plan=plan, prev=prev)
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        line = text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError: a lone surrogate
        raise LogError(f"completion NOT recorded: the record cannot be written as JSON: {exc}") from None
    # JSON escapes every control character, so no note can split a record or forge another;
    # checked all the same, because one line per record is what reading and the chain rely on.
    if b"\n" in line or b"\r" in line:
        raise LogError("completion NOT recorded: the record would not fit on one line")
    return line + b"\n"


def check(type_: str, ts: datetime, data: Mapping[str, Any], plan: str, record_id: str) -> None:
    if not isinstance(type_, str) or not type_:
        raise LogError("completion NOT recorded: a record needs a type")
    if not isinstance(record_id, str) or not record_id:
        raise LogError("completion NOT recorded: a record id must be a non-empty string")
    if not isinstance(plan, str):
        raise LogError("completion NOT recorded: the plan identity must be a string")
    if not isinstance(ts, datetime) or ts.utcoffset() is None:
        raise LogError("completion NOT recorded: a record's time needs a UTC offset")
    if not all(isinstance(key, str) for key in data):
        raise LogError("completion NOT recorded: record data keys must be strings")
    reserved = ENVELOPE.intersection(data)
    if reserved:
        raise LogError(f"completion NOT recorded: record data may not use the keys {', '.join(sorted(reserved))}")


# --- reading -----------------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    # Each record is a new object the cyclic collector tracks; with a million of them it makes
    # repeated passes over objects that are all alive, which nearly triples the time to read
    # (measured: 11 s instead of 4 s for 1,000,000 records). Nothing built here forms cycles.
    if not gc.isenabled():
        yield
        return
    already_frozen = gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        # Without this, the first allocation after enable() walks the million new records
        # (0.6 s) only to find them all alive. freeze() moves everything young out of the
        # collector's way in O(1); unfreeze() then puts it in the oldest generation, unless the
        # program already keeps frozen objects (the CLI freezes after start-up), where the
        # records simply join them.
        gc.freeze()
        if not already_frozen:
            gc.unfreeze()
        gc.enable()


# A record before it is a LogRecord: (line, id, ts as written, ts, type, data, plan, prev, the
# line as stored). The index stores these fields as they are; a read builds a LogRecord of each.
Entry = tuple[int, str, str, datetime, str, dict[str, Any], str, str, bytes]


class Decoder:
    """Turns complete lines into records and problems, keeping the line count and the chain.

    ``keep``: gather a LogRecord of each record in ``records`` (a read); without it, the caller
    takes the entries ``feed`` returns (the index stores their fields, and makes no object of
    its own per record).
    """

    def __init__(self, *, chain: bool, lines_before: int = 0, keep: bool = True) -> None:
        self.chain = chain
        self.keep = keep
        self.records: list[LogRecord] = []
        self.problems: list[LogProblem] = []
        self.number = lines_before  # lines seen so far (an index resumes where it stopped)
        self.last_hash = ""  # sha256 of the last line seen, as stored: what the next prev must be
        self.broken = False  # the first chain break is reported, not the echoes after it
        self.watch = 0  # a line whose hash to keep (a head to check), when chained
        self.watched = ""

    def feed(self, block: bytes) -> list[Entry | None]:
        """Scan ``block``, which holds whole lines, each ending in b"\\n".

        Returns, line by line, the record's entry or None.
        """
        raw_lines = block.split(b"\n")
        raw_lines.pop()
        first = self.number + 1
        entries = self._entries(raw_lines, first)
        self.number += len(raw_lines)
        if self.keep:
            self._keep(entries)
        if self.chain:
            self._check_chain(raw_lines, entries, first)
        return entries

    def _entries(self, raw_lines: list[bytes], first: int) -> list[Entry | None]:
        # The hot loop of reading a log: one JSON parse and a few type checks per line, locals
        # only. (Parsing a slice's lines as one JSON array was measured: 2.5 times slower.)
        loads = _loads
        fromiso = datetime.fromisoformat
        envelope = _ENVELOPE
        keep = self.keep
        entries: list[Entry | None] = []
        append = entries.append
        for number, raw in enumerate(raw_lines, first):
            try:
                if raw[0] != 123 or raw[-1] != 125:  # "{", "}": nothing before or after the record
                    raise ValueError(raw)
                value = loads(raw)  # not JSON, not UTF-8: raises
                version, id_, when, type_, plan, prev = envelope(value)  # not an object, a key missing: raises
                ts = fromiso(when)
            except Exception:  # the rare damaged line: say exactly what is wrong with it
                self._corrupt(number, _what_is_wrong(raw))
                append(None)
                continue
            if not (
                ts.tzinfo is not None
                and type(version) is int
                and version >= 1  # records of a later version are read too; their new keys go to data
                and type(id_) is str
                and id_
                and type(type_) is str
                and type_
                and type(plan) is str
                and type(prev) is str
            ):
                self._corrupt(number, _what_is_wrong(raw))
                append(None)
                continue
            if keep:  # a record's data is what the envelope leaves (the index reads only its own keys)
                del value["v"], value["id"], value["ts"], value["type"], value["plan"], value["prev"]
            append((number, id_, when, ts, type_, value, plan, prev, raw))
        return entries

    def _keep(self, entries: list[Entry | None]) -> None:
        # A frozen dataclass's __init__ goes through object.__setattr__ by name for each field;
        # the slots' own setters build the same object in half the time.
        new = object.__new__
        set_line, set_id, set_ts, set_type, set_data, set_plan, set_prev = _SETTERS
        append = self.records.append
        for entry in entries:
            if entry is None:
                continue
            number, id_, _, ts, type_, data, plan, prev, _ = entry
            record: LogRecord = new(LogRecord)
            set_line(record, number)
            set_id(record, id_)
            set_ts(record, ts)
            set_type(record, type_)
            set_data(record, data)
            set_plan(record, plan)
            set_prev(record, prev)
            append(record)

    def _check_chain(self, raw_lines: list[bytes], entries: list[Entry | None], first: int) -> None:
        sha256 = hashlib.sha256
        last_hash = self.last_hash
        for number, (raw, entry) in enumerate(zip(raw_lines, entries, strict=True), first):
            # A corrupt line still takes part: the record after it must chain to its bytes.
            if entry is not None and entry[7] != last_hash and not self.broken:
                self.broken = True
                message = f"line {number}: hash chain broken (line edited, removed or inserted before it)"
                self.problems.append(LogProblem(number, "chain", message))
            last_hash = sha256(raw).hexdigest()
            if number == self.watch:
                self.watched = last_hash
        self.last_hash = last_hash

    def torn_tail(self) -> None:
        number = self.number + 1
        self.problems.append(
            LogProblem(number, "torn-tail", f"line {number}: incomplete last line (an interrupted write; skipped)")
        )

    def _corrupt(self, number: int, why: str) -> None:
        self.problems.append(LogProblem(number, "corrupt", f"line {number}: {why} (skipped)"))


# orjson: the one JSON parser of the log (about twice as fast as the standard library's on a
# record, and it takes the bytes as stored, so a slice is never decoded to text first). It is
# strict JSON: a NaN or a lone surrogate, which the encoder never writes, makes a line corrupt.
_loads: Callable[[bytes | str], Any] = orjson.loads
_ENVELOPE = itemgetter("v", "id", "ts", "type", "plan", "prev")
_SETTERS = tuple(getattr(LogRecord, name).__set__ for name in ("line", "id", "ts", "type", "data", "plan", "prev"))
_BLANK = " \t\r\n"  # JSON's whitespace


def _what_is_wrong(raw: bytes) -> str:
    """Why a line is not a record, in words (the slow path, for damaged lines only)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not valid UTF-8"
    if not text:
        return "empty line"
    if text[0] in _BLANK:
        return "not valid JSON"  # a record starts at the start of its line
    try:
        value = _loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            _loads(text[: exc.pos])
        except orjson.JSONDecodeError:
            return "not valid JSON"
        return "not valid JSON (text after the record)"  # one whole value, then more
    if text[-1] in _BLANK:
        return "not valid JSON (text after the record)"
    if type(value) is not dict:
        return "not a record (not a JSON object)"
    for key in ("v", "id", "ts", "type", "plan", "prev"):
        if key not in value:
            return f"not a record (no {key!r} field)"
    version = value["v"]
    if type(version) is not int or version < 1:
        return f"not a record (format version {version!r})"
    for key in ("id", "type"):
        if type(value[key]) is not str or not value[key]:
            return f"not a record ({key!r} is not a non-empty string)"
    for key in ("plan", "prev"):
        if type(value[key]) is not str:
            return f"not a record ({key!r} is not a string)"
    try:
        ts = datetime.fromisoformat(value["ts"])
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts.tzinfo is None:
        return f"not a record (time {value['ts']!r} is not ISO 8601 with a UTC offset)"
    return "not a record"


def decode_line(text: str, number: int) -> LogRecord | None:
    """One stored line (without its newline) as a record, or None: the same rules as a read."""
    if "\n" in text:
        return None  # not one line
    decoder = Decoder(chain=False, lines_before=number - 1)
    decoder.feed(text.encode("utf-8", "surrogatepass") + b"\n")
    return decoder.records[0] if decoder.records else None


@runtime_checkable
class CompletionLog(Protocol):
    """What a back end of the completion log provides (the JSON Lines file; a database next)."""

    def append(self, type: str, ts: datetime, data: Mapping[str, Any], plan: str) -> LogRecord: ...

    def read(self) -> LogRead: ...

    def verify(self) -> LogRead: ...
