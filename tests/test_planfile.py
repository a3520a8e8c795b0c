"""The loader: every bad input is reported as PATH:LINE:COL with an actionable message."""

from __future__ import annotations

from pathlib import Path

import pytest

from commsplan.errors import PlanError
from commsplan.plan.load import load_plan, parse_plan

from .helpers import MINIMAL, PLAN


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text.encode(), Path("plan.yaml"))
    return caught.value.details


def one_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_bundled_plan_loads_and_has_an_identity() -> None:  # how fast: bench/bench_plan.py
    loaded = load_plan(PLAN)
    assert len(loaded.plan.activities) == 27
    assert len(loaded.digest) == 64


def test_minimal_plan_is_valid() -> None:
    assert parse_plan(MINIMAL.encode(), Path("plan.yaml")).plan.activities[0].id == "panel-meeting"


def test_misspelt_frequency_kind_gets_did_you_mean() -> None:
    text = MINIMAL.replace("kind: quarterly", "kind: fortnighly")
    assert one_problem(text).startswith("plan.yaml:31:13: 'fortnighly' is not one of daily, weekly, fortnightly,")
    assert "(did you mean 'fortnightly'?)" in one_problem(text)


def test_unknown_key_is_reported_at_the_key_with_did_you_mean() -> None:
    text = MINIMAL.replace("    why: Trust", "    why: Trust\n    audiance: panel")
    message = one_problem(text)
    assert message.startswith(
        "plan.yaml:34:5: unknown key 'audiance' (did you mean 'audience'?); expected one of: id, row,"
    )


def test_unknown_key_inside_a_frequency_names_that_frequency_keys() -> None:
    text = MINIMAL.replace("      as_written: Quarterly", "      as_written: Quarterly\n      lead_dys: 3")
    message = one_problem(text)
    assert message.startswith(
        "plan.yaml:33:7: unknown key 'lead_dys'; expected one of: as_written, interpretation, note, kind,"
    )
    assert "as_written" in message and "anchor" in message  # the keys a quarterly recurrence takes


def test_missing_key_points_at_its_mapping() -> None:
    text = MINIMAL.replace("    why: Trust\n", "")
    assert one_problem(text) == "plan.yaml:22:5: missing key 'why'"


def test_duplicate_key_names_both_places() -> None:
    text = MINIMAL.replace("    why: Trust", "    why: Trust\n    id: again")
    assert one_problem(text) == "plan.yaml:34:5: duplicate key 'id' (first at 22:5)"


def test_duplicate_key_at_depth() -> None:
    text = MINIMAL.replace("  quarters: {first_month: 1}", "  quarters: {first_month: 1, first_month: 4}")
    assert one_problem(text) == "plan.yaml:8:30: duplicate key 'first_month' (first at 8:14)"


def test_dangling_reference_with_suggestion() -> None:
    text = MINIMAL.replace("    audience: panel", "    audience: panl")
    assert one_problem(text) == "plan.yaml:24:15: unknown audience 'panl' (did you mean 'panel'?)"


def test_duplicate_ids_and_alias_collisions() -> None:
    text = MINIMAL.replace(
        "    aliases: [WP]\n",
        "    aliases: [WP]\n  - id: panel\n    name: Other panel\n    aliases: [wp]\n",
    )
    assert problems(text) == ["plan.yaml:18:9: duplicate id 'panel' in audiences (first at 15:9)"]


def test_alias_collision_between_two_audiences() -> None:
    text = MINIMAL.replace(
        "    aliases: [WP]\n",
        "    aliases: [WP]\n  - id: board\n    name: Board\n    aliases: [W.P.]\n",
    )
    assert one_problem(text) == (
        "plan.yaml:20:15: 'W.P.' of audience 'board' collides with audience 'panel' ('WP' at 17:15); "
        "names and aliases must be unique"
    )


def test_every_problem_is_reported_at_once() -> None:
    text = MINIMAL.replace("audience: panel", "audience: nope").replace("kind: quarterly", "kind: sometimes")
    text = text.replace("timezone: Europe/London", "timezone: Europe/Londn")
    found = problems(text)
    # pydantic problems first pass; references are checked on a valid structure
    assert any("plan.yaml:7:13: unknown time zone 'Europe/Londn'" in p for p in found)
    assert any("plan.yaml:31:13: 'sometimes' is not one of" in p for p in found)


@pytest.mark.parametrize("word", ["NO", "on", "12:30", "010", "2020-10-31", "0x1F", "1e3", "null_not"])
def test_yaml_11_coercions_keep_the_words_written(word: str) -> None:
    text = MINIMAL.replace("    why: Trust", f"    why: {word}")
    loaded = parse_plan(text.encode(), Path("plan.yaml"))
    assert loaded.plan.activities[0].why == word


def test_numbers_keep_their_meaning_where_numbers_are_expected() -> None:
    text = MINIMAL.replace("quarters: {first_month: 1}", "quarters: {first_month: 010}")
    assert parse_plan(text.encode(), Path("plan.yaml")).plan.meta.quarters.first_month == 10  # never octal 8


def test_a_list_where_text_is_expected() -> None:
    text = MINIMAL.replace("    why: Trust", "    why: [a, b]")
    assert one_problem(text).startswith("plan.yaml:33:10: Input should be a valid string (quote it if you meant text)")


def test_python_tags_are_refused() -> None:
    text = MINIMAL.replace("    why: Trust", "    why: !!python/object/apply:os.system [echo hi]")
    assert "tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed" in one_problem(text)


