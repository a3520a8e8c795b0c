"""The plan, as pydantic models: what a plan file may say and nothing else.

Every model forbids unknown keys and is frozen. Scalars arrive from the YAML loader as the
strings the author wrote (see ``yamlsafe``), so pydantic's conversions here are the only ones:
``"010"`` becomes 10 where a number is expected, never 8, and stays ``"010"`` where text is.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

# What the model shares with the plain data the rules read: defined once, there.
from commsplan.plan.data import (
    FIRST_DAY,
    LAST_DAY,
    MAX_PERIOD_YEARS,
    UnitKind,
    Weekday,
    When,
)

Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, Field(min_length=1)]
MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
# A time of day as pydantic reads it ("08:00", "08:00:30", "18:00Z", "09:00+01:00"). The schema
# gives a pattern, not `format: time`: that format is RFC 3339's, which wants seconds and an
# offset, so editors would flag the "08:00" that `validate` accepts.
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$"
Time = Annotated[
    dt.time,
    WithJsonSchema({"type": "string", "pattern": TIME_PATTERN, "description": "HH:MM or HH:MM:SS (24-hour clock)"}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Period(Strict):
    """The dates the plan covers, inclusive."""

    start: dt.date
    end: dt.date
    as_written: Text
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        if self.start < FIRST_DAY or self.end > LAST_DAY:
            raise ValueError(f"a plan's period lies between {FIRST_DAY} and {LAST_DAY}")
        if self.end > self.start.replace(year=self.start.year + MAX_PERIOD_YEARS):
            raise ValueError(
                f"a plan's period is at most {MAX_PERIOD_YEARS} years long (next year's plan is a new one)"
            )
        return self


class Quarters(Strict):
    """Quarters start in this month and every third month after it (1: Jan/Apr/Jul/Oct)."""

    first_month: int = Field(ge=1, le=12)
    note: str | None = None


class OfficeHours(Strict):
    """When e-mail reaches partners; outside these hours the plan says telephone."""

    days: list[Weekday]
    start: Time
    end: Time
    bank_holidays: Literal["england", "none"] = "england"
    as_written: Text
    note: str | None = None


class Meta(Strict):
    title: Text
    unit: Text
    area: list[Text] = []
    source: Text
    period: Period
    timezone: Text
    quarters: Quarters
    office_hours: OfficeHours

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (expected an IANA name such as Europe/London)") from None
        return value


class Named(Strict):
    """Something declared once and referred to by id: a role, an audience, a channel."""

    id: Id
    name: Text
    aliases: list[Text] = []
    as_written: list[Text] = []
    note: str | None = None


# An address as a person writes it in a plan: checked loosely (the mail server is the judge).
EmailAddress = Annotated[str, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=254)]


class Role(Named):
    email: EmailAddress | None = None  # where `digest --owner ROLE --format email` goes by default


class Audience(Named):
    members: list[Text] = []


class Channel(Named):
    pass


class DateRange(Strict):
    start: dt.date
    end: dt.date
    source: str | None = None  # where the dates come from (a press release, a term-dates page)

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"range ends ({self.end}) before it starts ({self.start})")
        return self


class NamedDate(Strict):
    """A date that comes back each year: fixed (``10-31``), computed from the time-zone rules,
    or listed year by year (school half-terms, a local festival)."""

    id: Id
    name: Text
    aliases: list[Text] = []
    fixed: MonthDay | None = None
    computed: Literal["clocks_forward", "clocks_back"] | None = None
    dates: list[DateRange] | None = None
    as_written: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> NamedDate:
        given = [k for k in ("fixed", "computed", "dates") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a named date needs exactly one of 'fixed', 'computed' or 'dates'")
        return self


class Season(Strict):
    """A stretch of the year: bounds that come back each year (``MM-DD`` or the id of a named
    date), or windows listed year by year (a named operation such as the Met's Autumn Nights,
    whose dates are announced each year)."""

    id: Id
    name: Text
    aliases: list[Text] = []
    start: Text | None = None
    end: Text | None = None
    windows: list[DateRange] | None = None
    as_written: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Season:
        bounds = self.start is not None or self.end is not None
        if bounds == (self.windows is not None) or (bounds and (self.start is None or self.end is None)):
            raise ValueError("a season needs either 'start' and 'end' or 'windows'")
        return self


class Trigger(Strict):
    """An event that calls for communication: it has no calendar occurrences. Each is a kind of
    incident `commsplan incident open --level` takes (an id or an alias)."""

    id: Id
    name: Text
    aliases: list[Text] = []
    as_written: str | None = None
    note: str | None = None


class Rule(Strict):
    """A standing instruction from the source, e.g. media queries about incidents go to DMC."""

    id: Id
    text: Text
    applies_to: list[Id] = []
    when: list[Id] = []
    refer_to: Id | None = None
    as_written: Text


class Owner(Strict):
    """Who sends: a role (with others), or, where the source says so, one role in office hours
    and another out of them (the Duty Officer)."""

    role: Id
    with_: list[Id] = Field(default=[], alias="with")
    out_of_hours: Id | None = None  # the role that sends out of office hours, if not ``role``
    as_written: Text
    reading: str | None = None  # how the plan reads the source's Who cell, where it is not literal

    def role_at(self, office_hours: bool) -> str:
        """The sending role at a moment in or out of office hours."""
        return self.role if office_hours or self.out_of_hours is None else self.out_of_hours

    @property
    def roles(self) -> list[str]:
        """Every role that sends or shares the sending."""
        return list(dict.fromkeys([self.role, *([self.out_of_hours] if self.out_of_hours else []), *self.with_]))


class ChannelUse(Strict):
    channel: Id
    when: When = "any"
    detail: str | None = None
    as_written: str | None = None


class Part(Strict):
    """A piece of a source cell: the plan's wording of it and the words it came from."""

    text: Text
    as_written: Text


