"""One error hierarchy for commsplan; the CLI translates it to stderr and an exit code."""

from __future__ import annotations


class CommsplanError(Exception):
    """A problem the user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])


class PlanError(CommsplanError):
    """The plan file cannot be read or is invalid; ``details`` holds PATH:LINE:COL lines."""


class LookupFailed(CommsplanError):
    """A name given on the command line matches nothing, or more than one thing."""


class LogError(CommsplanError):
    """The completion log cannot be read, verified or appended to."""


class UsageError(CommsplanError):
    """A command-line value that parses but makes no sense (exit 2, like click's)."""

    exit_code = 2
