"""Look-ups find what people type: every name of every audience, role and channel finds itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commsplan.errors import LookupFailed
from commsplan.plan.data import Named
from commsplan.plan.load import load_plan
from commsplan.plan.lookup import find

from .helpers import PLAN, Cli

_PLAN = load_plan(PLAN, cache_dir=None).plan
_KINDS: list[tuple[str, list[Named]]] = [
    ("audience", list(_PLAN.audiences)),
    ("role", list(_PLAN.roles)),
    ("channel", list(_PLAN.channels)),
]
_CASES = [
    pytest.param(kind, items, item.id, word, id=f"{kind}:{item.id}:{word}")
    for kind, items in _KINDS
    for item in items
    for word in dict.fromkeys([item.id, item.name, *item.aliases, *item.as_written])
]


@pytest.mark.parametrize(("kind", "items", "expected", "word"), _CASES)
def test_every_id_name_alias_and_source_wording_finds_exactly_itself(
    kind: str, items: list[Named], expected: str, word: str
) -> None:
    assert find(word, items, kind).id == expected
    assert find(word.upper(), items, kind).id == expected


def test_there_are_names_to_test() -> None:
    # the parametrisation above is only as good as the plan it reads
    assert len(_CASES) > 100


def test_a_member_of_one_audience_does_not_shadow_another_audiences_name(cli: Cli) -> None:
    # cp-public lists "Local Businesses" among its members; the audience of that name wins
    for typed in ("Local Businesses", "local-businesses", "local businesses", "Local Bus"):
        result = cli("who", "--audience", typed, "--json")
        assert result.exit_code == 0, result.stderr
        assert {a["audience"] for a in json.loads(result.stdout)} == {"local-businesses"}


def test_a_word_in_several_audiences_names_is_a_question_back(cli: Cli) -> None:
    result = cli("who", "--audience", "Residents")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[:3] == [
        "commsplan: error: 'Residents' matches 2 audiences; be more specific:",
        "  ward-panels                  BCU Residents / Ward Panels",
        "  cp-public                    Crime Prevention advice audience (Residents,",
    ]


def test_the_start_of_one_name_beats_a_member_of_another() -> None:
    # "Local Authorit" starts 'Local Authorities' and is part of local-partners' member
    # 'Local Authority members'
    assert find("Local Authorit", _PLAN.audiences, "audience").id == "local-authorities"


def test_members_still_help_a_partial_match() -> None:
    assert find("MPs", _PLAN.audiences, "audience").id == "local-partners"
    assert find("Barking", _PLAN.audiences, "audience").id == "local-authorities"


def test_unknown_is_still_unknown() -> None:
    with pytest.raises(LookupFailed, match="no audience matches 'Zebras'"):
        find("Zebras", _PLAN.audiences, "audience")


def test_triggers_are_found_by_id_name_and_alias_and_their_wording_is_one_phrase() -> None:
    triggers = list(_PLAN.triggers)
    for trigger in triggers:
        for word in (trigger.id, trigger.name, *trigger.aliases):
            assert find(word, triggers, "trigger").id == trigger.id
    # a trigger's source wording is one phrase (not its letters), shared here by three
    with pytest.raises(LookupFailed, match="matches 3 triggers"):
        find("critical/major/significant incidents", triggers, "trigger")


def test_a_trigger_without_a_source_wording_is_found(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN.read_text(encoding="utf-8").replace('    as_written: "critical/major/significant incidents"\n', ""),
        encoding="utf-8",
    )
    result = cli("incident", "open", "Flooding", "--level", "major", "--plan", str(plan), "--now", "2020-10-26T10:00")
    assert result.exit_code == 0, result.stderr
    assert "Major incident" in result.stdout
