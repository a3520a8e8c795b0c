"""Human output through rich: readable in a terminal and in a cron e-mail at 80 columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import groupby
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


def print_due(console: Console, loaded: LoadedPlan, agenda: Agenda, *, overdue_only: bool = False) -> None:
    plan = loaded.plan
    window = agenda.window
    span = day(window.start) if window.start == window.end else f"{day(window.start)} to {day(window.end)}"
    heading = (
        f"Overdue since the plan began ({day(plan.meta.period.start)})"
        if overdue_only
        else f"Due {window.label}: {span}"
    )
    console.print(Text(heading, style="bold"))
    console.print(Text(f"{plan.meta.unit} · now {moment(agenda.now)}", style="dim"))
    console.print()
    if agenda.overdue:
        count = len(agenda.overdue)
        console.print(Text(f"OVERDUE ({count})", style="bold red"))
        _print_items(console, plan, agenda.overdue, agenda.now.year)
        console.print()
    elif not overdue_only:
        console.print(Text("Nothing overdue.", style="green"))
        console.print()
    else:
        console.print(Text("Nothing overdue.", style="green"))
    if overdue_only:
        return
    due_now = [i for i in agenda.due if i.occurrence.due <= window.end]
    later = [i for i in agenda.due if i.occurrence.due > window.end]
    if due_now:
        console.print(Text(f"DUE {window.label.upper()} ({len(due_now)})", style="bold"))
        _print_items(console, plan, due_now, agenda.now.year)
    else:
        console.print(Text(f"Nothing else due {window.label}.", style="green"))
    if later:
        console.print()
        console.print(Text(f"OPEN {window.label.upper()}, DUE LATER ({len(later)})", style="bold"))
        _print_items(console, plan, later, agenda.now.year)
    if agenda.on_request:
        console.print()
        console.print(Text(f"ON REQUEST, no schedule ({len(agenda.on_request)})", style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="cyan")
        grid.add_column()
        for activity in agenda.on_request:
            line = Text(f"{activity.what.text}; to {display_name(plan.audience(activity.audience).name)}")
            line.append(f' ("{activity.frequency.as_written}")', style="dim")
            grid.add_row(activity.id, line)
        print_trimmed(console, Padding(grid, (0, 0, 0, len(INDENT))))
    if agenda.triggered:
        console.print()
        ids = ", ".join(a.id for a in agenda.triggered)
        line = Text(f"On an incident or enquiry ({len(agenda.triggered)}; see 'commsplan who'): {ids}", style="dim")
        print_trimmed(console, line)


def _print_items(console: Console, plan: Plan, items: Iterable[Item], this_year: int) -> None:
    ordered = sorted(items, key=lambda i: (i.activity.id, i.status, i.occurrence.due))
    # One entry per activity and status: a daily item is one line with its count, not seven.
    groups = [list(group) for _, group in groupby(ordered, key=lambda i: (i.activity.id, i.status))]
    groups.sort(key=lambda g: (g[0].occurrence.due, g[0].activity.id))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column()
    for group in groups:
        grid.add_row(*_entry(plan, group, this_year))
    print_trimmed(console, Padding(grid, (0, 0, 0, len(INDENT))))


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


def _entry(plan: Plan, group: list[Item], this_year: int) -> tuple[Text, Text]:
    first, last = group[0], group[-1]
    activity = first.activity
    status = first.status
    text = Text()
    text.append(activity.id, style="bold cyan")
    occ = first.occurrence
    when = short_day(occ.due, year=occ.due.year != this_year)
    if len(group) == 1:
        if occ.at is not None:
            when += occ.at.strftime(" %H:%M")
        text.append(f" · {occ.key}")
        if status == "overdue":
            text.append(f" · {_days(first.late_days)} late", style="red")
        elif status == "upcoming":
            text.append(f" · opens {short_day(occ.opens)}", style="dim")
        elif first.completion is not None:
            done = first.completion
            late = f", {_days(first.late_days)} late" if status == "done" and first.late_days else ""
            text.append(f" · {status} {short_day(done.at.date())} by {safe(done.by)}{late}", style="green")
    else:
        end = last.occurrence.due
        span = f"{short_day(occ.due, year=occ.due.year != this_year)} to {short_day(end, year=end.year != this_year)}"
        label = {"overdue": "overdue", "open": "open", "upcoming": "to come", "done": "done", "skipped": "skipped"}
        text.append(f" · {len(group)} {label[status]}, {span}", style="red" if status == "overdue" else "")
    text.append(f"\n{activity.what.text}")
    audience = display_name(plan.audience(activity.audience).name)
    sender = display_name(plan.role(activity.owner.role).name)
    text.append(f"\nto {audience} · from {sender} · by {channels_text(plan, activity)}", style="dim")
    return Text(when), text


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"
