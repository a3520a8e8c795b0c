"""The checked plan as plain data: what the rules, renderers and commands read.

``plan.model`` says what a plan file may hold and checks it with pydantic; that runs only when
a plan file is new or changed. What every command then works with is this: frozen plain classes
with the model's fields, in the model's order, built once from the model's JSON form
(``model_dump(mode="json")``) and rebuilt from the same JSON on a cache hit. Importing this
module imports neither pydantic nor dateutil, so a command on an unchanged plan pays for
neither. ``tests/test_fast_path.py`` checks that every model and its plain twin have the same
fields, and that the round trip loses nothing.

The classes share one small base (``Plain``) rather than being dataclasses: ``@dataclass``
compiles six functions per class at import, which for these thirty classes cost more than the
rest of a command's own work on the bundled plan.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Literal, NamedTuple, dataclass_transform

# --- what the model and the rules share: one place each --------------------------------------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
When = Literal["any", "office_hours", "out_of_hours"]
UnitKind = Literal["borough", "ward"]

# The dates commsplan computes with: far enough from year 1 and 9999 that every window around
# them (overdue since the period began, 800 days either side of now) stays a real date.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
MAX_PERIOD_YEARS = 10

SEASON_BOUND = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

FREQUENCY_KINDS = (
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "quarterly",
    "annual",
    "rrule",
    "named_dates",
    "season",
    "triggered",
    "on_request",
)


T = typing.TypeVar("T")
P = typing.TypeVar("P", bound="Plain")


class _Factory(NamedTuple):
    make: Callable[[], Any]


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A default made afresh for each object (an empty list), as ``dataclasses.field`` gives."""
    return _Factory(default_factory)


@dataclass_transform(kw_only_default=True, frozen_default=True, eq_default=True, field_specifiers=(field,))
class Plain:
    """Base of the plain classes: keyword construction with the defaults the class gives,
    frozen, compared by value. Fields are the annotated names, base classes' first."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _derived: ClassVar[frozenset[str]] = frozenset()  # worked out from the others, never dumped

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [n for n in inspect.get_annotations(cls) if not n.startswith("_")]
        cls._fields = (*cls._fields, *(n for n in own if n not in cls._fields))
        cls._defaults = {**cls._defaults, **{n: cls.__dict__[n] for n in own if n in cls.__dict__}}

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        fields = {}
        for name in self._fields:
            if name in values:
                fields[name] = values[name]
            elif name in self._defaults:
                default = self._defaults[name]
                fields[name] = default.make() if isinstance(default, _Factory) else default
            else:
                raise TypeError(f"{type(self).__name__} needs {name}")
        object.__setattr__(self, "__dict__", fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields if n not in self._derived)

    __hash__ = None  # type: ignore[assignment]  # holds lists: not hashable, as the model was not

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields if n not in self._derived)
        return f"{type(self).__name__}({shown})"


def replace(value: P, **changes: Any) -> P:
    """A copy of ``value`` with some fields changed."""
    return type(value)(**{**{n: getattr(value, n) for n in value._fields}, **changes})


class Period(Plain):
    start: dt.date
    end: dt.date
    as_written: str
    note: str | None = None


class Quarters(Plain):
    first_month: int
    note: str | None = None


class OfficeHours(Plain):
    days: list[Weekday]
    start: dt.time
    end: dt.time
    bank_holidays: Literal["england", "none"] = "england"
    as_written: str
    note: str | None = None


class Meta(Plain):
    title: str
    unit: str
    area: list[str] = field(default_factory=list)
    source: str
    period: Period
    timezone: str
    quarters: Quarters
    office_hours: OfficeHours


class Named(Plain):
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    as_written: list[str] = field(default_factory=list)
    note: str | None = None


class Role(Named):
    email: str | None = None


class Audience(Named):
    members: list[str] = field(default_factory=list)


class Channel(Named):
    pass


class DateRange(Plain):
    start: dt.date
    end: dt.date
    source: str | None = None


class NamedDate(Plain):
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    fixed: str | None = None
    computed: Literal["clocks_forward", "clocks_back"] | None = None
    dates: list[DateRange] | None = None
    as_written: str | None = None
    note: str | None = None


class Season(Plain):
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    windows: list[DateRange] | None = None
    as_written: str | None = None
    note: str | None = None


class Trigger(Plain):
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    as_written: str | None = None
    note: str | None = None


class Rule(Plain):
    id: str
    text: str
    applies_to: list[str] = field(default_factory=list)
    when: list[str] = field(default_factory=list)
    refer_to: str | None = None
    as_written: str


class Owner(Plain):
    role: str
    with_: list[str] = field(default_factory=list)
    out_of_hours: str | None = None
    as_written: str
    reading: str | None = None

    def role_at(self, office_hours: bool) -> str:
        """The sending role at a moment in or out of office hours."""
        return self.role if office_hours or self.out_of_hours is None else self.out_of_hours

    @property
    def roles(self) -> list[str]:
        """Every role that sends or shares the sending."""
        return list(dict.fromkeys([self.role, *([self.out_of_hours] if self.out_of_hours else []), *self.with_]))


class ChannelUse(Plain):
    channel: str
    when: When = "any"
    detail: str | None = None
    as_written: str | None = None


class Part(Plain):
    text: str
    as_written: str


class _Frequency(Plain):
    as_written: str
    interpretation: str | None = None
    note: str | None = None


class Recurrence(_Frequency):
    kind: Literal["daily", "weekly", "fortnightly", "monthly", "quarterly", "annual"]
    due: Weekday | int | None = None
    anchor: dt.date | None = None
    time: dt.time | None = None


class RRuleDays(NamedTuple):
    """The days an RRULE gives from ``first`` to ``last`` (inclusive), and the last one before
    ``first``: worked out once with dateutil when the plan is checked, for the stretch of days
    the plan's period can ask about, and cached with the plan."""

    first: dt.date
    last: dt.date
    before: dt.date | None
    days: tuple[dt.date, ...]


