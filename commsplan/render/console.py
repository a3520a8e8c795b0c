"""Where human output goes: the consoles, line wrapping at the terminal's width (80 columns in
a pipe or a cron mail), and text a stdout cannot encode degraded to ASCII instead of a crash.

rich is for a terminal (styles, tables); output to a pipe, a file or cron's mail is plain text
and does not import it: ``stdout()`` and ``stderr()`` give a rich console only on a terminal,
else a ``PlainConsole`` that answers what ``Lines`` asks (width, file) as rich would."""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from typing import TypeAlias

    from rich.console import Console, RenderableType

    AnyConsole: TypeAlias = "Console | PlainConsole"

# Characters commsplan itself prints, and their ASCII stand-ins for a stdout that is ASCII or
# Latin-1 (PYTHONIOENCODING=ascii, an old terminal, a cron with LANG=C on some systems).
_ASCII = {
    "·": "-",
    "…": ".",  # one column, like the ellipsis a table cell was cut with: columns stay aligned
    "█": "#",
    "░": ".",
    "—": "-",
    "–": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "→": "->",
    "£": "GBP",
    "€": "EUR",
}
ERRORS = "commsplan-ascii"


def _degrade(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        if char in _ASCII:
            out.append(_ASCII[char])
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
        out.append(plain or "?")
    return "".join(out), error.end


codecs.register_error(ERRORS, _degrade)


def degrade_unencodable(stream: TextIO) -> None:
    """Let ``stream`` write what its encoding cannot hold as ASCII look-alikes ("é" -> "e",
    "·" -> "-"), not raise UnicodeEncodeError halfway through a listing."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    try:
        "·é█".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        reconfigure(errors=ERRORS)


def rich_console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr), for output laid out by rich (tables, cards)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit with status 1 itself; every command ends the same way instead (cli).
            raise BrokenPipeError

    # rich drops colour when stdout is not a terminal, and honours NO_COLOR.
    return _Console(stderr=stderr, highlight=False, emoji=False)


class PlainConsole:
    """Output that is not a terminal, as rich would see it: no styles, and the width rich would
    give (COLUMNS, else the terminal's that stdin, stdout or stderr is, else 80 columns)."""

    is_terminal = False

    def __init__(self, *, stderr: bool = False) -> None:
        self.stderr = stderr
        self.width = _plain_width()

    @property
    def file(self) -> TextIO:
        return sys.stderr if self.stderr else sys.stdout


def _plain_width() -> int:
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    width = 0
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
        break
    return width or 80


def _is_terminal(stream: Any) -> bool:
    """Whether rich could take ``stream`` for a terminal (it has the last word: see stdout())."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # closed
        return False


def stdout() -> AnyConsole:
    return rich_console() if _is_terminal(sys.stdout) else PlainConsole()


def stderr() -> AnyConsole:
    return rich_console(stderr=True) if _is_terminal(sys.stderr) else PlainConsole(stderr=True)


def say(line: str | Segs, console: AnyConsole | None = None, *, indent: int = 2) -> None:
    """One message (plain text, or styled pieces) to a console, wrapped at its width (80
    columns in a pipe or a mail) with a hanging indent."""
    out = Lines(console or stdout())
    out.segs_wrapped([(line, "")] if isinstance(line, str) else line, indent)
    out.emit()


Segs = list[tuple[str, str]]  # (text, rich style) pieces of one line


class Lines:
    """Output built as pre-wrapped lines of (text, style) pieces: cheap for a plan of 10,000
    activities, where rich's layout costs seconds. Written through rich on a terminal (for
    the styles), as plain text otherwise, where a line is kept as its text alone."""

    def __init__(self, console: AnyConsole, width: int | None = None) -> None:
        self.console = console
        self.width = width or max(40, console.width)
        self.plain = not console.is_terminal  # no styles to keep: each line is one string
        self.lines: list[Segs | str] = []

    def add(self, text: str = "", style: str = "") -> None:
        self.lines.append(text if self.plain else [(text, style)])

    def add_segs(self, segs: Segs) -> None:
        self.lines.append("".join(p for p, _ in segs) if self.plain else segs)

    def wrapped(self, text: str, indent: int, style: str = "", first: Segs | None = None) -> None:
        """``text`` wrapped at the console width with a hanging indent; ``first`` (already
        laid out to ``indent`` columns) starts the first line."""
        pad = " " * indent
        if first is None and len(text) <= self.width - indent:  # one line: the commonest case
            self.lines.append(pad + text if self.plain else [(pad, ""), (text, style)])
            return
        lead = len("".join(p for p, _ in first)) if first is not None else indent
        for n, chunk in enumerate(wrap(text, self.width - max(indent, lead))):
            start = first if n == 0 and first is not None else [(pad, "")]
            self.add_segs([*start, (chunk, style)])

    def segs_wrapped(self, segs: Segs, indent: int) -> None:
        """One line of styled pieces, wrapped at the console width with a hanging indent."""
        plain = "".join(p for p, _ in segs)
        if len(plain) <= self.width:
            self.lines.append(plain if self.plain else segs)
            return
        # Styles are kept for the pieces that fit on the first line; the rest wraps plain.
        line: Segs = []
        used = 0
        for n, (piece, style) in enumerate(segs):
            if used + len(piece) > self.width:
                rest = piece + "".join(p for p, _ in segs[n + 1 :])
                room = self.width - used
                cut = rest.rfind(" ", 0, room + 1)
                if cut <= 0 and used > indent:
                    head, tail = "", rest.lstrip(" ")
                else:
                    cut = room if cut <= 0 else cut
                    head, tail = rest[:cut].rstrip(" "), rest[cut:].lstrip(" ")
                if head:
                    line.append((head, style))
                self.add_segs(line)
                self.wrapped(tail, indent, first=[(" " * indent, "")])
                return
            line.append((piece, style))
            used += len(piece)
        self.add_segs(line)

    def emit(self) -> None:
        if self.console.is_terminal:
            from rich.text import Text

            assert not isinstance(self.console, PlainConsole)
            text = Text()
            for segs in self.lines:
                for piece, style in [(segs, "")] if isinstance(segs, str) else segs:
                    text.append(piece, style=style or None)
                text.append("\n")
            self.console.print(text, end="", soft_wrap=True, overflow="ignore", crop=False)
        else:
            self.console.file.write(
                "".join(
                    (line if isinstance(line, str) else "".join(p for p, _ in line)).rstrip(" ") + "\n"
                    for line in self.lines
                )
            )
        self.lines = []


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap (textwrap's rules without its regex cost); long words are cut."""
    width = max(width, 10)
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def print_trimmed(console: Console, renderable: RenderableType) -> None:
    """Print without the trailing spaces rich pads table cells with (they clutter e-mail)."""
    from rich.segment import Segment, Segments

    segments: list[Segment] = []
    for line in console.render_lines(renderable, console.options, pad=False):
        while line and not line[-1].control and not line[-1].text.strip():
            line.pop()
        if line and not line[-1].control:
            last = line[-1]
            line[-1] = Segment(last.text.rstrip(), last.style)
        segments.extend(line)
        segments.append(Segment.line())
    console.print(Segments(segments), end="")


def configure_streams() -> None:
    """Once per process, before any output."""
    degrade_unencodable(sys.stdout)
    degrade_unencodable(sys.stderr)


class IndexProgress:
    """A progress bar on stderr while the log's index is built, as long as that is a big job
    (a million records take seconds the first time). Only on a terminal: never in a pipe, a
    file or cron's mail, where it would be noise."""

    MIN_BYTES = 32 << 20  # below this (some 100,000 records) indexing is over in a blink

    def __init__(self, label: str = "Indexing the log", min_bytes: int | None = None) -> None:
        self.label = label
        self.min_bytes = self.MIN_BYTES if min_bytes is None else min_bytes
        self.enabled: bool | None = None  # asked only when there is a big job (a Console costs)
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_bytes:
            return
        if self.enabled is None:
            self.enabled = stderr().is_terminal
        if not self.enabled:
            return
        if self._bar is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn(self.label),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=rich_console(stderr=True),
                transient=True,  # gone when done: the command's own output follows
            )
            self._bar.start()
            self._task = self._bar.add_task("index", total=total)
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
