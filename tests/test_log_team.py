"""One log shared by a Unix group, tried with real users: two members record at the same time,
each sees the other's records, the chain verifies, and a third account's digest counts them all.

Needs root (to create the users and the group, removed afterwards) and useradd/groupadd/setpriv;
otherwise skipped with the reason. Nothing about permissions is mocked: the kernel decides.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import PLAN

TOOLS = ("useradd", "userdel", "groupadd", "groupdel", "setpriv")
NOW = "2020-10-26T08:00"


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create real Unix users and a group (CI runs as root)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} to create and switch to real Unix users"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@dataclass
class Team:
    group: str
    folder: Path
    log: Path
    members: dict[str, str]  # role -> user name: "a", "b" record; "reader" runs the digest
    outsider: str

    def run(self, who: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """commsplan as the real user ``who`` (with that user's own groups), nothing else changed."""
        user = pwd.getpwnam(who)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/nonexistent",
            "LOGNAME": who,
            "USER": who,
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "COMMSPLAN_LOG": str(self.log),
            "COMMSPLAN_PLAN": str(PLAN),
            "COMMSPLAN_CACHE_DIR": "",
        }
        command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]
        result = subprocess.run(
            [*command, sys.executable, "-m", "commsplan", *args],
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"{who}: commsplan {' '.join(args)}\n{result.stdout}{result.stderr}"
        return result


def _sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@pytest.fixture
def team() -> Iterator[Team]:
    tag = uuid.uuid4().hex[:8]
    group = f"cpteam{tag}"
    members = {"a": f"cpa{tag}", "b": f"cpb{tag}", "reader": f"cpr{tag}"}
    outsider = f"cpo{tag}"
    made: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="commsplan-team-", dir="/tmp"))
    try:
        _sh("groupadd", group)
        for name in members.values():
            _sh("useradd", "--no-create-home", "--no-user-group", "--gid", "users", "--groups", group, name)
            made.append(name)
        _sh("useradd", "--no-create-home", "--no-user-group", "--gid", "users", outsider)
        made.append(outsider)
        # The README's set-up, as root would do it: the folder belongs to the group, setgid, 2770.
        os.chown(folder, 0, grp.getgrnam(group).gr_gid)
        os.chmod(folder, 0o2770)
        found = Team(group, folder, folder / "east-area.jsonl", members, outsider)
        probe = found.run(members["a"], "--version", check=False)
        if probe.returncode != 0:
            pytest.skip(
                f"another user cannot run this Python and commsplan ({sys.executable}): "
                f"make the path to it readable by others (chmod o+rx): {probe.stderr.strip()[-200:]}"
            )
        yield found
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, check=False)
        subprocess.run(["groupdel", group], capture_output=True, check=False)


def test_two_members_record_at_once_into_one_log_and_everyone_sees_everything(team: Team) -> None:
    a, b, reader = team.members["a"], team.members["b"], team.members["reader"]
    days = {a: range(1, 6), b: range(6, 11)}

    def member(who: str) -> list[subprocess.CompletedProcess[str]]:
        """One member's morning: five completions, then the briefing both record at once."""
        runs = [
            team.run(who, "done", "cp-daily-updates", "--occurrence", f"2020-10-{day:02d}", "--by", who, "--now", NOW)
            for day in days[who]
        ]
        briefing = ["done", "iag-quarterly-briefing", "--occurrence", "2020-Q2", "--by", who, "--now", NOW]
        return [*runs, team.run(who, *briefing, check=False)]

    with ThreadPoolExecutor(2) as pool:  # two real processes at a time, one per member
        results = [run for runs in pool.map(member, (a, b)) for run in runs]
    # of the two recording the same briefing at once, the lock lets exactly one through
    assert sorted(run.returncode for run in results) == [0] * 11 + [1]
    [refused] = [run for run in results if run.returncode]
    assert "iag-quarterly-briefing 2020-Q2 is already done" in " ".join(refused.stderr.split()), refused.stderr

    # The log: the group's, 0660, made by whichever member was first; nobody else can touch it.
    info = team.log.stat()
    assert stat.S_IMODE(info.st_mode) == 0o660
    assert info.st_gid == grp.getgrnam(team.group).gr_gid
    assert pwd.getpwuid(info.st_uid).pw_name in (a, b)

    for who in (a, b):
        records = json.loads(team.run(who, "log", "--json").stdout)
        assert len(records) == 11
        assert {r["by"] for r in records} == {a, b}  # each sees the other's
        verified = team.run(who, "log", "--verify")
        assert f"{team.log}: 11 records, hash chain intact" in verified.stdout.replace("\n  ", " ")

    # Each member keeps a private index beside the shared log: nobody trusts an index another wrote.
    for who in (a, b):
        user = pwd.getpwnam(who)
        index = team.folder / f"east-area.jsonl.index-u{user.pw_uid}"
        seen = index.stat()
        assert (seen.st_uid, stat.S_IMODE(seen.st_mode)) == (user.pw_uid, 0o600)
        assert seen.st_gid == grp.getgrnam(team.group).gr_gid  # the folder's group (setgid)

    digest = json.loads(team.run(reader, "digest", "--now", "2020-10-26T09:00", "--json").stdout)
    assert digest["done_since"]["done"] == 11
    assert digest["log_head"].startswith("11:")


def test_a_torn_tail_is_set_aside_where_the_group_can_read_it(team: Team) -> None:
    a, b = team.members["a"], team.members["b"]
    team.run(a, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q2", "--by", a, "--now", NOW)
    with open(team.log, "ab") as log:  # a writer killed mid-line
        log.write(b'{"v":1,"id":"r-torn')
    team.run(b, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--by", b, "--now", NOW)
    [side] = team.folder.glob("east-area.jsonl.torn-*")
    seen = side.stat()
    assert stat.S_IMODE(seen.st_mode) == 0o660 and seen.st_gid == grp.getgrnam(team.group).gr_gid
    assert seen.st_uid == pwd.getpwnam(b).pw_uid
    assert team.run(team.members["reader"], "log", "--verify").returncode == 0


def test_who_is_not_in_the_group_is_told_so(team: Team) -> None:
    team.run(team.members["a"], "done", "iag-quarterly-briefing", "--occurrence", "2020-Q2", "--now", NOW)
    os.chmod(team.folder, 0o2775)  # the outsider may look into the folder, and still not write the log
    refused = team.run(
        team.outsider, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--now", NOW, check=False
    )
    assert refused.returncode == 1
    said = " ".join(refused.stderr.split())
    assert f"{team.log} is shared with group {team.group}, which you are not in; ask to be added" in said, said
    assert f"sudo usermod -aG {team.group} {team.outsider}" in said


def test_a_badly_shared_log_is_refused_with_the_command_that_fixes_it(team: Team) -> None:
    a = team.members["a"]
    team.run(a, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q2", "--now", NOW)
    os.chmod(team.log, 0o666)
    refused = team.run(a, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--now", NOW, check=False)
    assert refused.returncode == 1
    assert f"fix it with: chmod o-w {team.log}" in " ".join(refused.stderr.split())
    os.chmod(team.log, 0o660)
    os.chmod(team.folder, 0o0770)  # the setgid bit lost: files made there would not be the group's
    refused = team.run(a, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--now", NOW, check=False)
    assert f"fix it with: chmod g+rwxs {team.folder}" in " ".join(refused.stderr.split())
    os.chmod(team.folder, 0o2770)
    team.run(a, "done", "iag-quarterly-briefing", "--occurrence", "2020-Q3", "--now", NOW)