class RRule(_Frequency):
    kind: Literal["rrule"]
    rrule: str
    start: dt.date
    lead_days: int = 0
    time: dt.time | None = None
    # Not part of the plan file: derived from the fields above (see plan.rrule), never dumped.
    days: RRuleDays | None = None
    _derived: ClassVar[frozenset[str]] = frozenset({"days"})


class NamedDates(_Frequency):
    kind: Literal["named_dates"]
    dates: list[str]
    lead_days: int = 14


class Seasonal(_Frequency):
    kind: Literal["season"]
    seasons: list[str]
    lead_days: int = 14


class Triggered(_Frequency):
    kind: Literal["triggered"]
    triggers: list[str]


class OnRequest(_Frequency):
    kind: Literal["on_request"]


Frequency = Recurrence | RRule | NamedDates | Seasonal | Triggered | OnRequest


class Unit(Plain):
    id: str
    name: str
    kind: UnitKind
    within: str | None = None
    aliases: list[str] = field(default_factory=list)
    note: str | None = None


class Conditional(Plain):
    as_written: str
    note: str | None = None


class Activity(Plain):
    id: str
    row: str
    audience: str
    owner: Owner
    what: Part
    channels: list[ChannelUse]
    how_as_written: str
    frequency: Frequency
    why: str
    conditional: Conditional | None = None
    per_unit: UnitKind | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def optional(self) -> bool:
        """Wanted when there is something to say: never overdue, never missed."""
        return self.conditional is not None

    @property
    def scheduled(self) -> bool:
        """Has calendar occurrences (not triggered by an event, not on request)."""
        return self.frequency.kind not in ("triggered", "on_request")


class SourceRow(Plain):
    id: str
    lines: list[int]
    where_to: str
    who_from: str
    what: str
    how: str
    when: str
    why: str
    notes: list[str] = field(default_factory=list)


class Section(Plain):
    title: str
    line: int
    header_lines: list[int]
    rows: list[SourceRow]


class Source(Plain):
    document: str
    title_line: int
    sections: list[Section]


