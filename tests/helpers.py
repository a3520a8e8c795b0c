"""Helpers shared by the tests (imported from here, never from conftest or another test)."""

from __future__ import annotations

import re


def flat(text: str) -> str:
    """Output as one line per message: the continuation lines of a message wrapped at 80
    columns (indented) are joined back to the line they continue."""
    return re.sub(r"\n +", " ", text)
