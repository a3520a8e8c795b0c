"""The default log follows the plan (its unit and period), not the plan file's path; an older
log named after the path is adopted once, and a --log path with no folder is an error."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from commsplan.log import choice
from commsplan.log.choice import LogChoice, adopt, adopted_from, default_log, default_log_name, old_default_name
from commsplan.log.filelog import FileLog

from .helpers import PLAN, TS, Cli

START, END = dt.date(2020, 4, 1), dt.date(2021, 3, 31)
NEW = "east-area-bcu-2020-04-01-to-2021-03-31.jsonl"


def squeezed(text: str) -> str:
    """Text without its whitespace: long paths are wrapped at 80 columns wherever they break."""
    return re.sub(r"\s+", "", text)


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def old_log(folder: Path, name: str, plan_digest: str, records: int = 2) -> Path:
    """A log as earlier versions of commsplan kept it: named after the plan file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    log = FileLog(folder / name)
    for n in range(1, records + 1):
        data = {"activity": "snb-quarterly-meeting", "occurrence": f"2020-Q{n}", "by": "Insp Khan"}
        log.append("done", TS + dt.timedelta(minutes=n), data, plan_digest)
    return log.path


def choose(folder: Path, plan: Path) -> LogChoice:
    return default_log(folder, "east-area-bcu", START, END, digest=digest_of(plan), plan_path=plan)


# --- the rule, as a plain function --------------------------------------------------------------


def test_the_name_says_the_plan_and_its_period() -> None:
    assert choice.plan_log_id("East Area BCU") == "east-area-bcu"
    assert choice.plan_log_id("Bwrdeistref Caerdydd / Cardiff (Ôl)") == "bwrdeistref-caerdydd-cardiff-ol"
    assert choice.plan_log_id("***") == "plan"
    assert default_log_name("east-area-bcu", START, END) == NEW


@given(st.text(max_size=200), st.dates(), st.dates())
def test_a_new_name_is_one_file_name_and_never_taken_for_an_older_log(unit: str, start: dt.date, end: dt.date) -> None:
    name = default_log_name(choice.plan_log_id(unit), start, end)
    assert "/" not in name and not name.startswith(".") and name.endswith(".jsonl")
    assert choice._OLD_NAME.fullmatch(name) is None


def test_no_older_log_nothing_is_made_and_nothing_said(tmp_path: Path) -> None:
    found = choose(tmp_path / "data", PLAN)
    assert found == LogChoice(tmp_path / "data" / NEW, "default", "east-area-bcu", (START, END))
    assert found.reason == "the default log of plan east-area-bcu, period 2020-04-01 to 2021-03-31"
    assert not (tmp_path / "data").exists()


def test_the_log_of_a_reinstalled_or_moved_plan_is_adopted_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first_install = tmp_path / "site-packages" / "plans" / PLAN.name
    first_install.parent.mkdir(parents=True)
    shutil.copy(PLAN, first_install)
    old = old_log(data, old_default_name(first_install), digest_of(PLAN))
    other = old_log(data, "other_plan-0123abcd.jsonl", hashlib.sha256(b"another plan").hexdigest())
    before = old.read_bytes()

    found = choose(data, PLAN)  # the checkout's copy: another path, the same bytes
    assert found.adopted_from == old and found.path == data / NEW
    assert (data / NEW).read_bytes() == before  # the same file, renamed: nothing copied, nothing lost
    assert os.readlink(old) == NEW  # the old name now points to it: an older commsplan cannot start a second log
    assert (data / NEW).stat().st_nlink == 1
    assert adopted_from(data / NEW) == [old]
    assert other.read_bytes() and not other.is_symlink()  # another plan's log is left alone
    # once: the next command simply uses it
    assert choose(data, PLAN) == LogChoice(data / NEW, "default", "east-area-bcu", (START, END))


def test_a_plan_edited_in_place_keeps_its_log(tmp_path: Path) -> None:
    """Records made under an earlier version of the file: recognised by the name the earlier
    rule gives this very path."""
    plan = tmp_path / "my_plan.yaml"
    shutil.copy(PLAN, plan)
    old = old_log(tmp_path / "data", old_default_name(plan), hashlib.sha256(b"last week's version").hexdigest())
    assert choose(tmp_path / "data", plan).adopted_from == old


