"""HTML views: the digest's HTML part for mail clients, and `report --html`. Every piece of text from a plan or a
log goes through ``h()`` (html.escape), the one way text enters HTML here."""

from __future__ import annotations

import html
from collections.abc import Sequence

from commsplan.log.state import Incident
from commsplan.plan.data import Activity, Plan
from commsplan.render.text import runs
from commsplan.rules.agenda import Item, Run
from commsplan.rules.digest import Digest
from commsplan.rules.report import Fate, GroupStats, Occasional, Overview


def h(text: object) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def _when(day: object) -> str:
    return f"{day:%a %-d %b %Y}"


def who_line(plan: Plan, activity: Activity) -> str:
    """'to AUDIENCE · from ROLE · by CHANNELS' in the plan's names (plain text)."""
    audiences = {a.id: a.name for a in plan.audiences}
    roles = {r.id: r.name for r in plan.roles}
    channels = {c.id: c.name for c in plan.channels}
    by = ", ".join(dict.fromkeys(channels.get(c.channel, c.channel) for c in activity.channels))
    return (
        f"to {audiences.get(activity.audience, activity.audience)} · "
        f"from {roles.get(activity.owner.role, activity.owner.role)} · by {by}"
    )


def _group_rows(plan: Plan, groups: Sequence[Run | list[Item]]) -> list[str]:
    rows = []
    counted = [g if isinstance(g, Run) else Run.of(g) for g in groups]
    for run in sorted(counted, key=lambda r: (r.first.occurrence.due, r.activity.id)):
        first, last = run.first, run.last
        activity = first.activity
        if run.count == 1:
            when, what = _when(first.occurrence.due), first.occurrence.key
        else:
            when = f"{_when(first.occurrence.due)} to {_when(last.occurrence.due)}"
            what = f"{run.count} {'overdue' if first.status == 'overdue' else 'occurrences'}"
        rows.append(
            f"<li><strong>{h(when)}</strong> <code>{h(activity.id)}</code> · {h(what)}<br>"
            f"{h(activity.what.text)}<br><small>{h(who_line(plan, activity))}</small></li>"
        )
    return rows


