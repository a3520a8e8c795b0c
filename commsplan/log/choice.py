"""Which completion log a command uses, and why: ``--log``, ``COMMSPLAN_LOG``, or the plan's own.

The default log is named by the plan's identity, read from the plan file's content (its unit
and its period), not by where the file is: reinstalling commsplan, moving or copying the plan
finds the same log. Earlier versions named it ``{stem}-{sha256(resolved path)[:8]}.jsonl``;
such a log in the same data folder is this plan's when

- one of its records was made under this very plan file (its ``"plan"`` field is the sha256
  of the plan's bytes): the plan was reinstalled, moved or copied, or
- its name is the one the earlier rule gives the plan file's current path (the plan was
  edited in place since).

One such log is adopted once: it gets the new name (a hard link that never replaces a file,
then the old name becomes a symbolic link to the new one, so an older commsplan still
installed refuses to start a second log there, and ``info`` can say where the log came from).
Several are never merged or guessed between: the caller is told which, and how to choose.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import stat
import unicodedata
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from commsplan.errors import LogError

OPTION = "--log"
ENVIRONMENT = "COMMSPLAN_LOG"
DEFAULT = "default"

_OLD_NAME = re.compile(r".+-[0-9a-f]{8}\.jsonl")
_CHUNK = 8 << 20


@dataclass(frozen=True)
class LogChoice:
    """The log a command uses and why."""

    path: Path  # the file log (for a database: none, see ``url``)
    origin: str  # OPTION, ENVIRONMENT or DEFAULT
    plan_id: str = ""  # for the default log: the plan's identity and period it is named by
    period: tuple[dt.date, dt.date] | None = None
    adopted_from: Path | None = None  # an older log renamed to ``path`` by this very call
    candidates: tuple[Path, ...] = field(default=())  # several older logs of this plan: none adopted
    url: str | None = None  # a PostgreSQL log's URL, given with --log or COMMSPLAN_LOG

    @property
    def target(self) -> str | Path:
        """What opens the log: the database's URL, else the file's path."""
        return self.url if self.url is not None else self.path

    @property
    def reason(self) -> str:
        """Why this log, in a sentence's words (for ``info``)."""
        if self.origin == OPTION:
            return "given with --log"
        if self.origin == ENVIRONMENT:
            return "given by COMMSPLAN_LOG"
        assert self.period is not None
        start, end = self.period
        return f"the default log of plan {self.plan_id}, period {start.isoformat()} to {end.isoformat()}"

    def ambiguity(self) -> str | None:
        """What to tell a person when several older logs could be this one, else None."""
        if not self.candidates:
            return None
        listed = "\n".join(f"  {path} ({_count(path)})" for path in self.candidates)
        return (
            f"{len(self.candidates)} older logs hold records of this plan, and commsplan does not guess "
            f"which one is its log:\n{listed}\n"
            f"keep the one you recorded in (the most records, or the latest) by renaming it:\n"
            f"  mv {self.candidates[0]} {self.path}\n"
            f"or use one for this command with --log PATH"
        )

    def unclaimed(self) -> str | None:
        """For a default log not started yet: the logs named the old way beside it that are not
        recognisably this plan's (it may be one of them, edited and moved since), so that an
        empty log is never silently all there is; None when there is nothing to say."""
        if self.origin != DEFAULT or self.candidates or os.path.lexists(self.path):
            return None
        older = _old_named(self.path.parent)
        if not older:
            return None
        listed = "\n".join(f"  {path} ({_count(path)})" for path in older)
        return (
            f"this plan has no log yet ({self.path}); these logs beside it are named the old way and do not "
            f"look like this plan's (no record made under this plan file):\n{listed}\n"
            f"if one of them is this plan's log, give it the new name: mv {older[0]} {self.path}"
        )


def plan_log_id(unit: str) -> str:
    """The plan's identity in its log's name: its unit's name in lower case, words joined by -."""
    plain = unicodedata.normalize("NFKD", unit).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-")
    return slug or "plan"


def default_log_name(plan_id: str, start: dt.date, end: dt.date) -> str:
    return f"{plan_id}-{start.isoformat()}-to-{end.isoformat()}.jsonl"


