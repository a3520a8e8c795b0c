"""Human output through rich: readable in a terminal and in a cron e-mail at 80 columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from commsplan.model import Activity, Plan
from commsplan.planfile import LoadedPlan
from commsplan.safetext import visible as safe

if TYPE_CHECKING:
    from commsplan.agenda import Agenda, Item
    from commsplan.history import Incident
    from commsplan.incidents import Step

INDENT = "  "


def day(value: dt.date) -> str:
    return value.strftime("%a %-d %b %Y")


def short_day(value: dt.date, *, year: bool = False) -> str:
    return value.strftime("%-d %b %Y" if year else "%-d %b")


def moment(value: dt.datetime) -> str:
    return value.strftime("%a %-d %b %Y %H:%M %Z")


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


def frequency_text(activity: Activity) -> str:
    freq = activity.frequency
    kind = freq.kind.replace("_", " ")
    return f'{kind} (source: "{freq.as_written}")'


# --- who / show / list ------------------------------------------------------------------------


def _field(table: Table, label: str, value: str | Text) -> None:
    table.add_row(Text(label, style="bold"), value if isinstance(value, Text) else Text(value))


def activity_card(plan: Plan, activity: Activity, *, full: bool = False) -> Group:
    audience = plan.audience(activity.audience)
    role = plan.role(activity.owner.role)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=7)
    grid.add_column()
    _field(grid, "To", f"{audience.name}")
    sender = role.name
    if activity.owner.with_:
        sender += " with " + ", ".join(plan.role(r).name for r in activity.owner.with_)
    _field(grid, "From", sender)
    _field(grid, "What", activity.what.text)
    how = []
    for use in activity.channels:
        text = plan.channel(use.channel).name
        extra = [x for x in (use.detail, _when_words(use.when)) if x]
        if extra:
            text += f" ({'; '.join(extra)})"
        how.append(text)
    _field(grid, "How", "; ".join(dict.fromkeys(how)))
    freq = activity.frequency
    when = Text(freq.kind.replace("_", " "))
    when.append(f'  source: "{freq.as_written}"', style="dim")
    _field(grid, "When", when)
    if freq.interpretation:
        _field(grid, "Reading", freq.interpretation)
    _field(grid, "Why", activity.why)
    if full:
        _field(grid, "Sender as written", activity.owner.as_written)
        _field(grid, "What as written", activity.what.as_written)
        _field(grid, "How as written", activity.how_as_written)
        for note in [*activity.notes, *([freq.note] if freq.note else [])]:
            _field(grid, "Note", note)
        row = plan.source_row(activity.row)
        if row is not None:
            lines = ", ".join(str(n) for n in row.lines)
            _field(grid, "Source row", f"{activity.row} (line{'s' if len(row.lines) > 1 else ''} {lines})")
            for label, cell in (
                ("  Where to", row.where_to),
                ("  Who from", row.who_from),
                ("  What", row.what),
                ("  How", row.how),
                ("  When", row.when),
                ("  Why", row.why),
            ):
                _field(grid, label, Text(cell, style="dim"))
    return Group(Text(activity.id, style="bold cyan"), Padding(grid, (0, 0, 0, 2)))


def _when_words(when: str) -> str:
    return {"office_hours": "in office hours", "out_of_hours": "out of office hours"}.get(when, "")


def print_who(console: Console, plan: Plan, activities: Sequence[Activity], heading: str) -> None:
    console.print(Text(heading, style="bold"))
    for activity in activities:
        console.print()
        print_trimmed(console, activity_card(plan, activity))


def print_list(console: Console, plan: Plan, activities: Sequence[Activity]) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("Activity", no_wrap=True, style="cyan")
    table.add_column("To")
    table.add_column("When")
    for activity in activities:
        audience = display_name(plan.audience(activity.audience).name)
        table.add_row(activity.id, audience, activity.frequency.kind.replace("_", " "))
    print_trimmed(console, table)
    console.print(Text(f"{len(activities)} activities. 'commsplan show ID' prints one in full.", style="dim"))


# --- due --------------------------------------------------------------------------------------


Segs = list[tuple[str, str]]  # (text, rich style) pieces of one line


class Lines:
    """Output built as pre-wrapped lines of (text, style) pieces: cheap for a plan of 10,000
    activities, where rich's layout costs seconds. Written through rich on a terminal (for
    the styles), as plain text otherwise."""

    def __init__(self, console: Console, width: int | None = None) -> None:
        self.console = console
        self.width = width or max(40, console.width)
        self.lines: list[Segs] = []

    def add(self, text: str = "", style: str = "") -> None:
        self.lines.append([(text, style)])

    def add_segs(self, segs: Segs) -> None:
        self.lines.append(segs)

    def wrapped(self, text: str, indent: int, style: str = "", first: Segs | None = None) -> None:
        """``text`` wrapped at the console width with a hanging indent; ``first`` (already
        laid out to ``indent`` columns) starts the first line."""
        pad = " " * indent
        lead = len("".join(p for p, _ in first)) if first is not None else indent
        for n, chunk in enumerate(wrap(text, self.width - max(indent, lead))):
            start = first if n == 0 and first is not None else [(pad, "")]
            self.lines.append([*start, (chunk, style)])

    def emit(self) -> None:
        if self.console.is_terminal:
            text = Text()
            for segs in self.lines:
                for piece, style in segs:
                    text.append(piece, style=style or None)
                text.append("\n")
            self.console.print(text, end="", soft_wrap=True, overflow="ignore", crop=False)
        else:
            self.console.file.write("".join("".join(p for p, _ in segs) + "\n" for segs in self.lines))
        self.lines = []


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap (textwrap's rules without its regex cost); long words are cut."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def print_due(
    console: Console,
    loaded: LoadedPlan,
    agenda: Agenda,
    *,
    overdue_only: bool = False,
    incidents: Sequence[tuple[Incident, list[Step]]] = (),
) -> None:
    plan = loaded.plan
    window = agenda.window
    out = Lines(console)
    span = day(window.start) if window.start == window.end else f"{day(window.start)} to {day(window.end)}"
    if overdue_only:
        heading = f"Overdue since the plan began ({day(plan.meta.period.start)})"
    else:
        heading = f"Due {window.label}: {span}"
    out.add(heading, "bold")
    out.add(f"{plan.meta.unit} · now {moment(agenda.now)}", "dim")
    out.add()
    year = agenda.now.year
    if incidents:
        print_incident_steps(out, plan, incidents, agenda.now)
        out.add()
    if agenda.overdue_runs:
        out.add(f"OVERDUE ({agenda.overdue_count})", "bold red")
        _groups(out, plan, agenda.overdue_runs, year)
    else:
        out.add("Nothing overdue.", "green")
    if not overdue_only:
        due_now = [i for i in agenda.due if i.occurrence.due <= window.end]
        later = [i for i in agenda.due if i.occurrence.due > window.end]
        out.add()
        if due_now:
            out.add(f"DUE {window.label.upper()} ({len(due_now)})", "bold")
            _items(out, plan, due_now, year)
        else:
            out.add(f"Nothing else due {window.label}.", "green")
        if later:
            out.add()
            out.add(f"OPEN {window.label.upper()}, DUE LATER ({len(later)})", "bold")
            _items(out, plan, later, year)
        if agenda.on_request:
            out.add()
            out.add(f"ON REQUEST, no schedule ({len(agenda.on_request)})", "bold")
            width = max(len(a.id) for a in agenda.on_request) + 4
            for activity in agenda.on_request:
                first = [(INDENT, ""), (activity.id, "cyan"), (" " * (width - len(INDENT) - len(activity.id)), "")]
                audience = display_name(plan.audience(activity.audience).name)
                out.wrapped(
                    f'{activity.what.text}; to {audience} ("{activity.frequency.as_written}")', width, first=first
                )
        if agenda.triggered:
            out.add()
            ids = ", ".join(a.id for a in agenda.triggered)
            out.wrapped(f"On an incident or enquiry ({len(agenda.triggered)}; see 'commsplan who'): {ids}", 0, "dim")
    out.emit()


def runs(items: Iterable[Item]) -> list[list[Item]]:
    """Items grouped per activity and status, each group oldest first: a daily item becomes one
    entry with its count, not seven."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item.activity.id, item.status), []).append(item)
    return [sorted(g, key=lambda i: i.occurrence.due) for g in groups.values()]