def digest_html(plan: Plan, digest: Digest, notes: Sequence[str]) -> str:
    """The digest as a small HTML document for the mail's HTML part (inline styles only)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(digest.subject())}</title></head>",
        '<body style="font-family: sans-serif; line-height: 1.4; max-width: 48em">',
        f'<h1 style="font-size: 1.3em">{h(digest.subject())}</h1>',
        f"<p>{h(plan.meta.unit)} · now {h(f'{digest.now:%a %-d %b %Y %H:%M %Z}')} · "
        f"the next {(digest.window.end - digest.window.start).days + 1} days, to {h(_when(digest.window.end))}</p>",
    ]
    if digest.period is not None and digest.period.notice:
        out.append(f"<p><strong>{h(digest.period.notice)}</strong></p>")
    if digest.incidents:
        out.append(f"<h2>OPEN INCIDENTS ({len(digest.incidents)})</h2><ul>")
        for incident, steps in digest.incidents:
            out.append(f"<li><strong>{h(incident.id)}</strong> {h(incident.title)}: {len(steps)} to notify<ul>")
            out += [f"<li>{step.number}. <code>{h(step.id)}</code>: {h(step.what)}</li>" for step in steps]
            out.append("</ul></li>")
        out.append("</ul>")
    sections: list[tuple[str, Sequence[Run | list[Item]]]] = [
        (f"OVERDUE ({digest.overdue_count})", digest.overdue),
        (f"DUE TODAY ({len(digest.today)})", runs(digest.today)),
    ]
    if digest.optional:
        sections.append((f"TODAY, IF THERE IS SOMETHING TO SAY ({len(digest.optional)})", runs(digest.optional)))
    sections.append((f"COMING UP TO {_when(digest.window.end).upper()} ({len(digest.coming)})", runs(digest.coming)))
    for title, groups in sections:
        out.append(f"<h2>{h(title)}</h2>")
        out.append("<ul>" + "".join(_group_rows(plan, groups)) + "</ul>" if groups else "<p>nothing</p>")
    for title, items, opens in (
        ("BEING PREPARED", digest.preparing, "opened"),
        ("CAMPAIGNS STARTING SOON", digest.campaigns, "opens"),
    ):
        if not items:
            continue
        out.append(f"<h2>{title} ({len(items)})</h2><ul>")
        for item in items:
            occ = item.occurrence
            out.append(
                f"<li><code>{h(item.activity.id)}</code> · {h(occ.key)}: {opens} {h(_when(occ.opens))}, "
                f"due {h(_when(occ.due))} ({h(item.activity.what.text)})</li>"
            )
        out.append("</ul>")
    if digest.undated:
        first = digest.undated[0]
        span = f"{_when(first.year_start)} to {_when(first.year_end)}"
        out.append(f"<h2>NO DATE THIS PLAN YEAR ({h(span)}): add the dates to the plan</h2><ul>")
        for undated in digest.undated:
            out.append(f"<li><code>{h(undated.activity.id)}</code>: {h(undated.what(plan))}</li>")
        out.append("</ul>")
    late = f", {digest.late_since} of them late" if digest.late_since else ""
    skipped = f"; {digest.skipped_since} skipped" if digest.skipped_since else ""
    out.append(
        f"<h2>DONE SINCE {h(f'{digest.since:%a %-d %b %Y %H:%M %Z}'.upper())}: {digest.done_since}{h(late)}{h(skipped)}</h2>"
    )
    if digest.log_head is not None:  # the witness `log --verify --head` checks later
        out.append(f"<p>Log head: <code>{h(digest.log_head)}</code></p>")
    if notes:
        out.append("<h2>NOTES</h2><ul>" + "".join(f"<li>{h(n)}</li>" for n in notes) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- report --html: how the plan was kept, at a glance ----------------------------------------

# Five bands of completion, each with a word as well as a colour (never colour alone).
_BANDS = [
    (0.0, "b0", "under 20%"),
    (0.2, "b1", "20-49%"),
    (0.5, "b2", "50-79%"),
    (0.8, "b3", "80-99%"),
    (1.0, "b4", "100%"),
]

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1b1b;
  margin: 0 auto; padding: 1rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid #1b1b1b; padding-bottom: .15rem; }
p.meta { margin: 0; color: #444; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; padding: 0; list-style: none; }
.summary li { border: 1px solid #bbb; border-radius: 4px; padding: .35rem .7rem; }
.summary strong { display: block; font-size: 1.35rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .45rem; text-align: right; vertical-align: top; }
th[scope=row], td.text, th.text { text-align: left; }
thead th { background: #eee; }
td.heat { text-align: center; min-width: 3.6rem; }
td.rate { white-space: nowrap; }
td.heat small { display: block; color: inherit; opacity: .85; }
.b0 { background: #b2182b; color: #fff; } .b1 { background: #ef8a62; color: #000; }
.b2 { background: #fddbc7; color: #000; } .b3 { background: #a6dba0; color: #000; }
.b4 { background: #1b7837; color: #fff; } .none { background: #f4f4f4; color: #555; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem; list-style: none; padding: 0; margin: .5rem 0 0; }
.legend li { padding: .1rem .5rem; border: 1px solid #999; }
code { font-size: .92em; }
footer { margin-top: 2rem; color: #555; font-size: .85rem; word-break: break-all; }
@media (max-width: 40rem) { body { font-size: 14px; padding: .5rem; } th, td { padding: .2rem .3rem; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 9pt; max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, .summary li { break-inside: avoid; }
  thead { display: table-header-group; }
  .scroll { overflow: visible; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _band(rate: float | None) -> tuple[str, str]:
    if rate is None:
        return "none", "nothing due"
    chosen = _BANDS[0]
    for band in _BANDS:
        if rate >= band[0]:
            chosen = band
    return chosen[1], chosen[2]


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def _bar(rate: float | None) -> str:
    """A small inline SVG bar; the number beside it says the same in words."""
    width = 0 if rate is None else round(rate * 60)
    return (
        '<svg width="60" height="10" viewBox="0 0 60 10" aria-hidden="true" focusable="false">'
        '<rect width="60" height="10" fill="#ddd"/>'
        f'<rect width="{width}" height="10" fill="#1b7837"/></svg>'
    )


def _stats_table(caption: str, label: str, rows: Sequence[GroupStats]) -> list[str]:
    out = [
        '<div class="scroll"><table>',
        f"<caption>{h(caption)}</caption>",
        f'<thead><tr><th scope="col" class="text">{h(label)}</th><th scope="col">Due</th>'
        '<th scope="col">On time</th><th scope="col">Late</th><th scope="col">Skipped</th>'
        '<th scope="col">Missed</th><th scope="col">Still open</th><th scope="col">Done</th></tr></thead><tbody>',
    ]
    for g in rows:
        out.append(
            f'<tr><th scope="row">{h(g.name)}</th><td>{g.due}</td><td>{g.on_time}</td><td>{g.late}</td>'
            f"<td>{g.skipped}</td><td>{g.missed}</td><td>{g.pending}</td>"
            f'<td class="rate">{_bar(g.rate)} {h(_pct(g.rate))}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _heat_map(overview: Overview) -> list[str]:
    months = overview.months
    out = [
        '<div class="scroll"><table class="heat-map">',
        "<caption>Share of what fell due that was done, per audience (worst first) and month. "
        "Each cell gives the share and how many fell due.</caption>",
        '<thead><tr><th scope="col" class="text">Audience</th><th scope="col">Whole window</th>',
        *[f'<th scope="col">{h(f"{m:%b %Y}")}</th>' for m in months],
        "</tr></thead><tbody>",
    ]
    for row, cells in overview.heat:
        out.append(f'<tr><th scope="row">{h(row.name)}</th>')
        for cell in [row, *cells]:
            css, words = _band(cell.rate)
            share, due = _pct(cell.rate), f"{cell.due} due" if cell.due else "none due"
            if cell.rate is None and cell.due:  # everything that fell due was skipped
                share, due, words = "–", f"{cell.skipped} skipped", "all skipped"
            out.append(f'<td class="heat {css}" title="{h(words)}">{h(share)}<small>{h(due)}</small></td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    legend = "".join(f'<li class="{css}">{h(words)}</li>' for _, css, words in _BANDS)
    out.append(f'<ul class="legend" aria-label="Key">{legend}<li class="none">– nothing due, or all skipped</li></ul>')
    return out


def _missed(plan: Plan, missed: Sequence[Fate]) -> list[str]:
    if not missed:
        return ["<p>Nothing was missed.</p>"]
    runs: dict[str, list[Fate]] = {}
    for fate in missed:
        runs.setdefault(fate.activity.id, []).append(fate)
    out = [
        '<div class="scroll"><table>',
        f"<caption>{len(missed)} occurrences fell due and were neither done nor skipped, per activity.</caption>",
        '<thead><tr><th scope="col" class="text">Activity</th><th scope="col" class="text">To · from</th>'
        '<th scope="col">Missed</th><th scope="col" class="text">Due</th></tr></thead><tbody>',
    ]
    for activity_id, run in sorted(runs.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        activity = run[0].activity
        days = [f.occurrence.due for f in run]
        when = ", ".join(f"{d:%-d %b}" for d in days) if len(days) <= 4 else f"{days[0]:%-d %b} to {days[-1]:%-d %b %Y}"
        to = f"{plan.audience(activity.audience).name} · {plan.role(activity.owner.role).name}"
        out.append(
            f'<tr><th scope="row"><code>{h(activity_id)}</code><br>{h(activity.what.text)}</th>'
            f'<td class="text">{h(to)}</td><td>{len(run)}</td><td class="text">{h(when)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _occasional(kept: Sequence[Occasional]) -> list[str]:
    if not kept:
        return ["<p>The plan has no conditional duties.</p>"]
    out = [
        '<div class="scroll"><table>',
        "<caption>Duties wanted only when there is something to say: never counted as missed.</caption>",
        '<thead><tr><th scope="col" class="text">Activity</th><th scope="col">Done on</th>'
        '<th scope="col">Of</th></tr></thead><tbody>',
    ]
    for o in kept:
        out.append(
            f'<tr><th scope="row"><code>{h(o.activity)}</code><br>{h(o.what)}</th>'
            f"<td>{o.done}</td><td>{o.of} {h(o.unit)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    return out


def _skipped(skipped: Sequence[Fate]) -> list[str]:
    if not skipped:
        return ["<p>Nothing was skipped.</p>"]
    out = [
        '<div class="scroll"><table>',
        f"<caption>{len(skipped)} occurrences will not happen, and why.</caption>",
        '<thead><tr><th scope="col" class="text">Due</th><th scope="col" class="text">Activity</th>'
        '<th scope="col" class="text">Reason</th><th scope="col" class="text">Recorded by</th></tr></thead><tbody>',
    ]
    for fate in skipped:
        c = fate.completion
        out.append(
            f'<tr><td class="text">{h(f"{fate.occurrence.due:%a %-d %b %Y}")}</td>'
            f'<th scope="row"><code>{h(fate.activity.id)}</code> {h(fate.occurrence.key)}</th>'
            f'<td class="text">{h(c.note if c and c.note else "(no reason given)")}</td>'
            f'<td class="text">{h(c.by if c else "")}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _incidents(incidents: Sequence[Incident]) -> list[str]:
    if not incidents:
        return ["<p>No incident was opened in this window.</p>"]
    out: list[str] = []
    for incident in incidents:
        opened = incident.opened
        state = f"closed {incident.closed:%a %-d %b %Y %H:%M}" if incident.closed else "still open"
        out.append(
            f"<h3>{h(incident.id)}: {h(incident.title)}</h3>"
            f'<p class="meta">{h(incident.level)} · opened {h(f"{opened:%a %-d %b %Y %H:%M %Z}")} '
            f"by {h(incident.opened_by)}{h(' · ' + incident.area if incident.area else '')} · {h(state)}</p>"
        )
        # every notification, updates while the incident is live included
        notified = sorted((e for events in incident.notified.values() for e in events), key=lambda e: e.at)
        if not notified:
            out.append("<p>No notification was recorded.</p>")
            continue
        out.append(
            '<div class="scroll"><table><caption>Notifications and updates, in order</caption>'
            '<thead><tr><th scope="col" class="text">Step</th><th scope="col" class="text">At</th>'
            '<th scope="col">After opening</th><th scope="col" class="text">By</th>'
            '<th scope="col" class="text">Channel</th></tr></thead><tbody>'
        )
        for event in notified:
            minutes = int((event.at - opened).total_seconds() // 60)
            out.append(
                f'<tr><th scope="row"><code>{h(event.step or "")}</code></th>'
                f'<td class="text">{h(f"{event.at.astimezone(opened.tzinfo):%a %-d %b %H:%M}")}</td>'
                f'<td>{minutes} min</td><td class="text">{h(event.by)}</td>'
                f'<td class="text">{h(event.channel or "")}</td></tr>'
            )
        out.append("</tbody></table></div>")
    return out


def report_html(plan: Plan, overview: Overview, log_count: int, log_head: str, plan_digest: str) -> str:
    """One self-contained page (inline CSS and SVG, no script, nothing fetched): readable on a
    phone, printable on A4, with table semantics and words beside every colour."""
    from commsplan import __version__

    total = GroupStats("all", "All")
    for row, _cells in overview.heat:
        for field_ in ("on_time", "late", "skipped", "missed", "pending"):
            setattr(total, field_, getattr(total, field_) + getattr(row, field_))
    title = f"How the plan was kept, {overview.start:%-d %b %Y} to {overview.end:%-d %b %Y}"
    summary = [
        ("fell due", total.due),
        ("done on time", total.on_time),
        ("done late", total.late),
        ("skipped", total.skipped),
        ("missed", total.missed),
        ("still open", total.pending),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(title)} · {h(plan.meta.unit)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{h(title)}</h1>",
        f'<p class="meta">{h(plan.meta.title)} · {h(plan.meta.unit)} · as of '
        f"{h(f'{overview.now:%a %-d %b %Y %H:%M %Z}')}</p></header>",
        "<main>",
        '<ul class="summary" aria-label="Totals">',
        *[f"<li><strong>{n}</strong>{h(label)}</li>" for label, n in summary],
        f"<li><strong>{h(_pct(total.rate))}</strong>done of what fell due and was not skipped</li></ul>",
        "<section><h2>Audiences by month</h2>",
        *_heat_map(overview),
        "</section><section><h2>By sender</h2>",
        *_stats_table("Per sender's role, worst first", "Sender", overview.by_owner),
        "</section><section><h2>By channel</h2>",
        *_stats_table("Per channel, worst first", "Channel", overview.by_channel),
        "</section><section><h2>When there is something to say</h2>",
        *_occasional(overview.occasional),
        "</section><section><h2>Missed</h2>",
        *_missed(plan, overview.missed),
        "</section><section><h2>Skipped</h2>",
        *_skipped(overview.skipped),
        "</section><section><h2>Incidents</h2>",
        *_incidents(overview.incidents),
        "</section><section><h2>The completion log</h2>",
        f"<p>{log_count} record{'s' if log_count != 1 else ''}; the last line's sha256 is "
        f"<code>{h(log_head or '(empty log)')}</code>. <code>commsplan log --verify</code> checks the chain "
        "that leads to it, so this report can be matched to the log it was made from.</p>",
        "</section></main>",
        f"<footer>Made by commsplan {h(__version__)} from the plan with sha256 {h(plan_digest)}.</footer>",
        "</body></html>",
    ]
    return "\n".join(out) + "\n"
