"""Roll a plan forward to a new period: same audiences, roles, channels, activities and source.

The file is edited through ruamel.yaml's round-trip loader, so its comments, quoting and
order stay; only the values that depend on the year change:

- the period (and the years in the title, where the title names them);
- anchors: a fortnightly cycle keeps its rhythm and starts on the first cycle day of the new
  period; a raw RRULE's start moves by whole years;
- dates listed year by year (school half-terms, a local festival) cannot be computed: they
  are emptied and marked with a RENEW comment, and `validate` warns until the owner fills
  them in.
  Fixed and computed dates (Halloween, the clocks) need nothing.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import difflib
import io
from dataclasses import dataclass, field
from typing import Any

from commsplan.errors import PlanError
from commsplan.plan.data import NamedDates, Plan, Recurrence, RRule

FORTNIGHT = dt.timedelta(days=14)


@dataclass(frozen=True)
class Renewal:
    """The new plan's text and, in words, what was changed and what is left to the owner."""

    text: str
    changes: list[str] = field(default_factory=list)
    to_fill: list[str] = field(default_factory=list)  # named dates emptied: the owner lists this year's


def years_label(start: dt.date, end: dt.date) -> str:
    return str(start.year) if start.year == end.year else f"{start.year}-{end.year}"


def _shift_years(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    return dt.date(year, day.month, min(day.day, _calendar.monthrange(year, day.month)[1]))


def renew_text(text: str, plan: Plan, start: dt.date, end: dt.date) -> Renewal:
    """``text`` (the file of ``plan``) rolled forward to the period ``start``..``end``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    if end < start:
        raise PlanError(f"the new period ends ({end}) before it starts ({start})")
    old = plan.meta.period
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc: Any = yaml.load(text)
    changes: list[str] = []
    to_fill: list[str] = []

    period = doc["meta"]["period"]
    old_label, new_label = years_label(old.start, old.end), years_label(start, end)
    period["start"], period["end"] = start, end
    # as_written stays: it is the source's wording, and the source is the same document
    period.yaml_add_eol_comment(
        f"rolled forward by commsplan renew from {old.start.isoformat()}..{old.end.isoformat()}", "start"
    )
    changes.append(f"period {old.start.isoformat()}..{old.end.isoformat()} -> {start.isoformat()}..{end.isoformat()}")
    title = str(doc["meta"].get("title", ""))
    if old_label in title:
        doc["meta"]["title"] = title.replace(old_label, new_label)
        changes.append(f"title: {title} -> {doc['meta']['title']}")

    years = start.year - old.start.year
    for node, activity in zip(doc["activities"], plan.activities, strict=True):
        freq = activity.frequency
        if isinstance(freq, Recurrence) and freq.anchor is not None:
            # the same fortnightly rhythm, from its first cycle day inside the new period
            cycles = -((freq.anchor - start).days // 14)
            anchor = freq.anchor + FORTNIGHT * cycles
            node["frequency"]["anchor"] = anchor
            changes.append(f"{activity.id}: anchor {freq.anchor.isoformat()} -> {anchor.isoformat()}")
        elif isinstance(freq, RRule):
            moved = _shift_years(freq.start, years)
            node["frequency"]["start"] = moved
            changes.append(f"{activity.id}: rrule start {freq.start.isoformat()} -> {moved.isoformat()}")
    used = {name for a in plan.activities if isinstance(a.frequency, NamedDates) for name in a.frequency.dates}
    for node, named in zip(doc.get("named_dates") or [], plan.named_dates, strict=True):
        if named.dates is None:
            continue  # fixed or computed: every year has it
        kept = [r for r in named.dates if start <= r.start <= end]
        if len(kept) == len(named.dates) and kept:
            continue
        empty = CommentedSeq()
        empty.fa.set_flow_style()
        node["dates"] = empty
        listed = ", ".join(f"{r.start.isoformat()}..{r.end.isoformat()}" for r in named.dates) or "none"
        node.yaml_add_eol_comment(f"RENEW: list the {new_label} dates ({old_label} listed: {listed})", "dates")
        if named.id in used:
            to_fill.append(named.id)

    out = io.StringIO()
    yaml.dump(doc, out)
    return Renewal(_keep_layout(text, out.getvalue()), changes, to_fill)


def _keep_layout(original: str, dumped: str) -> str:
    """The dumped text, with every line whose content did not change taken from the original.

    ruamel.yaml writes one indentation style for the whole file; a hand-edited plan may use two
    (the bundled plan's source rows sit flush under 'rows:'). Lines that are the same but for
    their leading spaces keep the original's, so a renewal changes only what it must. The result
    must load to the same data as the dump, or the dump is used as it is."""
    before = original.splitlines(keepends=True)
    after = dumped.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, [b.strip() for b in before], [a.strip() for a in after], autojunk=False)
    lines: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lines.extend(before[i1:i2] if tag == "equal" else after[j1:j2])
    merged = "".join(lines)
    from ruamel.yaml import YAML

    safe = YAML(typ="safe", pure=True)
    try:
        same = safe.load(merged) == safe.load(dumped)
    except Exception:  # any doubt: the library's own output
        same = False
    return merged if same else dumped
