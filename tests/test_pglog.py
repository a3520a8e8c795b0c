"""The completion log in PostgreSQL, against a real server: set-up, the database's own guards,
export and import, many writers at once, and what a user sees when the server or the network
fails. The file back end's tests that run on both back ends are marked BOTH where they live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from commsplan.log.book import Logbook, open_log
from commsplan.log.pglog import LOCK_KEY, PgLog

from .helpers import Cli, flat
from .pgserver import PgServer, _free_port

NOW = "2020-10-26T10:00"


def db_cli(tmp_path: Path, url: str, name: str = "db") -> Cli:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return Cli(folder / "unused.jsonl", folder / "cache", target=url)


def run(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """commsplan in a process of its own, as on another machine: its own COMMSPLAN_* settings."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("COMMSPLAN_", "PG"))}
    full.update({"NO_COLOR": "1", "COLUMNS": "200", **env})
    return subprocess.Popen(
        [sys.executable, "-m", "commsplan", *args], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def machine(tmp_path: Path, url: str, name: str) -> dict[str, str]:
    home = tmp_path / name
    home.mkdir(exist_ok=True)
    return {
        "COMMSPLAN_LOG": url,
        "COMMSPLAN_CACHE_DIR": str(home / "cache"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
    }


def where(server: PgServer, db: str) -> str:
    return f"{server.folder}:{server.port} (database {db})"


# --- choosing the back end ------------------------------------------------------------------------


def test_a_url_means_the_database_and_anything_else_a_file(tmp_path: Path) -> None:
    assert isinstance(open_log("postgresql://team@db.example.org/commsplan"), PgLog)
    assert isinstance(open_log("postgres://db.example.org/commsplan"), PgLog)
    assert isinstance(open_log(str(tmp_path / "postgresql.jsonl")), Logbook)


def test_a_password_in_the_url_is_refused_and_never_echoed(tmp_path: Path) -> None:
    cli = db_cli(tmp_path, "postgresql://alice:correct-horse@db.example.org:5433/commsplan")
    result = cli("done", "iag", "--now", NOW)
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        "commsplan: error: completion NOT recorded: the log URL carries a password; commsplan takes none there "
        "(it would show in shell history, `ps` and cron mail): use postgresql://alice@db.example.org:5433/commsplan "
        "and put the password in ~/.pgpass (or the file PGPASSFILE names, or a PGSERVICE entry)\n"
    )
    assert "correct-horse" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@/team?host=/run/pg&port=5433&password=correct-horse",
        "postgresql:///team?PASSWORD=correct-horse&sslmode=require",
        "postgres://alice:correct-horse@db.example.org/team?password=correct-horse",
    ],
)
@pytest.mark.parametrize("command", [("due",), ("info",), ("log", "export")])
def test_a_password_in_the_query_is_never_echoed_either(tmp_path: Path, url: str, command: tuple[str, ...]) -> None:
    result = db_cli(tmp_path, url)(*command, "--now", NOW) if command[0] != "log" else db_cli(tmp_path, url)(*command)
    assert result.exit_code == 1  # refused (libpq knows no PASSWORD key: not a URL of its)
    assert "correct-horse" not in result.stderr + result.stdout


def test_without_psycopg_a_url_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None; from commsplan.cli import run; "
        "sys.argv = ['commsplan', 'due', '--log', 'postgresql://db.example.org/commsplan']; run()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert result.returncode == 1
    assert result.stderr == (
        "commsplan: error: a postgresql:// log needs the PostgreSQL driver, which is not installed: "
        "pip install 'commsplan[postgres]'\n"
    )


# --- setting up -----------------------------------------------------------------------------------


def test_setup_db_is_needed_once_and_safe_to_repeat(pg_server: PgServer, tmp_path: Path) -> None:
    url = pg_server.create_database("setup_once")
    cli = db_cli(tmp_path, url)
    before = cli("due", "--now", NOW)
    assert before.exit_code == 1
    assert flat(before.stderr) == (
        f"commsplan: error: PostgreSQL at {where(pg_server, 'setup_once')} holds no commsplan log yet: "
        f"set it up once with `commsplan log setup-db --log {url}`\n"
    )
    first = cli("log", "setup-db")
    assert first.exit_code == 0, first.stderr
    assert flat(first.stdout) == (
        f"set up the completion log (schema version 1) in PostgreSQL at {where(pg_server, 'setup_once')}: "
        "append-only, hash-chained\n"
    )
    again = cli("log", "setup-db")
    assert flat(again.stdout) == (
        f"the log (schema version 1) in PostgreSQL at {where(pg_server, 'setup_once')} is already set up; "
        "nothing changed\n"
    )
    with pg_server.admin("setup_once") as conn:
        assert conn.execute("SELECT version FROM commsplan_schema").fetchall() == [(1,)]
    assert cli("due", "--now", NOW).exit_code == 0
    file_log = cli("log", "setup-db", "--log", str(tmp_path / "log.jsonl"))
    assert file_log.exit_code == 2
    assert "a file log needs no set-up" in file_log.stderr