class Plan(Plain):
    """A communication action plan, checked."""

    version: int
    meta: Meta
    roles: list[Role]
    audiences: list[Audience]
    channels: list[Channel]
    named_dates: list[NamedDate] = field(default_factory=list)
    seasons: list[Season] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    activities: list[Activity]
    source: Source | None = None
    notes: list[str] = field(default_factory=list)

    def activity(self, activity_id: str) -> Activity:
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise KeyError(activity_id)

    def role(self, role_id: str) -> Role:
        found: Role = self._by_id("roles")[role_id]
        return found

    def audience(self, audience_id: str) -> Audience:
        found: Audience = self._by_id("audiences")[audience_id]
        return found

    def channel(self, channel_id: str) -> Channel:
        found: Channel = self._by_id("channels")[channel_id]
        return found

    def _by_id(self, collection: str) -> dict[str, Any]:
        """One of the plan's collections by id, made on first use (a listing of 10,000
        activities looks up their audience, role and channel each time)."""
        key = f" by id {collection}"  # not an identifier: never a field's name
        index: dict[str, Any] | None = self.__dict__.get(key)
        if index is None:
            index = self.__dict__[key] = {}
            for item in getattr(self, collection):
                index.setdefault(item.id, item)
        return index

    def units_of(self, kind: str | None) -> list[Unit]:
        """The boroughs or the wards the plan lists (none for a BCU-wide duty)."""
        return [u for u in self.units if u.kind == kind] if kind else []

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def source_row(self, row_id: str) -> SourceRow | None:
        if self.source is None:
            return None
        for section in self.source.sections:
            for row in section.rows:
                if row.id == row_id:
                    return row
        return None


PLAIN_CLASSES: tuple[type, ...] = (
    Period,
    Quarters,
    OfficeHours,
    Meta,
    Named,
    Role,
    Audience,
    Channel,
    DateRange,
    NamedDate,
    Season,
    Trigger,
    Rule,
    Owner,
    ChannelUse,
    Part,
    Recurrence,
    RRule,
    NamedDates,
    Seasonal,
    Triggered,
    OnRequest,
    Unit,
    Conditional,
    Activity,
    SourceRow,
    Section,
    Source,
    Plan,
)


# --- JSON form <-> plain data ------------------------------------------------------------------


def build(cls: type[T], value: dict[str, Any]) -> T:
    """A plain ``cls`` from its cached form (``cached_form``), without checks: for data that
    was checked by the model.

    Nothing is copied and nothing is built ahead of need: the object keeps the JSON mapping as
    its attributes, and a field that holds other objects or dates is built the first time it is
    read (``_Field``). A command that reads 300 of a plan's 10,000 activities in full builds
    those 300, not 50,000 objects. ``value`` belongs to the object afterwards."""
    built: T = _builder(cls)(value)
    return built


SHARED = "&"  # where a cached form names the set of shared values it holds (never a field's name)


