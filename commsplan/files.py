"""Writing a file whole: the one atomic writer (temp file in the same folder, fsync, rename)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` whole, so a reader or a crash sees the old file or the new one, never
    a part. Raises OSError; the temp file never outlives a failure."""
    write_whole(path, lambda handle: handle.write(data), mode=mode)


def write_whole(path: Path, write: Callable[[BinaryIO], T], *, mode: int = 0o644, replace: bool = True) -> T:
    """Write ``path`` whole through ``write`` (given the open file; its result is returned):
    into a temp file in the same folder, fsync, then renamed over ``path`` (only a regular
    file is replaced), or with ``replace=False`` linked into place, which raises
    FileExistsError rather than replace anything. Raises OSError; the temp file never
    outlives the call."""
    if replace:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            # Renaming over a symbolic link, a device (/dev/null, /dev/stdout) or a FIFO would
            # replace it with a plain file: as root, that breaks the machine.
            raise OSError(errno.EEXIST, "not a regular file (a link, a device or a folder); only a file is replaced")
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the name exists, even as a dangling link: never replaces
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return result
