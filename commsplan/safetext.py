"""Show text that people typed (notes, names, titles) without letting it drive the terminal.

rich strips only some control codes: an OSC title sequence (ESC ] 0 ; ... BEL) or a screen
clear (ESC [ 2 J) inside a note would reach the terminal, and bidi overrides can make a line
read differently from what it holds. Every C0 and C1 control, DEL and the bidi controls are
shown as visible escapes instead. (Text reaches rich as Text objects, never as markup, so
square brackets in a note are printed as they are.)
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control and bidi character replaced by a visible escape."""
    return _UNSAFE.sub(_escape, text)
