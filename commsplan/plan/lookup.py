"""Find the audience, role, channel or activity a person means by what they typed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from commsplan.errors import LookupFailed


class Nameable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> list[str]: ...


T = TypeVar("T", bound=Nameable)

_SQUASH = re.compile(r"[^0-9a-z&]+")


def normalise(word: str) -> str:
    """How names are compared: case, spaces, apostrophes and punctuation do not count."""
    return _SQUASH.sub("", word.casefold())


def _words(item: Nameable) -> list[str]:
    words = [item.id, item.name, *item.aliases]
    words += getattr(item, "members", [])
    return words


def find(query: str, items: Sequence[T], kind: str) -> T:
    """The one item that ``query`` names.

    An exact id, name or alias wins (case, spaces and punctuation aside); otherwise the query
    must be part of exactly one item's id, name, aliases or members. Ambiguous or unknown:
    LookupFailed with the candidates or a did-you-mean.
    """
    wanted = normalise(query)
    if not wanted:
        raise LookupFailed(f"empty {kind} name")
    exact = [item for item in items if any(normalise(w) == wanted for w in _words(item))]
    if len(exact) == 1:
        return exact[0]
    partial = exact or [item for item in items if any(wanted in normalise(w) for w in _words(item))]
    if len(partial) == 1:
        return partial[0]
    if partial:
        listed = "\n".join(f"  {item.id:<28} {item.name}" for item in partial)
        raise LookupFailed(f"'{query}' matches {len(partial)} {kind}s; be more specific:\n{listed}")
    raise LookupFailed(f"no {kind} matches '{query}'{suggest(query, items)}")


def suggest(query: str, items: Iterable[Nameable]) -> str:
    """' (did you mean ...?)' for the closest id, name or alias, else a hint to list them."""
    import difflib

    choices: dict[str, str] = {}
    for item in items:
        for word in (item.id, item.name, *item.aliases):
            choices.setdefault(word.casefold(), word)
    close = difflib.get_close_matches(query.casefold(), list(choices), n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(f"'{choices[c]}'" for c in close) + "?)"
    return ""


def find_activity(query: str, ids: Sequence[str]) -> str:
    """An activity id from its full id or a unique prefix of it."""
    if query in ids:
        return query
    prefixed = [i for i in ids if i.startswith(query)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise LookupFailed(f"'{query}' is the start of {len(prefixed)} activities: {', '.join(prefixed)}")
    import difflib

    # compare with whole ids and with their starts, since a start of an id is accepted too
    candidates = {i: i for i in ids} | {i[: len(query)]: i for i in ids if len(i) > len(query)}
    close = list(
        dict.fromkeys(candidates[c] for c in difflib.get_close_matches(query, list(candidates), n=3, cutoff=0.8))
    )
    hint = " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""
    raise LookupFailed(f"no activity '{query}'{hint}; 'commsplan list' shows them all")
