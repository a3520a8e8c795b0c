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
from commsplan.render.text import activity_card, card_fields, card_lines, table_lines

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
    if lines is None:
        return
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
    if lines is None:
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("Activity", no_wrap=True, style="cyan")
    table.add_column("To")
    table.add_column("When")
    for row in rows:
        table.add_row(*row)
    assert _by_lines(lines, width) == _by_rich(table, width)
