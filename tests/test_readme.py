"""The README's console examples are run and compared, so README and behaviour cannot drift.

Every ```console block is read in order, as one session in a fresh folder with a fresh log:
- `$ commsplan ...` runs the command (in-process, 80 columns, no colour) and compares its
  output (stdout, then stderr) with the lines under it, up to the next `$` or the block's end;
- `$ export NAME=VALUE` sets a variable for the commands after it;
- any other `$` line (installing, running the tests) is shown, not run.
In the expected lines, `...` alone stands for any number of lines, `...` inside a line for any
text, and a record id (`r-` and 12 hex digits) for any record id.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import MINIMAL, PLAN, ROOT, Cli, changed_plan

README = ROOT / "README.md"
RECORD = re.compile(r"\br-[0-9a-f]{12}\b")


@dataclass
class Example:
    line: int  # of the `$` line in README.md
    command: str
    expected: list[str] = field(default_factory=list)


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    inside = False
    indent = ""  # a block inside a list item is indented: its lines are read without it
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            inside = line.strip() == "```console"
            indent = line[: len(line) - len(line.lstrip())]
            continue
        if not inside:
            continue
        line = line.removeprefix(indent)
        if line.startswith("$ "):
            found.append(Example(number, line[2:]))
        elif found:
            found[-1].expected.append(line)
    return found


def matches(expected: list[str], actual: list[str]) -> bool:
    """Does ``actual`` fit ``expected``, with its `...` wildcards? (Backtracking over lines.)"""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[n:]) for n in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in RECORD.sub("r-ID", head).split("..."))
    return re.fullmatch(pattern, RECORD.sub("r-ID", actual[0])) is not None and matches(rest, actual[1:])


# A plan with two mistakes, for the README's example of what a broken plan looks like.
BROKEN = MINIMAL.replace("kind: quarterly", "kind: fortnighly").replace(
    "    why: Trust\n", "    why: Trust\n    why: Confidence\n"
)


def test_the_readme_has_examples_to_check() -> None:
    runnable = [e for e in examples(README.read_text(encoding="utf-8")) if e.command.startswith("commsplan ")]
    assert len(runnable) >= 15


def test_every_console_example_in_the_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-plan.yaml").write_text(BROKEN, encoding="utf-8")
    # as in a checkout: the bundled plan under plans/, and two versions of it for `diff`
    (tmp_path / "plans").mkdir()
    shutil.copy(PLAN, tmp_path / "plans" / PLAN.name)
    (tmp_path / "old.yaml").write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "new.yaml").write_text(changed_plan(PLAN.read_text(encoding="utf-8")), encoding="utf-8")
    cli = Cli(Path("log.jsonl"), tmp_path / "cache")  # in the session's folder, as a user would name it
    env: dict[str, str] = {}
    failures = []
    for example in examples(README.read_text(encoding="utf-8")):
        words = shlex.split(example.command)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        if words[0] != "commsplan":
            continue
        result = cli(*words[1:], env=env)
        actual = (result.stdout + result.stderr).splitlines()
        if not matches([line.rstrip() for line in example.expected], actual):
            failures.append(f"README.md:{example.line}: $ {example.command}\n" + "\n".join(actual))
    assert not failures, "\n\n".join(failures)
