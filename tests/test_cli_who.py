from __future__ import annotations

import json

from .helpers import Cli, flat


def test_who_snb_lists_both_snb_activities(cli: Cli) -> None:
    result = cli("who", "--audience", "SNB")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == "2 activities to Safer Neighbourhood Boards"
    assert "snb-quarterly-meeting\n  To       Safer Neighbourhood Boards\n" in out
    assert "  From     Safer Neighbourhood Ward Inspectors / Sergeants\n" in out
    assert '  When     quarterly  source: "Quarterly"\n' in out
    assert "  How      E-mail (in office hours); Telephone (out of office hours)\n" in out
    assert '  When     triggered  source: "As soon as practicable"\n' in out


def test_matching_is_case_insensitive_and_accepts_parts_of_names(cli: Cli) -> None:
    assert "to Inter-faith Institutions" in cli("who", "-a", "faith").stdout
    assert "to BCU Residents / Ward Panels" in cli("who", "-a", "ward panel").stdout
    councillors = cli("who", "--audience", "Councillors")
    assert councillors.exit_code == 0
    assert councillors.stdout.startswith("1 activity to Local Partners (Local Authority members, Local Councillors")


def test_exact_alias_wins_over_partial_matches(cli: Cli) -> None:
    # 'IAG' is the alias of the IAGs and also part of 'IAG chairs' among the local partners
    result = cli("who", "--audience", "iag", "--json")
    assert [a["id"] for a in json.loads(result.stdout)] == ["iag-quarterly-briefing"]


def test_ambiguous_audience_lists_candidates(cli: Cli) -> None:
    result = cli("who", "--audience", "local")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "commsplan: error: 'local' matches 5 audiences; be more specific:"
    assert "  local-media                  Local Media" in result.stderr


def test_unknown_audience_suggests(cli: Cli) -> None:
    result = cli("who", "--audience", "Faiht")
    assert result.exit_code == 1
    assert result.stderr == "commsplan: error: no audience matches 'Faiht' (did you mean 'faith'?)\n"


def test_owner_and_channel_filters(cli: Cli) -> None:
    dwo = json.loads(cli("who", "--owner", "DWO", "--json").stdout)
    assert {a["owner"] for a in dwo} == {"ward-staff"}
    assert len(dwo) == 7
    slt = json.loads(cli("who", "--owner", "SLT", "--json").stdout)
    # the SLT sends partner notifications and ratifies media engagement
    assert {a["id"] for a in slt} == {"partners-incident-notification", "media-engagement", "media-enquiries"}
    phone = json.loads(cli("who", "--channel", "phone", "--json").stdout)
    assert {a["id"] for a in phone} == {"snb-chair-incident-contact", "partners-incident-notification"}


def test_filters_that_match_nothing_fail(cli: Cli) -> None:
    result = cli("who", "--audience", "SNB", "--channel", "leaflet")
    assert result.exit_code == 1
    assert "no activity matches all of those filters" in result.stderr


def test_who_json_is_one_document_and_nothing_else(cli: Cli) -> None:
    result = cli("who", "--audience", "SNB", "--json")
    data = json.loads(result.stdout)
    assert [a["id"] for a in data] == ["snb-quarterly-meeting", "snb-chair-incident-contact"]
    first = data[0]
    assert first["audience"] == "snb"
    assert first["owner"] == "snt-inspectors"
    assert first["frequency"] == {"kind": "quarterly", "as_written": "Quarterly", "interpreted": False}
    assert first["channels"][0]["channel"] == "meeting"
    assert first["why"].startswith("SNB members are influential volunteers")


def test_list_shows_every_activity(cli: Cli) -> None:
    result = cli("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["Activity", "To", "When"]
    assert result.stdout.splitlines()[-1] == "27 activities. 'commsplan show ID' prints one in full."
    assert len(json.loads(cli("list", "--json").stdout)) == 27


def test_who_without_filter_lists_everything(cli: Cli) -> None:
    assert cli("who").stdout.startswith("27 activities in the plan")


def test_show_prints_the_source_text(cli: Cli) -> None:
    result = cli("show", "business-bid")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("business-bid-meetings\n")
    assert "  Source row         local-businesses (line 23)\n" in out
    assert "    How              Annual Report Online – website, social media Monthly BID\n" in out
    assert "Self-contradictory" in out


def test_show_unknown_and_ambiguous(cli: Cli) -> None:
    unknown = cli("show", "snb-quartely-meeting")
    assert unknown.exit_code == 1
    assert flat(unknown.stderr) == (
        "commsplan: error: no activity 'snb-quartely-meeting' (did you mean 'snb-quarterly-meeting'?); "
        "'commsplan list' shows them all\n"
    )
    ambiguous = cli("show", "snb")
    assert ambiguous.exit_code == 1
    assert "'snb' is the start of 2 activities: snb-quarterly-meeting, snb-chair-incident-contact" in flat(
        ambiguous.stderr
    )


def test_show_json_carries_the_source_row(cli: Cli) -> None:
    data = json.loads(cli("show", "iag-quarterly-briefing", "--json").stdout)
    assert data["source"]["when"] == "Quarterly"
    assert data["source"]["lines"] == [20]


def test_show_prints_the_windows_and_dates_that_make_the_occurrences(cli: Cli) -> None:
    lines = cli("show", "cp-seasonal-advice").stdout.splitlines()
    at = lines.index("  Dates              Summer Nights: Mon 20 Jul 2020 to Mon 31 Aug 2020")
    assert lines[at + 1 : at + 5] == [
        "                     Autumn Nights: Wed 21 Oct 2020 to Sun 8 Nov 2020",
        "                     Winter Nights: Mon 30 Nov 2020 to Sun 3 Jan 2021",
        "                     Each campaign opens 14 days before and is due on the first",
        "                     day",
    ]
    psg = cli("show", "la-problem-solving-group").stdout
    assert "  Dates              Fortnights counted from Mon 6 Apr 2020, each due on its" in psg
    partners = flat(cli("show", "partners-incident-notification").stdout)
    assert "From               Senior Leadership Team (office hours); Duty Officers (out of hours)" in partners
    data = json.loads(cli("show", "cp-halloween", "--json").stdout)
    assert data["dates"] == ["Halloween: 31 Oct each year", "Each campaign opens 14 days before and is due on the day"]