def _items(out: Lines, plan: Plan, items: Iterable[Item], this_year: int) -> None:
    _groups(out, plan, runs(items), this_year)


def _groups(out: Lines, plan: Plan, groups: list[list[Item]], this_year: int, *, markdown: bool = False) -> None:
    """Each group: one activity's occurrences with one status, oldest first."""
    ordered = sorted(groups, key=lambda g: (g[0].occurrence.due, g[0].activity.id))
    entries = [_entry(plan, group, this_year) for group in ordered]
    if markdown:
        for when, head, what, who in entries:
            heading = "".join(piece for piece, _ in head)
            out.add(f"- **{when}** {heading}: {what} ({who})")
        return
    width = max(len(when) for when, *_ in entries)
    indent = len(INDENT) + width + 2
    for when, head, what, who in entries:
        out.add_segs([(f"{INDENT}{when:<{width}}  ", "bold"), *head])
        out.wrapped(what, indent)
        out.wrapped(who, indent, "dim")


def print_trimmed(console: Console, renderable: RenderableType) -> None:
    """Print without the trailing spaces rich pads table cells with (they clutter e-mail)."""
    segments: list[Segment] = []
    for line in console.render_lines(renderable, console.options, pad=False):
        while line and not line[-1].control and not line[-1].text.strip():
            line.pop()
        if line and not line[-1].control:
            last = line[-1]
            line[-1] = Segment(last.text.rstrip(), last.style)
        segments.extend(line)
        segments.append(Segment.line())
    console.print(Segments(segments), end="")


