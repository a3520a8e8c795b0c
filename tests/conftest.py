from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .helpers import PLAN, Cli

# CI explores a fixed set of examples, so a submission passes or fails on its merits, not on
# the draw; "dev" and "thorough" draw fresh examples each run to go looking for new failures.
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "log.jsonl", tmp_path / "cache")


@pytest.fixture
def plan_text() -> str:
    return PLAN.read_text(encoding="utf-8")
