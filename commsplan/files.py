"""Writing a file whole: the one atomic writer (temp file in the same folder, fsync, rename)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` whole, so a reader or a crash sees the old file or the new one, never
    a part. Raises OSError; the temp file never outlives a failure."""
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
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
