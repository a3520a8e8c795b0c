"""commsplan: a police unit's external communication action plan, as a checked file and a CLI."""

__version__ = "0.1.0"
