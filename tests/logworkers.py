"""Processes that append to a log, for the concurrency and crash tests (spawned, so importable)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import signal
import sys
from pathlib import Path

from commsplan.logbook import FileLog

TS = dt.datetime(2020, 10, 26, 9, 0, tzinfo=dt.UTC)


def note_for(writer: int, n: int) -> str:
    # 100 bytes to 70 KB, cheap to make and to check
    size = 100 + (n * 7919 + writer * 104729) % (70_000 - 100)
    return (f"w{writer}n{n}|" * (size // 8 + 1))[:size]


def append_many(path: str, writer: int, count: int) -> None:
    log = FileLog(Path(path))
    for n in range(count):
        log.append("done", TS, {"activity": f"w{writer}", "occurrence": str(n), "note": note_for(writer, n)}, "p")


def append_forever(path: str, writer: int) -> None:
    log = FileLog(Path(path))
    n = 0
    while True:
        log.append("done", TS, {"activity": f"w{writer}", "occurrence": str(n), "note": note_for(writer, n)}, "p")
        n += 1


def append_with_size_limit(path: str, limit: int) -> None:
    """Append one large record with RLIMIT_FSIZE set so the write comes up short."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from commsplan.errors import LogError

    try:
        FileLog(Path(path)).append("done", TS, {"activity": "big", "occurrence": "1", "note": "x" * 50_000}, "p")
    except LogError as exc:
        print(exc.message)
        sys.exit(3)
    sys.exit(0)


if __name__ == "__main__":
    mode, path, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "forever":
        append_forever(path, arg)
    elif mode == "limit":
        append_with_size_limit(path, arg)
    os._exit(0)