def test_the_database_itself_keeps_the_log_append_only_and_chained(
    pg_url: str, pg_server: PgServer, tmp_path: Path
) -> None:
    cli = db_cli(tmp_path, pg_url)
    for key in ("2020-Q2", "2020-Q3"):
        assert cli("done", "iag", "--occurrence", key, "--now", NOW).exit_code == 0
    db = pg_url.split("/")[3].split("?")[0]
    refused = {
        "UPDATE commsplan_log SET body = replace(body, 'Q2', 'Q1') WHERE line = 1": "append-only (UPDATE",
        "DELETE FROM commsplan_log WHERE line = 2": "append-only (DELETE",
        "TRUNCATE commsplan_log CASCADE": "append-only (TRUNCATE",
        "DELETE FROM commsplan_schema": "append-only (DELETE",
    }
    with pg_server.admin(db) as conn:
        body = conn.execute("SELECT body FROM commsplan_log WHERE line = 2").fetchone()[0]
        sha = conn.execute("SELECT sha256 FROM commsplan_log WHERE line = 2").fetchone()[0]
        record = json.loads(body)
        fork = json.dumps({**record, "id": "r-fork"}, sort_keys=True, separators=(",", ":"))
        record["prev"] = sha
        gap = json.dumps(record, sort_keys=True, separators=(",", ":"))
        record["prev"] = "0" * 64
        unchained = json.dumps(record, sort_keys=True, separators=(",", ":"))
        refused[f"INSERT INTO commsplan_log (line, body) VALUES (4, '{gap}')"] = "line 4 would leave a gap"
        refused[f"INSERT INTO commsplan_log (line, body) VALUES (3, '{unchained}')"] = "line 3 does not chain to line 2"
        refused['INSERT INTO commsplan_log (line, body) VALUES (3, \'{"note": "not a record"}\')'] = (
            "line 3 is not a completion record"
        )
        refused[f"INSERT INTO commsplan_log (line, body) VALUES (2, '{fork}')"] = "duplicate key"  # a second line 2
        for statement, message in refused.items():
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(statement)
            assert message in str(caught.value), statement
    verified = cli("log", "--verify")
    assert verified.exit_code == 0
    assert flat(verified.stdout).startswith(f"{pg_url}: 2 records, hash chain intact")


# --- export and import ------------------------------------------------------------------------------


def a_file_log(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "team.jsonl", tmp_path / "cache")
    steps = [
        ("done", "iag", "--occurrence", "2020-Q3", "--note", "Minutes: \\\\share\\iag \u00e9t\u00e9 \U0001f4e3"),
        ("done", "snb-quarterly", "--occurrence", "2020-Q3", "--channel", "meetings"),
        ("skip", "ward-panel", "--occurrence", "2020-Q2", "--reason", "Cancelled: lockdown"),
        ("skip", "cp-daily-updates", "--from", "2020-10-01", "--until", "2020-10-07", "--reason", "No news"),
        ("undo",),
        ("incident", "open", "Flooding, Romford", "--level", "significant"),
        ("done", "snb-quarterly",),
    ]  # fmt: skip
    for step in steps:
        result = cli(*step, "--now", NOW)
        assert result.exit_code == 0, (step, result.stderr)
    return cli


