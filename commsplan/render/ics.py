"""The plan's occurrences as an iCalendar (RFC 5545) file, written with the icalendar library.

One all-day event per occurrence, on its due day. The UID is the activity id and the
occurrence key, so exporting again and re-importing updates events instead of duplicating
them. DTSTAMP is the moment of export (RFC 5545 requires it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from commsplan.plan.model import Plan
from commsplan.rules.schedule import Occurrence

PRODID = "-//commsplan//communication action plan//EN"


def uid(occ: Occurrence) -> str:
    return f"{occ.activity}.{occ.key}@commsplan"


def calendar_bytes(
    plan: Plan, occurrences: Iterable[Occurrence], stamp: dt.datetime, notice: str | None = None
) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.meta.unit}: communication plan")
    cal.add("x-wr-timezone", plan.meta.timezone)
    if notice:
        cal.add("x-wr-caldesc", notice)
    activities = {a.id: a for a in plan.activities}
    for occ in occurrences:
        activity = activities[occ.activity]
        audience = plan.audience(activity.audience)
        sender = plan.role(activity.owner.role)
        channels = list(dict.fromkeys(plan.channel(u.channel).name for u in activity.channels))
        event = icalendar.Event()
        event.add("uid", uid(occ))
        event.add("dtstamp", stamp.astimezone(dt.UTC))
        event.add("dtstart", occ.due)
        event.add("dtend", occ.due + dt.timedelta(days=1))
        event.add("summary", f"{audience.name}: {activity.what.text}")
        event.add(
            "description",
            "\n".join(
                [
                    f"From: {sender.name}",
                    f"To: {audience.name}",
                    f"How: {', '.join(channels)}",
                    f"When: {activity.frequency.kind.replace('_', ' ')} (source: {activity.frequency.as_written})",
                    f"Window: opens {occ.opens.isoformat()}, due {occ.due.isoformat()} ({occ.key})",
                    f"Why: {activity.why}",
                    f"Record it: commsplan done {activity.id} --occurrence {occ.key}",
                ]
            ),
        )
        event.add("categories", channels)
        event.add("transp", "TRANSPARENT")
        event.add("x-commsplan-activity", activity.id)
        event.add("x-commsplan-occurrence", occ.key)
        event.add("x-commsplan-opens", occ.opens.isoformat())
        cal.add_component(event)
    return bytes(cal.to_ical())
