"""Incidents: the channel at the moment, the checklist, and the record."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from commsplan.log.state import Incident
from commsplan.plan.load import load_plan
from commsplan.rules.incidents import checklist, in_office_hours

from .helpers import PLAN, Cli

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


def incident(level: str) -> Incident:
    return Incident("20201027-1", "Test", level, None, at("2020-10-27T14:00"), "sgt")


@pytest.mark.parametrize(("moment", "channel"), [("2020-10-27T14:30", "email"), ("2020-10-27T22:30", "telephone")])
def test_critical_checklist_channels_follow_the_hour(moment: str, channel: str) -> None:
    office, steps = checklist(PLAN_OBJ, incident("critical"), at(moment), LONDON)
    assert office is (channel == "email")
    by_id = {s.id: s for s in steps}
    assert list(by_id) == [
        "snb-chair-incident-contact",
        "partners-incident-notification",
        "faith-incident-updates",
        "dmc-referral",
    ]
    assert by_id["partners-incident-notification"].channels == (channel,)
    assert by_id["partners-incident-notification"].audience == "local-partners"
    assert by_id["partners-incident-notification"].owner == "slt"
    assert by_id["dmc-referral"].refer_to == "dmc"


def test_a_significant_incident_is_for_the_partners_only() -> None:
    _, steps = checklist(PLAN_OBJ, incident("significant"), at("2020-10-27T14:30"), LONDON)
    assert [s.id for s in steps] == ["partners-incident-notification"]


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
    assert notified.stdout.startswith("Step 2 (partners-incident-notification) done. 3 pending.")
    assert cli("incident", "notify", "20201027-1", "partners", "--now", "2020-10-27T22:41").exit_code == 1
    cli("incident", "note", "20201027-1", "Cordon lifted", "--now", "2020-10-27T23:05")
    shown = cli("incident", "show", "20201027-1", "--now", "2020-10-28T09:00", env={"COLUMNS": "200"})
    assert "Now Wed 28 Oct 09:00 GMT, within office hours: e-mail." in shown.stdout
    assert "[x] 2. partners-incident-notification · done Tue 27 Oct 22:40 by" in shown.stdout
    assert (
        "  2020-10-27 22:40  notified  partners-incident-notification by Telephone · Cllr Smith by phone"
        in shown.stdout
    )
    assert "  2020-10-27 23:05  note      Cordon lifted" in shown.stdout
    # open incidents head the due list
    due = cli("due", "--today", "--now", "2020-10-28T09:00")
    assert due.stdout.splitlines()[3] == "OPEN INCIDENTS (1)"
    listed = json.loads(cli("incident", "list", "--json", "--now", "2020-10-28T09:00").stdout)
    assert [s["status"] for s in listed[0]["checklist"]] == ["pending", "done", "pending", "pending"]
    closed = cli("incident", "close", "20201027-1", "--now", "2020-10-28T10:00")
    assert "3 step(s) were never marked done" in closed.stdout
    assert cli("incident", "list", "--now", "2020-10-28T10:00").stdout == "No open incidents.\n"
    assert "OPEN INCIDENTS" not in cli("due", "--today", "--now", "2020-10-28T10:00").stdout


def test_incident_errors(cli: Cli) -> None:
    bad_level = cli("incident", "open", "x", "--level", "huge")
    assert bad_level.exit_code == 2
    assert "'huge' is not one of critical, major, significant" in bad_level.stderr
    unknown = cli("incident", "show", "nope", "--now", "2020-10-27")
    assert unknown.exit_code == 1
    assert unknown.stderr == "commsplan: error: no incident 'nope' in the log (incidents: none yet)\n"