def test_file_to_database_to_file_gives_the_same_bytes(pg_url: str, tmp_path: Path) -> None:
    source = a_file_log(tmp_path)
    original = source.log.read_bytes()
    db = db_cli(tmp_path, pg_url)
    loaded = db("log", "import", str(source.log))
    assert loaded.exit_code == 0, loaded.stderr
    assert flat(loaded.stdout) == f"imported 7 records from {source.log} into {pg_url}\n"
    exported = db("log", "export")
    assert exported.stdout_bytes == original
    out = tmp_path / "export.jsonl"
    written = db("log", "export", "--out", str(out))
    assert flat(written.stderr) == f"exported 7 records from {pg_url} to {out}\n"
    assert out.read_bytes() == original
    back = Cli(tmp_path / "back.jsonl", tmp_path / "cache")
    assert back("log", "import", str(out)).exit_code == 0
    assert back.log.read_bytes() == original
    # the same head, the same answers, whichever back end holds the records
    assert (
        db("log", "--verify").stdout.split("Head now: ")[1] == source("log", "--verify").stdout.split("Head now: ")[1]
    )
    for command in (("due", "--json", "--all"), ("digest", "--json", "--no-mark"), ("incident", "list", "--json")):
        assert db(*command, "--now", "2020-10-27T07:00").stdout == source(*command, "--now", "2020-10-27T07:00").stdout
    assert db("log", "--json").stdout == source("log", "--json").stdout
    # importing it again adds nothing
    again = db("log", "import", str(source.log))
    assert flat(again.stdout) == f"nothing to import: {pg_url} already holds all 7 records of {source.log}\n"


def test_many_occurrences_are_looked_up_in_one_round_trip_with_the_same_answers(pg_url: str, tmp_path: Path) -> None:
    source = a_file_log(tmp_path)
    db = db_cli(tmp_path, pg_url)
    assert db("log", "import", str(source.log)).exit_code == 0
    skipped = db("skip", "cp-daily-updates", "--from", "2020-10-10", "--until", "2020-10-11", "--reason", "Leave")
    assert skipped.exit_code == 0, skipped.stderr
    daily = [("cp-daily-updates", f"2020-10-{day:02d}") for day in range(1, 13)]  # 1-7: a range skip undone
    keys = [
        ("iag-quarterly-briefing", "2020-Q3"),  # done
        ("snb-quarterly-meeting", "2020-Q3"),
        ("snb-quarterly-meeting", "2020-Q4"),
        ("ward-panel-meeting", "2020-Q2"),  # skipped
        *daily,  # 10 and 11 skipped in one record
        ("iag-quarterly-briefing", "2020-Q4"),  # nothing
        ("no-such-activity", "2020-Q1"),
    ]
    log = PgLog(pg_url)
    try:
        one_by_one = {key: found for key in keys if (found := log.completion(*key)) is not None}
        assert set(one_by_one) == {*keys[:4], daily[9], daily[10]}
        assert log.completions_of(keys) == one_by_one
        assert log.completions_of([]) == {}
    finally:
        log.close()