def test_anchors_and_aliases_are_refused() -> None:
    text = MINIMAL.replace("    why: Trust", "    why: &w Trust\n    notes: [*w]")
    found = problems(text)
    assert found[0] == "plan.yaml:33:10: anchors (&w) are not allowed in a plan: write the value out"
    assert found[1] == "plan.yaml:34:13: aliases (*w) are not allowed in a plan: write the value out"


def test_alias_bomb_is_refused() -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    with pytest.raises(PlanError):  # how fast: bench/bench_plan.py
        parse_plan("\n".join(bomb).encode(), Path("bomb.yaml"))


def test_deep_nesting_is_capped() -> None:
    text = "a: " + "[" * 100 + "]" * 100
    assert "nested deeper than 32 levels" in one_problem(text)


def test_huge_file_is_refused() -> None:
    text = "# " + "x" * (17 * 1024 * 1024)
    assert "file too large" in one_problem(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "plan.yaml:1:1: the file is empty"),
        ("- a\n- b\n", "plan.yaml:1:1: a plan is a mapping with keys such as 'meta' and 'activities'"),
        ("a: [1, 2\n", "plan.yaml:2:1: YAML syntax: did not find expected ',' or ']'"),
        ("a: 1\n---\nb: 2\n", "plan.yaml:2:1: only one YAML document is allowed here"),
    ],
)
def test_shapes_that_are_not_plans(text: str, expected: str) -> None:
    assert one_problem(text) == expected


def test_not_utf8() -> None:
    with pytest.raises(PlanError, match="not UTF-8"):
        parse_plan(b"a: \xff\n", Path("plan.yaml"))


def test_missing_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "nope.yaml")
    with pytest.raises(PlanError, match="is a folder"):
        load_plan(tmp_path)


def test_fortnightly_needs_an_anchor() -> None:
    text = MINIMAL.replace("kind: quarterly", "kind: fortnightly")
    assert one_problem(text).startswith("plan.yaml:31:7: a fortnightly schedule needs an 'anchor' date")


def test_rrule_is_checked() -> None:
    text = MINIMAL.replace(
        "      kind: quarterly\n", '      kind: rrule\n      rrule: "FREQ=SOMETIMES"\n      start: 2020-04-01\n'
    )
    assert "not a valid RRULE" in one_problem(text)
    text = MINIMAL.replace(
        "      kind: quarterly\n", '      kind: rrule\n      rrule: "FREQ=DAILY;BYHOUR=9"\n      start: 2020-04-01\n'
    )
    assert "give the time of day as 'time" in one_problem(text)


def test_a_checked_plan_is_cached_by_content(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL)
    cache = tmp_path / "cache"
    first = load_plan(plan, cache)
    [cached] = list(cache.iterdir())
    assert cached.name == f"plan-{first.digest[:40]}.json"
    assert oct(cached.stat().st_mode & 0o777) == "0o600"
    again = load_plan(plan, cache)
    assert again.plan == first.plan and again.digest == first.digest
    # an edit is a new key: the old entry is not used
    plan.write_text(MINIMAL.replace("why: Trust", "why: Confidence"))
    assert load_plan(plan, cache).plan.activities[0].why == "Confidence"


def test_a_damaged_or_foreign_writable_cache_is_ignored(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL)
    cache = tmp_path / "cache"
    load_plan(plan, cache)
    [cached] = list(cache.iterdir())
    cached.write_bytes(b"not a cache")
    assert load_plan(plan, cache).plan.activities[0].why == "Trust"
    # a cache entry that others could have written is not trusted
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL.replace("why: Trust", "why: Planted"))
    load_plan(other, tmp_path / "other-cache")
    [planted] = list((tmp_path / "other-cache").iterdir())
    cached.write_bytes(planted.read_bytes())
    cached.chmod(0o666)
    assert load_plan(plan, cache).plan.activities[0].why == "Trust"


def test_an_invalid_plan_is_never_cached(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL.replace("kind: quarterly", "kind: sometimes"))
    with pytest.raises(PlanError):
        load_plan(plan, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL)
    assert load_plan(plan, Path("/dev/null/cache")).plan.activities[0].id == "panel-meeting"


def test_control_characters_in_plan_text_are_refused() -> None:
    text = MINIMAL.replace("    why: Trust", '    why: "Trust\\e[2J"')
    assert one_problem(text) == "plan.yaml:33:10: control character U+001B in text is not allowed"


def test_a_season_has_yearly_bounds_or_listed_windows_not_both() -> None:
    both = MINIMAL.replace(
        "activities:\n",
        "seasons:\n  - id: autumn\n    name: Autumn\n    start: 09-01\n    end: 10-31\n"
        "    windows: [{start: 2020-10-21, end: 2020-11-08}]\nactivities:\n",
    )
    assert one_problem(both) == "plan.yaml:22:5: a season needs either 'start' and 'end' or 'windows'"


def test_an_out_of_hours_sender_must_be_a_role_of_the_plan() -> None:
    text = MINIMAL.replace(
        "owner: {role: sergeant, as_written: Sergeant}",
        "owner: {role: sergeant, out_of_hours: duty, as_written: Sergeant}",
    )
    assert one_problem(text) == "plan.yaml:25:43: unknown role 'duty'"


def test_source_wording_collision_between_two_audiences() -> None:
    # the source's wording is looked up like an alias, so it must name one thing too
    text = MINIMAL.replace(
        "    aliases: [WP]\n",
        '    aliases: [WP]\n  - id: board\n    name: Board\n    as_written: ["Ward panel"]\n',
    )
    assert one_problem(text) == (
        "plan.yaml:20:18: 'Ward panel' of audience 'board' collides with audience 'panel' "
        "('Ward Panel' at 16:11); names and aliases must be unique"
    )
