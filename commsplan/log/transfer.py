"""Moving records between logs: what of a file log continues another log, verified first."""

from __future__ import annotations

from pathlib import Path

from commsplan.errors import LogError
from commsplan.log.records import Decoder, Head, gc_paused


def continuation(path: Path, here: Head | None, where: str) -> list[bytes]:
    """The lines (without newlines) of the file log at ``path`` that come after the ``here``
    lines a log already holds, once the whole file has verified: every line a record, the
    hash chain unbroken, and its first ``here.lines`` lines the very ones that log holds.

    Raises LogError saying nothing was imported otherwise: an import never mixes two histories.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LogError(f"nothing imported: {path} does not exist") from None
    except IsADirectoryError:
        raise LogError(f"nothing imported: {path} is a folder, not a log file") from None
    except OSError as exc:
        raise LogError(f"nothing imported: cannot read {path}: {exc.strerror or exc}") from None
    decoder = Decoder(chain=True)
    if here is not None:
        decoder.watch = here.lines
    complete = data.rfind(b"\n") + 1
    with gc_paused():
        decoder.feed(data[:complete])
    if complete < len(data):
        decoder.torn_tail()
    if decoder.problems:
        more = len(decoder.problems) - 1
        raise LogError(
            f"nothing imported: {path}: {decoder.problems[0].message}"
            + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
            + f"; see `commsplan log --verify --log {path}`"
        )
    if here is not None and (decoder.number < here.lines or decoder.watched != here.sha256):
        raise LogError(
            f"nothing imported: {where} already holds {here.lines} record{'s' if here.lines != 1 else ''} that "
            f"{'are' if here.lines != 1 else 'is'} not the start of {path}; an import fills an empty log, or "
            "continues a log whose records the file begins with"
        )
    lines = data[:complete].split(b"\n")
    lines.pop()
    return lines[here.lines if here is not None else 0 :]
