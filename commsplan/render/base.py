"""What every renderer can show: one method per view. A command builds its result and hands it
to the renderer chosen once from --json/--format; it never builds text or JSON itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commsplan.log.book import LogBackend
    from commsplan.log.records import Head, LogRead, LogRecord
    from commsplan.log.state import Completion, Incident
    from commsplan.plan.data import Activity, Plan
    from commsplan.plan.load import LoadedPlan
    from commsplan.plan.renew import Renewal
    from commsplan.rules.agenda import Agenda
    from commsplan.rules.digest import Digest
    from commsplan.rules.incidents import Step
    from commsplan.rules.period import PeriodStatus
    from commsplan.rules.plandiff import PlanDiff
    from commsplan.rules.report import GroupBy, Report
    from commsplan.rules.schedule import Occurrence
    from commsplan.rules.select import Filters


class Renderer:
    """The views of commsplan's results. Subclasses: text (rich), JSON, Markdown, CSV."""

    def validation(self, loaded: LoadedPlan, explain: bool) -> None:
        raise NotImplementedError

    def activities(self, plan: Plan, chosen: Sequence[Activity], filters: Filters) -> None:
        raise NotImplementedError

    def activity_list(self, plan: Plan, chosen: Sequence[Activity]) -> None:
        raise NotImplementedError

    def activity(self, plan: Plan, activity: Activity) -> None:
        raise NotImplementedError

    def schema(self, schema: dict[str, Any]) -> None:
        raise NotImplementedError

    def plan_written(self, path: Path) -> None:
        raise NotImplementedError

    def renewed(self, path: Path, renewal: Renewal, warnings: Sequence[str]) -> None:
        raise NotImplementedError

    def plan_diff(self, old: LoadedPlan, new: LoadedPlan, diff: PlanDiff) -> None:
        raise NotImplementedError

    def due(
        self,
        loaded: LoadedPlan,
        agenda: Agenda,
        incidents: Sequence[tuple[Incident, list[Step]]],
        *,
        overdue_only: bool,
    ) -> None:
        raise NotImplementedError

    def digest(self, plan: Plan, digest: Digest) -> None:
        raise NotImplementedError

    def recorded(self, record: LogRecord, late_days: int) -> None:
        raise NotImplementedError

    def range_skipped(self, record: LogRecord, occurrences: Sequence[Occurrence]) -> None:
        raise NotImplementedError

    def tracking_recorded(self, record: LogRecord, day: dt.date) -> None:
        raise NotImplementedError

    def retracted(self, record: LogRecord, target: LogRecord) -> None:
        raise NotImplementedError

    def log_records(self, book: LogBackend, records: Sequence[LogRecord], retracted: set[str], filtered: bool) -> None:
        raise NotImplementedError

    def verification(self, book: LogBackend, checked: LogRead, witness: Head | None = None) -> None:
        raise NotImplementedError

    def info(self, facts: dict[str, Any]) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    def incidents(
        self, plan: Plan, rows: Sequence[tuple[Incident, list[Step], bool]], now: dt.datetime, all_: bool
    ) -> None:
        raise NotImplementedError

    def incident_noted(self, incident: Incident, record: LogRecord) -> None:
        raise NotImplementedError

    def step_notified(self, step: Step, pending: int, record: LogRecord) -> None:
        raise NotImplementedError

    def incident_closed(self, incident: Incident, never_done: Sequence[str], record: LogRecord) -> None:
        raise NotImplementedError

    def calendar_written(
        self, count: int, start: dt.date, end: dt.date, path: Path, period: PeriodStatus | None = None
    ) -> None:
        raise NotImplementedError

    def report(
        self, report: Report, by: GroupBy, back_dated: Sequence[tuple[tuple[str, str], Completion]] = ()
    ) -> None:
        raise NotImplementedError
