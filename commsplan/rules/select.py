"""Which activities and incident steps a command's --audience/--owner/--channel let through.

One place for the rule, so that `due` and `digest` (a team's cron mail) never disagree about
what belongs to a team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commsplan.plan.lookup import find
from commsplan.plan.model import Activity, Plan
from commsplan.rules.incidents import Step


@dataclass(frozen=True)
class Filters:
    audience: str | None = None  # audience id
    owner: str | None = None  # role id: the sender (in or out of office hours) or one sending with them
    channel: str | None = None  # channel id

    @staticmethod
    def resolve(plan: Plan, audience: str | None, owner: str | None, channel: str | None) -> Filters:
        """Filters from what a person typed (ids, aliases, parts of names)."""
        return Filters(
            audience=find(audience, plan.audiences, "audience").id if audience else None,
            owner=find(owner, plan.roles, "role").id if owner else None,
            channel=find(channel, plan.channels, "channel").id if channel else None,
        )

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
