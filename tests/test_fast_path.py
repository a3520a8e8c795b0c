"""The fast path: a command on an unchanged plan reads the plain-data cache, imports neither
pydantic nor dateutil (nor rich when its output is not a terminal), and answers exactly as a
command that checks the plan afresh does."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from commsplan.cli import lazy
from commsplan.plan import data, model
from commsplan.plan.load import load_plan, parse_plan
from commsplan.rules.schedule import Schedule

from .helpers import MINIMAL, PLAN, ROOT, Cli

sys.path.insert(0, str(ROOT / "bench"))
from gen_plan import plan as synthetic_plan

NOWS = ("2020-04-01T00:00", "2020-10-26T10:00", "2021-03-31T23:30")
COMMANDS = [
    ("due", "--week"),
    ("due", "--month", "--all"),
    ("due", "--overdue"),
    ("who",),
    ("who", "--audience", "SNB"),
    ("list",),
    ("digest",),
    ("report",),
    ("report", "--by", "audience"),
    ("calendar", "--output", "-"),
]


# --- what a command imports ----------------------------------------------------------------------


def imported(args: list[str], env: dict[str, str]) -> set[str]:
    """The top-level packages a command imports, from `python -X importtime` (stderr)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "commsplan", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose plan cache holds the bundled plan (as a daily user's does)."""
    folder = tmp_path_factory.mktemp("warm")
    env = {
        "COMMSPLAN_CACHE_DIR": str(folder / "cache"),
        "COMMSPLAN_LOG": str(folder / "log.jsonl"),
        "COMMSPLAN_NOW": "2020-10-26T10:00",
        "COMMSPLAN_PLAN": "",
    }
    subprocess.run(
        [sys.executable, "-m", "commsplan", "due"], env={**os.environ, **env}, check=True, capture_output=True
    )
    return env


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--week"],
        ["due", "--week", "--json"],
        ["who", "--audience", "SNB", "--json"],
        ["list", "--json"],
        ["digest"],  # cron's command, its --days left at the default
        ["digest", "--format", "email", "--to", "slt@example.org"],
    ],
    ids=" ".join,
)
def test_a_cache_hit_imports_neither_pydantic_nor_dateutil_nor_rich_in_a_pipe(
    warm: dict[str, str], args: list[str]
) -> None:
    names = imported(args, warm)
    assert "commsplan" in names
    assert not names & {"pydantic", "pydantic_core", "dateutil", "rich", "yaml"}


def test_a_changed_plan_is_checked_with_pydantic(warm: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL)
    assert "pydantic" in imported(["due", "--plan", str(plan)], warm)
    assert "pydantic" not in imported(["due", "--plan", str(plan)], warm)  # now cached


def test_validate_still_checks_with_pydantic(warm: dict[str, str]) -> None:
    assert "pydantic" in imported(["validate"], warm)


# --- the fast path answers as the full check does -------------------------------------------------


def answers(cli: Cli, plan: Path, now: str, *, cached: bool) -> list[str]:
    env = {"COMMSPLAN_CACHE_DIR": str(cli.cache) if cached else "", "COMMSPLAN_NOW": now, "COMMSPLAN_PLAN": str(plan)}
    outputs = []
    for command in COMMANDS:
        for json in ([], ["--json"]):
            if command[0] == "calendar" and json:
                continue
            result = cli(*command, *json, env=env)
            outputs.append(f"$ {' '.join([*command, *json])} -> {result.exit_code}\n{result.output}")
    return outputs


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("which", ["bundled", "synthetic"])
def test_a_cache_hit_answers_byte_for_byte_as_a_fresh_check(cli: Cli, tmp_path: Path, which: str, now: str) -> None:
    plan = PLAN
    if which == "synthetic":  # every kind of schedule, per-borough duties, RRULEs with lead days
        plan = tmp_path / "synthetic.yaml"
        plan.write_text(synthetic_plan(110))
    fresh = answers(cli, plan, now, cached=False)
    cli("validate", env={"COMMSPLAN_PLAN": str(plan)})  # checks the file; the next command fills the cache
    first = answers(cli, plan, now, cached=True)
    assert list(cli.cache.glob("plan-*.json")), "the cache was filled"
    hit = answers(cli, plan, now, cached=True)
    assert first == fresh
    assert hit == fresh


# --- the plain data mirrors the model --------------------------------------------------------------


def models() -> list[type[BaseModel]]:
    return [
        v
        for v in vars(model).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == model.__name__
    ]


@pytest.mark.parametrize("cls", models(), ids=lambda c: c.__name__)
def test_each_model_has_a_plain_twin_with_the_same_fields_in_the_same_order(cls: type[BaseModel]) -> None:
    if cls is model.Strict:
        return
    twin = getattr(data, cls.__name__)
    assert issubclass(twin, data.Plain)
    assert [n for n in twin._fields if n not in twin._derived] == list(cls.model_fields)
    for name, info in cls.model_fields.items():
        if not info.is_required():
            assert name in twin._defaults, f"{cls.__name__}.{name} has a default in the model only"


