"""The bundled plan encodes all of the source document, verbatim where it quotes it."""

from __future__ import annotations

import pytest

from commsplan.plan.data import Plan, Source
from commsplan.plan.load import load_plan
from commsplan.rules.schedule import Schedule

from .helpers import PLAN, SOURCE

COLUMNS = ("where_to", "who_from", "what", "how", "when", "why")


def source_of(plan: Plan) -> Source:
    assert plan.source is not None, "the bundled plan keeps its source"
    return plan.source


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN).plan


@pytest.fixture(scope="module")
def source_lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").split("\n")


def _cells(source_lines: list[str], numbers: list[int]) -> dict[str, str]:
    parts: dict[str, list[str]] = {c: [] for c in COLUMNS}
    for number in numbers:
        for column, cell in zip(COLUMNS, source_lines[number - 1].split("\t"), strict=True):
            if cell.strip():
                parts[column].append(cell.strip())
    return {c: " ".join(p) for c, p in parts.items()}


def test_every_row_cell_is_kept_verbatim(plan: Plan, source_lines: list[str]) -> None:
    rows = [row for section in source_of(plan).sections for row in section.rows]
    assert len(rows) == 10
    for row in rows:
        assert _cells(source_lines, row.lines) == {c: getattr(row, c) for c in COLUMNS}, row.id


def test_every_line_of_the_source_is_accounted_for(plan: Plan, source_lines: list[str]) -> None:
    used = {source_of(plan).title_line}
    for section in source_of(plan).sections:
        assert source_lines[section.line - 1].strip() == section.title
        used |= {section.line, *section.header_lines}
        used |= {n for row in section.rows for n in row.lines}
    non_blank = {n for n, line in enumerate(source_lines, start=1) if line.strip()}
    assert used == non_blank
    assert source_lines[source_of(plan).title_line - 1] == plan.meta.title


@pytest.mark.parametrize(
    ("row", "audience", "owner", "channels"),
    [
        ("snb", "snb", "snt-inspectors", {"meeting", "email", "telephone"}),
        ("ward-panels", "ward-panels", "ward-staff", {"meeting", "street-briefing", "social-media", "leaflet"}),
        (
            "local-authorities",
            "local-authorities",
            "partnership-prevention",
            {"meeting", "direct-contact", "personal-briefing", "newsletter", "website", "social-media"},
        ),
        ("local-partners", "local-partners", "slt", {"email", "telephone"}),
        ("cp-advice", "cp-public", "comms-team", {"social-media", "newsletter", "press", "radio"}),
        ("iag", "iag", "partnership-prevention", {"personal-briefing"}),
        ("cmg", "cmg", "partnership-prevention", {"personal-briefing"}),
        ("local-businesses", "local-businesses", "ward-staff", {"meeting", "report", "website", "social-media"}),
        ("local-media", "local-media", "comms-team", {"comms-team"}),
        ("faith", "faith", "faith-officers", {"personal-briefing", "forum"}),
    ],
)
def test_each_source_row_has_its_audience_sender_and_channels(
    plan: Plan, row: str, audience: str, owner: str, channels: set[str]
) -> None:
    activities = [a for a in plan.activities if a.row == row]
    assert activities
    assert {a.audience for a in activities} == {audience}
    assert {a.owner.role for a in activities} == {owner}
    assert {use.channel for a in activities for use in a.channels} == channels


def test_as_written_fragments_come_from_their_row(plan: Plan) -> None:
    for activity in plan.activities:
        row = plan.source_row(activity.row)
        assert row is not None, activity.id
        assert activity.owner.as_written in row.who_from, activity.id
        assert activity.what.as_written in row.what + " " + row.how + " " + row.when, activity.id
        assert activity.how_as_written in row.how, activity.id
        assert activity.why in row.why, activity.id
        for use in activity.channels:
            assert use.as_written is None or use.as_written in row.how + " " + row.what, (activity.id, use)
        assert activity.frequency.as_written in row.when + " " + row.what + " " + row.how, activity.id


def test_multi_activity_rows_are_split(plan: Plan) -> None:
    ward = {a.id: a.frequency.kind for a in plan.activities if a.row == "ward-panels"}
    assert ward == {
        "ward-panel-meeting": "quarterly",
        "ward-street-briefing": "weekly",
        "ward-social-media": "daily",
        "ward-leaflet-drops": "on_request",
    }
    snb = {a.id: a.frequency.kind for a in plan.activities if a.row == "snb"}
    assert snb == {"snb-quarterly-meeting": "quarterly", "snb-chair-incident-contact": "triggered"}


def test_vague_words_are_interpreted_and_said_so(plan: Plan) -> None:
    for activity in plan.activities:
        words = activity.frequency.as_written.lower()
        if "periodic" in words or "as required" in words or "as defined" in words or "if applicable" in words:
            assert activity.frequency.interpretation, activity.id


def test_partners_get_email_in_office_hours_and_telephone_out_of_hours(plan: Plan) -> None:
    partners = plan.activity("partners-incident-notification")
    assert [(u.channel, u.when) for u in partners.channels] == [
        ("email", "office_hours"),
        ("telephone", "out_of_hours"),
    ]
    rule = next(r for r in plan.rules if r.id == "dmc-referral")
    assert rule.refer_to == "dmc" and set(rule.when) == {"critical-incident", "major-incident"}


def test_every_scheduled_activity_has_occurrences_in_the_period_but_the_festival(plan: Plan) -> None:
    schedule = Schedule(plan)
    period = plan.meta.period
    empty = [a.id for a in schedule.scheduled if not schedule.occurrences(a, period.start, period.end)]
    assert empty == ["cp-we-are-festival"]  # the source gives no date: see the plan's note


def test_senders_and_channels_are_those_the_source_names(plan: Plan) -> None:
    # every channel of the CP row: newsletters and Time FM as well as social media and press
    cp_row = {"social-media", "newsletter", "press", "radio"}
    assert {u.channel for u in plan.activity("cp-crime-rise-advice").channels} == cp_row
    # Who: "SNT Ward/ Partnership & Prevention Inspector/Sergeant", no Comms Team
    joint = plan.activity("la-joint-communications").owner
    assert joint.roles == ["partnership-prevention", "snt-inspectors"]
    # "Senior Leadership Team /Duty Officers" with e-mail in office hours, telephone out of them
    partners = plan.activity("partners-incident-notification").owner
    assert (partners.role_at(True), partners.role_at(False)) == ("slt", "duty-officers")
    assert partners.reading is not None and "Duty Officer" in partners.reading


def test_every_trigger_and_season_quotes_the_source(plan: Plan) -> None:
    assert plan.source is not None
    cp_row = plan.source_row("cp-advice")
    assert cp_row is not None
    for season in plan.seasons:
        assert season.as_written is not None and season.as_written in cp_row.when, season.id
        assert season.windows and season.note, season.id
    cells = " ".join(
        f"{row.what} {row.how} {row.when} {row.why}" for section in plan.source.sections for row in section.rows
    )
    for trigger in plan.triggers:
        assert trigger.as_written is not None and trigger.as_written in cells, trigger.id
