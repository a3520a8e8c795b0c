"""The plan cache saves checking an unchanged plan, and is used only when it proves it is of this
plan file, made by this code, undamaged, and the user's own; reading it never runs code."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsplan.plan import load
from commsplan.plan.load import load_plan

from .helpers import MINIMAL, Cli


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The plan files checked from now on (not read from the cache)."""
    calls: list[Path] = []
    real = load.parse_plan

    def counted(raw: bytes, path: Path) -> load.LoadedPlan:
        calls.append(path)
        return real(raw, path)

    monkeypatch.setattr(load, "parse_plan", counted)
    return calls


def cached_plan(tmp_path: Path, title: str = "Test plan") -> tuple[Path, Path, Path]:
    plan = tmp_path / f"{title.replace(' ', '-')}.yaml"
    plan.write_text(MINIMAL.replace("title: Test plan", f"title: {title}"))
    cache = tmp_path / "cache"
    load_plan(plan, cache)
    entry = cache / f"plan-{load_plan(plan).digest[:40]}.json"
    assert entry.is_file()
    return plan, cache, entry


def test_a_cached_plan_reads_back_equal_without_being_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, cache, _ = cached_plan(tmp_path)
    first = load_plan(plan)

    def no_checking(raw: bytes, path: Path) -> load.LoadedPlan:
        raise AssertionError("the plan was checked again")

    monkeypatch.setattr(load, "parse_plan", no_checking)
    again = load_plan(plan, cache)
    assert again.plan == first.plan and again.warnings == first.warnings


def test_the_bundled_plan_round_trips_through_the_cache(tmp_path: Path) -> None:
    from .helpers import PLAN

    first = load_plan(PLAN, tmp_path)
    again = load_plan(PLAN, tmp_path)
    assert again.plan == first.plan and again.warnings == first.warnings


def test_swapped_cache_entries_are_not_used(cli: Cli, tmp_path: Path) -> None:
    east, cache, east_entry = cached_plan(tmp_path, "East Area BCU")
    _, _, west_entry = cached_plan(tmp_path, "West Area BCU")
    east_bytes = east_entry.read_bytes()
    east_entry.write_bytes(west_entry.read_bytes())
    west_entry.write_bytes(east_bytes)
    info = cli("info", "--json", "--plan", str(east), "--now", "2020-10-26", env={"COMMSPLAN_CACHE_DIR": str(cache)})
    assert json.loads(info.stdout)["plan_title"] == "East Area BCU"


def test_an_edited_byte_in_a_cache_entry_is_not_used(cli: Cli, tmp_path: Path) -> None:
    plan, cache, entry = cached_plan(tmp_path, "East Area BCU")
    entry.write_bytes(entry.read_bytes().replace(b'"East Area BCU"', b'"Evil Area BCU"'))
    assert load_plan(plan, cache).plan.meta.title == "East Area BCU"


class Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted-ran",))


def test_a_pickle_where_the_cache_is_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    plan, cache, entry = cached_plan(tmp_path)
    entry.write_bytes(pickle.dumps(Planted()))  # the user's own file, restored from anywhere
    for old_name in (entry.with_suffix(".pickle"), cache / f"{entry.stem}-0.1.0-py311.pickle"):
        old_name.write_bytes(pickle.dumps(Planted()))
        old_name.chmod(0o600)
    assert load_plan(plan, cache).plan.meta.title == "Test plan"
    assert not (tmp_path / "planted-ran").exists()


def test_a_cache_made_by_other_code_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, cache, _ = cached_plan(tmp_path)
    # The same version number, other code: what a change without a version bump looks like.
    monkeypatch.setattr(load, "code_identity", lambda: "0" * 64)
    calls = count_checks(monkeypatch)
    assert load_plan(plan, cache).plan.meta.title == "Test plan"
    assert calls == [plan]