def old_default_name(plan_path: Path) -> str:
    """What earlier versions of commsplan named the default log of the plan file at ``plan_path``."""
    tag = hashlib.sha256(str(plan_path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{plan_path.stem}-{tag}.jsonl"


SCHEMES = ("postgresql://", "postgres://")  # libpq's own test of a connection URL


def is_url(target: str) -> bool:
    """Whether ``--log`` names a database (a postgresql:// URL) rather than a file."""
    return target.startswith(SCHEMES)


def explicit_log(given: str, origin: str) -> LogChoice:
    """A log named with --log or COMMSPLAN_LOG: a database's URL, or a file whose folder must
    exist: a typo in a path must not quietly start a new log in new folders (a new file in an
    existing folder is fine)."""
    if is_url(given):
        return LogChoice(Path(), origin, url=given)
    path = Path(given)
    folder = path.parent
    if not folder.is_dir():
        given = "--log" if origin == OPTION else "COMMSPLAN_LOG"
        what = "is not a folder" if folder.exists() else "does not exist"
        raise LogError(
            f"{path}: the folder {folder} {what}; check the path given by {given} "
            f"(commsplan creates a new log file, but no folders)"
        )
    return LogChoice(path, origin)


def default_log(folder: Path, plan_id: str, start: dt.date, end: dt.date, *, digest: str, plan_path: Path) -> LogChoice:
    """The default log of a plan in ``folder``, adopting this plan's older log if there is one."""
    path = folder / default_log_name(plan_id, start, end)
    choice = LogChoice(path, DEFAULT, plan_id, (start, end))
    try:
        info = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        info = None
    except OSError:
        return choice  # the append or read says what is wrong with it
    if info is not None:
        if info.st_nlink > 1 and stat.S_ISREG(info.st_mode):
            _finish_interrupted(folder, path, info)
        return choice
    found = older_logs(folder, digest=digest, plan_path=plan_path)
    if len(found) > 1:
        return LogChoice(path, DEFAULT, plan_id, (start, end), candidates=tuple(found))
    if len(found) == 1 and adopt(found[0], path):
        return LogChoice(path, DEFAULT, plan_id, (start, end), adopted_from=found[0])
    return choice


def older_logs(folder: Path, *, digest: str, plan_path: Path) -> list[Path]:
    """Logs in ``folder`` named by the earlier rule that are this plan's (see the module's
    docstring), in name order."""
    by_path = old_default_name(plan_path)
    needle = f'"plan":"{digest}"'.encode()
    found = []
    for name in _old_style_names(folder):
        candidate = folder / name
        try:
            info = os.stat(candidate, follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            continue  # adopted already (a symbolic link now), or nothing in it to keep
        if name == by_path or _holds(candidate, needle):
            found.append(candidate)
    return found


def adopt(old: Path, new: Path) -> bool:
    """Give the log ``old`` the name ``new``; False if ``new`` exists or ``old`` went meanwhile.

    Under the old log's exclusive lock (an append to it in flight finishes first): a hard link
    to the new name, which fails rather than replace a file, then the old name is replaced by a
    symbolic link to it. Never two logs, never one overwritten.
    """
    try:
        fd = os.open(old, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        mine = os.fstat(fd)
        try:
            named = os.stat(old, follow_symlinks=False)
        except OSError:
            return False
        if (named.st_dev, named.st_ino) != (mine.st_dev, mine.st_ino):
            return False  # adopted by another process while we waited
        try:
            os.link(old, new, follow_symlinks=False)
            linked = True
        except FileExistsError:
            return False
        except OSError:
            # No hard links here (some filesystems): a plain rename, checked just above not to
            # replace anything, and made under the old log's lock.
            try:
                if os.path.lexists(new):
                    return False
                os.rename(old, new)
            except OSError as exc:
                raise LogError(f"cannot give the log {old} its new name {new}: {exc.strerror}") from None
            linked = False
        if linked:
            _point_to(old, new)
    finally:
        os.close(fd)
    # The index beside the old name described the old name's file; it is derived, rebuilt on use.
    for suffix in ("", "-journal", "-wal", "-shm"):
        with suppress(OSError):
            os.unlink(f"{old}.index{suffix}")
    return True


def _old_style_names(folder: Path) -> list[str]:
    """The names in ``folder`` that earlier versions gave logs, in name order."""
    try:
        return [name for name in sorted(os.listdir(folder)) if _OLD_NAME.fullmatch(name)]
    except OSError:
        return []


def _old_named(folder: Path) -> list[Path]:
    """Regular, non-empty files in ``folder`` named the way earlier versions named logs."""
    found = []
    for name in _old_style_names(folder):
        with suppress(OSError):
            info = os.stat(folder / name, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_size:
                found.append(folder / name)
    return found


def adopted_from(path: Path) -> list[Path]:
    """The older names in ``path``'s folder that now point to it (logs adopted into it)."""
    folder = path.parent
    found = []
    for name in _old_style_names(folder):
        with suppress(OSError):
            if os.readlink(folder / name) == path.name:
                found.append(folder / name)
    return found


def _point_to(old: Path, new: Path) -> None:
    """Replace the name ``old`` (a second hard link to ``new`` now) with a symbolic link to it."""
    tmp = old.with_name(f".{old.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        os.symlink(new.name, tmp)
        os.replace(tmp, old)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(tmp)
        # Two names of one file now: appends refuse it (a log has one name) until this is done.
        raise LogError(
            f"the log {new} was adopted from {old} but the old name could not be retired: "
            f"{exc.strerror}; finish with: ln -sf {new.name} {old}"
        ) from None
    with suppress(OSError):
        folder_fd = os.open(old.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)


def _finish_interrupted(folder: Path, path: Path, info: os.stat_result) -> None:
    """An adoption stopped between its two steps leaves the log with two names: finish it."""
    with suppress(OSError):
        for name in os.listdir(folder):
            other = folder / name
            if other == path or not _OLD_NAME.fullmatch(name):
                continue
            seen = os.stat(other, follow_symlinks=False)
            if (seen.st_dev, seen.st_ino) == (info.st_dev, info.st_ino):
                _point_to(other, path)


def _holds(path: Path, needle: bytes) -> bool:
    """Does the file hold ``needle``? Read in chunks that overlap by its length."""
    try:
        with open(path, "rb") as file:
            tail = b""
            while chunk := file.read(_CHUNK):
                if needle in tail + chunk:
                    return True
                tail = chunk[-len(needle) :]
    except OSError:
        return False
    return False


def _count(path: Path) -> str:
    try:
        with open(path, "rb") as file:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(_CHUNK), b""))
        when = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.UTC)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    return f"{lines} record{'s' if lines != 1 else ''}, last written {when:%Y-%m-%d %H:%M} UTC"
