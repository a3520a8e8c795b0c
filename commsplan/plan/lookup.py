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


def _names(item: Nameable) -> list[str]:
    """What an item is called: its name, aliases and the source's wording of it (a list of
    wordings for roles, audiences and channels; one, or none, for a trigger)."""
    written = getattr(item, "as_written", None)
    wordings = [] if written is None else [written] if isinstance(written, str) else list(written)
    return [item.name, *item.aliases, *wordings]


def _members(item: Nameable) -> list[str]:
    """What an item holds (an audience's members): they help a partial match, never an exact one."""
    return list(getattr(item, "members", None) or [])


def find(query: str, items: Sequence[T], kind: str) -> T:
    """The one item that ``query`` names (case, spaces and punctuation aside).

    In turn: an exact id; an exact name, alias or wording of the source (``as_written``); the
    start of exactly one item's id, name, alias or wording; a part of exactly one item's id,
    names or members. So ``Local Businesses`` is the audience of that name even though another
    audience lists local businesses among its members, and ``Residents``, part of two
    audiences' names, is a question back: LookupFailed with the candidates, or a did-you-mean.
    """
    wanted = normalise(query)
    if not wanted:
        raise LookupFailed(f"empty {kind} name")
    by_id = [item for item in items if normalise(item.id) == wanted]
    if len(by_id) == 1:
        return by_id[0]
    exact = [item for item in items if any(normalise(w) == wanted for w in _names(item))]
    if len(exact) == 1:
        return exact[0]
    starts = [item for item in items if any(normalise(w).startswith(wanted) for w in [item.id, *_names(item)])]
    if len(starts) == 1:
        return starts[0]
    partial = exact or [
        item for item in items if any(wanted in normalise(w) for w in [item.id, *_names(item), *_members(item)])
    ]
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
