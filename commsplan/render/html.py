"""HTML views: the digest's HTML part for mail clients. Every piece of text from a plan or a
log goes through ``h()`` (html.escape), the one way text enters HTML here."""

from __future__ import annotations

import html
from collections.abc import Sequence

from commsplan.plan.model import Activity, Plan
from commsplan.rules.agenda import Item
from commsplan.rules.digest import Digest


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


def _group_rows(plan: Plan, groups: Sequence[Sequence[Item]]) -> list[str]:
    rows = []
    for group in sorted(groups, key=lambda g: (g[0].occurrence.due, g[0].activity.id)):
        first, last = group[0], group[-1]
        activity = first.activity
        if len(group) == 1:
            when, what = _when(first.occurrence.due), first.occurrence.key
        else:
            when = f"{_when(first.occurrence.due)} to {_when(last.occurrence.due)}"
            what = f"{len(group)} {'overdue' if first.status == 'overdue' else 'occurrences'}"
        rows.append(
            f"<li><strong>{h(when)}</strong> <code>{h(activity.id)}</code> · {h(what)}<br>"
            f"{h(activity.what.text)}<br><small>{h(who_line(plan, activity))}</small></li>"
        )
    return rows


def _runs(items: Sequence[Item]) -> list[list[Item]]:
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item.activity.id, item.status), []).append(item)
    return list(groups.values())


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
    if digest.incidents:
        out.append(f"<h2>OPEN INCIDENTS ({len(digest.incidents)})</h2><ul>")
        for incident, steps in digest.incidents:
            out.append(f"<li><strong>{h(incident.id)}</strong> {h(incident.title)}: {len(steps)} to notify<ul>")
            out += [f"<li>{step.number}. <code>{h(step.id)}</code>: {h(step.what)}</li>" for step in steps]
            out.append("</ul></li>")
        out.append("</ul>")
    sections: list[tuple[str, list[list[Item]]]] = [
        (f"OVERDUE ({digest.overdue_count})", digest.overdue),
        (f"DUE TODAY ({len(digest.today)})", _runs(digest.today)),
        (f"COMING UP TO {_when(digest.window.end).upper()} ({len(digest.coming)})", _runs(digest.coming)),
    ]
    for title, groups in sections:
        out.append(f"<h2>{h(title)}</h2>")
        out.append("<ul>" + "".join(_group_rows(plan, groups)) + "</ul>" if groups else "<p>nothing</p>")
    if digest.campaigns:
        out.append(f"<h2>CAMPAIGNS STARTING SOON ({len(digest.campaigns)})</h2><ul>")
        for item in digest.campaigns:
            occ = item.occurrence
            out.append(
                f"<li><code>{h(item.activity.id)}</code> · {h(occ.key)}: opens {h(_when(occ.opens))}, "
                f"due {h(_when(occ.due))} ({h(item.activity.what.text)})</li>"
            )
        out.append("</ul>")
    late = f", {digest.late_since} of them late" if digest.late_since else ""
    skipped = f"; {digest.skipped_since} skipped" if digest.skipped_since else ""
    out.append(
        f"<h2>DONE SINCE {h(f'{digest.since:%a %-d %b %Y %H:%M %Z}'.upper())}: {digest.done_since}{h(late)}{h(skipped)}</h2>"
    )
    if notes:
        out.append("<h2>NOTES</h2><ul>" + "".join(f"<li>{h(n)}</li>" for n in notes) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
