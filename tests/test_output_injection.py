"""Nothing a person typed, or a plan says, or a file is named, is acted on by whatever shows the
output: a terminal, a Markdown reader, a spreadsheet, or a terminal printing JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from commsplan.render.safetext import json_text, markdown_text, spreadsheet_cell, visible

from .helpers import MINIMAL, PLAN, Cli

NOW = "2020-10-26T11:00"
EVIL_TITLE = "[click me](http://evil.example) <img src=x onerror=alert(1)>"
ESCAPES = "\x1b]0;pwn\x07\x1b[2J"


def test_markdown_digest_shows_an_incident_title_as_typed_not_as_a_link_or_html(cli: Cli) -> None:
    opened = cli("incident", "open", EVIL_TITLE, "--level", "critical", "--now", "2020-10-26T10:00")
    assert opened.exit_code == 0, opened.stderr
    digest = cli("digest", "--format", "markdown", "--now", NOW, "--no-mark")
    assert (
        "- 20201026-1 Critical incident, open 1 h 0 min: "
        "\\[click me\\](http://evil.example) &lt;img src=x onerror=alert(1)&gt;\n" in digest.stdout
    )
    assert "<img" not in digest.stdout and "[click me]" not in digest.stdout


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Stabbing, Romford", "Stabbing, Romford"),
        ("**bold** _em_ `code` | ~x~ #1", "\\*\\*bold\\*\\* \\_em\\_ \\`code\\` \\| \\~x\\~ \\#1"),
        ("a & b <script>", "a &amp; b &lt;script&gt;"),
        ("![img](x) \\", "!\\[img\\](x) \\\\"),
        ("line\nbreak\u202e", "line\\\\nbreak\\\\u202e"),
    ],
)
def test_markdown_text(typed: str, shown: str) -> None:
    assert markdown_text(typed) == shown


def test_report_csv_neutralises_cells_a_spreadsheet_would_run(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    formula = '=HYPERLINK("http://evil.example","x")'
    plan.write_text(MINIMAL.replace("name: Ward Panel", "name: " + json.dumps(formula)))
    result = cli("report", "--csv", "--plan", str(plan), "--now", "2020-10-26")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1][:3] == ["panel", "'" + formula, "2"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("Ward", "Ward")],
)
def test_spreadsheet_cell(value: str, cell: str) -> None:
    assert spreadsheet_cell(value) == cell
    assert spreadsheet_cell(-1) == -1 and spreadsheet_cell(0.5) == 0.5  # numbers stay numbers


def test_json_escapes_c1_bidi_and_zero_width_characters(cli: Cli) -> None:
    note = "a\u202eb\x85c\u200bd\x7fe\u2028"
    cli("incident", "open", "Test", "--level", "critical", "--now", "2020-10-26T10:00")
    assert cli("incident", "note", "20201026-1", note, "--now", "2020-10-26T10:05").exit_code == 0
    out = cli("log", "--json").stdout
    assert '"text":"a\\u202eb\\u0085c\\u200bd\\u007fe\\u2028"' in out
    assert all(ch not in out for ch in "\u202e\x85\u200b\x7f\u2028")
    assert [r["text"] for r in json.loads(out) if "text" in r] == [note]


def test_json_text_keeps_the_data() -> None:
    value = {"k\u202e": ["\x9b2J", "Café 🚓 عربى", "\u2066x\u2069"]}
    dumped = json_text(json.dumps(value, ensure_ascii=False))
    assert json.loads(dumped) == value
    assert dumped.isprintable() or all(ord(c) < 0x7F or c.isprintable() for c in dumped)
    assert "Café 🚓 عربى" in dumped  # plain text stays readable


def test_zero_width_characters_are_shown() -> None:
    assert visible("Sgt\u200bBell\u200c\u200d\u2060\ufeff") == "Sgt\\u200bBell\\u200c\\u200d\\u2060\\ufeff"


def test_a_newline_in_plan_text_cannot_forge_a_line_of_due(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    forged = "Updates\\n  30 Jun  forged-meeting · 2020-Q2 · 118 days late"
    plan.write_text(MINIMAL.replace("what: {text: Updates,", f'what: {{text: "{forged}",'))
    due = cli("due", "--overdue", "--plan", str(plan), "--now", "2020-10-26")
    assert due.exit_code == 0, due.stderr
    assert "          Updates\\n  30 Jun  forged-meeting · 2020-Q2 · 118 days late\n" in due.stdout
    assert not any(line.startswith("  30 Jun  forged") for line in due.stdout.splitlines())


def test_a_plan_path_with_escapes_is_shown_escaped_everywhere(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / f"plan{ESCAPES}.yaml"
    plan.write_bytes(PLAN.read_bytes())
    shown = visible(str(plan))
    assert "\\x1b]0;pwn\\x07\\x1b[2J" in shown
    log = tmp_path / f"log{ESCAPES}.jsonl"
    wide = {"COLUMNS": "400"}  # a path is not wrapped
    runs = [
        cli("validate", "--plan", str(plan), env=wide),
        cli("info", "--plan", str(plan), "--now", "2020-10-26", "--log", str(log), env=wide),
        cli("done", "iag", "--plan", str(plan), "--now", "2020-10-26", "--log", str(log), env=wide),
        cli("log", "--plan", str(plan), "--log", str(log), env=wide),
        cli("log", "--verify", "--plan", str(plan), "--log", str(log), env=wide),
    ]
    for result in runs:
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
    assert runs[0].stdout.startswith(f"{shown}: valid\n")
    assert f"plan          {shown}\n" in runs[1].stdout
    assert runs[4].stdout.startswith(f"{visible(str(log))}: 1 records, hash chain intact\nHead now: 1:")
    broken = tmp_path / f"bad{ESCAPES}.yaml"
    broken.write_text("x: [\n")
    error = cli("validate", "--plan", str(broken))
    assert error.exit_code == 1
    assert "\x1b" not in error.stderr and f"{visible(str(broken))}:2:1: " in error.stderr
