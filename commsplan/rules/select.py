"""Which activities and incident steps a command's --audience/--owner/--channel let through.

One place for the rule, so that `due` and `digest` (a team's cron mail) never disagree about
what belongs to a team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from commsplan.errors import LookupFailed
from commsplan.plan.data import Activity, Plan
from commsplan.plan.lookup import find

if TYPE_CHECKING:  # who and list filter activities alone: they need not import incidents (nor the log)
    from commsplan.rules.incidents import Step
    from commsplan.rules.schedule import Occurrence


def unit_scope(plan: Plan, typed: str) -> frozenset[str]:
    """The units a person at ``typed`` answers for: a ward and its borough, or a borough and
    its wards."""
    if not plan.units:
        raise LookupFailed("this plan lists no boroughs or wards (units:), so --unit has nothing to choose")
    unit = find(typed, plan.units, "unit")
    if unit.kind == "ward":
        return frozenset({unit.id, *([unit.within] if unit.within else [])})
    return frozenset({unit.id, *(u.id for u in plan.units if u.within == unit.id)})


@dataclass(frozen=True)
class Filters:
    audience: str | None = None  # audience id
    owner: str | None = None  # role id: the sender (in or out of office hours) or one sending with them
    channel: str | None = None  # channel id
    units: frozenset[str] | None = None  # --unit: that unit, its borough or its wards

    @staticmethod
    def resolve(
        plan: Plan, audience: str | None, owner: str | None, channel: str | None, unit: str | None = None
    ) -> Filters:
        """Filters from what a person typed (ids, aliases, parts of names)."""
        return Filters(
            audience=find(audience, plan.audiences, "audience").id if audience else None,
            owner=find(owner, plan.roles, "role").id if owner else None,
            channel=find(channel, plan.channels, "channel").id if channel else None,
            units=unit_scope(plan, unit) if unit else None,
        )

    def accepts_occurrence(self, occurrence: Occurrence) -> bool:
        """--unit keeps a per-unit duty's occurrences for that unit (a ward: and its borough's;
        a borough: and its wards'); a BCU-wide duty's occurrence is everyone's."""
        return self.units is None or occurrence.unit is None or occurrence.unit in self.units

    def accepts(self, activity: Activity) -> bool:
        if self.audience is not None and activity.audience != self.audience:
            return False
        if self.owner is not None and self.owner not in activity.owner.roles:
            return False
        return self.channel is None or any(use.channel == self.channel for use in activity.channels)

    def activities(self, plan: Plan) -> list[Activity]:
        """The plan's activities these filters let through, in the plan's order."""
        return [a for a in plan.activities if self.accepts(a)]

    def step_filter(self, plan: Plan) -> Callable[[Step], bool]:
        """``accepts_step`` for one plan, as the predicate ``pending_steps`` takes."""
        return lambda step: self.accepts_step(plan, step)

    def accepts_step(self, plan: Plan, step: Step) -> bool:
        """An incident's notification step: an activity's step as its activity; a rule (refer
        media queries to DMC) has no audience or channel, so only an owner filter keeps it."""
        if not step.rule:
            return self.accepts(plan.activity(step.id))
        return self.audience is None and self.channel is None and self.owner in (None, step.owner)