def test_several_older_logs_are_never_guessed_between(tmp_path: Path) -> None:
    data = tmp_path / "data"
    one = old_log(data, "east_area_2020-11111111.jsonl", digest_of(PLAN), 1)
    two = old_log(data, "east_area_2020-22222222.jsonl", digest_of(PLAN), 3)
    found = choose(data, PLAN)
    assert found.candidates == (one, two) and found.adopted_from is None
    assert not (data / NEW).exists() and not one.is_symlink() and not two.is_symlink()
    said = found.ambiguity()
    assert said is not None
    assert said.startswith(
        "2 older logs hold records of this plan, and commsplan does not guess which one is its log:\n"
        f"  {one} (1 record, last written "
    )
    assert f"  {two} (3 records, last written " in said
    assert said.endswith(f"  mv {one} {data / NEW}\nor use one for this command with --log PATH")


def test_of_two_adopters_one_renames_and_the_other_finds_it_done(tmp_path: Path) -> None:
    old = old_log(tmp_path, "plan-abcdef01.jsonl", "p")
    assert adopt(old, tmp_path / NEW)
    assert not adopt(old, tmp_path / NEW)  # the old name is a link now: nothing left to adopt
    existing = old_log(tmp_path, "plan-abcdef02.jsonl", "p")
    assert not adopt(existing, tmp_path / NEW)  # never replaces a log that exists
    assert not existing.is_symlink() and len(FileLog(tmp_path / NEW).read().records) == 2


def test_an_adoption_cut_short_is_finished(tmp_path: Path) -> None:
    old = old_log(tmp_path, "plan-abcdef01.jsonl", "p")
    os.link(old, tmp_path / NEW)  # killed between its two steps: two names for one log
    found = default_log(tmp_path, "east-area-bcu", START, END, digest="p", plan_path=PLAN)
    assert found.path == tmp_path / NEW and os.readlink(old) == NEW
    assert (tmp_path / NEW).stat().st_nlink == 1


# --- as a user meets it ---------------------------------------------------------------------------


def default_cli(tmp_path: Path) -> tuple[Cli, dict[str, str]]:
    return Cli(Path(""), tmp_path / "cache"), {"COMMSPLAN_LOG": "", "XDG_DATA_HOME": str(tmp_path / "xdg")}


def test_after_reinstalling_the_log_still_has_its_records(tmp_path: Path) -> None:
    cli, env = default_cli(tmp_path)
    data = tmp_path / "xdg" / "commsplan"
    installed = tmp_path / "venv" / "plans" / PLAN.name
    installed.parent.mkdir(parents=True)
    shutil.copy(PLAN, installed)
    old = old_log(data, old_default_name(installed), digest_of(PLAN))

    shown = cli("log", "--plan", str(PLAN), env=env)
    assert shown.exit_code == 0
    assert squeezed(shown.stderr) == squeezed(
        f"commsplan: warning: this plan's log is now {data / NEW}, named by the plan's unit and period rather "
        f"than its file's path; it was {old} (adopted once, nothing copied or lost)"
    )
    assert shown.stdout.count("snb-quarterly-meeting") == 2

    again = cli("info", "--json", "--plan", str(PLAN), env=env)
    assert again.stderr == ""  # said once
    facts = json.loads(again.stdout)
    assert facts["log"] == str(data / NEW) and facts["log_records"] == 2
    assert facts["log_origin"] == "default" and facts["log_plan_id"] == "east-area-bcu"
    assert facts["log_adopted_from"] == [str(old)] and facts["log_candidates"] == []
    assert facts["log_from"] == (
        f"the default log of plan east-area-bcu, period 2020-04-01 to 2021-03-31, adopted from {old}"
    )
    text = cli("info", "--plan", str(PLAN), env=env).stdout
    assert "log from      the default log of plan east-area-bcu, period 2020-04-01 to" in text


def test_info_says_where_the_log_came_from(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "team.jsonl", tmp_path / "cache")
    assert json.loads(cli("info", "--json").stdout)["log_from"] == "given by COMMSPLAN_LOG"
    given = json.loads(cli("info", "--json", "--log", str(tmp_path / "mine.jsonl")).stdout)
    assert (given["log_from"], given["log_origin"], given["log_plan_id"]) == ("given with --log", "--log", None)


