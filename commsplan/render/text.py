"""Human output: readable in a terminal and in a cron e-mail at 80 columns.

Every string that comes from a plan or a person (names, notes, titles, paths) goes through
``safe`` (render.safetext.visible) before it reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from commsplan.render.base import Renderer
from commsplan.render.console import Lines, PlainConsole, Segs, print_trimmed, rich_console, say, stdout, wrap
from commsplan.render.safetext import markdown_text
from commsplan.render.safetext import visible as safe
from commsplan.rules.period import period_rule

if TYPE_CHECKING:
    from rich.console import Group

    from commsplan.log.book import LogBackend
    from commsplan.log.records import Head, LogRead, LogRecord
    from commsplan.log.state import Completion, Incident
    from commsplan.plan.data import Activity, Plan
    from commsplan.plan.load import LoadedPlan
    from commsplan.plan.renew import Renewal
    from commsplan.rules.agenda import Agenda, Item, Run, Undated
    from commsplan.rules.digest import Digest
    from commsplan.rules.incidents import Step
    from commsplan.rules.period import PeriodStatus
    from commsplan.rules.plandiff import PlanDiff
    from commsplan.rules.report import GroupBy, Report
    from commsplan.rules.schedule import Occurrence
    from commsplan.rules.select import Filters

INDENT = "  "
_WHOLE = frozenset({"plan", "plan_sha256", "log", "cache"})  # info's values a person copies whole
BATCH = 200  # cards laid out before they are written


@cache  # a listing of 10,000 activities names the same few hundred days again and again
def day(value: dt.date) -> str:
    return value.strftime("%a %-d %b %Y")


@cache
def short_day(value: dt.date, *, year: bool = False) -> str:
    return value.strftime("%-d %b %Y" if year else "%-d %b")


def moment(value: dt.datetime) -> str:
    return value.strftime("%a %-d %b %Y %H:%M %Z")


def since(opened: dt.datetime, now: dt.datetime) -> str:
    """'3 h 20 min', '2 days 4 h': how long an incident has been open."""
    seconds = max(0, int((now - opened).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def display_name(name: str) -> str:
    """A name without its parenthesised detail: 'Local Partners (MPs...)' -> 'Local Partners'."""
    return name.split(" (", 1)[0]


def channels_text(plan: Plan, activity: Activity) -> str:
    parts = []
    for use in activity.channels:
        name = plan.channel(use.channel).name
        if use.when == "office_hours":
            name += " (office hours)"
        elif use.when == "out_of_hours":
            name += " (out of hours)"
        if name not in parts:
            parts.append(name)
    return ", ".join(parts)


def triggers_text(plan: Plan, incident: Incident) -> str:
    """'Major incident + Media enquiry': what an incident involves, in the plan's words."""
    from commsplan.rules.incidents import incident_triggers

    names = {t.id: t.name for t in plan.triggers}
    return " + ".join(names.get(t, t) for t in incident_triggers(plan, incident))


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


_WHEN_WORDS = {"office_hours": "in office hours", "out_of_hours": "out of office hours"}


def _when_words(when: str) -> str:
    return _WHEN_WORDS.get(when, "")


def card_fields(plan: Plan, activity: Activity, *, full: bool = False) -> list[tuple[str, Segs]]:
    """The rows of an activity's card: (label, styled pieces of its value), made safe to print."""
    owner = activity.owner
    sender = plan.role(owner.role).name
    if owner.out_of_hours:
        sender += f" (office hours); {plan.role(owner.out_of_hours).name} (out of hours)"
    if owner.with_:
        sender += " with " + ", ".join(plan.role(r).name for r in owner.with_)
    how = []
    for use in activity.channels:
        text = plan.channel(use.channel).name
        extra = [x for x in (use.detail, _when_words(use.when)) if x]
        if extra:
            text += f" ({'; '.join(extra)})"
        how.append(text)
    freq = activity.frequency
    # written out, not through add(): 10,000 cards make these five rows each
    rows: list[tuple[str, Segs]] = [
        ("To", [(safe(plan.audience(activity.audience).name), "")]),
        ("From", [(safe(sender), "")]),
        ("What", [(safe(activity.what.text), "")]),
        ("How", [(safe("; ".join(dict.fromkeys(how))), "")]),
        ("When", [(freq.kind.replace("_", " "), ""), (f'  source: "{safe(freq.as_written)}"', "dim")]),
    ]

    def add(label: str, value: str, style: str = "") -> None:
        rows.append((label, [(safe(value), style)]))

    if freq.interpretation:
        add("Reading", freq.interpretation)
    if activity.conditional is not None:
        add("If", f'"{activity.conditional.as_written}": when there is something to say; never missed')
    if activity.per_unit is not None:
        units = plan.units_of(activity.per_unit)
        names = ", ".join(u.name for u in units) or f"the plan lists no {activity.per_unit}s yet"
        add("Each", f"{activity.per_unit}, on its own: {names}")
    add("Why", activity.why)
    if full:
        from commsplan.rules.readings import activity_dates

        for n, line in enumerate(activity_dates(plan, activity)):
            add("" if n else "Dates", line)
        add("Sender as written", activity.owner.as_written)
        if activity.owner.reading:
            add("Sender reading", activity.owner.reading)
        add("What as written", activity.what.as_written)
        add("How as written", activity.how_as_written)
        for note in [*activity.notes, *([freq.note] if freq.note else [])]:
            add("Note", note)
        row = plan.source_row(activity.row)
        if row is not None:
            lines = ", ".join(str(n) for n in row.lines)
            add("Source row", f"{activity.row} (line{'s' if len(row.lines) > 1 else ''} {lines})")
            for label, cell in (
                ("  Where to", row.where_to),
                ("  Who from", row.who_from),
                ("  What", row.what),
                ("  How", row.how),
                ("  When", row.when),
                ("  Why", row.why),
            ):
                add(label, cell, "dim")
    return rows