@pytest.mark.parametrize("target", ["folder", "file"])
def test_a_cache_others_can_write_is_not_used(tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, cache, entry = cached_plan(tmp_path)
    (cache if target == "folder" else entry).chmod(0o777 if target == "folder" else 0o666)
    calls = count_checks(monkeypatch)
    load_plan(plan, cache)
    assert calls == [plan]


def test_validate_checks_the_file_never_the_cache(cli: Cli, tmp_path: Path) -> None:
    plan, cache, entry = cached_plan(tmp_path, "East Area BCU")
    # Even an entry that passes every check (rewritten whole, as its owner could) is not what
    # validate reports on.
    header, _, body = entry.read_bytes().partition(b"\n")
    forged = body.replace(b'"East Area BCU"', b'"Evil Area BCU"')
    fields = json.loads(header)
    fields["content_sha256"] = hashlib.sha256(forged).hexdigest()
    entry.write_bytes(json.dumps(fields).encode() + b"\n" + forged)
    env = {"COMMSPLAN_CACHE_DIR": str(cache)}
    assert json.loads(cli("info", "--json", "--plan", str(plan), env=env).stdout)["plan_title"] == "Evil Area BCU"
    result = cli("validate", "--plan", str(plan), env=env)
    assert result.exit_code == 0
    assert "East Area BCU" in result.stdout and "Evil" not in result.stdout


def test_what_many_activities_hold_alike_is_cached_once_and_read_back_as_one_object(tmp_path: Path) -> None:
    from .helpers import PLAN

    checked = load_plan(PLAN).plan
    load_plan(PLAN, tmp_path)  # writes the entry
    entry = next(tmp_path.glob("plan-*.json"))
    body = json.loads(entry.read_bytes().partition(b"\n")[2])
    forms = body["plan"][" activities"]
    # Each owner, frequency or list of channels that several activities hold is written once,
    # and an activity names the set of them it holds instead.
    texts = [json.dumps(value, sort_keys=True) for value in body["shared"]["values"]]
    assert texts and len(texts) == len(set(texts))
    values, sets = body["shared"]["values"], body["shared"]["sets"]
    holders = [form for form in forms if "&" in form]
    assert len(holders) > len(sets)  # several activities hold the same set
    for form in holders:
        assert not {values[place][0] for place in sets[form["&"]]} & form.keys()
    again = load_plan(PLAN, tmp_path).plan
    assert again == checked
    by_frequency: dict[str, list[int]] = {}
    for n, activity in enumerate(checked.activities):
        by_frequency.setdefault(repr(activity.frequency), []).append(n)
    alike = next(ns for ns in by_frequency.values() if len(ns) > 1)
    first, second = (again.activities[n] for n in alike[:2])
    assert first.frequency is second.frequency  # made once, not once per activity
    assert first.id != second.id


@pytest.mark.parametrize("held", [-1, True, None, "0", 10**6])
def test_a_cache_entry_naming_no_set_of_shared_values_is_not_used(
    held: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edited by hand and signed again: an activity that names a set the table does not have
    (-1 would be the last one in Python, True the second) is refused, never read as another."""
    from .helpers import PLAN

    loaded = load_plan(PLAN, tmp_path)
    entry = next(tmp_path.glob("plan-*.json"))
    value = json.loads(entry.read_bytes().partition(b"\n")[2])
    holder = next(form for form in value["plan"][" activities"] if "&" in form)
    holder["&"] = held
    body = json.dumps(value).encode()
    header = load._cache_header(loaded.digest, load.code_identity(), hashlib.sha256(body).hexdigest())
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    calls = count_checks(monkeypatch)
    assert load_plan(PLAN, tmp_path).plan == loaded.plan
    assert calls == [PLAN]


def test_a_cache_entry_sharing_a_field_the_code_does_not_have_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .helpers import PLAN

    loaded = load_plan(PLAN, tmp_path)
    entry = next(tmp_path.glob("plan-*.json"))
    value = json.loads(entry.read_bytes().partition(b"\n")[2])
    value["shared"]["values"][0][0] = " no_such_field"
    body = json.dumps(value).encode()
    header = load._cache_header(loaded.digest, load.code_identity(), hashlib.sha256(body).hexdigest())
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)  # signed as if commsplan wrote it
    calls = count_checks(monkeypatch)
    assert load_plan(PLAN, tmp_path).plan == loaded.plan
    assert calls == [PLAN]  # checked afresh, not misread


@given(st.lists(st.integers(min_value=0), max_size=40))
def test_activities_shared_through_the_cache_read_back_as_they_were_written(picks: list[int]) -> None:
    """Any activities, some of them alike: written with data.share, read back with
    data.unshare (through JSON, as the cache is), each is the activity it was."""
    from commsplan.plan import data
    from commsplan.plan.data import Activity

    from .helpers import PLAN

    every = load_plan(PLAN).plan.activities
    chosen = [every[n % len(every)] for n in picks]
    forms = [data.cached_form(Activity, data.dump(activity)) for activity in chosen]
    table = data.share(Activity, forms)
    forms, table = json.loads(json.dumps([forms, table]))
    data.unshare(Activity, forms, table)
    assert [data.build(Activity, form) for form in forms] == chosen
