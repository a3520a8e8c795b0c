"""Incidents: the channel at the moment, the checklist, and the record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from commsplan.log.state import Incident
from commsplan.plan.load import load_plan
from commsplan.rules.incidents import checklist, in_office_hours

from .helpers import BOTH, PLAN, Cli, flat

LONDON = ZoneInfo("Europe/London")
PLAN_OBJ = load_plan(PLAN).plan
OFFICE = PLAN_OBJ.meta.office_hours


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "office"),
    [
        ("2020-10-27T14:30", True),  # a weekday afternoon
        ("2020-10-27T19:30", False),  # a weekday evening
        ("2020-10-27T07:59", False),  # before office hours
        ("2020-10-27T08:00", True),
        ("2020-10-27T17:59", True),
        ("2020-10-27T18:00", False),
        ("2020-10-24T11:00", False),  # a Saturday
        ("2020-12-25T11:00", False),  # Christmas Day (a Friday)
        ("2020-12-28T11:00", False),  # Boxing Day observed (a Monday)
        ("2020-08-31T11:00", False),  # the August bank holiday
        ("2021-04-02T11:00", False),  # Good Friday
        ("2020-03-30T08:30", True),  # the Monday after the clocks went forward: 08:30 BST
    ],
)
def test_office_hours(moment: str, office: bool) -> None:
    assert in_office_hours(at(moment), OFFICE, LONDON) is office


def test_office_hours_are_read_in_london_time_around_the_clock_change() -> None:
    # 07:30 UTC on Monday 30 March 2020 is 08:30 BST: in office hours; 06:30 UTC is not
    assert in_office_hours(dt.datetime(2020, 3, 30, 7, 30, tzinfo=dt.UTC), OFFICE, LONDON)
    assert not in_office_hours(dt.datetime(2020, 3, 30, 6, 30, tzinfo=dt.UTC), OFFICE, LONDON)
    # Sunday 25 October 2020, the repeated hour: a Sunday, so out of hours either way
    assert not in_office_hours(dt.datetime(2020, 10, 25, 0, 30, tzinfo=dt.UTC), OFFICE, LONDON)


def incident(level: str, *also: str) -> Incident:
    return Incident("20201027-1", "Test", level, None, at("2020-10-27T14:00"), "sgt", also=list(also))


@pytest.mark.parametrize(("moment", "channel"), [("2020-10-27T14:30", "email"), ("2020-10-27T22:30", "telephone")])
def test_critical_checklist_channels_follow_the_hour(moment: str, channel: str) -> None:
    office, steps = checklist(PLAN_OBJ, incident("critical"), at(moment), LONDON)
    assert office is (channel == "email")
    by_id = {s.id: s for s in steps}
    assert list(by_id) == [
        "snb-chair-incident-contact",
        "partners-incident-notification",
        "faith-incident-updates",
    ]
    assert by_id["partners-incident-notification"].channels == (channel,)
    assert by_id["partners-incident-notification"].audience == "local-partners"


@pytest.mark.parametrize(("moment", "sender"), [("2020-10-27T14:30", "slt"), ("2020-10-24T22:00", "duty-officers")])
def test_partners_hear_from_the_slt_in_office_hours_and_the_duty_officer_out_of_them(moment: str, sender: str) -> None:
    _, steps = checklist(PLAN_OBJ, incident("critical-incident"), at(moment), LONDON)
    [partners] = [s for s in steps if s.id == "partners-incident-notification"]
    assert partners.owner == sender


def test_a_significant_incident_reaches_snb_chairs_partners_and_faith_leaders() -> None:
    # "may significantly impact the local communities" and "Updates of Incidents or risks":
    # neither is limited to critical or major incidents
    _, steps = checklist(PLAN_OBJ, incident("significant"), at("2020-10-27T14:30"), LONDON)
    assert [s.id for s in steps] == [
        "snb-chair-incident-contact",
        "partners-incident-notification",
        "faith-incident-updates",
    ]


@pytest.mark.parametrize(
    ("level", "steps"),
    [
        ("multi-agency-operation", ["snb-chair-incident-contact", "faith-incident-updates"]),
        ("crime-rise", ["cp-crime-rise-advice"]),
        ("media-enquiry", ["media-enquiries"]),
        ("current-events", ["faith-incident-updates"]),
    ],
)
def test_each_trigger_of_the_plan_has_its_steps(level: str, steps: list[str]) -> None:
    assert [s.id for s in checklist(PLAN_OBJ, incident(level), at("2020-10-27T14:30"), LONDON)[1]] == steps


@pytest.mark.parametrize(("level", "referred"), [("critical", True), ("major", True), ("significant", False)])
def test_dmc_referral_only_for_a_media_query_about_a_critical_or_major_incident(level: str, referred: bool) -> None:
    without = [s.id for s in checklist(PLAN_OBJ, incident(level), at("2020-10-27T14:30"), LONDON)[1]]
    assert "dmc-referral" not in without
    _, steps = checklist(PLAN_OBJ, incident(level, "media-enquiry"), at("2020-10-27T14:30"), LONDON)
    ids = [s.id for s in steps]
    assert "media-enquiries" in ids
    assert ("dmc-referral" in ids) is referred
    if referred:
        assert steps[-1].refer_to == "dmc" and steps[-1].owner == "comms-team"


@BOTH
def test_incident_flow_through_the_cli(cli: Cli) -> None:
    opened = cli("incident", "open", "Stabbing, Romford", "--level", "critical", "--area", "Romford",
                 "--now", "2020-10-27T22:15", "--by", "Insp Patel", "--json")  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    data = json.loads(opened.stdout)
    assert data["id"] == "20201027-1"
    assert data["office_hours"] is False
    assert [(s["id"], s["channel"], s["status"]) for s in data["checklist"][:2]] == [
        ("snb-chair-incident-contact", ["telephone"], "pending"),
        ("partners-incident-notification", ["telephone"], "pending"),
    ]
    notified = cli("incident", "notify", "20201027", "2", "--note", "Cllr Smith by phone", "--now", "2020-10-27T22:40")
    assert notified.stdout.startswith("Step 2 (partners-incident-notification) done. 2 pending.")
    # while the incident is live, partners get updates: a second notification is recorded
    again = cli("incident", "notify", "20201027-1", "partners", "--now", "2020-10-27T23:41")
    assert again.exit_code == 0
    assert flat(again.stdout).startswith(
        "Step 2 (partners-incident-notification) updated: notification 2, the first Tue 27 Oct 22:40. 2 pending."
    )
    cli("incident", "note", "20201027-1", "Cordon lifted", "--now", "2020-10-27T23:05")
    shown = cli("incident", "show", "20201027-1", "--now", "2020-10-28T09:00", env={"COLUMNS": "200"})
    assert "Now Wed 28 Oct 09:00 GMT, within office hours: e-mail." in shown.stdout
    assert "[x] 2. partners-incident-notification · done Tue 27 Oct 22:40 by" in shown.stdout
    assert "· 2 notifications, the last Tue 27 Oct 23:41" in shown.stdout
    assert (
        "  2020-10-27 22:40  notified  partners-incident-notification by Telephone · Cllr Smith by phone"
        in shown.stdout
    )
    assert "  2020-10-27 23:05  note      Cordon lifted" in shown.stdout
    # open incidents head the due list
    due = cli("due", "--today", "--now", "2020-10-28T09:00")
    assert due.stdout.splitlines()[3] == "OPEN INCIDENTS (1)"
    listed = json.loads(cli("incident", "list", "--json", "--now", "2020-10-28T09:00").stdout)
    assert [s["status"] for s in listed[0]["checklist"]] == ["pending", "done", "pending"]
    assert listed[0]["checklist"][1]["notifications"] == 2
    closed = cli("incident", "close", "20201027-1", "--now", "2020-10-28T10:00")
    assert "2 step(s) were never marked done" in closed.stdout
    assert cli("incident", "list", "--now", "2020-10-28T10:00").stdout == "No open incidents.\n"
    assert "OPEN INCIDENTS" not in cli("due", "--today", "--now", "2020-10-28T10:00").stdout


def test_incident_errors(cli: Cli) -> None:
    bad_level = cli("incident", "open", "x", "--level", "huge")
    assert bad_level.exit_code == 2
    assert flat(bad_level.stderr) == (
        "commsplan: error: 'huge' is not a trigger of the plan; one of critical-incident, major-incident, "
        "significant-incident, multi-agency-operation, media-enquiry, crime-rise, current-events (or an alias)\n"
    )
    unknown = cli("incident", "show", "nope", "--now", "2020-10-27")
    assert unknown.exit_code == 1
    assert unknown.stderr == "commsplan: error: no incident 'nope' in the log (incidents: none yet)\n"


def test_a_significant_incident_on_a_saturday_night(cli: Cli) -> None:
    result = cli("incident", "open", "Fight outside a pub, Romford", "--level", "significant",
                 "--now", "2020-10-24T22:00", "--by", "Insp Khan")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[3:17] == [
        "Now Sat 24 Oct 22:00 BST, out of office hours: telephone.",
        "",
        "  [ ] 1. snb-chair-incident-contact",
        "         Safer Neighbourhood Ward Inspectors / Sergeants notify Safer",
        "         Neighbourhood Boards by Telephone: Contact the SNB Chair about a",
        "         critical, major or significant incident, or an operation with a",
        "         multi-agency response",
        "  [ ] 2. partners-incident-notification",
        "         Duty Officers notify Local Partners by Telephone: Notify key partners",
        "         of a critical, major or significant incident while it is live",
        "  [ ] 3. faith-incident-updates",
        "         Faith Officers notify Inter-faith Institutions by Personal briefing or",
        "         Inter-faith forum: Updates on incidents or risks linked to current",
        "         events",
    ]


@BOTH
def test_a_media_query_arrives_later_and_brings_the_dmc_referral(cli: Cli) -> None:
    cli("incident", "open", "Stabbing, Romford", "--level", "critical", "--now", "2020-10-26T22:15")
    before = json.loads(cli("incident", "show", "20201026-1", "--json", "--now", "2020-10-26T22:20").stdout)
    assert [s["id"] for s in before["checklist"]][-1] == "faith-incident-updates"
    added = cli("incident", "also", "20201026-1", "media", "--note", "Local Recorder", "--now", "2020-10-26T23:10",
                "--json")  # fmt: skip
    data = json.loads(added.stdout)
    assert data["triggers"] == ["critical-incident", "media-enquiry"]
    assert [(s["step"], s["id"], s["owner"], s["refer_to"]) for s in data["checklist"][-1:]] == [
        (5, "dmc-referral", "comms-team", "dmc")
    ]
    again = cli("incident", "also", "20201026-1", "media-enquiry", "--now", "2020-10-26T23:20")
    assert (again.exit_code, again.stderr) == (
        1,
        "commsplan: error: incident 20201026-1 already involves media-enquiry\n",
    )
    shown = cli("incident", "show", "20201026-1", "--now", "2020-10-26T23:30", env={"COLUMNS": "200"}).stdout
    assert shown.splitlines()[1].startswith("Critical incident + Media enquiry · open · opened Mon 26 Oct 2020 22:15")
    assert "  2020-10-26 23:10  trigger   also Media enquiry · Local Recorder" in shown


def test_level_completion_offers_the_plan_triggers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from types import SimpleNamespace
    from typing import cast

    import typer

    from commsplan.cli.incident_cmds import trigger_words

    monkeypatch.setenv("COMMSPLAN_CACHE_DIR", "")
    monkeypatch.delenv("COMMSPLAN_PLAN", raising=False)
    ctx = cast(typer.Context, SimpleNamespace(params={}))
    assert trigger_words(ctx, "m") == ["major-incident", "major", "multi-agency-operation", "multi-agency",
                                       "media-enquiry", "media"]  # fmt: skip
    broken = cast(typer.Context, SimpleNamespace(params={"plan": str(tmp_path / "none.yaml")}))
    assert trigger_words(broken, "") == []


def test_a_closed_incident_does_not_ask_to_be_marked(cli: Cli) -> None:
    cli("incident", "open", "X", "--level", "significant", "--now", "2020-10-31T22:00")
    cli("incident", "close", "20201031-1", "--now", "2020-11-01T09:00")
    shown = flat(cli("incident", "show", "20201031-1", "--now", "2020-11-01T10:00").stdout)
    assert "Closed with 3 of 3 steps never marked done." in shown
    assert "Mark one" not in shown


def test_reversed_range_is_a_usage_error(cli: Cli) -> None:
    result = cli(
        "skip", "ward-street", "--from", "2020-11-29", "--until", "2020-11-02", "--reason", "x", "--now", "2020-11-01"
    )
    assert result.exit_code == 2


def test_a_step_keeps_its_number_when_a_later_trigger_adds_steps(cli: Cli) -> None:
    cli("incident", "open", "X", "--level", "significant", "--now", "2020-10-31T22:00")
    cli("incident", "also", "20201031-1", "media-enquiry", "--now", "2020-10-31T22:10")
    result = cli("incident", "notify", "20201031-1", "3", "--note", "faith forum phoned", "--now", "2020-10-31T22:20")
    assert flat(result.stdout).startswith("Step 3 (faith-incident-updates) done.")
