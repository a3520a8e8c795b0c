"""The report as CSV, for a spreadsheet."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from commsplan.render.jsonout import REPORT_COLUMNS, report_row
from commsplan.render.safetext import spreadsheet_cell
from commsplan.render.text import TextRenderer

if TYPE_CHECKING:
    from commsplan.log.state import Completion
    from commsplan.rules.report import GroupBy, Report


class CsvRenderer(TextRenderer):
    """The report as CSV; other views as text."""

    def report(
        self, report: Report, by: GroupBy, back_dated: Sequence[tuple[tuple[str, str], Completion]] = ()
    ) -> None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([["" if v is None else spreadsheet_cell(v) for v in report_row(g)] for g in report.groups])
