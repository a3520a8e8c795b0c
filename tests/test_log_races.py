"""Many people recording the same thing at the same moment: the checks run under the log's lock,
so exactly one of them is recorded and every other is told why not."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path

from commsplan.log.filelog import FileLog
from commsplan.log.state import fold

from .helpers import Cli, flat

WRITERS = 8
ROUNDS = 10
NOW = "2020-10-26T10:00"


def _in_step(cli: Cli, barrier: Barrier, results: Connection, args: tuple[str, ...]) -> None:
    code = 99
    try:
        barrier.wait(timeout=60)  # all start together: the race is real every round
        result = cli(*args)
        results.send((result.exit_code, result.stdout, result.stderr))
        code = 0
    finally:
        os._exit(code)


def run_together(cli: Cli, args: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """``commsplan ARGS`` in WRITERS processes released at the same moment; their outcomes."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    pipes = [ctx.Pipe(duplex=False) for _ in range(WRITERS)]
    procs = [ctx.Process(target=_in_step, args=(cli, barrier, send, args)) for _, send in pipes]
    for proc in procs:
        proc.start()
    outcomes = []
    for receive, _ in pipes:
        assert receive.poll(60), "a process did not finish in time"
        outcomes.append(receive.recv())
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    return outcomes


def test_of_eight_simultaneous_done_and_undo_exactly_one_wins_every_round(cli: Cli) -> None:
    cli("due", "--now", NOW)  # a warm plan cache, so the processes meet at the log
    for n in range(ROUNDS):
        done = run_together(cli, ("done", "snb-quarterly-meeting", "--occurrence", "2020-Q2", "--now", NOW))
        won = [out for code, out, _ in done if code == 0]
        lost = [flat(err) for code, _, err in done if code != 0]
        assert len(won) == 1, (n, done)
        record = re.search(r"Record (r-[0-9a-f]{12})\.", won[0])
        assert record is not None
        assert all(code == 1 for code, _, _ in done if code != 0)
        assert all(
            "snb-quarterly-meeting 2020-Q2 is already done (2020-10-26 by " in err and record.group(1) in err
            for err in lost
        ), lost

        undone = run_together(cli, ("undo", "--now", NOW))
        won = [out for code, out, _ in undone if code == 0]
        assert len(won) == 1, (n, undone)
        assert won[0].startswith(f"Retracted done of snb-quarterly-meeting 2020-Q2 (record {record.group(1)}")
        # Those that read the log after the winner wrote find nothing left to undo.
        lost = [flat(err) for code, _, err in undone if code != 0]
        assert set(lost) <= {
            f"commsplan: error: record {record.group(1)} is already retracted\n",
            "commsplan: error: there is no completion to undo in this log\n",
        }, lost
    checked = FileLog(cli.log).verify()
    assert checked.problems == ()
    assert [r.type for r in checked.records] == ["done", "retract"] * ROUNDS
    assert fold(checked.records).completions.get(("snb-quarterly-meeting", "2020-Q2")) is None


def test_the_check_under_the_lock_answers_without_an_index_too(cli: Cli, tmp_path: Path) -> None:
    # No index can be made beside this log: the check reads the log itself, under the lock.
    cli.log.with_name(cli.log.name + ".index").mkdir()
    done = run_together(cli, ("done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--now", NOW))
    assert sorted(code for code, _, _ in done) == [0] + [1] * (WRITERS - 1)
    assert len(FileLog(cli.log).read().records) == 1


def test_eight_readers_finding_a_stale_index_at_once_agree(cli: Cli) -> None:
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    assert cli("due", "--now", NOW).exit_code == 0  # the index describes the log
    # A line added by other means: every reader finds the index stale; one rebuilds it.
    line = cli.log.read_bytes().replace(b"2020-Q3", b"2020-Q2").replace(b'"id":"r-', b'"id":"r-x')
    with cli.log.open("ab") as handle:
        handle.write(line)
    outcomes = run_together(cli, ("due", "--json", "--expand", "--overdue", "--now", NOW, "-a", "IAG"))
    assert [code for code, _, _ in outcomes] == [0] * WRITERS
    assert {json.dumps(json.loads(out)["items"]) for _, out, _ in outcomes} == {"[]"}


def test_incidents_opened_at_the_same_moment_get_different_ids(cli: Cli) -> None:
    cli("due", "--now", NOW)
    for _ in range(3):
        opened = run_together(cli, ("incident", "open", "Disorder", "--level", "major", "--now", NOW, "--json"))
        assert [code for code, _, _ in opened] == [0] * WRITERS, opened
    ids = [str(r.data["incident"]) for r in FileLog(cli.log).read().records]
    assert len(ids) == len(set(ids)) == 3 * WRITERS
    assert sorted(ids, key=lambda i: int(i.split("-")[1])) == [f"20201026-{n}" for n in range(1, 3 * WRITERS + 1)]