def activity_card(plan: Plan, activity: Activity, *, full: bool = False) -> Group:
    """The card laid out by rich (a table of label and value): for any text, at any width."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=7)
    grid.add_column()
    for label, value in card_fields(plan, activity, full=full):
        text = Text()
        for piece, style in value:
            text.append(piece, style=style or None)
        grid.add_row(Text(label, style="bold"), text)
    return Group(Text(activity.id, style="bold cyan"), Padding(grid, (0, 0, 0, 2)))


@lru_cache(maxsize=8192)  # 10,000 cards say the same few audiences, senders and channels
def _plain_words(text: str) -> bool:
    """Text that rich's wrap and a plain greedy wrap lay out alike: printable, one column a
    character, no space before or after, and no whitespace but the plain space."""
    if not (text.isprintable() and text == text.strip()):
        return False
    if text.isascii():
        return True
    from rich.cells import cell_len

    return cell_len(text) == len(text)


def card_lines(activity_id: str, rows: list[tuple[str, Segs]], width: int) -> list[Segs] | None:
    """An activity's card as lines, byte for byte as ``activity_card`` prints it, without rich's
    measuring pass (seconds for 10,000 cards); None for text only rich lays out right."""
    lines: list[Segs] | None = CardLines(width, plain=False)(activity_id, rows)  # type: ignore[assignment]
    return lines


_UNSET: Any = object()


class CardLines:
    """Cards laid out as ``card_lines`` lays them out, one after another at one width, each
    distinct row laid out once: 10,000 cards repeat a few audiences, senders, channels and
    frequencies. With ``plain``, each line is its text alone (as ``Lines`` keeps it for a pipe).
    What it keeps is keyed by the row's own label and text: it holds for any plan."""

    def __init__(self, width: int, *, plain: bool) -> None:
        self.width = width
        self.plain = plain
        self._rows: dict[tuple[Any, ...], list[Segs | str] | None] = {}

    def __call__(self, activity_id: str, rows: list[tuple[str, Segs]]) -> list[Segs | str] | None:
        label_width = max([7, *[len(label) for label, _ in rows]])
        room = self.width - len(INDENT) - label_width - 2
        if len(activity_id) > self.width or room < 10 or not _plain_words(activity_id):
            return None
        lines: list[Segs | str] = [activity_id if self.plain else [(activity_id, "bold cyan")]]
        known = self._rows
        for label, value in rows:
            key = (label_width, label, *value)
            laid = known.get(key, _UNSET)
            if laid is _UNSET:
                laid = known[key] = self._row(label, value, label_width, room)
            if laid is None:
                return None
            lines += laid
        return lines

    def _row(self, label: str, value: Segs, label_width: int, room: int) -> list[Segs | str] | None:
        plain = value[0][0] if len(value) == 1 else "".join([piece for piece, _ in value])
        if not _plain_words(plain):
            return None
        gap = " " * (label_width - len(label) + 2)
        one_line = len(plain) <= room
        if not one_line and max(map(len, plain.split(" "))) > room:
            return None
        if self.plain:  # the text alone: what the styled pieces below join to, as Lines writes it
            if one_line:
                return [(INDENT + label + gap + plain).rstrip(" ")]
            hanging = " " * (len(INDENT) + label_width + 2)
            return [
                ((INDENT + label + gap if n == 0 else hanging) + chunk).rstrip(" ")
                for n, chunk in enumerate(wrap(plain, room))
            ]
        first = [(INDENT, ""), (label, "bold"), (gap, "")]
        if one_line:
            return [[*first, *value]]
        hanging_segs = [(" " * (len(INDENT) + label_width + 2), "")]
        return [
            [*(first if n == 0 else hanging_segs), *chunk] for n, chunk in enumerate(_styled_wrap(value, plain, room))
        ]


def _styled_wrap(value: Segs, plain: str, width: int) -> list[Segs]:
    """``plain`` (the pieces of ``value`` joined) wrapped greedily, each line keeping its styles."""
    spans = []
    at = 0
    for piece, style in value:
        spans.append((at, at + len(piece), style))
        at += len(piece)
    found: list[Segs] = []
    start = 0
    for line in wrap(plain, width):
        start = plain.index(line, start) if line else start
        end = start + len(line)
        found.append(
            [(plain[max(a, start) : min(b, end)], style) for a, b, style in spans if a < end and b > start]
            or [("", "")]
        )
        start = end
    return found


def table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, styles: Sequence[str]
) -> list[Segs] | None:
    """A borderless table (two spaces between columns, a bold header) as lines, byte for byte as
    rich prints it when every row fits the width; None when rich would have to wrap cells."""
    widths = _table_widths(headers, rows, width)
    if widths is None:
        return None
    lines: list[Segs] = []
    for cells, cell_styles in [(headers, ["bold"] * len(headers)), *((row, styles) for row in rows)]:
        segs: Segs = []
        for n, cell in enumerate(cells):
            pad = "" if n == len(cells) - 1 else " " * (widths[n] - len(cell) + 2)
            segs += [(cell, cell_styles[n]), (pad, "")]
        lines.append(segs)
    return lines


def table_text(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str] | None:
    """``table_lines`` without styles, each line its text alone: for a pipe or a mail."""
    widths = _table_widths(headers, rows, width)
    if widths is None:
        return None
    *left, _ = widths
    return [
        "".join(f"{cell:<{w + 2}}" for cell, w in zip(cells, left, strict=False)) + cells[-1]
        for cells in (headers, *rows)
    ]


def _table_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[int] | None:
    """The width of each column of a table laid out as ``table_lines`` does, or None when rich
    would have to wrap cells (the table is wider than ``width``, or a cell is not plain words)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    widths = [
        max(len(header), max(map(len, column), default=0)) for header, column in zip(headers, columns, strict=True)
    ]
    if sum(widths) + 2 * (len(widths) - 1) > width:
        return None
    if not all(_plain_cells(column) for column in columns):
        return None
    return widths


def _plain_cells(cells: Sequence[str]) -> bool:
    """Whether every cell is empty or ``_plain_words``: for printable ASCII (the commonest
    case), one look at the cells joined, else one look per cell."""
    whole = "".join(cells)
    if whole.isascii() and whole.isprintable():
        # the plain space is ASCII's only printable whitespace: none may start or end a cell
        joined = "\n".join(cells)
        return " \n" not in joined and "\n " not in joined and not joined.startswith(" ") and not joined.endswith(" ")
    return all(cell == "" or _plain_words(cell) for cell in cells)


NAME_WIDTH = 22  # the widest a report's first column gets: a longer name is cut with "…"


def _filled(rate: float | None) -> int:
    """How many of a report bar's 8 cells a completion rate fills."""
    return 0 if rate is None else round(rate * 8)


