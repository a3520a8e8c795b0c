"""`who` and `list` lay out cards and tables without rich's measuring pass: byte for byte what
rich prints, for the bundled plan at every width and for any text the fast path accepts."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from commsplan.plan.load import load_plan
from commsplan.render.console import Lines, Segs, print_trimmed
from commsplan.render.text import (
    NAME_WIDTH,
    CardLines,
    activity_card,
    card_fields,
    card_lines,
    report_table_lines,
    table_lines,
    table_text,
)

from .helpers import PLAN

BUNDLED = load_plan(PLAN).plan


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=False, no_color=True, highlight=False)


def _by_rich(renderable: object, width: int) -> str:
    console = _console(width)
    print_trimmed(console, renderable)  # type: ignore[arg-type]
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _by_lines(lines: list[Segs], width: int) -> str:
    console = _console(width)
    out = Lines(console)
    out.lines = [*lines]
    out.emit()
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("width", [40, 57, 80, 120])
def test_every_card_of_the_bundled_plan_is_laid_out_as_rich_does(width: int) -> None:
    for activity in BUNDLED.activities:
        for full in (False, True):
            lines = card_lines(activity.id, card_fields(BUNDLED, activity, full=full), width)
            if lines is None:  # rich lays this one out (a word wider than the column, say)
                assert full or width < 57, activity.id
                continue
            expected = _by_rich(activity_card(BUNDLED, activity, full=full), width)
            assert _by_lines(lines, width) == expected, (activity.id, full)


# words of every shape: long ones, punctuation, accents, a middle dot, wide characters (which
# the fast path leaves to rich), and runs of spaces between them
WORDS = st.text(st.sampled_from("abcdefghij-.,;:()/'\"éü·漢"), min_size=1, max_size=30)
TEXTS = st.lists(WORDS, max_size=25).flatmap(
    lambda words: st.lists(st.sampled_from([" ", "  ", "   "]), min_size=len(words), max_size=len(words)).map(
        lambda gaps: "".join(w + g for w, g in zip(words, gaps, strict=True)).strip()
    )
)
LABELS = st.sampled_from(["To", "From", "When", "Reading", "Sender as written", "", "Why"])


@given(
    st.lists(st.tuples(LABELS, TEXTS, st.sampled_from(["", "dim"])), min_size=1, max_size=6),
    st.integers(30, 130),
)
def test_any_card_the_fast_path_accepts_is_what_rich_prints(rows: list[tuple[str, str, str]], width: int) -> None:
    fields: list[tuple[str, Segs]] = [(label, [(text, style)]) for label, text, style in rows]
    lines = card_lines("an-activity", fields, width)
    plain = CardLines(width, plain=True)("an-activity", fields)  # a pipe's card: its text alone
    if lines is None:
        assert plain is None
        return
    assert plain is not None and "".join(f"{line}\n" for line in plain) == _by_lines(lines, width)
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=7)
    grid.add_column()
    for label, text, style in rows:
        grid.add_row(Text(label, style="bold"), Text(text, style=style or ""))
    card = Group(Text("an-activity", style="bold cyan"), Padding(grid, (0, 0, 0, 2)))
    assert _by_lines(lines, width) == _by_rich(card, width)


@given(st.lists(st.tuples(WORDS, TEXTS, WORDS), max_size=12), st.integers(20, 130))
def test_any_table_the_fast_path_accepts_is_what_rich_prints(rows: list[tuple[str, str, str]], width: int) -> None:
    headers = ("Activity", "To", "When")
    lines = table_lines(headers, rows, width, ("cyan", "", ""))
    # a pipe's table is the same text, without the styles
    assert table_text(headers, rows, width) == (
        None if lines is None else ["".join(p for p, _ in line) for line in lines]
    )
    if lines is None:
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("Activity", no_wrap=True, style="cyan")
    table.add_column("To")
    table.add_column("When")
    for row in rows:
        table.add_row(*row)
    assert _by_lines(lines, width) == _by_rich(table, width)


NAMES = st.text(st.sampled_from("abcdefghij -.,&()'é漢["), min_size=0, max_size=30)
COUNTS = st.integers(0, 10**7).map(str)


@given(
    st.sampled_from(["Audience", "Owner", "Channel"]),
    st.lists(st.tuples(NAMES, COUNTS, COUNTS, COUNTS, COUNTS, COUNTS, st.integers(0, 8)), max_size=8),
    st.integers(20, 130),
)
def test_any_report_table_the_fast_path_accepts_is_what_rich_prints(
    by: str, rows: list[tuple[str, str, str, str, str, str, int]], width: int
) -> None:
    headers = (by, "Due", "On time", "Late", "Skipped", "Missed", "Done", "")
    cells = [
        (name, due, on_time, late, skipped, missed, f"{filled * 12}%", "█" * filled + "░" * (8 - filled))
        for name, due, on_time, late, skipped, missed, filled in rows
    ]
    lines = report_table_lines(headers, cells, width)
    if lines is None:
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column(by, no_wrap=True, max_width=NAME_WIDTH, overflow="ellipsis")
    for name in headers[1:7]:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for row in cells:
        table.add_row(*row)
    assert _by_lines([[(line, "")] for line in lines], width) == _by_rich(table, width)


def test_a_report_table_too_wide_for_the_width_is_left_to_rich() -> None:
    headers = ("Audience", "Due", "On time", "Late", "Skipped", "Missed", "Done", "")
    row = ("Safer Neighbourhood Boards", "125999", "0", "1", "1", "125997", "0%", "░" * 8)
    lines = report_table_lines(headers, [row], 80)
    assert (
        lines is not None
        and lines[1] == "Safer Neighbourhood B…  125999        0     1        1  125997    0%  ░░░░░░░░"
    )
    assert report_table_lines(headers, [row], 60) is None


@given(st.lists(st.text(st.sampled_from("ab \n\t\x1bé漢"), max_size=4), max_size=5))
def test_a_column_is_plain_when_each_of_its_cells_is(cells: list[str]) -> None:
    from commsplan.render.text import _plain_cells, _plain_words

    assert _plain_cells(cells) == all(cell == "" or _plain_words(cell) for cell in cells)
