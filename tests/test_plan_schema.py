"""`commsplan schema` accepts what `validate` accepts, checked with a JSON Schema validator that
checks formats too (as yaml-language-server does)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from commsplan.plan.model import TIME_PATTERN, plan_schema

from .helpers import PLAN, ROOT, Cli, EditorLoader

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER
STARTER = ROOT / "commsplan" / "plan" / "starter.yaml"


def schema_problems(path: Path) -> list[str]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=EditorLoader)
    validator = jsonschema.Draft202012Validator(plan_schema(), format_checker=CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_the_format_checker_really_checks_formats() -> None:
    # without rfc3339-validator, jsonschema skips `format: time` silently and this test would prove nothing
    assert not CHECKER.conforms("08:00", "time")
    assert CHECKER.conforms("08:00:00Z", "time")
    assert not CHECKER.conforms("2020-13-01", "date")


def test_the_bundled_plan_matches_the_schema_formats_included() -> None:
    assert schema_problems(PLAN) == []


def test_the_init_starter_matches_the_schema_formats_included(cli: Cli, tmp_path: Path) -> None:
    assert schema_problems(STARTER) == []
    written = tmp_path / "unit.yaml"
    assert cli("init", str(written)).exit_code == 0
    assert schema_problems(written) == []


def test_office_hours_are_a_pattern_not_an_rfc3339_time() -> None:
    hours = plan_schema()["$defs"]["OfficeHours"]["properties"]["start"]
    assert "format" not in hours
    assert (hours["type"], hours["pattern"]) == ("string", TIME_PATTERN)


_TIME = TypeAdapter(dt.time)


def _validate_accepts(text: str) -> bool:
    try:
        _TIME.validate_python(text)
    except ValidationError:
        return False
    return True


@given(
    st.from_regex(r"\A[0-9]{1,3}:[0-9]{1,2}(:[0-9]{2}(\.[0-9]{1,12})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z")
    | st.sampled_from(["08:00", "18:00", "23:59:59", "24:00", "8:00", "08:60", "0800", "08:00+01:00", "08:00Z"])
)
def test_the_time_pattern_accepts_what_validate_accepts(text: str) -> None:
    assert (re.fullmatch(TIME_PATTERN, text) is not None) == _validate_accepts(text), text


def test_the_schema_file_is_the_printed_schema(cli: Cli) -> None:
    import json

    printed: Any = json.loads(cli("schema").stdout)
    assert printed == json.loads((ROOT / "commsplan" / "plan.schema.json").read_text(encoding="utf-8"))
