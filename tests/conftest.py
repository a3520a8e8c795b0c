from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .helpers import PLAN, Cli
from .pgserver import PgServer, start_server

# CI explores a fixed set of examples, so a submission passes or fails on its merits, not on
# the draw; "dev" and "thorough" draw fresh examples each run to go looking for new failures.
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server for the whole run (tests skip, saying why, if there is none)."""
    server = start_server()
    if isinstance(server, str):
        pytest.skip(server)
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh database on the test server, set up as `commsplan log setup-db` does."""
    from commsplan.log.pglog import PgLog

    url = pg_server.create_database(f"t{next(_databases)}")
    log = PgLog(url)
    log.setup()
    log.close()
    return url


@pytest.fixture
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """commsplan in-process with a private log: a file, or (parametrised with BACK_ENDS) a
    fresh PostgreSQL database."""
    if getattr(request, "param", "file") == "postgresql":
        return Cli(tmp_path / "log.jsonl", tmp_path / "cache", target=request.getfixturevalue("pg_url"))
    return Cli(tmp_path / "log.jsonl", tmp_path / "cache")


@pytest.fixture
def plan_text() -> str:
    return PLAN.read_text(encoding="utf-8")
