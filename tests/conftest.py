from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from commsplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "east_area_2020.yaml"
# A copy of the source document (tests/data/README.md says where it comes from): the plan-coverage
# tests run in a plain clone, without ../shared.
SOURCE = ROOT / "tests" / "data" / "east-area-external-communication-action-plan-2020-2021.txt"

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


class Cli:
    """Runs commsplan in-process with a pinned terminal: 80 columns, no colour, a private log."""

    def __init__(self, log: Path, cache: Path) -> None:
        self.runner = CliRunner()
        self.log = log
        self.cache = cache

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None):
        base = {
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COMMSPLAN_LOG": str(self.log),
            "COMMSPLAN_PLAN": "",
            "COMMSPLAN_NOW": "",
            "COMMSPLAN_CACHE_DIR": str(self.cache),
        }
        base.update(env or {})
        # empty means unset for the options' env fallbacks
        clean = {k: (v if v != "" else None) for k, v in base.items()}
        return self.runner.invoke(app, list(args), env=clean, input=input, catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "log.jsonl", tmp_path / "cache")


@pytest.fixture
def plan_text() -> str:
    return PLAN.read_text(encoding="utf-8")
