"""People's text is shown as typed, except what would drive the terminal or reorder the line."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from commsplan.render.safetext import escape_markup, visible


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Minutes sent to the SNB chair", "Minutes sent to the SNB chair"),
        ("\x1b]0;you have been hacked\x07", "\\x1b]0;you have been hacked\\x07"),  # OSC: sets the window title
        ("\x1b[2Jgone", "\\x1b[2Jgone"),  # CSI: clears the screen
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x00\x08\x7f", "\\x00\\x08\\x7f"),  # NUL, backspace, DEL
        ("\x9b2J \x85", "\\x9b2J \\x85"),  # C1: an 8-bit CSI, NEL
        ("admin\u202etxt.exe", "admin\\u202etxt.exe"),  # right-to-left override
        ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),  # isolates
        ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),  # embeddings, pop, override
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("one\u2028two\u2029three", "one\\u2028two\\u2029three"),
        ("Café · Ilford \u2013 “Romford” 🚓 عربى", "Café · Ilford \u2013 “Romford” 🚓 عربى"),  # plain text untouched
        ("C:\\temp [bold]", "C:\\temp [bold]"),
    ],
)
def test_visible(typed: str, shown: str) -> None:
    assert visible(typed) == shown


@given(st.text())
def test_visible_leaves_no_control_or_bidi_character(text: str) -> None:
    shown = visible(text)
    assert not any(
        unicodedata.category(c) == "Cc"
        or c in "\u061c\u200e\u200f\u2028\u2029"
        or "\u202a" <= c <= "\u202e"
        or "\u2066" <= c <= "\u2069"
        for c in shown
    )
    if text.isprintable() and not any("\u2066" <= c <= "\u2069" or c in "\u200e\u200f\u061c" for c in text):
        assert shown == text  # printable text (bar bidi marks, which isprintable allows) is unchanged


def render(markup: str) -> str:
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=True, color_system="truecolor", highlight=False).print(markup)
    return out.getvalue()


def test_escape_markup_shows_markup_and_escapes_as_text() -> None:
    note = "[bold red]urgent[/] \x1b]0;title\x07\x1b[2J"
    assert escape_markup(note) == "\\[bold red]urgent\\[/] \\x1b]0;title\\x07\\x1b[2J"
    printed = render(f"[dim]note:[/dim] {escape_markup(note)}")
    assert "[bold red]urgent[/] \\x1b]0;title\\x07\\x1b[2J" in printed  # shown literally, not as styles
    assert "\x1b]" not in printed and "\x1b[2J" not in printed  # nothing that retitles or clears the terminal


@given(st.text())
def test_escape_markup_prints_exactly_the_visible_text_inside_markup(text: str) -> None:
    out = io.StringIO()
    console = Console(file=out, width=10_000, color_system=None, soft_wrap=True, highlight=False)
    console.print(f"[bold]{escape_markup(text)}[/bold]", end="")
    assert out.getvalue() == visible(text)
