"""A long window is a stream: the agenda works out its items a span of due days at a time, and
the text and JSON writers consume them as they come (a year of 10,000 activities is 440,000
occurrences). What they write is what the whole list, sorted at once, gave: the same items in
the same order, the same runs, the same JSON document byte for byte."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from typing import Any, Literal
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from commsplan.log.state import Completion, CompletionMap, State
from commsplan.plan.data import Plan
from commsplan.render.jsonout import ItemText, dumps, emit_streaming, item_dict
from commsplan.render.safetext import json_text
from commsplan.render.text import runs
from commsplan.rules.agenda import SPAN_DAYS, Item, Run, RunTally, Status, Window, build_agenda, window_items
from commsplan.rules.schedule import Schedule

from .helpers import Cli
from .test_overdue_counted import PLANS, SCHEDULES

LONDON = ZoneInfo("Europe/London")


def _whole(plan: Plan, schedule: Schedule, state: State, now: dt.datetime, window: Window, done: bool) -> list[Item]:
    """The window's items as the agenda made them before it streamed: every activity's
    occurrences over the whole window, each with its status, sorted at once."""
    found = []
    today = now.date()
    for activity in plan.activities:
        if not activity.scheduled or activity.conditional is not None:
            continue
        for occ in schedule.occurrences(activity, window.start, window.end):
            completion = state.get((activity.id, occ.key))
            if completion is None:
                if not occ.is_closed(now):
                    found.append(Item(occ, activity, "open" if occ.opens <= today else "upcoming"))
            elif done:
                late = max(0, (completion.at.astimezone(schedule.zone).date() - occ.due).days)
                status: Status = "skipped" if completion.status == "skipped" else "done"
                found.append(Item(occ, activity, status, late, completion))
    found.sort(key=lambda item: (item.occurrence.due, item.occurrence.opens, item.activity.id))
    return found


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Plan, Schedule, CompletionMap, dt.datetime, Window, bool]:
    name = draw(st.sampled_from(sorted(PLANS)), label="plan")
    plan, schedule = PLANS[name], SCHEDULES[name]
    period = plan.meta.period
    day = period.start + dt.timedelta(days=draw(st.integers(-10, (period.end - period.start).days), label="now"))
    now = dt.datetime.combine(day, dt.time(draw(st.integers(0, 23))), LONDON)
    window = draw(
        st.one_of(
            st.just(Window.week(now)),
            st.builds(Window.days, st.just(now), st.integers(1, 3 * SPAN_DAYS + 2)),
            st.just(Window.until(now, min(period.end, day + dt.timedelta(days=400)))),
        ),
        label="window",
    )
    # a log that closes some of the window's occurrences (done or skipped, on time or late)
    keys = [(a.id, o.key) for a in plan.activities if a.scheduled for o in schedule.occurrences(a, window.start, day)]
    closed = draw(st.lists(st.sampled_from(keys), max_size=30) if keys else st.just([]), label="closed")
    state = CompletionMap()
    for n, key in enumerate(closed):
        kind: Literal["done", "skipped"] = "skipped" if n % 3 == 0 else "done"
        state[key] = Completion(kind, now - dt.timedelta(days=n % 4), "t", f"r-{n}")
    return plan, schedule, state, now, window, draw(st.booleans(), label="--all")


@given(_cases())
def test_the_stream_is_the_whole_window_sorted_at_once(case: tuple[Any, ...]) -> None:
    plan, schedule, state, now, window, done = case
    streamed = list(window_items(plan, schedule, state, now, window, include_done=done))
    assert streamed == _whole(plan, schedule, state, now, window, done)
    # a stream can be read again: each pass works the window out anew, alike
    agenda = build_agenda(plan, schedule, state, now, window, include_done=done, stream=True)
    assert list(agenda.due) == list(agenda.due) == streamed


def _ends(run: Run) -> tuple[Any, ...]:
    units = [(u.unit, u.count, u.first, u.last) for u in run.units]
    one_period = run.one_period if run.first.occurrence.unit is not None else None
    return run.first, run.last, run.count, units, one_period


@given(_cases())
def test_runs_tallied_from_the_stream_are_those_of_the_whole_list(case: tuple[Any, ...]) -> None:
    plan, schedule, state, now, window, done = case
    items = _whole(plan, schedule, state, now, window, done)
    tally = RunTally()
    for item in window_items(plan, schedule, state, now, window, include_done=done):
        tally.add(item)
    assert tally.count == len(items)
    assert [_ends(r) for r in tally.runs()] == [_ends(Run.of(group)) for group in runs(items)]


class _Stdout(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _streamed(document: dict[str, Any], key: str, values: list[Any], terminal: bool) -> str:
    out = _Stdout(terminal)
    with contextlib.redirect_stdout(out):
        emit_streaming(document, key, iter(values))
    return out.getvalue()


@given(
    st.dictionaries(st.text(max_size=6), _JSON, max_size=5),
    st.text(max_size=6),
    st.lists(_JSON, max_size=5),
    st.booleans(),
)
def test_a_streamed_list_is_written_as_the_whole_document(
    document: dict[str, Any], key: str, values: list[Any], terminal: bool
) -> None:
    assume(key not in document)
    whole = dumps({**document, key: values}, pretty=terminal) + "\n"
    assert _streamed(document, key, values, terminal) == whole


def test_a_long_list_is_written_in_batches_as_one_list() -> None:
    values = [{"n": n, "text": "é\u202e" if n % 7 == 0 else "x"} for n in range(2_345)]
    for terminal in (False, True):
        whole = dumps({"a": 1, "items": values, "z": [2]}, pretty=terminal) + "\n"
        assert _streamed({"z": [2], "a": 1}, "items", values, terminal) == whole


def test_a_year_in_json_is_the_document_of_its_items(cli: Cli) -> None:
    """The command's JSON, written item by item, is the one document json.dumps writes of it."""
    out = cli("due", "--until", "2021-03-31", "--all", "--json", "--now", "2020-06-01T10:00").stdout
    data = json.loads(out)
    assert out == dumps(data, pretty=False) + "\n"
    dues = [i["due"] for i in data["items"] if i["status"] != "optional"]  # today's conditional duties last
    assert dues == sorted(dues) and len(dues) > 100


@given(_cases())
def test_an_item_written_as_text_is_its_dict_as_json_dumps_writes_it(case: tuple[Any, ...]) -> None:
    """In a pipe each item is written as compact JSON text directly: the same text, done,
    skipped, overdue (listed with --expand), per unit and with a time of day alike."""
    plan, schedule, state, now, window, done = case
    agenda = build_agenda(plan, schedule, state, now, window, include_done=done, expand=True)
    text = ItemText()
    for item in agenda.items:
        assert json_text(text(item)) == dumps(item_dict(plan, item), pretty=False)


def test_an_item_with_text_to_escape_is_written_as_json_dumps_writes_it() -> None:
    plan, schedule = PLANS["synthetic"], SCHEDULES["synthetic"]
    now = dt.datetime(2020, 10, 26, 10, tzinfo=LONDON)
    (activity,) = [a for a in plan.activities if a.id == "a00u"]
    occ = schedule.occurrences(activity, now.date(), now.date())[0]
    done = Completion("done", now, 'a "quoted" \\ name\n\u202eé\x7f', "r-\x00\U0001f600")
    item = Item(occ, activity, "done", 3, done)
    assert json_text(ItemText()(item)) == dumps(item_dict(plan, item), pretty=False)
