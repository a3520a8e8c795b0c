"""Building the log's index reports its progress: a bar on a terminal's stderr for a big log,
and nothing at all in a pipe or cron's mail."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from commsplan.log import index as index_module
from commsplan.log.filelog import FileLog
from commsplan.log.index import LogIndex
from commsplan.log.state import fold
from commsplan.render.console import IndexProgress

from .helpers import Cli, add, flat


def a_log(path: Path, records: int) -> FileLog:
    log = FileLog(path)
    for n in range(1, records + 1):
        add(log, n, "done" if n % 3 else "skip", occurrence=f"2020-Q{n}")
    return log


def test_indexing_in_slices_reports_progress_and_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = a_log(tmp_path / "log.jsonl", 40)
    monkeypatch.setattr(index_module, "SLICE", 1000)  # bytes: several slices for 40 records
    seen: list[tuple[int, int]] = []
    index = LogIndex(log, progress=lambda done, total: seen.append((done, total))).open()
    try:
        size = (tmp_path / "log.jsonl").stat().st_size
        assert len(seen) > 5
        assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # always forward
        assert seen[-1] == (size, size)
        full = fold(log.read().records)
        assert index.count() == 40
        for n in range(1, 41):
            key = ("snb-quarterly-meeting", f"2020-Q{n}")
            assert index.completion(*key) == full.completions.get(key)
    finally:
        index.close()


def test_no_bar_in_a_pipe(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    a_log(cli.log, 30)
    monkeypatch.setattr(IndexProgress, "MIN_BYTES", 0)
    monkeypatch.setattr(index_module, "SLICE", 500)
    result = cli("due", "--today", "--now", "2020-10-26")
    assert result.exit_code == 0
    # the log's records were made under another plan file (said once), and nothing else: no bar
    assert flat(result.stderr).startswith("commsplan: warning: the log has 30 record(s) made under another plan")
    assert flat(result.stderr).count("\n") == 1


def test_a_bar_on_a_terminal(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    a_log(log, 200)
    # the command, with stderr on a terminal (a pty) and stdout a pipe, as `commsplan due | less`
    code = (
        "import sys; from commsplan.render.console import IndexProgress; from commsplan.log import index; "
        "IndexProgress.MIN_BYTES = 0; index.SLICE = 2000; from commsplan.cli import run; "
        "sys.argv = ['commsplan', 'due', '--today', '--now', '2020-10-26']; run()"
    )
    leader, follower = pty.openpty()
    env = {**os.environ, "COMMSPLAN_LOG": str(log), "COMMSPLAN_CACHE_DIR": "", "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, seen.decode(errors="replace")
    assert b"Indexing the log" in seen
    assert out.startswith(b"Due today: Mon 26 Oct 2020")
    assert b"Indexing" not in out  # stdout stays the command's own