def report_table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str] | None:
    """A report's table as plain lines, byte for byte as rich prints it without styles: the
    first column left-aligned and cut with "…" past NAME_WIDTH, the others right-aligned but
    the last (the bar), two spaces between columns. None when rich would have to narrow the
    table to fit the width, or a name holds text only rich lays out right (or reads as markup)."""
    names = [headers[0], *(row[0] for row in rows)]
    if not all(name == "" or ("[" not in name and _plain_words(name)) for name in names):
        return None
    name_width = min(NAME_WIDTH, max(map(len, names)))
    widths = [max([len(headers[n]), *(len(row[n]) for row in rows)]) for n in range(1, len(headers))]
    if name_width + 1 + sum(w + 2 for w in widths) - 1 > width:
        return None
    lines = []
    for cells in (headers, *rows):
        name = cells[0] if len(cells[0]) <= NAME_WIDTH else cells[0][: NAME_WIDTH - 1] + "…"
        middle = "".join(f" {cell:>{w}} " for cell, w in zip(cells[1:-1], widths, strict=False))
        lines.append(f"{name:<{name_width}} {middle} {cells[-1]}")
    return lines


def runs(items: Iterable[Item]) -> list[list[Item]]:
    """Items grouped per activity and status, each group oldest first: a daily item becomes one
    entry with its count, not seven."""
    groups: dict[tuple[str, str, str], list[Item]] = {}
    for item in items:
        occ = item.occurrence
        # a per-unit duty's open occurrence is one line for all its units ("2 of 3 boroughs done")
        base = occ.key.rsplit("@", 1)[0] if occ.unit is not None and item.status != "overdue" else ""
        groups.setdefault((item.activity.id, item.status, base), []).append(item)
    return [sorted(g, key=lambda i: i.occurrence.due) for g in groups.values()]


def _period_words(activity: Activity, key: str) -> str:
    """An occurrence's key as a person says it: 'fortnight of 5 Oct' for 2020-10-05."""
    kind = activity.frequency.kind
    if kind in ("fortnightly", "daily") and len(key) == 10:
        start = dt.date.fromisoformat(key)
        return f"fortnight of {short_day(start)}" if kind == "fortnightly" else short_day(start)
    return key


def _units_done(plan: Plan, activity: Activity, run: Run, scope: frozenset[str] | None) -> str:
    """'2 of 3 boroughs done; Redbridge pending' for a per-unit duty's occurrence, counted over
    the units in view (--unit), never over units the view leaves out."""
    units = [u for u in plan.units_of(activity.per_unit) if scope is None or u.id in scope]
    waiting = [plan.unit(share.unit).name for share in run.units]
    word = "overdue" if run.status == "overdue" else "pending"
    if len(units) <= 1:
        return f"{', '.join(waiting)} {word}"
    done = len(units) - len(waiting)
    plural = "s" if len(units) != 1 else ""
    return f"{done} of {len(units)} {activity.per_unit}{plural} done; {', '.join(waiting)} {word}"