def test_a_long_import_reports_its_progress_forward_to_the_end(pg_url: str, tmp_path: Path) -> None:
    source = Cli(tmp_path / "long.jsonl", tmp_path / "cache")
    for day in range(1, 31):
        done = source("done", "cp-daily-updates", "--occurrence", f"2020-10-{day:02d}", "--now", NOW)
        assert done.exit_code == 0, done.stderr
    seen: list[tuple[int, int]] = []
    log = PgLog(pg_url)
    try:
        assert log.import_file(source.log, lambda done, total: seen.append((done, total))) == (30, 0)
    finally:
        log.close()
    size = source.log.stat().st_size
    assert seen and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_import_is_all_or_nothing_and_never_mixes_two_histories(pg_url: str, tmp_path: Path) -> None:
    source = a_file_log(tmp_path)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(source.log.read_bytes().replace(b'"2020-Q3"', b'"2020-Q1"', 1))
    db = db_cli(tmp_path, pg_url)
    refused = db("log", "import", str(damaged))
    assert refused.exit_code == 1
    assert flat(refused.stderr) == (
        f"commsplan: error: nothing imported: {damaged}: line 2: hash chain broken (line edited, removed or "
        f"inserted before it); see `commsplan log --verify --log {damaged}`\n"
    )
    assert db.records() == ()
    into_file = Cli(tmp_path / "new.jsonl", tmp_path / "cache")("log", "import", str(damaged))
    assert into_file.exit_code == 1 and "nothing imported" in into_file.stderr
    assert not (tmp_path / "new.jsonl").exists()
    # a database with a history of its own refuses another
    assert db("done", "iag", "--occurrence", "2020-Q2", "--now", NOW).exit_code == 0
    other = db("log", "import", str(source.log))
    assert flat(other.stderr) == (
        f"commsplan: error: nothing imported: {pg_url} already holds 1 record that is not the start of "
        f"{source.log}; an import fills an empty log, or continues a log whose records the file begins with\n"
    )
    assert len(db.records()) == 1
    # a file that continues what the database holds adds the rest
    copy = Cli(tmp_path / "copy.jsonl", tmp_path / "cache")
    assert db("log", "export", "--out", str(copy.log)).exit_code == 0
    assert copy("done", "cmg", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    more = db("log", "import", str(copy.log))
    assert flat(more.stdout) == f"imported 1 record from {copy.log} into {pg_url}, after the 1 it held\n"
    assert db("log", "export").stdout_bytes == copy.log.read_bytes()


# --- many writers ------------------------------------------------------------------------------------


def test_a_team_on_many_machines_records_one_week_and_the_digest_sees_it_all(pg_url: str, tmp_path: Path) -> None:
    # three people on three machines record the same occurrence at once, and three other things
    same = [
        run(machine(tmp_path, pg_url, f"m{n}"), "done", "iag", "--occurrence", "2020-Q4", "--now", NOW, "--by", f"p{n}")
        for n in range(3)
    ]
    other = [
        run(
            machine(tmp_path, pg_url, f"m{n}"),
            "done",
            activity,
            "--occurrence",
            "2020-Q4",
            "--now",
            NOW,
            "--by",
            f"p{n}",
        )
        for n, activity in enumerate(("cmg", "snb-quarterly", "faith-briefings"))
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in same + other]
    codes = sorted(code for code, _, _ in results[:3])
    assert codes == [0, 1, 1], results
    for code, _, err in results[:3]:
        if code:
            assert "iag-quarterly-briefing 2020-Q4 is already done" in err.replace("\n  ", " ")
    assert [code for code, _, _ in results[3:]] == [0, 0, 0], results
    # the SLT's cron account, on a fourth machine, sees all four
    digest = run(machine(tmp_path, pg_url, "slt"), "digest", "--json", "--now", "2020-10-26T12:00")
    out, err = digest.communicate(timeout=120)
    assert digest.returncode == 0, err
    assert json.loads(out)["done_since"]["done"] == 4
    listed = run(machine(tmp_path, pg_url, "slt"), "log", "--json")
    out, err = listed.communicate(timeout=120)
    assert sorted(record["activity"] for record in json.loads(out)) == [
        "cmg-quarterly-briefing", "faith-briefings", "iag-quarterly-briefing", "snb-quarterly-meeting"
    ]  # fmt: skip
    verify = run(machine(tmp_path, pg_url, "slt"), "log", "--verify")
    out, err = verify.communicate(timeout=120)
    assert verify.returncode == 0, err
    assert out.startswith(f"{pg_url}: 4 records, hash chain intact\n")


# --- faults ---------------------------------------------------------------------------------------------


def test_a_server_that_is_down(tmp_path: Path) -> None:
    port = _free_port()
    cli = db_cli(tmp_path, f"postgresql://team@127.0.0.1:{port}/commsplan")
    result = cli("done", "iag", "--now", NOW)
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        f"commsplan: error: completion NOT recorded: PostgreSQL at 127.0.0.1:{port} (database commsplan): "
        "no server is answering there (is PostgreSQL running?)\n"
    )