def test_the_plan_round_trips_through_its_cached_form() -> None:
    checked = model.Plan.model_validate(_yaml(PLAN.read_text(encoding="utf-8")))
    dumped = checked.model_dump(mode="json")
    plain = data.from_json(data.Plan, checked.model_dump(mode="json"))
    assert data.dump(plain) == dumped
    assert data.build(data.Plan, data.cached_form(data.Plan, dumped)) == plain


def _yaml(text: str) -> typing.Any:
    from commsplan.plan import yamlread

    return yamlread.load(text).data


# --- RRULE days: worked out once, with dateutil, for the reach of the period ---------------------


RRULES = [
    "FREQ=MONTHLY;BYDAY=1TU",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=DAILY;COUNT=40",
    "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20201231",
]


@pytest.fixture(scope="module")
def rrule_plans() -> list[tuple[Schedule, Schedule, data.Activity]]:
    found = []
    for text in RRULES:
        for lead in (0, 9):
            frequency = (
                f'      kind: rrule\n      rrule: "{text}"\n      start: 2019-11-20\n      lead_days: {lead}\n'
                "      as_written: Rule\n"
            )
            source = MINIMAL.replace("      kind: quarterly\n      as_written: Quarterly\n", frequency)
            plan = parse_plan(source.encode(), Path("t.yaml")).plan
            activity = plan.activities[0]
            assert isinstance(activity.frequency, data.RRule) and activity.frequency.days is not None
            bare = data.replace(
                plan, activities=[data.replace(activity, frequency=data.replace(activity.frequency, days=None))]
            )
            found.append((Schedule(plan), Schedule(bare), activity))
    return found


@settings(max_examples=150)
@given(
    st.integers(min_value=0, max_value=len(RRULES) * 2 - 1),
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2022, 6, 30)),
    st.integers(min_value=0, max_value=500),
)
def test_precomputed_rrule_days_give_what_dateutil_gives(
    rrule_plans: list[tuple[Schedule, Schedule, data.Activity]], which: int, start: dt.date, length: int
) -> None:
    cached, bare, activity = rrule_plans[which]
    assert isinstance(bare.plan.activities[0].frequency, data.RRule)
    assert bare.plan.activities[0].frequency.days is None  # this one asks dateutil every time
    end = start + dt.timedelta(days=length)
    assert cached.occurrences(activity, start, end) == bare.occurrences(bare.plan.activities[0], start, end)
    assert cached.calendar_occurrences(activity, start, end) == bare.calendar_occurrences(
        bare.plan.activities[0], start, end
    )


def test_a_plans_rrules_are_cached_with_their_days(tmp_path: Path) -> None:
    plan_file = tmp_path / "synthetic.yaml"
    plan_file.write_text(synthetic_plan(22))
    checked = load_plan(plan_file, tmp_path).plan
    cached = load_plan(plan_file, tmp_path).plan  # from the cache
    rules = [a.frequency for a in cached.activities if isinstance(a.frequency, data.RRule)]
    assert rules and all(r.days is not None and r.days.days for r in rules)
    assert [a.frequency.days for a in checked.activities if isinstance(a.frequency, data.RRule)] == [
        r.days for r in rules
    ]


# --- the CLI builds the command being run ------------------------------------------------------------


def test_the_lazy_command_table_lists_every_command_of_every_module() -> None:
    for module in sorted(set(lazy.COMMANDS.values())):
        app = lazy.command_app(next(n for n, m in lazy.COMMANDS.items() if m == module))
        names = [
            c.name or typer.main.get_command_name(c.callback.__name__) for c in app.registered_commands if c.callback
        ]
        groups = [g.name for g in app.registered_groups]  # `log`: a group with commands of its own
        listed = [n for n, m in lazy.COMMANDS.items() if m == module]
        if listed == ["incident"] and module == "incident_cmds":
            continue  # the module's app is the group itself
        assert [n for n in listed if n not in groups] == names
        assert set(listed) == set(names) | set(groups)


def test_only_the_command_run_is_built(warm: dict[str, str]) -> None:
    names = subprocess.run(
        [sys.executable, "-c", "import sys; from commsplan.cli.app import run; sys.argv=['commsplan','list','--json']; "
         "import atexit; atexit.register(lambda: print(sorted(m for m in sys.modules if m.endswith('_cmds')), "
         "file=sys.stderr)); run()"],
        capture_output=True, text=True, env={**os.environ, **warm}, check=False,
    ).stderr  # fmt: skip
    assert "['commsplan.cli.plan_cmds']" in names
