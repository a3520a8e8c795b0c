"""Show user text safely (placeholder until the full version lands)."""

from __future__ import annotations


def visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
