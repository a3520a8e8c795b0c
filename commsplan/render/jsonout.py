"""Plain, JSON-ready dicts of result objects: the stable contract of ``--json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from commsplan.model import Activity, Plan

if TYPE_CHECKING:
    from commsplan.agenda import Item
    from commsplan.history import Incident
    from commsplan.incidents import Step


def dumps(value: Any, *, pretty: bool = True) -> str:
    """Sorted keys always; indented for a person, compact for a pipe (json's C encoder only
    runs without indent, and a large agenda is 10x faster so)."""
    if pretty:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def frequency_dict(activity: Activity) -> dict[str, Any]:
    freq = activity.frequency
    data = freq.model_dump(mode="json", exclude_none=True)
    data["interpreted"] = freq.interpretation is not None
    return data


def activity_dict(plan: Plan, activity: Activity) -> dict[str, Any]:
    audience = plan.audience(activity.audience)
    role = plan.role(activity.owner.role)
    return {
        "id": activity.id,
        "audience": audience.id,
        "audience_name": audience.name,
        "owner": role.id,
        "owner_name": role.name,
        "owner_with": list(activity.owner.with_),
        "owner_as_written": activity.owner.as_written,
        "what": activity.what.text,
        "what_as_written": activity.what.as_written,
        "channels": [
            {
                "channel": use.channel,
                "name": plan.channel(use.channel).name,
                "when": use.when,
                "detail": use.detail,
                "as_written": use.as_written,
            }
            for use in activity.channels
        ],
        "how_as_written": activity.how_as_written,
        "frequency": frequency_dict(activity),
        "why": activity.why,
        "notes": list(activity.notes),
        "source_row": activity.row,
    }


def item_dict(plan: Plan, item: Item) -> dict[str, Any]:
    activity = item.activity
    occ = item.occurrence
    data: dict[str, Any] = {
        "id": activity.id,
        "occurrence": occ.key,
        "audience": activity.audience,
        "owner": activity.owner.role,
        "channels": list(dict.fromkeys(use.channel for use in activity.channels)),
        "what": activity.what.text,
        "opens": occ.opens.isoformat(),
        "due": occ.due.isoformat(),
        "status": item.status,
    }
    if occ.at is not None:
        data["due_at"] = occ.at.isoformat()
    if item.status == "overdue":
        data["days_late"] = item.late_days
    if item.completion is not None:
        done = item.completion
        data["completed"] = {
            "at": done.at.isoformat(),
            "by": done.by,
            "record": done.record_id,
            "late": item.late_days > 0,
            "days_late": item.late_days,
        }
    return data


def step_item_dict(plan: Plan, incident: Incident, step: Step) -> dict[str, Any]:
    """An incident's pending notification, shaped like an occurrence of its activity."""
    return {
        "id": step.id,
        "occurrence": f"incident-{incident.id}",
        "incident": incident.id,
        "incident_title": incident.title,
        "level": incident.level,
        "audience": step.audience or None,
        "owner": step.owner or None,
        "channels": list(step.channels),
        "what": step.what,
        "opens": incident.opened.date().isoformat(),
        "due": incident.opened.date().isoformat(),
        "opened_at": incident.opened.isoformat(),
        "refer_to": step.refer_to,
        "status": "incident",
    }
