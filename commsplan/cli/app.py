"""The commsplan application: the command groups joined into one Typer app, and the entry point."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from commsplan import __version__
from commsplan.cli import common
from commsplan.cli.lazy import LazyGroup

# The commands live in agenda_cmds, log_cmds, plan_cmds and incident_cmds; the root group
# builds only the one being run (cli.lazy).
app = common.typer_app(
    "Turn a police unit's communication action plan into answers: what is due, who sends it, "
    "to whom, by which channel, and what has been done.\n\n"
    "Start with: commsplan due --week   (see 'commsplan COMMAND --help' for each command's options).",
    no_args_is_help=True,
    add_completion=True,
    cls=LazyGroup,
)
LazyGroup.root = app


def _version(value: bool) -> None:
    if value:
        print(f"commsplan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """commsplan: what communication is due, who sends it, to whom, by which channel.

    Start with 'commsplan due --week'.
    """
    from commsplan.render.console import configure_streams

    configure_streams()


def run() -> None:
    """Entry point of the installed `commsplan` script and of `python -m commsplan`."""
    import gc

    # pydantic scans every installed package's entry points for plugins the first time it
    # builds a validator; commsplan uses none, and in a large environment the scan is slow.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A command builds many long-lived objects and few cycles: collect less often.
    gc.set_threshold(100_000, 50, 100)
    common.FREEZE_AFTER_LOAD = True
    app(prog_name="commsplan")
