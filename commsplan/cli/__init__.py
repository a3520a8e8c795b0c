"""The command line: parsing and rendering only; the rules live below it."""

from commsplan.cli.app import app, run

__all__ = ["app", "run"]