class _Frequency(Strict):
    as_written: Text
    interpretation: str | None = None
    note: str | None = None


class Recurrence(_Frequency):
    """Calendar recurrence: one occurrence per period (day, week, fortnight, month, quarter, year)."""

    kind: Literal["daily", "weekly", "fortnightly", "monthly", "quarterly", "annual"]
    due: Weekday | int | None = None
    anchor: dt.date | None = None
    time: Time | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> Recurrence:
        if self.kind == "fortnightly" and self.anchor is None:
            raise ValueError("a fortnightly schedule needs an 'anchor' date (the first day of one fortnight)")
        if self.kind in ("weekly", "fortnightly"):
            if self.due is not None and not isinstance(self.due, str):
                raise ValueError(f"'due' of a {self.kind} schedule is a weekday (mon..sun)")
        elif self.kind == "monthly":
            if self.due is not None and not (isinstance(self.due, int) and 1 <= self.due <= 31):
                raise ValueError("'due' of a monthly schedule is a day of the month, 1 to 31")
        elif self.due is not None:
            raise ValueError(f"a {self.kind} schedule takes no 'due'")
        return self


class RRule(_Frequency):
    """A raw RFC 5545 RRULE; each occurrence is due on its date and opens ``lead_days`` before."""

    kind: Literal["rrule"]
    rrule: Text
    start: dt.date
    lead_days: int = Field(default=0, ge=0, le=366)
    time: Time | None = None


class NamedDates(_Frequency):
    """A campaign before each of some named dates."""

    kind: Literal["named_dates"]
    dates: list[Id] = Field(min_length=1)
    lead_days: int = Field(default=14, ge=0, le=366)


class Seasonal(_Frequency):
    """A campaign at the start of each of some seasons."""

    kind: Literal["season"]
    seasons: list[Id] = Field(min_length=1)
    lead_days: int = Field(default=14, ge=0, le=366)


class Triggered(_Frequency):
    """Communication on an event (an incident, an enquiry): no calendar occurrences."""

    kind: Literal["triggered"]
    triggers: list[Id] = Field(min_length=1)


class OnRequest(_Frequency):
    """Communication with no schedule: done as required; listed apart, never dropped."""

    kind: Literal["on_request"]


Frequency = Annotated[
    Recurrence | RRule | NamedDates | Seasonal | Triggered | OnRequest,
    Field(discriminator="kind"),
]


class Unit(Strict):
    """A borough, or a ward within one: a duty that repeats per unit is done for each on its own."""

    id: Id
    name: Text
    kind: UnitKind
    within: Id | None = None  # a ward's borough
    aliases: list[Text] = []
    note: str | None = None


class Conditional(Strict):
    """Occurrences wanted only when there is something to say ("Daily updates if applicable"):
    shown for the day, done as often as there is news, never overdue and never missed."""

    as_written: Text
    note: str | None = None


class Activity(Strict):
    """One communication: who sends what to whom, how, when and why."""

    id: Id
    row: Id
    audience: Id
    owner: Owner
    what: Part
    channels: list[ChannelUse] = Field(min_length=1)
    how_as_written: Text
    frequency: Frequency
    why: Text
    conditional: Conditional | None = None
    per_unit: UnitKind | None = None  # one occurrence for each borough (or ward) the plan lists
    notes: list[Text] = []

    @property
    def optional(self) -> bool:
        """Wanted when there is something to say: never overdue, never missed."""
        return self.conditional is not None

    @property
    def scheduled(self) -> bool:
        """Has calendar occurrences (not triggered by an event, not on request)."""
        return self.frequency.kind not in ("triggered", "on_request")


class SourceRow(Strict):
    """One row of the source table, every cell verbatim (wrapped cells joined by a space)."""

    id: Id
    lines: list[int] = Field(min_length=1)
    where_to: str
    who_from: str
    what: str
    how: str
    when: str
    why: str
    notes: list[Text] = []


class Section(Strict):
    title: Text
    line: int
    header_lines: list[int]
    rows: list[SourceRow]


class Source(Strict):
    document: Text
    title_line: int
    sections: list[Section]


class Plan(Strict):
    """A communication action plan."""

    version: int
    meta: Meta
    roles: list[Role]
    audiences: list[Audience]
    channels: list[Channel]
    named_dates: list[NamedDate] = []
    seasons: list[Season] = []
    triggers: list[Trigger] = []
    rules: list[Rule] = []
    units: list[Unit] = []
    activities: list[Activity]
    source: Source | None = None
    notes: list[Text] = []

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"unsupported plan version {value} (this commsplan reads version 1)")
        return value

    def activity(self, activity_id: str) -> Activity:
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise KeyError(activity_id)

    def role(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def audience(self, audience_id: str) -> Audience:
        return next(a for a in self.audiences if a.id == audience_id)

    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)

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


def plan_schema() -> dict[str, Any]:
    """The plan file's JSON Schema, for editors (yaml-language-server) and other tools."""
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "commsplan plan"
    return schema
