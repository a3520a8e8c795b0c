"""A log others can witness: the digest ends with the log's head, and `log --verify --head` finds
a truncation or a rewrite before a head that was mailed away, which the chain alone cannot."""

from __future__ import annotations

import hashlib
import json

from commsplan.log.filelog import FileLog
from commsplan.log.records import encode

from .helpers import BOTH, Cli, flat

NOW = "2020-10-26T10:00"


def record_three(cli: Cli) -> None:
    for key in ("2020-Q2", "2020-Q3", "2020-Q4"):
        assert cli("done", "iag", "--occurrence", key, "--now", NOW).exit_code == 0


def digest_head(cli: Cli) -> str:
    result = cli("digest", "--json", "--now", "2020-10-27T07:00")
    head = json.loads(result.stdout)["log_head"]
    assert isinstance(head, str)
    return head


def test_the_digest_ends_with_the_head_of_the_log(cli: Cli) -> None:
    record_three(cli)
    last = cli.log.read_bytes().splitlines()[-1]
    head = f"3:{hashlib.sha256(last).hexdigest()}"
    text = cli("digest", "--now", "2020-10-27T07:00", "--no-mark").stdout
    assert text.endswith(f"\n\nLog head: {head}\n")
    markdown = cli("digest", "--format", "markdown", "--now", "2020-10-27T07:00", "--no-mark").stdout
    assert markdown.endswith(f"\n\nLog head: `{head}`\n")
    assert digest_head(cli) == head


@BOTH
def test_a_log_that_grew_still_extends_the_head(cli: Cli) -> None:
    record_three(cli)
    head = digest_head(cli)
    assert cli("done", "snb-quarterly", "--now", NOW).exit_code == 0
    result = cli("log", "--verify", "--head", head)
    assert result.exit_code == 0, result.stderr
    now_head = cli.book().verify().head
    assert flat(result.stdout).replace("= ", "=") == (
        f"{cli.target}: 4 records, hash chain intact\n"
        f"It extends the head 3:{head[2:14]}: lines 1 to 3 are as then.\n"
        f"Head now: {now_head}\n"
    )
    document = json.loads(cli("log", "--verify", "--head", head, "--json").stdout)
    assert (document["intact"], document["extends"], document["head"]) == (True, True, str(now_head))


def test_an_edited_last_line_passes_the_chain_but_not_the_head(cli: Cli) -> None:
    record_three(cli)
    head = digest_head(cli)
    cli.log.write_bytes(cli.log.read_bytes().replace(b'"occurrence":"2020-Q4"', b'"occurrence":"2020-Q1"'))
    assert cli("log", "--verify").exit_code == 0  # what the chain alone cannot see
    result = cli("log", "--verify", "--head", head)
    assert result.exit_code == 1
    assert flat(result.stdout) == (
        f"{cli.log}: line 3: not the line of the head 3:{head[2:14]}: the log was rewritten up to there\n"
    )
    assert flat(result.stderr) == f"commsplan: error: {cli.log}: does not extend the head {head}\n"


def test_a_truncated_tail_is_found(cli: Cli) -> None:
    record_three(cli)
    head = digest_head(cli)
    cli.log.write_bytes(b"".join(cli.log.read_bytes().splitlines(keepends=True)[:2]))
    assert cli("log", "--verify").exit_code == 0
    result = cli("log", "--verify", "--head", head)
    assert result.exit_code == 1
    assert flat(result.stdout) == (
        f"{cli.log}: the log has 2 lines but the head 3:{head[2:14]} was taken at line 3: lines were removed from it\n"
    )


def test_a_log_rewritten_with_recomputed_hashes_is_found(cli: Cli) -> None:
    record_three(cli)
    head = digest_head(cli)
    # Rewrite every record (one occurrence changed) and chain the hashes again: the chain is whole.
    prev = ""
    lines = []
    for record in FileLog(cli.log).read().records:
        data = dict(record.data)
        if data["occurrence"] == "2020-Q2":
            data["occurrence"] = "2020-Q1"
        line = encode(record.id, record.ts, record.type, data, record.plan, prev)
        prev = hashlib.sha256(line[:-1]).hexdigest()
        lines.append(line)
    cli.log.write_bytes(b"".join(lines))
    assert FileLog(cli.log).verify().problems == ()
    result = cli("log", "--verify", "--head", head)
    assert result.exit_code == 1
    assert "line 3: not the line of the head" in flat(result.stdout)


@BOTH
def test_a_head_that_is_not_one_is_a_usage_error(cli: Cli) -> None:
    record_three(cli)
    bad = cli("log", "--verify", "--head", "3:abc")
    assert bad.exit_code == 2
    assert flat(bad.stderr) == "commsplan: error: '3:abc' is not a log head (LINES:SHA256, as a digest ends with)\n"
    alone = cli("log", "--head", digest_head(cli))
    assert alone.exit_code == 2
    assert "--head goes with --verify" in flat(alone.stderr)
