"""The digest's memory: when a team's digest last ran, kept beside the log, so the next one can
say what was done since."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from commsplan.files import write_atomically
from commsplan.log.filelog import new_file_mode


class DigestMarker:
    def __init__(self, log_path: Path, owner: str | None) -> None:
        self.path = log_path.with_name(f"{log_path.name}.digest-{owner or 'all'}")

    def read(self, zone: dt.tzinfo) -> dt.datetime | None:
        try:
            value = dt.datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        return value.astimezone(zone) if value.tzinfo else None

    def write(self, when: dt.datetime) -> None:
        with contextlib.suppress(OSError):  # the next digest then counts from 24 hours back
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a database's: in the data folder
            write_atomically(self.path, (when.isoformat() + "\n").encode("utf-8"), mode=new_file_mode(self.path.parent))