def share(cls: type[Plain], forms: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Cached forms of many ``cls`` objects (a plan's activities), each field that holds objects
    written once: a value that several of them hold equal (an owner, a frequency, a list of
    channels: 10,000 activities repeat a few dozen) goes into the returned table's "values",
    and each form holds, under ``SHARED``, the place in its "sets" of the values it holds
    instead of them. ``unshare`` makes each value once and gives every form its set at once.
    ``forms`` are changed in place."""
    _builder(cls)  # puts the class's lazy fields in place
    lazy = [_raw(name) for name in cls._fields if isinstance(cls.__dict__.get(name), _Field)]
    texts = [
        {
            key: json.dumps([key, form[key]], sort_keys=True, ensure_ascii=False)
            for key in lazy
            if form.get(key) is not None
        }
        for form in forms
    ]
    seen: dict[str, int] = {}
    for held in texts:
        for text in held.values():
            seen[text] = seen.get(text, 0) + 1
    values: list[list[Any]] = []
    value_places: dict[str, int] = {}
    sets: list[list[int]] = []
    set_places: dict[tuple[int, ...], int] = {}
    for form, held in zip(forms, texts, strict=True):
        places = []
        for key, text in held.items():
            if seen[text] < 2:
                continue  # held by one object only: it stays in that object's form
            place = value_places.get(text)
            if place is None:
                place = value_places[text] = len(values)
                values.append([key, form[key]])
            places.append(place)
            del form[key]
        if places:
            one_set = set_places.get(tuple(places))
            if one_set is None:
                one_set = set_places[tuple(places)] = len(sets)
                sets.append(places)
            form[SHARED] = one_set
    return {"values": values, "sets": sets}


def unshare(cls: type[Plain], forms: list[dict[str, Any]], table: dict[str, list[Any]]) -> None:
    """Forms made by ``share`` made whole again: each shared value is built once, as its field
    builds it, and every form that held it holds that one (immutable) object, under the
    field's name (so the field's descriptor is not asked again)."""
    _builder(cls)
    built: list[tuple[str, Any]] = []
    for key, raw in table["values"]:
        field = cls.__dict__.get(key[1:])
        if not isinstance(field, _Field) or _raw(field.name) != key:
            raise ValueError(f"{cls.__name__} has no field that holds objects named {key[1:]!r}")
        built.append((field.name, field.value_of(raw)))
    sets = [dict(built[_place(place, len(built))] for place in places) for places in table["sets"]]
    for form in forms:
        held = form.pop(SHARED, _ABSENT)
        if held is not _ABSENT:
            form.update(sets[_place(held, len(sets))])


def _place(value: Any, count: int) -> int:
    """A place in a table of ``count`` entries, as ``share`` writes it (an entry edited to
    hold anything else is refused, never read as another place: -1 is the last)."""
    if type(value) is not int or not 0 <= value < count:
        raise ValueError(f"no place {value!r} in a table of {count}")
    return value


def from_json(cls: type[T], value: dict[str, Any]) -> T:
    """A plain ``cls`` from its JSON form (``dump``, or the model's ``model_dump(mode="json")``)."""
    return build(cls, cached_form(cls, value))


def cached_form(cls: type[Any], value: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of ``cls`` as the cache keeps it and ``build`` reads it: what the class
    fills in is left out, and each field that holds objects or dates waits under its raw key
    (``_raw``), to be built when first read."""
    formed: dict[str, Any] = _former(cls)(value)
    return formed


_FORMERS: dict[Any, _Builder] = {}


def _former(annotation: Any) -> _Builder:
    found = _FORMERS.get(annotation)
    if found is None:
        found = _FORMERS[annotation] = _make_former(annotation)
    return found


def _make_former(annotation: Any) -> _Builder:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, _UnionType):
        classes = [a for a in args if isinstance(a, type) and issubclass(a, Plain)]
        if len(classes) == 1:
            one = _former(classes[0])
            return lambda v: None if v is None else one(v)
        if classes:
            by_kind = {kind: _former(cls) for cls in classes for kind in typing.get_args(_hints(cls)["kind"])}
            return lambda v: None if v is None else by_kind[v["kind"]](v)
        if len(args) == 1:
            return _former(args[0])
        return _same
    if origin is list:
        item = _former(args[0])
        return _same if item is _same else (lambda v: [item(x) for x in v])
    if isinstance(annotation, type) and issubclass(annotation, Plain):
        return _class_former(annotation)
    return _same


def _class_former(cls: type[Plain]) -> _Builder:
    _builder(cls)  # puts the class's lazy fields in place
    hints = _hints(cls)
    fields = []
    for name in cls._fields:
        if name in cls._derived:
            continue
        key = _raw(name) if isinstance(cls.__dict__.get(name), _Field) else name
        default = cls._defaults.get(name, _ABSENT)
        fields.append((name, key, _former(hints[name]), [] if isinstance(default, _Factory) else default))

    def form(value: Any) -> Any:
        out: dict[str, Any] = {}
        for name, key, inner, default in fields:
            item = value.get(name, _ABSENT)
            if item is _ABSENT or item == default:
                if default is None and key != name:
                    # An empty optional object or date (an activity's condition, a frequency's
                    # anchor) is kept as null under the field's own name: read in every pass
                    # over a plan, it is then found at once, with nothing to build.
                    out[name] = None
                continue
            out[key] = inner(item)
        return out

    return form


def dump(value: Any, *, exclude_none: bool = False) -> Any:
    """The JSON form of plain data, as the model's ``model_dump(mode="json")`` gives it."""
    if isinstance(value, Plain):
        out = {}
        for name in value._fields:
            item = getattr(value, name)
            if name in value._derived or (exclude_none and item is None):
                continue
            out[name] = dump(item, exclude_none=exclude_none)
        return out
    if isinstance(value, list | tuple):
        return [dump(v, exclude_none=exclude_none) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


_Builder = Callable[[Any], Any]
_BUILDERS: dict[Any, _Builder] = {}
# What a builder makes, when it wraps the JSON mapping as one plain class's object (or as that
# of one of several classes, chosen by the mapping's 'kind'): ``_Field`` then does it itself.
_CLASS_OF: dict[_Builder, type[Plain]] = {}
_KINDS_OF: dict[_Builder, dict[str, type[Plain]]] = {}
_UnionType = type(int | None)


def _same(value: Any) -> Any:
    return value


def _builder(annotation: Any) -> _Builder:
    """How to build one type from JSON, worked out once per type."""
    found = _BUILDERS.get(annotation)
    if found is None:
        found = _BUILDERS[annotation] = _make_builder(annotation)
    return found


def _make_builder(annotation: Any) -> _Builder:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, _UnionType):
        return _union_builder([a for a in typing.get_args(annotation) if a is not type(None)])
    if origin is list:
        item = _builder(typing.get_args(annotation)[0])
        return _same if item is _same else (lambda v: [item(x) for x in v])
    if isinstance(annotation, type) and issubclass(annotation, Plain):
        return _class_builder(annotation)
    if annotation in (dt.date, dt.time):
        return annotation.fromisoformat  # type: ignore[no-any-return]
    return _same


def _union_builder(args: list[Any]) -> _Builder:
    """A value of one of ``args`` (besides None): the frequencies, told apart by their 'kind';
    or an optional list, date or time."""
    classes = [a for a in args if isinstance(a, type) and issubclass(a, Plain)]
    if classes:
        if len(classes) == 1:
            only = _builder(classes[0])
            optional: _Builder = lambda v: None if v is None else only(v)  # noqa: E731
            _CLASS_OF[optional] = classes[0]
            return optional
        by_kind = {kind: _builder(cls) for cls in classes for kind in typing.get_args(_hints(cls)["kind"])}
        one_of: _Builder = lambda v: None if v is None else by_kind[v["kind"]](v)  # noqa: E731
        _KINDS_OF[one_of] = {kind: cls for cls in classes for kind in typing.get_args(_hints(cls)["kind"])}
        return one_of
    if len(args) == 1:
        one = _builder(args[0])
        return _same if one is _same else (lambda v: None if v is None else one(v))
    return _same  # literals, text and numbers: as JSON has them


def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(sys.modules[__name__]))


_ABSENT = object()


class _Field:
    """A field that holds objects or dates, built from its JSON form when first read.

    The JSON form waits under another key (``_raw``); once built, the value sits under the
    field's own name, where Python finds it before asking this (non-data) descriptor again, so
    a field read in a hot loop costs a plain attribute look-up."""

    __slots__ = ("cls", "default", "kinds", "make", "name", "raw")

    def __init__(self, name: str, make: _Builder, default: Any) -> None:
        self.name, self.raw, self.make, self.default = name, _raw(name), make, default
        # A field of one plain class (an owner), or of one of several told by 'kind' (a
        # frequency), is made here as ``build_one`` makes it: read for each of 10,000
        # activities, a call less each time.
        self.cls = _CLASS_OF.get(make)
        self.kinds = _KINDS_OF.get(make)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self.default
        attributes = instance.__dict__
        raw = attributes.pop(self.raw, _ABSENT)
        # left out of the JSON form: the class's default, now the object's own
        value = self.default if raw is _ABSENT else self.value_of(raw)
        attributes[self.name] = value
        return value

    def value_of(self, raw: Any) -> Any:
        """The field's value built from its JSON form (which the value keeps as its attributes)."""
        if raw is None:
            return self.make(raw)
        if self.cls is not None:
            value = _new(self.cls)
        elif self.kinds is not None:
            value = _new(self.kinds[raw["kind"]])
        else:
            return self.make(raw)
        _put(value, "__dict__", raw)
        return value


_new = object.__new__
_put = object.__setattr__


def raw_key(name: str) -> str:
    """Where a cached form keeps the JSON form of a field that holds objects, until it is read."""
    return f" {name}"  # not an identifier: never a field's name


_raw = raw_key


def _class_builder(cls: type[Plain]) -> _Builder:
    hints = _hints(cls)
    for name in cls._fields:
        if name in cls._derived:
            continue
        make = _builder(hints[name])
        default = cls._defaults.get(name)
        default = [] if isinstance(default, _Factory) else default
        if make is not _same:
            setattr(cls, name, _Field(name, make, default))  # type.__setattr__: the class is not frozen
        elif name in cls._defaults:
            setattr(cls, name, default)  # what a compact JSON form leaves out
    new = object.__new__
    put = object.__setattr__

    def build_one(value: Any) -> Any:
        instance = new(cls)
        put(instance, "__dict__", value)
        return instance

    _CLASS_OF[build_one] = cls
    return build_one
