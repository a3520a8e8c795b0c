"""Show text that people typed (notes, names, titles) without letting it drive the terminal.

rich strips only some control codes: an OSC title sequence (ESC ] 0 ; ... BEL) or a screen
clear (ESC [ 2 J) inside a note would reach the terminal, and bidi overrides can make a line
read differently from what it holds (a "Trojan Source" trick). Every C0 and C1 control, DEL,
the bidi controls and the Unicode line and paragraph separators are shown as visible escapes
instead: ``\\n``, ``\\r`` and ``\\t`` by those names, the others as ``\\xNN`` or ``\\uNNNN``.
A record keeps exactly what was typed; only its display changes.
"""

from __future__ import annotations

import re

# U+061C ALM, U+200E/F LRM RLM, U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates,
# and U+2028/U+2029, which some terminals and mail readers show as a new line: a note could
# otherwise forge a line of the daily digest. The zero-width characters (U+200B-U+200D, U+2060,
# U+FEFF) make two different names look the same.
_BIDI_AND_SEPARATORS = "\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u2028\u2029\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# JSON escapes C0 controls itself; these it leaves raw unless told to escape all non-ASCII.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control, bidi and line-separator character shown as a visible escape."""
    # Each of them is a control, a format character or a line or paragraph separator, none of
    # which is printable: printable text (most text, by far) has none to escape.
    return text if text.isprintable() else _UNSAFE.sub(_escape, text)


def escape_markup(text: str) -> str:
    """``visible(text)``, also escaped for rich markup, for user text inside a markup string."""
    from rich.markup import escape  # here, not at the top: most callers never need rich's markup

    return escape(visible(text))


def json_text(document: str) -> str:
    """A JSON document with DEL, the C1 controls, bidi, zero-width and line-separator characters
    written as ``\\uNNNN`` escapes: the same data to a JSON reader, and nothing a terminal acts
    on when the JSON itself is printed. (They can only occur inside strings, where the escape
    means the same character.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(text: str) -> str:
    """``visible(text)`` as literal Markdown text: emphasis, links, images, code, tables and raw
    HTML in a title someone typed are shown as typed, never rendered."""
    shown = _MARKDOWN_SPECIAL.sub(r"\\\1", visible(text))
    return re.sub("[&<>]", lambda m: _HTML[m.group()], shown)


# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection"); a tab or a
# carriage return first can hide one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: text that would start a formula gets a leading
    apostrophe, as OWASP's guidance on CSV injection says. Numbers are left as numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