class TextRenderer(Renderer):
    """Views for a person: rich on a terminal, plain text in a pipe, file or mail."""

    markdown = False
    _scope: frozenset[str] | None = None  # the units a due list or digest shows (--unit)

    def __init__(self) -> None:
        self._who: dict[tuple[object, ...], str] = {}  # an entry's "to ... · from ... · by ..."
        self._days: dict[tuple[dt.date, bool], str] = {}  # short_day of the few days a list names

    def _short_day(self, value: dt.date, year: bool) -> str:
        """``short_day``, worked out once per day: a week of 10,000 activities names seven."""
        key = (value, year)
        text = self._days.get(key)
        if text is None:
            text = self._days[key] = short_day(value, year=year)
        return text

    # --- the plan ------------------------------------------------------------------------------

    def validation(self, loaded: LoadedPlan, explain: bool) -> None:
        p = loaded.plan
        out = Lines(stdout())
        kinds = Counter(a.frequency.kind for a in p.activities)
        interpreted = sum(1 for a in p.activities if a.frequency.interpretation is not None)
        rows = sum(len(s.rows) for s in p.source.sections) if p.source else 0
        scheduled = sum(1 for a in p.activities if a.scheduled)
        out.wrapped(f"{safe(str(loaded.path))}: valid", 2, "bold green", first=[])
        for line in (
            p.meta.title,
            f"{len(p.roles)} roles, {len(p.audiences)} audiences, {len(p.channels)} channels",
            f"{len(p.activities)} activities from {rows} source rows: {scheduled} scheduled, "
            f"{kinds['triggered']} triggered, {kinds['on_request']} on request",
            f"{interpreted} frequencies interpreted rather than literal"
            + ("" if explain else " (--explain lists them)"),
        ):
            out.wrapped(safe(line), 4, first=[(INDENT, "")])
        if explain:
            from commsplan.rules.readings import plan_readings

            out.add()
            out.add("How the plan reads the source: dates, hours, triggers, senders, rules", "bold")
            for reading in plan_readings(p):
                out.add()
                title = reading.subject + (f' "{reading.as_written}"' if reading.as_written else "")
                out.wrapped(safe(title), 4, "bold cyan", first=[(INDENT, "")])
                out.wrapped(safe(reading.reading), 7, first=[("    -> ", "")])
                for note in reading.notes:
                    out.wrapped(safe(note), 6, first=[("    - ", "")])
            out.add()
            out.add("The plan's period:", "bold")
            out.wrapped(safe(period_rule(p)), 4, first=[(INDENT, "")])
            out.add()
            out.add("Interpretations of the source's wording and notes on it:", "bold")
            for a in p.activities:
                notes = [*([a.frequency.interpretation] if a.frequency.interpretation else []), *a.notes]
                if a.conditional is not None:
                    notes.append(f'Conditional ("{a.conditional.as_written}"): {a.conditional.note or ""}'.strip())
                if not notes:
                    continue
                out.add()
                kind = f"-> {a.frequency.kind.replace('_', ' ')}"
                title = f'{a.id} "{safe(a.frequency.as_written)}"'
                # the reading ("-> on request") is never split across lines
                heads = _wrap_keeping_tail(title, kind, out.width - 4)
                out.add_segs([(INDENT, ""), (heads[0], "bold cyan")])
                for head in heads[1:]:
                    out.add(f"    {head}")
                for note in notes:
                    out.wrapped(safe(note), 6, first=[("    - ", "")])
        out.emit()

    def activities(self, plan: Plan, chosen: Sequence[Activity], filters: Filters) -> None:
        parts = []
        if filters.audience:
            parts.append(f"to {plan.audience(filters.audience).name}")
        if filters.owner:
            parts.append(f"from {plan.role(filters.owner).name}")
        if filters.channel:
            parts.append(f"by {plan.channel(filters.channel).name}")
        count = len(chosen)
        heading = f"{count} activit{'y' if count == 1 else 'ies'} " + (" ".join(parts) or "in the plan")
        console = stdout()
        out = Lines(console)
        out.segs_wrapped([(safe(heading), "bold")], 2)
        layout = CardLines(out.width, plain=out.plain)
        for n, activity in enumerate(chosen, 1):
            out.add()
            lines = layout(activity.id, card_fields(plan, activity))
            if lines is None:  # text only rich lays out right: this card goes through rich
                out.emit()
                print_trimmed(rich_console(), activity_card(plan, activity))
            elif out.plain:  # the card as one text: none of its lines ends in a space
                out.lines.append("\n".join(cast("list[str]", lines)))
            else:
                out.lines += lines
            if n % BATCH == 0:
                out.emit()  # written as it goes: a plan of 10,000 is not held twice over
        out.emit()

    def activity_list(self, plan: Plan, chosen: Sequence[Activity]) -> None:
        console = stdout()
        audiences = {a.id: safe(display_name(a.name)) for a in plan.audiences}
        headers = ("Activity", "To", "When")
        rows = [(a.id, audiences[a.audience], a.frequency.kind.replace("_", " ")) for a in chosen]
        out = Lines(console)
        lines: list[Segs] | list[str] | None
        if out.plain:
            lines = table_text(headers, rows, out.width)
        else:
            lines = table_lines(headers, rows, out.width, ("cyan", "", ""))
        if lines is None:  # cells to wrap: rich lays them out
            from rich.table import Table

            table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
            table.add_column("Activity", no_wrap=True, style="cyan")
            table.add_column("To")
            table.add_column("When")
            for row in rows:
                table.add_row(*row)
            print_trimmed(rich_console(), table)
        else:
            out.lines += lines
        out.segs_wrapped([(f"{len(chosen)} activities. 'commsplan show ID' prints one in full.", "dim")], 2)
        out.emit()

    def activity(self, plan: Plan, activity: Activity) -> None:
        print_trimmed(rich_console(), activity_card(plan, activity, full=True))

    def schema(self, schema: dict[str, Any]) -> None:
        from commsplan.render.jsonout import dumps

        stdout().file.write(dumps(schema) + "\n")

    def renewed(self, path: Path, renewal: Renewal, warnings: Sequence[str]) -> None:
        out = Lines(stdout())
        out.wrapped(f"Wrote {safe(str(path))}.", 2, "bold", first=[])
        for change in renewal.changes:
            out.wrapped(safe(change), 4, first=[(INDENT, "")])
        if renewal.to_fill:
            out.wrapped(
                f"To fill in (dates listed year by year, marked RENEW in the file): {', '.join(renewal.to_fill)}.",
                2,
                first=[],
            )
        count = len(warnings)
        out.wrapped(f"It is a valid plan, with {count} warning{'s' if count != 1 else ''}:", 2, first=[])
        for warning in warnings:
            out.wrapped(safe(warning), 4, first=[("- ", "")])
        out.wrapped(f"Check it with: commsplan validate --plan {safe(str(path))}", 2, "dim", first=[])
        out.emit()

    def plan_diff(self, old: LoadedPlan, new: LoadedPlan, diff: PlanDiff) -> None:
        out = Lines(stdout())
        out.wrapped(f"From {safe(str(old.path))} to {safe(str(new.path))}", 2, "bold", first=[])
        for change in (diff.period, diff.office_hours):
            if change is not None:
                out.wrapped(safe(f"{change.what.capitalize()}: {change.old} -> {change.new}"), 2, first=[])
        if not (diff.gained or diff.lost or diff.changed):
            out.add("No commitment gained, lost or changed.", "green")
        for title, rows in (("GAINED", diff.gained), ("LOST", diff.lost)):
            if rows:
                out.add()
                out.add(f"{title} ({len(rows)})", "bold")
                for activity_id, text in rows:
                    out.segs_wrapped([(INDENT, ""), (activity_id, "cyan"), (f": {safe(text)}", "")], 4)
        if diff.changed:
            out.add()
            out.add(f"CHANGED ({len(diff.changed)})", "bold")
            for item in diff.changed:
                out.add_segs([(INDENT, ""), (item.activity, "cyan")])
                for c in item.changes:
                    out.wrapped(safe(f"{c.what}: {c.old} -> {c.new}"), 6, first=[("    ", "")])
        out.emit()

    def plan_written(self, path: Path) -> None:
        say(f"Wrote a starter plan to {safe(str(path))}. Edit it, then: commsplan validate --plan {safe(str(path))}")

    # --- what is due ----------------------------------------------------------------------------

    def due(
        self,
        loaded: LoadedPlan,
        agenda: Agenda,
        incidents: Sequence[tuple[Incident, list[Step]]],
        *,
        overdue_only: bool,
    ) -> None:
        from commsplan.rules.agenda import RunTally

        plan = loaded.plan
        window = agenda.window
        self._scope = agenda.units
        out = Lines(stdout())
        span = day(window.start) if window.start == window.end else f"{day(window.start)} to {day(window.end)}"
        counts_from = agenda.counts_from or plan.meta.period.start
        tracking = counts_from > plan.meta.period.start
        if overdue_only:
            began = f"tracking began ({day(counts_from)})" if tracking else f"the plan began ({day(counts_from)})"
            heading = f"Overdue since {began}"
        else:
            heading = f"Due {window.label}: {span}"
        out.add(heading, "bold")
        self._period_notice(out, agenda.period)
        out.wrapped(f"{safe(plan.meta.unit)} · now {moment(agenda.now)}", 2, "dim", first=[])
        if tracking and not overdue_only:
            out.wrapped(f"Tracked from {day(counts_from)}: nothing due before then counts.", 2, "dim", first=[])
        out.add()
        year = agenda.now.year
        if incidents:
            self._incident_steps(out, plan, incidents, agenda.now)
            out.add()
        if agenda.overdue_runs:
            out.add(f"OVERDUE ({agenda.overdue_count})", "bold red")
            self._groups(out, plan, agenda.overdue_runs, year)
        else:
            out.add("Nothing overdue.", "green")
        if not overdue_only:
            if agenda.optional:
                out.add()
                out.add(f"TODAY, IF THERE IS SOMETHING TO SAY ({len(agenda.optional)})", "bold")
                self._groups(out, plan, runs(agenda.optional), year)
            # One pass over the window's items (a stream): counted into runs, never all held.
            due_now, later = RunTally(), RunTally()
            last_day = window.end
            for item in agenda.due:
                (due_now if item.occurrence.due <= last_day else later).add(item)
            out.add()
            if due_now.count:
                out.add(f"DUE {window.label.upper()} ({due_now.count})", "bold")
                self._groups(out, plan, due_now.runs(), year)
            else:
                out.add(f"Nothing else due {window.label}.", "green")
            if later.count:
                out.add()
                out.add(f"OPEN {window.label.upper()}, DUE LATER ({later.count})", "bold")
                self._groups(out, plan, later.runs(), year)
            if agenda.on_request:
                out.add()
                out.add(f"ON REQUEST, no schedule ({len(agenda.on_request)})", "bold")
                width = max(len(a.id) for a in agenda.on_request) + 4
                for activity in agenda.on_request:
                    first = [(INDENT, ""), (activity.id, "cyan"), (" " * (width - len(INDENT) - len(activity.id)), "")]
                    audience = display_name(plan.audience(activity.audience).name)
                    out.wrapped(
                        safe(f'{activity.what.text}; to {audience} ("{activity.frequency.as_written}")'),
                        width,
                        first=first,
                    )
            if agenda.undated:
                out.add()
                self._undated(out, plan, agenda.undated)
            if agenda.triggered:
                out.add()
                ids = ", ".join(a.id for a in agenda.triggered)
                out.wrapped(
                    f"On an incident or enquiry ({len(agenda.triggered)}; see 'commsplan who'): {ids}", 0, "dim"
                )
        out.emit()

    def _period_notice(self, out: Lines, period: PeriodStatus | None) -> None:
        """Before or after the plan's period, say so where the reader looks: at the top."""
        if period is not None and period.notice:
            out.wrapped(safe(period.notice), 2, "bold yellow", first=[])

    def _groups(self, out: Lines, plan: Plan, groups: Sequence[Run | list[Item]], this_year: int) -> None:
        """Each group: one activity's occurrences with one status, oldest first (a list of
        them, or a run counted without listing them: both read the same)."""
        from commsplan.rules.agenda import Run

        counted = [g if isinstance(g, Run) else Run.of(g) for g in groups]
        ordered = sorted(counted, key=lambda r: (r.first.occurrence.due, r.activity.id))
        entries = [self._entry(plan, run, this_year) for run in ordered]
        if self.markdown:
            for when, head, what, who in entries:
                heading = "".join(piece for piece, _ in head)
                out.add(f"- **{when}** {heading}: {what} ({who})")
            return
        width = max(len(when) for when, *_ in entries)
        indent = len(INDENT) + width + 2
        if out.plain:
            # Plain text (a pipe, a file, cron's mail): each line that fits is its text, as
            # ``segs_wrapped`` and ``wrapped`` make it; only a longer one goes through them.
            lines, pad, room = out.lines, " " * indent, out.width - indent
            for n, (when, head, what, who) in enumerate(entries, 1):
                first = f"{INDENT}{when:<{width}}  " + "".join([piece for piece, _ in head])
                if len(first) <= out.width:
                    lines.append(first)
                else:
                    out.segs_wrapped([(f"{INDENT}{when:<{width}}  ", "bold"), *head], indent)
                if len(what) <= room:
                    lines.append(pad + what)
                else:
                    out.wrapped(what, indent)
                if len(who) <= room:
                    lines.append(pad + who)
                else:
                    out.wrapped(who, indent, "dim")
                if n % BATCH == 0:
                    out.emit()  # written as it goes: a year of a large plan is not held as text
                    lines = out.lines  # emptied anew
            return
        for n, (when, head, what, who) in enumerate(entries, 1):
            out.segs_wrapped([(f"{INDENT}{when:<{width}}  ", "bold"), *head], indent)
            out.wrapped(what, indent)
            out.wrapped(who, indent, "dim")
            if n % BATCH == 0:
                out.emit()  # written as it goes: a year of a large plan is not held as text

    def _entry(self, plan: Plan, run: Run, this_year: int) -> tuple[str, Segs, str, str]:
        """(when, heading, what, to/from/by) of one activity's occurrences with one status."""
        first, last = run.first, run.last
        activity = first.activity
        status = first.status
        head: Segs = [(activity.id, "bold cyan")]
        occ = first.occurrence
        when = self._short_day(occ.due, occ.due.year != this_year)
        if occ.unit is not None and run.one_period and status in ("open", "upcoming", "overdue"):
            base = occ.key.rsplit("@", 1)[0]
            head.append((f" · {_period_words(activity, base)}: {_units_done(plan, activity, run, self._scope)}", ""))
            if status == "overdue":
                head.append((f" · {_days(first.late_days)} late", "red"))
            elif status == "upcoming":
                head.append((f" · opens {self._short_day(occ.opens, False)}", "dim"))
        elif run.count == 1:
            if occ.at is not None:
                when += occ.at.strftime(" %H:%M")
            head.append((f" · {occ.key}", ""))
            if status == "overdue":
                head.append((f" · {_days(first.late_days)} late", "red"))
            elif status == "upcoming":
                head.append((f" · opens {self._short_day(occ.opens, False)}", "dim"))
            elif status == "optional":
                head.append((" · if applicable, never overdue", "dim"))
            elif first.completion is not None:
                done = first.completion
                late = f", {_days(first.late_days)} late" if status == "done" and first.late_days else ""
                head.append((f" · {status} {short_day(done.at.date())} by {self._user(done.by)}{late}", "green"))
        else:
            end = last.occurrence.due
            span = f"{when} to {self._short_day(end, end.year != this_year)}"
            if occ.unit is not None:
                count = len(run.units)
                span += f" ({count} {activity.per_unit}{'s' if count != 1 else ''})"
            label = {
                "overdue": "overdue",
                "open": "open",
                "upcoming": "to come",
                "done": "done",
                "skipped": "skipped",
                "optional": "if applicable",
            }
            head.append((f" · {run.count} {label[status]}, {span}", "red" if status == "overdue" else ""))
        # to whom, from whom, by what: the same few words for many activities of a large plan
        owner = activity.owner.role
        uses = activity.channels
        said = (
            (activity.audience, owner, uses[0].channel, uses[0].when)
            if len(uses) == 1
            else (activity.audience, owner, *((use.channel, use.when) for use in uses))
        )
        who = self._who.get(said)
        if who is None:
            audience = display_name(plan.audience(activity.audience).name)
            sender = display_name(plan.role(owner).name)
            who = self._who[said] = self._user(f"to {audience} · from {sender} · by {channels_text(plan, activity)}")
        return when, head, self._user(activity.what.text), who

    def _incident_steps(
        self, out: Lines, plan: Plan, incidents: Sequence[tuple[Incident, list[Step]]], now: dt.datetime
    ) -> None:
        """Open incidents and the notifications still to make, with the channel for this moment."""
        h = "## " if self.markdown else ""
        out.add(f"{h}OPEN INCIDENTS ({len(incidents)})", "bold red")
        for incident, steps in incidents:
            out.wrapped(
                f"{incident.id} {self._user(triggers_text(plan, incident))}, open {since(incident.opened, now)}: "
                f"{self._user(incident.title)}",
                4,
                "bold",
                first=[("- " if self.markdown else "  ", "")],
            )
            for step in steps:
                if step.rule:
                    text = step.what
                else:
                    channels = " or ".join(plan.channel(c).name for c in step.channels)
                    sender = display_name(plan.role(step.owner).name)
                    text = f"{sender} -> {display_name(plan.audience(step.audience).name)} by {channels} ({step.id})"
                out.wrapped(
                    f"[ ] {step.number}. {self._user(text)}", 11, first=[("    - " if self.markdown else "    ", "")]
                )

    def _campaigns(self, out: Lines, title: str, items: Sequence[Item], opens: str) -> None:
        """Campaigns by their lead time: being prepared ("opened") or starting soon ("opens")."""
        if not items:
            return
        out.add()
        out.add(f"{title} ({len(items)})", "bold")
        for item in items:
            occ = item.occurrence
            out.wrapped(
                f"{item.activity.id} · {occ.key}: {opens} {short_day(occ.opens)}, "
                f"due {short_day(occ.due)} ({self._user(item.activity.what.text)})",
                4,
                first=[("- " if self.markdown else "  ", "")],
            )

    def _undated(self, out: Lines, plan: Plan, undated: Sequence[Undated]) -> None:
        """Dated campaigns the plan has no date for this plan year: said once, each by name."""
        first = undated[0]
        span = f"{short_day(first.year_start, year=True)} to {short_day(first.year_end, year=True)}"
        h = "## " if self.markdown else ""
        out.add(f"{h}NO DATE THIS PLAN YEAR ({span}): add the dates to the plan", "bold yellow")
        for item in undated:
            out.wrapped(
                safe(f"{item.activity.id}: {item.what(plan)}"), 4, first=[("- " if self.markdown else "  ", "")]
            )

    def _user(self, text: str) -> str:
        """Text a person typed (or a plan says), made safe for this view."""
        return safe(text)

    # --- the digest -----------------------------------------------------------------------------

    def digest(self, plan: Plan, digest: Digest) -> None:
        markdown = self.markdown
        self._scope = digest.units
        out = Lines(stdout(), width=100_000 if markdown else None)  # markdown is wrapped by its reader
        h = "## " if markdown else ""
        out.add(("# " if markdown else "") + digest.subject(), "bold")
        days = (digest.window.end - digest.window.start).days + 1
        out.wrapped(
            f"{self._user(plan.meta.unit)} · now {moment(digest.now)} · the next {days}"
            f" days, to {short_day(digest.window.end, year=True)}",
            2,
            "dim",
            first=[],
        )
        self._period_notice(out, digest.period)
        if digest.incidents:
            out.add()
            self._incident_steps(out, plan, digest.incidents, digest.now)
        sections: list[tuple[str, Sequence[Run | list[Item]], str, bool]] = [
            (f"OVERDUE ({digest.overdue_count})", digest.overdue, "bold red", True),
            (f"DUE TODAY ({len(digest.today)})", runs(digest.today), "bold", True),
            (
                f"TODAY, IF THERE IS SOMETHING TO SAY ({len(digest.optional)})",
                runs(digest.optional),
                "bold",
                False,  # conditional duties: no heading on a day without any
            ),
            (
                f"COMING UP TO {short_day(digest.window.end).upper()} ({len(digest.coming)})",
                runs(digest.coming),
                "bold",
                True,
            ),
        ]
        for title, groups, style, always in sections:
            if not groups and not always:
                continue
            out.add()
            out.add(f"{h}{title}", style)
            if groups:
                self._groups(out, plan, groups, digest.now.year)
            else:
                out.add("  nothing", "dim")
        self._campaigns(out, f"{h}BEING PREPARED", digest.preparing, "opened")
        self._campaigns(out, f"{h}CAMPAIGNS STARTING SOON", digest.campaigns, "opens")
        if digest.undated:
            out.add()
            self._undated(out, plan, digest.undated)
        out.add()
        late = f", {digest.late_since} of them late" if digest.late_since else ""
        skipped = f"; {digest.skipped_since} skipped" if digest.skipped_since else ""
        out.add(f"{h}DONE SINCE {moment(digest.since).upper()}: {digest.done_since}{late}{skipped}", "bold")
        if digest.log_head is not None:
            out.add()
            out.add(f"Log head: {'`' if markdown else ''}{digest.log_head}{'`' if markdown else ''}", "dim")
        out.emit()

    # --- the completion log ---------------------------------------------------------------------

    def recorded(self, record: LogRecord, late_days: int) -> None:
        data = record.data
        verb = "Done" if record.type == "done" else "Skipped"
        due = dt.date.fromisoformat(str(data["due"]))
        line: Segs = [(f"{verb}: ", ""), (str(data["activity"]), "bold cyan")]
        line.append((f" {safe(str(data['occurrence']))} (due {day(due)})", ""))
        if late_days and record.type == "done":
            line.append((f", {_days(late_days)} late", "red"))
        line.append((f", by {safe(str(data['by']))}. Record {record.id}.", ""))
        say(line)

    def range_skipped(self, record: LogRecord, occurrences: Sequence[Occurrence]) -> None:
        data = record.data
        first, last = occurrences[0], occurrences[-1]
        count = len(occurrences)
        say(
            [
                ("Skipped: ", ""),
                (str(data["activity"]), "bold cyan"),
                (
                    f" {count} occurrence{'s' if count != 1 else ''}, {safe(first.key)} to {safe(last.key)} "
                    f"(due {day(first.due)} to {day(last.due)}), by {safe(str(data['by']))}, in one record. "
                    f"Record {record.id}; 'commsplan undo --id {record.id}' retracts them all.",
                    "",
                ),
            ]
        )

    def tracking_recorded(self, record: LogRecord, day_: dt.date) -> None:
        say(
            f"Tracking from {day(day_)}: occurrences due before then are neither overdue nor missed. "
            f"Record {record.id}; 'commsplan undo --id {record.id}' retracts it."
        )

    def retracted(self, record: LogRecord, target: LogRecord) -> None:
        data = target.data
        if target.type == "skip-range":
            count = len(data.get("occurrences") or [])
            say(
                f"Retracted the range skip of {safe(str(data.get('activity')))} ({count} occurrences, "
                f"{safe(str(data.get('from')))} to {safe(str(data.get('until')))}; record {target.id}, "
                f"line {target.line}). Record {record.id}."
            )
            return
        if target.type == "track":
            say(
                f"Retracted tracking from {safe(str(data.get('from')))} (record {target.id}, line {target.line}). "
                f"Record {record.id}."
            )
            return
        say(
            f"Retracted {target.type} of {safe(str(data.get('activity')))} {safe(str(data.get('occurrence')))} "
            f"(record {target.id}, line {target.line}). Record {record.id}."
        )

    def log_records(self, book: LogBackend, records: Sequence[LogRecord], retracted: set[str], filtered: bool) -> None:
        from commsplan.log.state import BACK_DATED, recorded_time

        if not records:
            say(f"No records{' match' if filtered else ''} in {safe(book.where)}.")
            return
        out = Lines(stdout())
        for r in records:
            data = r.data
            what = " ".join(
                str(data[k])
                for k in ("activity", "occurrence", "incident", "step", "target", "from", "until")
                if data.get(k)
            )
            keys = data.get("occurrences")
            if isinstance(keys, list):  # a range skip: how many, and which boroughs or wards
                units = sorted({str(k).rsplit("@", 1)[1] for k in keys if "@" in str(k)})
                what += f" ({len(keys)} occurrence{'s' if len(keys) != 1 else ''}"
                what += f" of {', '.join(units)})" if units else ")"
            line: Segs = [
                (f"{r.ts.strftime('%Y-%m-%d %H:%M')}  ", ""),
                (f"{r.type:<8}", "bold"),
                (f" {safe(what)}", ""),
            ]
            if data.get("by"):
                line.append((f" by {safe(str(data['by']))}", ""))
            for label in ("channel", "title", "note", "reason", "evidence", "text"):
                if data.get(label):
                    line.append((f" · {label}: {safe(str(data[label]))}", "dim"))
            recorded = recorded_time(data.get("recorded"))
            if recorded is not None and abs(recorded - r.ts) > BACK_DATED:
                # Its time is what --now said; when it was really written differs by days.
                line.append((f" · recorded {recorded.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC", "yellow"))
            if r.id in retracted:
                line.append((" (retracted)", "yellow"))
            line.append((f"  [{r.id}]", "dim"))
            out.segs_wrapped(line, 18)
        out.emit()

    def verification(self, book: LogBackend, checked: LogRead, witness: Head | None = None) -> None:
        breaks = [p for p in checked.problems if p.kind in ("chain", "head")]
        path = safe(book.where)
        if breaks:
            for problem in breaks:
                say(f"{path}: {problem.message}")
            return
        say(f"{path}: {len(checked.records)} records, hash chain intact")
        if witness is not None:
            say(f"It extends the head {witness.lines}:{witness.sha256[:12]}: lines 1 to {witness.lines} are as then.")
        if checked.head is not None:
            say(f"Head now: {checked.head}")

    def info(self, facts: dict[str, Any]) -> None:
        out = Lines(stdout())
        for key, value in facts.items():
            if key == "log_problems":
                value = "; ".join(value) or "none"
            if key in ("warning", "log_origin", "log_plan_id", "log_adopted_from", "log_candidates"):
                continue  # said in "log from", in words; --json has them apart
            label, text = f"{key.replace('_', ' '):<13} ", safe(str(value))
            if key in _WHOLE and " " not in text and len(label) + len(text) > out.width:
                out.add(label.rstrip())  # a path or digest is copied whole: on a line of its own
                out.add(f"{INDENT}{text}")
            else:
                out.wrapped(text, 14, first=[(label, "")])
        out.emit()

    # --- incidents ------------------------------------------------------------------------------

    def incident(
        self,
        plan: Plan,
        incident: Incident,
        steps: list[Step],
        office: bool,
        now: dt.datetime,
        *,
        events: bool = False,
    ) -> None:
        out = Lines(stdout())
        state = "open" if incident.is_open else f"closed {incident.closed:%a %-d %b %H:%M}"
        out.wrapped(f"Incident {incident.id}: {safe(incident.title)}", 2, "bold", first=[])
        area = f" · {safe(incident.area)}" if incident.area else ""
        out.wrapped(
            f"{safe(triggers_text(plan, incident))} · {state} · opened {incident.opened:%a %-d %b %Y %H:%M} "
            f"({since(incident.opened, now)} ago) by {safe(incident.opened_by)}{area}",
            0,
            "dim",
        )
        hours = "within office hours: e-mail" if office else "out of office hours: telephone"
        out.add(f"Now {now:%a %-d %b %H:%M %Z}, {hours}.", "dim")
        out.add()
        for step in steps:
            mark = "[x]" if step.status == "done" else "[ ]"
            head: Segs = [(f"  {mark} {step.number}. ", "bold"), (step.id, "cyan")]
            if step.status == "done" and step.done_at:
                head.append((f" · done {step.done_at:%a %-d %b %H:%M} by {safe(step.done_by or '')}", "green"))
                if step.times > 1 and step.last_at:
                    head.append((f" · {step.times} notifications, the last {step.last_at:%a %-d %b %H:%M}", "green"))
            out.segs_wrapped(head, 9)
            if step.rule:
                refer = plan.role(step.refer_to).name if step.refer_to else ""
                owner = display_name(plan.role(step.owner).name) if step.owner else "whoever takes the query"
                out.wrapped(safe(f"{step.what} {owner} refers them to {refer}."), 9)
            else:
                sender = display_name(plan.role(step.owner).name)
                audience = display_name(plan.audience(step.audience).name)
                channels = " or ".join(plan.channel(c).name for c in step.channels)
                out.wrapped(safe(f"{sender} notify {audience} by {channels}: {step.what}"), 9)
        pending = sum(1 for s in steps if s.status == "pending")
        out.add()
        if incident.is_open:
            out.wrapped(
                f"{pending} of {len(steps)} steps pending. Mark one: commsplan incident notify {incident.id} STEP",
                2,
                "dim",
            )
        else:  # a closed incident takes no more notifications: say what was left, not how to mark it
            out.wrapped(f"Closed with {pending} of {len(steps)} steps never marked done.", 2, "dim")
        if events:
            out.add()
            out.add("Record (for the Community Impact Assessment):", "bold")
            for event in incident.events:
                what = event.text
                if event.kind == "notified":
                    channel = f" by {plan.channel(event.channel).name}" if event.channel else ""
                    what = f"{event.step}{channel}" + (f" · {event.text}" if event.text else "")
                elif event.kind == "trigger":
                    names = {t.id: t.name for t in plan.triggers}
                    trigger = event.trigger or ""
                    what = f"also {names.get(trigger, trigger)}" + (f" · {event.text}" if event.text else "")
                out.segs_wrapped(
                    [
                        (f"  {event.at:%Y-%m-%d %H:%M}  {event.kind:<9} {safe(what)}", ""),
                        (f" ({safe(event.by)})", "dim"),
                    ],
                    30,
                )
        out.emit()

    def incidents(
        self, plan: Plan, rows: Sequence[tuple[Incident, list[Step], bool]], now: dt.datetime, all_: bool
    ) -> None:
        if not rows:
            say("No open incidents." if not all_ else "No incidents in the log.")
            return
        out = Lines(stdout())
        for incident, steps, _ in rows:
            pending = sum(1 for s in steps if s.status == "pending")
            state = f"open {since(incident.opened, now)}" if incident.is_open else "closed"
            out.segs_wrapped(
                [
                    (f"{incident.id:<12} ", "bold cyan"),
                    (f"{state:<18} {pending} of {len(steps)} pending  ", ""),
                    (f"{safe(triggers_text(plan, incident))}: {safe(incident.title)}", ""),
                ],
                13,
            )
        out.emit()

    def incident_noted(self, incident: Incident, record: LogRecord) -> None:
        say(f"Noted on {incident.id} at {record.ts:%H:%M}. Record {record.id}.")

    def step_notified(self, step: Step, pending: int, record: LogRecord) -> None:
        if step.status == "done" and step.done_at:
            # the step as it was before this record: this is an update of a live incident
            say(
                f"Step {step.number} ({step.id}) updated: notification {step.times + 1}, the first "
                f"{step.done_at:%a %-d %b %H:%M}. {pending} pending. Record {record.id}."
            )
            return
        say(f"Step {step.number} ({step.id}) done. {pending} pending. Record {record.id}.")

    def incident_closed(self, incident: Incident, never_done: Sequence[str], record: LogRecord) -> None:
        tail = f" {len(never_done)} step(s) were never marked done: {', '.join(never_done)}." if never_done else ""
        say(f"Closed {incident.id}.{tail} Record {record.id}.")

    # --- calendars and reports ------------------------------------------------------------------

    def calendar_written(
        self, count: int, start: dt.date, end: dt.date, path: Path, period: PeriodStatus | None = None
    ) -> None:
        if period is not None and period.notice:
            say([(safe(period.notice), "bold yellow")])
        say(f"Wrote {count} events ({start.isoformat()} to {end.isoformat()}) to {safe(str(path))}.")

    def report(
        self, report: Report, by: GroupBy, back_dated: Sequence[tuple[tuple[str, str], Completion]] = ()
    ) -> None:
        console = stdout()
        rows = report.groups
        start, end = report.start, report.end
        say([(f"How the plan was kept, {start:%-d %b %Y} to {end:%-d %b %Y}, by {by}", "bold")], console)
        if report.period.notice:
            say([(safe(report.period.notice), "bold yellow")], console)
        if report.tracked_from is not None:
            say(
                [(f"Counted from {day(report.tracked_from)}, when tracking began; nothing before it counts.", "dim")],
                console,
            )
        headers = (by.capitalize(), "Due", "On time", "Late", "Skipped", "Missed", "Done", "")
        cells = [
            (
                safe(display_name(g.name)),
                str(g.due),
                str(g.on_time),
                str(g.late),
                str(g.skipped),
                str(g.missed),
                "-" if g.rate is None else f"{g.rate:.0%}",
                "█" * _filled(g.rate) + "░" * (8 - _filled(g.rate)),
            )
            for g in rows
        ]
        out = Lines(console)
        plain = None if console.is_terminal else report_table_lines(headers, cells, out.width)
        if plain is None:  # a terminal (styles), or cells only rich lays out right
            from rich.table import Table
            from rich.text import Text

            table = Table(box=None, pad_edge=False, header_style="bold")
            table.add_column(headers[0], no_wrap=True, max_width=NAME_WIDTH, overflow="ellipsis")
            for name in headers[1:7]:
                table.add_column(name, justify="right", no_wrap=True)
            table.add_column("", no_wrap=True)
            for g, row in zip(rows, cells, strict=True):
                filled = _filled(g.rate)
                bar = Text("█" * filled, style="green" if (g.rate or 0) >= 0.8 else "red")
                bar.append("░" * (8 - filled), style="dim")
                table.add_row(*row[:5], Text(row[5], style="red" if g.missed else ""), row[6], bar)
            print_trimmed(console if not isinstance(console, PlainConsole) else rich_console(), table)
        else:
            out.lines += plain
        if report.occasional:
            out.add()
            out.add("When there is something to say (never counted as missed):", "bold")
            width = max(len(o.activity) for o in report.occasional) + 2
            for o in report.occasional:
                out.add(f"{INDENT}{o.activity:<{width}}done on {o.done} of {o.of} {o.unit}")
        if back_dated:
            # Judged by the time they claim (--now when recorded); said, so a reader can weigh them.
            out.add()
            out.wrapped(
                f"Back-dated: {len(back_dated)} completion{'s' if len(back_dated) != 1 else ''} recorded more than "
                "a day after the time claimed, and counted at that time:",
                2,
                first=[],
            )
            for (activity, key), c in sorted(back_dated, key=lambda item: item[1].at):
                recorded = (c.recorded or c.at).astimezone(dt.UTC)
                out.wrapped(
                    f"{activity} {safe(key)} · claims {c.at:%-d %b %Y %H:%M}, recorded {recorded:%-d %b %Y %H:%M} "
                    f"UTC by {safe(c.by)} [{c.record_id}]",
                    4,
                    first=[("  ", "")],
                )
        out.emit()


class MarkdownRenderer(TextRenderer):
    """The digest as Markdown (for a chat or a wiki); other views as text."""

    markdown = True

    def _user(self, text: str) -> str:
        return markdown_text(text)


def _wrap_keeping_tail(text: str, tail: str, width: int) -> list[str]:
    """``text`` and then ``tail`` wrapped at ``width``, never splitting ``tail`` itself."""
    from commsplan.render.console import wrap

    lines = wrap(text, width)
    if len(lines[-1]) + 1 + len(tail) <= width:
        lines[-1] += " " + tail
    else:
        lines.append(tail)
    return lines