@pytest.fixture
def alice(pg_server: PgServer, pg_url: str) -> tuple[str, str]:
    """A team member's role with a password, allowed what setup-db's README grants: (db, role)."""
    db = pg_url.split("/")[3].split("?")[0]
    with pg_server.admin(db) as conn:
        conn.execute(
            "DO $$ BEGIN CREATE ROLE alice LOGIN PASSWORD 'correct-horse'; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        conn.execute("GRANT SELECT, INSERT ON commsplan_log TO alice")
        conn.execute("GRANT SELECT ON commsplan_covered, commsplan_counts, commsplan_schema TO alice")
    return db, "alice"


def pgpass(tmp_path: Path, server: PgServer, db: str, password: str) -> dict[str, str]:
    path = tmp_path / f"pgpass-{password}"
    path.write_text(f"127.0.0.1:{server.port}:{db}:alice:{password}\n")
    path.chmod(0o600)
    return {"PGPASSFILE": str(path)}


def test_the_password_comes_from_pgpass_and_a_wrong_one_is_refused_unprinted(
    pg_server: PgServer, alice: tuple[str, str], tmp_path: Path
) -> None:
    db, _ = alice
    url = pg_server.tcp_url(db, "alice")
    cli = db_cli(tmp_path, url)
    wrong = cli("done", "iag", "--now", NOW, env=pgpass(tmp_path, pg_server, db, "wrong-staple"))
    assert wrong.exit_code == 1
    assert flat(wrong.stderr) == (
        f"commsplan: error: completion NOT recorded: PostgreSQL at 127.0.0.1:{pg_server.port} (database {db}): "
        "the server refused the password (libpq takes it from ~/.pgpass, PGPASSFILE or PGSERVICE)\n"
    )
    right = pgpass(tmp_path, pg_server, db, "correct-horse")
    done = cli("done", "iag", "--now", NOW, env=right)
    assert done.exit_code == 0, done.stderr
    everything = wrong.stdout + wrong.stderr + done.stdout + done.stderr + cli("log", "export", env=right).stdout
    assert "wrong-staple" not in everything and "correct-horse" not in everything
    # a team member can add to the log but not change it
    with psycopg.connect(url, passfile=right["PGPASSFILE"]) as conn, pytest.raises(psycopg.Error):
        conn.execute("DELETE FROM commsplan_counts")


@pytest.fixture
def lock_holder(pg_server: PgServer, pg_url: str) -> Any:
    """Another session holding the log's append lock (a colleague's append that hangs)."""
    db = pg_url.split("/")[3].split("?")[0]
    conn = pg_server.admin(db)
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    yield conn
    conn.close()


def test_an_append_that_waits_too_long_for_the_lock_writes_nothing(
    pg_url: str, pg_server: PgServer, lock_holder: Any, tmp_path: Path
) -> None:
    cli = db_cli(tmp_path, pg_url)
    db = pg_url.split("/")[3].split("?")[0]
    timed_out = cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW, env={"PGOPTIONS": "-c lock_timeout=200ms"})
    assert timed_out.exit_code == 1
    assert flat(timed_out.stderr) == (
        f"commsplan: error: completion NOT recorded: PostgreSQL at {where(pg_server, db)}: another append held "
        "the log's lock for longer than lock_timeout (set it with PGOPTIONS='-c lock_timeout=...'); "
        "the log is unchanged\n"
    )
    assert cli.records() == ()
    lock_holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).exit_code == 0
    assert "already done" in cli("done", "iag", "--occurrence", "2020-Q3", "--now", NOW).stderr
    assert len(cli.records()) == 1


def test_a_connection_cut_in_the_middle_of_an_append_writes_nothing_and_a_retry_counts_once(
    pg_url: str, pg_server: PgServer, lock_holder: Any, tmp_path: Path
) -> None:
    db = pg_url.split("/")[3].split("?")[0]
    env = machine(tmp_path, pg_url, "m1")
    append = run(env, "done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    # the append has connected, read the log and now waits for the lock inside its transaction: cut it there
    deadline = time.monotonic() + 60
    waiting: list[tuple[Any, ...]] = []
    while not waiting and time.monotonic() < deadline and append.poll() is None:
        waiting = lock_holder.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'commsplan' AND wait_event_type = 'Lock'"
        ).fetchall()
        time.sleep(0.02)
    assert waiting, append.communicate()
    lock_holder.execute("SELECT pg_terminate_backend(%s)", (waiting[0][0],))
    _, err = append.communicate(timeout=60)
    assert append.returncode == 1
    assert " ".join(err.split()) == (
        f"commsplan: error: completion NOT recorded: PostgreSQL at {where(pg_server, db)}: the server ended the "
        "connection (it was stopped, or an administrator cut it); the log is unchanged"
    )
    cli = db_cli(tmp_path, pg_url)
    assert cli.records() == ()
    lock_holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    retry = run(env, "done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    assert retry.wait(timeout=60) == 0, retry.communicate()
    twice = run(env, "done", "iag", "--occurrence", "2020-Q3", "--now", NOW)
    assert twice.wait(timeout=60) == 1
    assert len(cli.records()) == 1


def test_a_service_names_the_server_as_libpq_reads_it(pg_url: str, pg_server: PgServer, tmp_path: Path) -> None:
    db = pg_url.split("/")[3].split("?")[0]
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[team]\nhost={pg_server.folder}\nport={pg_server.port}\ndbname={db}\nuser=postgres\n")
    cli = db_cli(tmp_path, "postgresql:///?service=team")
    env = {"PGSERVICEFILE": str(services)}
    assert cli("done", "iag", "--now", NOW, env=env).exit_code == 0
    assert json.loads(cli("info", "--json", "--now", NOW, env=env).stdout)["log_records"] == 1
    moved = tmp_path / "moved.conf"
    moved.write_text(f"[team]\nhost=127.0.0.1\nport={_free_port()}\ndbname={db}\nuser=postgres\n")
    down = cli("done", "cmg", "--now", NOW, env={"PGSERVICEFILE": str(moved)})
    assert flat(down.stderr) == (
        "commsplan: error: completion NOT recorded: PostgreSQL at service team: no server is answering there "
        "(is PostgreSQL running?)\n"
    )
