"""A YAML reader that keeps what the author wrote, and where.

PyYAML's loaders resolve YAML 1.1 types (``NO`` -> False, ``12:30`` -> 750, ``010`` -> 8,
``2020-10-31`` -> a date), keep the last of two duplicate keys without a word, and expand
aliases (a "billion laughs" file takes minutes). This module builds the tree from the parser's
events instead: every scalar stays the string the author wrote (the plan's models convert it
where a number or a date is expected), a plain ``null``/``~``/empty scalar is None, duplicate
keys, anchors, aliases and tags are errors with their position, and size and depth are capped.
The event parser is libyaml's where it is installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# Only the loaders' parser half is used (check_event / get_event); nothing is constructed.
_Parser = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
# A plan of 10,000 activities holds about 190,000 nodes; a file of a million empty list items
# took 70 s and 1.7 GB before this cap, and now stops at the cap in about a second.
MAX_NODES = 250_000
MAX_TEXT = 10_000  # characters in one value: a cell of a table, not a book (a 10 MB word took 48 s to show)
MAX_PROBLEMS = 50
# What YAML allows in a stream (YAML 1.1, 5.1): anything else (NUL, ESC, DEL, U+FFFE, C1...)
# made PyYAML raise a ReaderError that bypassed PATH:LINE:COL.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class YamlProblem:
    position: Position
    message: str
    fatal: bool = True  # False: the tree is still usable (a duplicate key keeps its first value)


@dataclass
class Document:
    """Plain data (dict / list / str / None) and the position of every node and key in it."""

    data: Any
    positions: dict[Loc, Position] = field(default_factory=dict)
    key_positions: dict[Loc, Position] = field(default_factory=dict)
    # Problems that still leave a usable tree, for the caller to report with everything else.
    problems: list[YamlProblem] = field(default_factory=list)


class YamlError(Exception):
    def __init__(self, problems: list[YamlProblem]) -> None:
        super().__init__("; ".join(f"{p.position}: {p.message}" for p in problems))
        self.problems = problems


def _pos(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load(text: str | bytes) -> Document:
    """Parse one YAML document into plain data with positions.

    Raises YamlError when there is no usable tree (syntax, size, depth); other problems are
    listed in ``Document.problems``.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise YamlError([YamlProblem(Position(1, 1), f"file too large ({size} bytes; the limit is {MAX_BYTES})")])
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    _refuse_unreadable(text)
    doc = Document(data=None)
    problems = doc.problems
    parser = _Parser(text)
    try:
        events = iter(_events(parser))
        first = next(events)  # StreamStart
        assert isinstance(first, yaml.StreamStartEvent)
        event = next(events)
        if isinstance(event, yaml.StreamEndEvent):
            raise YamlError([YamlProblem(Position(1, 1), "the file is empty")])
        assert isinstance(event, yaml.DocumentStartEvent)
        doc.data = _node(next(events), events, (), 0, doc, problems)
        end = next(events)
        assert isinstance(end, yaml.DocumentEndEvent)
        extra = next(events)
        if not isinstance(extra, yaml.StreamEndEvent):
            raise YamlError([YamlProblem(_pos(extra.start_mark), "only one YAML document is allowed here")])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _pos(mark) if mark is not None else Position(1, 1)
        raise YamlError([*problems, YamlProblem(where, f"YAML syntax: {exc.problem or exc.context}")]) from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    if any(p.fatal for p in problems):
        raise YamlError(problems)
    return doc


def _refuse_unreadable(text: str) -> None:
    """Characters YAML does not allow, each with its position (the first MAX_PROBLEMS)."""
    found = []
    for match in _NOT_YAML.finditer(text):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        found.append(
            YamlProblem(Position(line, column), f"character U+{ord(match.group()):04X} is not allowed in YAML")
        )
        if len(found) >= MAX_PROBLEMS:
            break
    if found:
        raise YamlError(found)


def _events(parser: Any) -> Any:
    while parser.check_event():
        yield parser.get_event()


def _refuse_extras(event: Any, problems: list[YamlProblem]) -> None:
    if getattr(event, "anchor", None):
        problems.append(
            YamlProblem(
                _pos(event.start_mark), f"anchors (&{event.anchor}) are not allowed in a plan: write the value out"
            )
        )
    tag = getattr(event, "tag", None)
    if tag and tag not in ("tag:yaml.org,2002:str", "!"):
        problems.append(YamlProblem(_pos(event.start_mark), f"tags such as '{tag}' are not allowed in a plan"))


def _node(event: Any, events: Any, loc: Loc, depth: int, doc: Document, problems: list[YamlProblem]) -> Any:
    position = _pos(event.start_mark)
    if depth > MAX_DEPTH:
        raise YamlError([YamlProblem(position, f"nested deeper than {MAX_DEPTH} levels")])
    doc.positions[loc] = position
    if len(doc.positions) > MAX_NODES:
        raise YamlError(
            [YamlProblem(position, f"more than {MAX_NODES:,} values, lists and mappings: too large for a plan")]
        )
    if isinstance(event, yaml.AliasEvent):
        problems.append(
            YamlProblem(position, f"aliases (*{event.anchor}) are not allowed in a plan: write the value out")
        )
        return None
    _refuse_extras(event, problems)
    if isinstance(event, yaml.ScalarEvent):
        plain = event.style is None and event.implicit[0]
        if plain and event.value in _NULLS:
            return None
        if len(event.value) > MAX_TEXT:
            problems.append(
                YamlProblem(position, f"text of {len(event.value):,} characters; the limit is {MAX_TEXT:,}")
            )
            return event.value[:MAX_TEXT]
        bad = _CONTROL.search(event.value)
        if bad:
            # a "\e[2J" in a double-quoted string would otherwise reach every reader's terminal
            problems.append(YamlProblem(position, f"control character U+{ord(bad.group()):04X} in text is not allowed"))
        return event.value
    if isinstance(event, yaml.SequenceStartEvent):
        items: list[Any] = []
        while True:
            child = next(events)
            if isinstance(child, yaml.SequenceEndEvent):
                return items
            items.append(_node(child, events, (*loc, len(items)), depth + 1, doc, problems))
    if isinstance(event, yaml.MappingStartEvent):
        mapping: dict[str, Any] = {}
        while True:
            key_event = next(events)
            if isinstance(key_event, yaml.MappingEndEvent):
                return mapping
            key_position = _pos(key_event.start_mark)
            if not isinstance(key_event, yaml.ScalarEvent):
                problems.append(YamlProblem(key_position, "a key must be a plain word, not a list or a mapping"))
                _node(key_event, events, (*loc, "?"), depth + 1, Document(None), [])
                _node(next(events), events, (*loc, "?"), depth + 1, Document(None), [])
                continue
            _refuse_extras(key_event, problems)
            key = key_event.value
            if key in mapping or (*loc, key) in doc.key_positions:
                first = doc.key_positions[(*loc, key)]
                problems.append(YamlProblem(key_position, f"duplicate key '{key}' (first at {first})", fatal=False))
                _node(next(events), events, (*loc, key, "dup"), depth + 1, Document(None), problems)
                continue
            doc.key_positions[(*loc, key)] = key_position
            mapping[key] = _node(next(events), events, (*loc, key), depth + 1, doc, problems)
    raise YamlError([YamlProblem(position, f"unexpected YAML event {type(event).__name__}")])  # pragma: no cover