def test_with_several_older_logs_nothing_is_recorded_until_one_is_chosen(tmp_path: Path) -> None:
    cli, env = default_cli(tmp_path)
    data = tmp_path / "xdg" / "commsplan"
    one = old_log(data, "east_area_2020-11111111.jsonl", digest_of(PLAN), 1)
    old_log(data, "east_area_2020-22222222.jsonl", digest_of(PLAN), 3)
    refused = cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26", env=env)
    assert refused.exit_code == 1
    assert "2olderlogsholdrecordsofthisplan" in squeezed(refused.stderr)
    assert squeezed(refused.stderr).endswith(
        squeezed(
            "commsplan: error: completion NOT recorded: several older logs hold this plan's records (listed "
            "above); choose one as said there, then record again"
        )
    )
    assert not (data / NEW).exists()
    os.rename(one, data / NEW)  # as the message says
    done = cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26", env=env)
    assert done.exit_code == 0, done.stderr
    assert len(FileLog(data / NEW).read().records) == 2


def test_a_log_in_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "no-such-folder" / "log.jsonl", tmp_path / "cache")
    for args, prefix in (
        (["due", "--now", "2020-10-26"], ""),
        (["done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26"], "completion NOT recorded: "),
    ):
        result = cli(*args)
        assert result.exit_code == 1
        assert squeezed(result.stderr) == squeezed(
            f"commsplan: error: {prefix}{tmp_path / 'no-such-folder' / 'log.jsonl'}: the folder "
            f"{tmp_path / 'no-such-folder'} does not exist; check the path given by COMMSPLAN_LOG "
            "(commsplan creates a new log file, but no folders)"
        )
    typo = cli("log", "--log", str(tmp_path / "logs" / "team.jsonl"))
    assert "checkthepathgivenby--log" in squeezed(typo.stderr) and typo.exit_code == 1
    assert not (tmp_path / "no-such-folder").exists() and not (tmp_path / "logs").exists()


def test_a_new_log_in_an_existing_folder_is_started_and_said_once(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "team.jsonl", tmp_path / "cache")
    first = cli("done", "iag", "--occurrence", "2020-Q2", "--now", "2020-10-26")
    assert first.exit_code == 0
    assert squeezed(first.stderr) == squeezed(f"commsplan: started a new log at {tmp_path / 'team.jsonl'}")
    assert (tmp_path / "team.jsonl").stat().st_mode & 0o777 == 0o600
    second = cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26")
    assert second.exit_code == 0 and second.stderr == ""


def test_an_older_log_that_may_be_this_plans_is_pointed_out_not_taken(tmp_path: Path) -> None:
    """A plan edited and moved since: its old log carries neither its sha256 nor its path's old
    name. Nothing is adopted, but `log` does not show an empty log in silence."""
    cli, env = default_cli(tmp_path)
    data = tmp_path / "xdg" / "commsplan"
    elsewhere = old_log(data, "east_area_2020-0badc0de.jsonl", hashlib.sha256(b"an older version").hexdigest())
    shown = cli("log", env=env)
    assert shown.exit_code == 0 and squeezed(shown.stdout) == squeezed(f"No records in {data / NEW}.")
    said = squeezed(shown.stderr)
    assert said.startswith(
        squeezed(
            f"commsplan: warning: this plan has no log yet ({data / NEW}); these logs beside it are named the old "
            "way and do not look like this plan's (no record made under this plan file):\n"
            f"  {elsewhere} (2 records, last written "
        )
    )
    assert said.endswith(
        squeezed(f"if one of them is this plan's log, give it the new name: mv {elsewhere} {data / NEW}")
    )
    assert not elsewhere.is_symlink() and not (data / NEW).exists()
    for command in (["due", "--week"], ["digest"]):  # the cron mail says so too
        result = cli(*command, "--now", "2020-10-26T07:00", env=env)
        assert squeezed(f"give it the new name: mv {elsewhere}") in squeezed(result.stderr + result.stdout), command
    mailed = cli("digest", "--format", "email", "--to", "slt@example.org", "--now", "2020-10-26T07:00", env=env).stdout
    assert squeezed("this plan has no log yet") in squeezed(mailed)  # in the mail's notes, not lost on stderr
    os.rename(elsewhere, data / NEW)
    again = cli("log", env=env)
    assert again.stderr == "" and again.stdout.count("snb-quarterly-meeting") == 2