def display_name(name: str) -> str:
    """A name without its parenthesised detail: 'Local Partners (MPs...)' -> 'Local Partners'."""
    return name.split(" (", 1)[0]


def _entry(plan: Plan, group: list[Item], this_year: int) -> tuple[str, Segs, str, str]:
    """(when, heading, what, to/from/by) of one activity's occurrences with one status."""
    first, last = group[0], group[-1]
    activity = first.activity
    status = first.status
    head: Segs = [(activity.id, "bold cyan")]
    occ = first.occurrence
    when = short_day(occ.due, year=occ.due.year != this_year)
    if len(group) == 1:
        if occ.at is not None:
            when += occ.at.strftime(" %H:%M")
        head.append((f" · {occ.key}", ""))
        if status == "overdue":
            head.append((f" · {_days(first.late_days)} late", "red"))
        elif status == "upcoming":
            head.append((f" · opens {short_day(occ.opens)}", "dim"))
        elif first.completion is not None:
            done = first.completion
            late = f", {_days(first.late_days)} late" if status == "done" and first.late_days else ""
            head.append((f" · {status} {short_day(done.at.date())} by {safe(done.by)}{late}", "green"))
    else:
        end = last.occurrence.due
        span = f"{short_day(occ.due, year=occ.due.year != this_year)} to {short_day(end, year=end.year != this_year)}"
        label = {"overdue": "overdue", "open": "open", "upcoming": "to come", "done": "done", "skipped": "skipped"}
        head.append((f" · {len(group)} {label[status]}, {span}", "red" if status == "overdue" else ""))
    audience = display_name(plan.audience(activity.audience).name)
    sender = display_name(plan.role(activity.owner.role).name)
    return when, head, activity.what.text, f"to {audience} · from {sender} · by {channels_text(plan, activity)}"


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def print_incident_steps(
    out: Lines,
    plan: Plan,
    incidents: Sequence[tuple[Incident, list[Step]]],
    now: dt.datetime,
    *,
    markdown: bool = False,
) -> None:
    """Open incidents and the notifications still to make, with the channel for this moment."""
    from commsplan.incidents import since

    h = "## " if markdown else ""
    out.add(f"{h}OPEN INCIDENTS ({len(incidents)})", "bold red")
    for incident, steps in incidents:
        out.wrapped(
            f"{incident.id} {incident.level}, open {since(incident.opened, now)}: {safe(incident.title)}",
            4,
            "bold",
            first=[("- " if markdown else "  ", "")],
        )
        for step in steps:
            if step.rule:
                text = step.what
            else:
                channels = " or ".join(plan.channel(c).name for c in step.channels)
                sender = display_name(plan.role(step.owner).name)
                text = f"{sender} -> {display_name(plan.audience(step.audience).name)} by {channels} ({step.id})"
            out.wrapped(f"[ ] {step.number}. {text}", 11, first=[("    - " if markdown else "    ", "")])
