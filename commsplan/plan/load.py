"""Read a plan file: YAML -> Plan, with PATH:LINE:COL for every problem, all at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from commsplan.plan.yamlread import Document, Loc, Position

from commsplan import __version__
from commsplan.errors import PlanError
from commsplan.plan import data
from commsplan.plan.data import SEASON_BOUND, Activity, NamedDates, Plan, RRule, RRuleDays, Seasonal, Triggered
from commsplan.plan.lookup import normalise

BUNDLED_NAME = "east_area_2020.yaml"


@dataclass(frozen=True)
class LoadedPlan:
    plan: Plan  # plain data (plan.data), whether just checked or read back from the cache
    path: Path
    digest: str  # sha256 of the file's bytes: the plan's identity in the completion log
    warnings: tuple[str, ...] = ()


def bundled_plan_path() -> Path:
    """The East Area plan shipped with commsplan (inside the wheel, or the checkout's plans/)."""
    here = Path(__file__).resolve().parent.parent  # the commsplan package
    for candidate in (here / "plans" / BUNDLED_NAME, here.parent / "plans" / BUNDLED_NAME):
        if candidate.is_file():
            return candidate
    raise PlanError(f"the bundled plan {BUNDLED_NAME} is missing from this installation; pass --plan PATH")


def load_plan(path: Path, cache_dir: Path | None = None) -> LoadedPlan:
    """Read and check a plan file.

    With ``cache_dir``, a plan that was valid before is read back from the cache (see
    ``_read_cache``) as plain data: checking imports pydantic and builds its validators, which
    costs more than the rest of a command, and an unchanged file needs no second check. The
    file is read and hashed every time; the cache only saves the checking.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except IsADirectoryError:
        raise PlanError(f"{path}: is a folder, not a plan file") from None
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc.strerror}") from None
    if cache_dir is None:
        return parse_plan(raw, path)
    digest = hashlib.sha256(raw).hexdigest()
    cache_file = cache_dir / f"plan-{digest[:40]}.json"
    code = code_identity()
    cached = _read_cache(cache_file, digest, code)
    if cached is not None:
        plan, warnings = cached
        return LoadedPlan(plan=plan, path=path, digest=digest, warnings=warnings)
    loaded = parse_plan(raw, path)
    _write_cache(cache_file, loaded, code)
    return loaded


# 2: the plain-data form, with the days of each RRULE; 3: empty optional objects as null;
# 4: what many activities hold alike is written once (data.share)
CACHE_FORMAT = 4
_CACHE_LIMIT = 64 << 20


def code_identity() -> str:
    """What the cached form of a plan depends on: the code that reads and checks plans, byte for
    byte (not only its version number, which a change may not bump), and Python's version."""
    digest = hashlib.sha256(f"{__version__} {sys.version_info[:2]}".encode())
    folder = Path(__file__).parent
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            digest.update(name.encode())
            digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _cache_header(digest: str, code: str, content: str) -> dict[str, Any]:
    """The first line of a cache file: what it is of, made by what, and the sha256 of the rest."""
    return {"format": CACHE_FORMAT, "plan_sha256": digest, "code": code, "content_sha256": content}


def _private(info: os.stat_result) -> bool:
    """The user's own, and nobody else can write it (as Python requires of its own caches)."""
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read_cache(cache_file: Path, digest: str, code: str) -> tuple[Plan, tuple[str, ...]] | None:
    """The checked plan as cached, or None (then the plan is checked afresh).

    The cache is plain JSON: reading it runs no code, whoever wrote it. It is used only when
    its folder and file are the user's own and nobody else can write them, and when its first
    line names the sha256 of this very plan file, this very code, and of the rest of the file
    (a damaged or edited entry is not used); the plan is then rebuilt from it as plain data
    without validation (it was validated before it was written).
    """
    try:
        if not _private(os.stat(cache_file.parent)):
            return None
        fd = os.open(cache_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info) or info.st_size > _CACHE_LIMIT:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            head, _, body = handle.read().partition(b"\n")
        header = json.loads(head)
        if header != _cache_header(digest, code, hashlib.sha256(body).hexdigest()):
            return None  # another plan's, another code's, or damaged since it was written
        value = json.loads(body)
        warnings = value["warnings"]
        if not (isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)):
            return None
        plan = _plan_of(value)
        if not _attach_days(plan, value["rrule_days"]):
            return None
        return plan, tuple(warnings)
    except Exception:  # a stale or damaged cache is not an error
        return None
    finally:
        os.close(fd)


def _write_cache(cache_file: Path, loaded: LoadedPlan, code: str) -> None:
    from commsplan.files import write_atomically

    dumped = data.cached_form(Plan, data.dump(loaded.plan))
    shared = data.share(Activity, dumped.get(_ACTIVITIES) or [])
    days = {_days_key(f): _dump_days(f.days) for a in loaded.plan.activities if isinstance(f := a.frequency, RRule)}
    value = {"warnings": list(loaded.warnings), "plan": dumped, "shared": shared, "rrule_days": days}
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        if _plan_of(json.loads(body)) != loaded.plan:
            return  # a plan this cache cannot rebuild exactly: go without, never with a near copy
    except Exception:
        return
    header = json.dumps(_cache_header(loaded.digest, code, hashlib.sha256(body).hexdigest())).encode("utf-8")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(os.stat(cache_file.parent)):
            return  # a folder others can write to: nothing of ours goes there
        write_atomically(cache_file, header + b"\n" + body, mode=0o600)
    except OSError:
        pass  # a read-only home (some cron set-ups) only costs the next run the check again


_ACTIVITIES = data.raw_key("activities")  # where the cached form of a plan holds its activities' forms


def _plan_of(value: dict[str, Any]) -> Plan:
    """The plan of a cache entry: its activities' shared owners, frequencies and channels
    (``data.share``) each made once, the rest built as it is first read."""
    form = value["plan"]
    data.unshare(Activity, form.get(_ACTIVITIES) or [], value["shared"])
    return data.build(Plan, form)


def _days_key(freq: RRule) -> str:
    assert freq.days is not None
    return "\n".join((freq.rrule, freq.start.isoformat(), freq.days.first.isoformat(), freq.days.last.isoformat()))


def _dump_days(days: RRuleDays | None) -> dict[str, Any]:
    assert days is not None
    return {"before": days.before and days.before.isoformat(), "days": [d.isoformat() for d in days.days]}


def _attach_days(plan: Plan, cached: dict[str, Any]) -> bool:
    """Give each RRULE of a plan read from the cache its days, as they were worked out when the
    plan was checked; False when the cache lacks some (then the plan is checked afresh)."""
    from commsplan.plan.rrule import reach

    built: dict[str, RRuleDays] = {}
    given: set[int] = set()  # the frequencies given their days: many activities share one
    for activity in plan.activities:
        freq = activity.frequency
        if not isinstance(freq, RRule) or id(freq) in given:
            continue
        given.add(id(freq))
        first, last = reach(plan, freq)
        key = "\n".join((freq.rrule, freq.start.isoformat(), first.isoformat(), last.isoformat()))
        days = built.get(key)
        if days is None:
            entry = cached.get(key)
            if entry is None:
                return False
            before = entry["before"]
            days = built[key] = RRuleDays(
                first,
                last,
                dt.date.fromisoformat(before) if before is not None else None,
                tuple(dt.date.fromisoformat(d) for d in entry["days"]),
            )
        object.__setattr__(freq, "days", days)
    return True


def parse_plan(raw: bytes, path: Path) -> LoadedPlan:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: the plan is not UTF-8 text (byte {exc.start})") from None
    from commsplan.plan import yamlread as yamlsafe  # only a plan that is not cached yet is parsed
    from commsplan.plan.yamlread import Position

    try:
        doc = yamlsafe.load(text)
    except yamlsafe.YamlError as exc:
        raise _plan_error(path, [(p.position, p.message) for p in exc.problems]) from None
    problems = [(p.position, p.message) for p in doc.problems]
    if not isinstance(doc.data, dict):
        problems.append((Position(1, 1), "a plan is a mapping with keys such as 'meta' and 'activities'"))
        raise _plan_error(path, problems)
    from pydantic import ValidationError

    from commsplan.plan import model
    from commsplan.plan.rrule import with_days

    try:
        checked = model.Plan.model_validate(doc.data)
    except ValidationError as exc:
        raise _plan_error(path, problems + list(_validation_problems(exc, doc))) from None
    # What every command reads: the checked plan as plain data (plan.data).
    plan = data.from_json(Plan, checked.model_dump(mode="json"))
    # References are checked on a structurally valid plan.
    problems += _reference_problems(plan, doc)
    if problems:
        raise _plan_error(path, problems)
    digest = hashlib.sha256(raw).hexdigest()
    return LoadedPlan(plan=with_days(plan), path=path, digest=digest, warnings=tuple(_warnings(plan)))


def _plan_error(path: Path, problems: list[tuple[Position, str]]) -> PlanError:
    problems = sorted(set(problems), key=lambda p: (p[0].line, p[0].column, p[1]))
    lines = [f"{path}:{where.line}:{where.column}: {message}" for where, message in problems[:MAX_SHOWN]]
    count = len(problems)
    if count > MAX_SHOWN:
        lines.append(f"... and {count - MAX_SHOWN} more problems (fix these first)")
    return PlanError(f"{path}: invalid plan ({count} problem{'s' if count != 1 else ''})", details=lines)


MAX_SHOWN = 50  # problems listed; a million broken items are one count, not a million lines


# --- pydantic errors -> positions -------------------------------------------------------------


def _data_loc(loc: tuple[str | int, ...], data: Any) -> Loc:
    """Follow a pydantic loc through the data as far as it goes.

    pydantic puts union member names and discriminator tags into its locs ('weekly', 'int',
    'function-after[...]'); they are not in the data, so they are stepped over.
    """
    found: list[str | int] = []
    node = data
    for part in loc:
        child = _child(node, part)
        if child is not _MISSING:
            node = child
            found.append(part)
    return tuple(found)


_MISSING = object()


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part, _MISSING) if isinstance(part, str) else _MISSING
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def _field_aliases(model: type[BaseModel]) -> dict[str, str]:
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes and list item types an annotation can hold."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    """The model class whose instance sits at ``loc`` in the data, if any."""
    from pydantic import BaseModel

    from commsplan.plan import model

    current: list[Any] = [model.Plan]
    node = data
    for part in loc:
        candidates: list[Any] = []
        for typ in current:
            if isinstance(typ, type) and issubclass(typ, BaseModel) and isinstance(part, str):
                name = _field_aliases(typ).get(part)
                if name is not None:
                    candidates.extend(_unwrap(typ.model_fields[name].annotation))
            elif typing.get_origin(typ) is list and isinstance(part, int):
                candidates.extend(_unwrap(typing.get_args(typ)[0]))
        node = _child(node, part)
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if len(models) > 1 and isinstance(node, dict):
            # a discriminated union: pick the member whose 'kind' literal matches
            kind = node.get("kind")
            models = [m for m in models if kind in typing.get_args(m.model_fields["kind"].annotation)] or models[:1]
            candidates = models
        current = candidates
    models = [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if models else None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib

    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[w] for w in difflib.get_close_matches(word.lower(), lowered, n=1, cutoff=0.6)]
    return f" (did you mean '{close[0]}'?)" if close else ""


_QUOTED = re.compile(r"'([^']*)'")


def _validation_problems(exc: ValidationError, doc: Document) -> Iterator[tuple[Position, str]]:
    from commsplan.plan.yamlread import Position

    seen: dict[Loc, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        found = _data_loc(loc, doc.data)
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if kind == "missing":
            name = str(loc[-1])
            where = doc.positions.get(found, Position(1, 1))
            message = f"missing key '{name}'"
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            parent = found[:-1] if found and found[-1] == loc[-1] else found
            where = doc.key_positions.get((*parent, key), doc.positions.get(found, Position(1, 1)))
            model = _model_at(parent, doc.data)
            allowed = list(_field_aliases(model)) if model else []
            message = f"unknown key '{key}'{_did_you_mean(key, allowed)}"
            if allowed:
                message += f"; expected one of: {', '.join(allowed)}"
        elif kind in ("literal_error", "union_tag_invalid"):
            if kind == "union_tag_invalid":
                found = (*found, str(ctx.get("discriminator", "kind")).strip("'"))
            where = doc.positions.get(found, Position(1, 1))
            raw = str(ctx.get("expected") or ctx.get("expected_tags") or "")
            expected = _QUOTED.findall(raw) or [raw]
            shown = value if kind == "literal_error" else ctx.get("tag", value)
            message = f"'{shown}' is not one of {', '.join(expected)}{_did_you_mean(str(shown), expected)}"
        else:
            where = doc.positions.get(found, Position(1, 1))
            text = error["msg"].removeprefix("Value error, ")
            if kind in ("string_type",) and not isinstance(value, str):
                text += " (quote it if you meant text)"
            message = text
        seen.setdefault(found, [])
        if message not in seen[found]:
            seen[found].append(message)
            yield where, message


# --- cross-references -------------------------------------------------------------------------


# The collections whose items a person names on the command line (--audience, --owner, --channel).
LOOKED_UP = ("roles", "audiences", "channels")


def _reference_problems(plan: Plan, doc: Document) -> Iterator[tuple[Position, str]]:
    from commsplan.plan.yamlread import Position

    def at(*loc: str | int) -> Position:
        return doc.positions.get(tuple(loc), Position(1, 1))

    collections: tuple[str, ...] = ("roles", "audiences", "channels", "named_dates", "seasons", "triggers")
    collections += ("rules", "units", "activities")
    ids: dict[str, set[str]] = {}
    for name in collections:
        first: dict[str, int] = {}
        for i, item in enumerate(getattr(plan, name)):
            if item.id in first:
                yield (
                    at(name, i, "id"),
                    f"duplicate id '{item.id}' in {name} (first at {at(name, first[item.id], 'id')})",
                )
            else:
                first[item.id] = i
        ids[name] = set(first)

    # names, aliases and the source's wordings must point at one thing within each collection
    for name in ("roles", "audiences", "channels", "named_dates", "seasons", "triggers", "units"):
        owner: dict[str, tuple[str, str, Loc]] = {}
        for i, item in enumerate(getattr(plan, name)):
            words: list[tuple[str, Loc]] = [(item.id, (name, i, "id")), (item.name, (name, i, "name"))]
            words += [(alias, (name, i, "aliases", j)) for j, alias in enumerate(item.aliases)]
            # the source's wordings of roles, audiences and channels are looked up like aliases
            # (plan.lookup), so they must be as unambiguous; a season's or trigger's as_written is
            # one quoted cell, which several of them may share
            if name in LOOKED_UP:
                words += [(w, (name, i, "as_written", j)) for j, w in enumerate(item.as_written)]
            for word, loc in words:
                key = normalise(word)
                kind = name[:-1].replace("_", " ")
                if key in owner and owner[key][0] != item.id:
                    other, other_word, other_loc = owner[key]
                    yield (
                        at(*loc),
                        f"'{word}' of {kind} '{item.id}' collides with {kind} '{other}' "
                        f"('{other_word}' at {at(*other_loc)}); names and aliases must be unique",
                    )
                else:
                    owner.setdefault(key, (item.id, word, loc))

    rows: set[str] = set()
    if plan.source is not None:
        first_row: dict[str, Loc] = {}
        for s, section in enumerate(plan.source.sections):
            for r, row in enumerate(section.rows):
                loc = ("source", "sections", s, "rows", r, "id")
                if row.id in first_row:
                    yield at(*loc), f"duplicate source row id '{row.id}' (first at {at(*first_row[row.id])})"
                first_row.setdefault(row.id, loc)
        rows = set(first_row)

    def ref(value: str, collection: str, *loc: str | int) -> Iterator[tuple[Position, str]]:
        if value not in ids[collection]:
            kind = collection[:-1].replace("_", " ")
            yield at(*loc), f"unknown {kind} '{value}'{_did_you_mean(value, sorted(ids[collection]))}"

    named = {d.id: d for d in plan.named_dates}
    for i, activity in enumerate(plan.activities):
        base = ("activities", i)
        yield from ref(activity.audience, "audiences", *base, "audience")
        yield from ref(activity.owner.role, "roles", *base, "owner", "role")
        for j, role in enumerate(activity.owner.with_):
            yield from ref(role, "roles", *base, "owner", "with", j)
        if activity.owner.out_of_hours is not None:
            yield from ref(activity.owner.out_of_hours, "roles", *base, "owner", "out_of_hours")
        for j, use in enumerate(activity.channels):
            yield from ref(use.channel, "channels", *base, "channels", j, "channel")
        if plan.source is not None and activity.row not in rows:
            yield at(*base, "row"), f"unknown source row '{activity.row}'{_did_you_mean(activity.row, sorted(rows))}"
        yield from _frequency_problems(activity, ids, base, at, ref)
    for s, season in enumerate(plan.seasons):
        for bound in ("start", "end"):
            value = getattr(season, bound)
            if value is None or SEASON_BOUND.match(value):
                continue
            if value not in named:
                hint = _did_you_mean(value, sorted(named))
                yield at("seasons", s, bound), f"'{value}' is neither a MM-DD date nor a named date{hint}"
            elif named[value].dates is not None:
                yield at("seasons", s, bound), f"season bound '{value}' must be a fixed or computed named date"
    boroughs = {u.id for u in plan.units if u.kind == "borough"}
    for u, unit in enumerate(plan.units):
        if unit.kind == "ward" and unit.within is None:
            yield (
                at("units", u, "id"),
                f"ward '{unit.id}' needs 'within: BOROUGH' (one of {', '.join(sorted(boroughs))})",
            )
        elif unit.kind == "ward" and unit.within not in boroughs:
            hint = _did_you_mean(str(unit.within), sorted(boroughs))
            yield at("units", u, "within"), f"'{unit.within}' is not a borough of this plan{hint}"
        elif unit.kind == "borough" and unit.within is not None:
            yield at("units", u, "within"), "a borough is not within another unit; only wards take 'within'"
    for r, rule in enumerate(plan.rules):
        for j, trigger in enumerate(rule.applies_to):
            yield from ref(trigger, "triggers", "rules", r, "applies_to", j)
        for j, trigger in enumerate(rule.when):
            yield from ref(trigger, "triggers", "rules", r, "when", j)
        if rule.refer_to is not None:
            yield from ref(rule.refer_to, "roles", "rules", r, "refer_to")


def _frequency_problems(
    activity: Activity, ids: dict[str, set[str]], base: Loc, at: Any, ref: Any
) -> Iterator[tuple[Position, str]]:
    freq = activity.frequency
    if isinstance(freq, NamedDates):
        for j, name in enumerate(freq.dates):
            yield from ref(name, "named_dates", *base, "frequency", "dates", j)
    elif isinstance(freq, Seasonal):
        for j, name in enumerate(freq.seasons):
            yield from ref(name, "seasons", *base, "frequency", "seasons", j)
    elif isinstance(freq, Triggered):
        for j, name in enumerate(freq.triggers):
            yield from ref(name, "triggers", *base, "frequency", "triggers", j)
    elif isinstance(freq, RRule):
        from dateutil.rrule import rrulestr

        where = at(*base, "frequency", "rrule")
        try:
            rrulestr(freq.rrule, dtstart=None)
        except (ValueError, TypeError) as exc:
            yield where, f"not a valid RRULE: {exc}"
            return
        parts = dict(p.partition("=")[::2] for p in freq.rrule.upper().removeprefix("RRULE:").split(";"))
        if parts.get("FREQ") in ("HOURLY", "MINUTELY", "SECONDLY") or {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(parts):
            yield where, "an RRULE here schedules days; give the time of day as 'time: \"HH:MM\"', not in the rule"


def _warnings(plan: Plan) -> Iterator[str]:
    named = {d.id: d for d in plan.named_dates}
    for activity in plan.activities:
        if activity.per_unit is not None and not plan.units_of(activity.per_unit):
            kind = activity.per_unit
            yield (
                f"activity '{activity.id}' repeats per {kind}, but the plan lists no {kind}s; add them under "
                f"'units:' (kind: {kind}{', within: BOROUGH' if kind == 'ward' else ''}). Until then it is one "
                "BCU-wide duty"
            )
        if isinstance(activity.frequency, NamedDates):
            period = plan.meta.period
            for name in activity.frequency.dates:
                listed = named[name].dates
                if listed is not None and not any(period.start <= r.start <= period.end for r in listed):
                    yield (
                        f"activity '{activity.id}': named date '{name}' lists no dates in the plan's period "
                        f"({period.start.isoformat()} to {period.end.isoformat()}); fill in this year's dates, or "
                        "it is never scheduled"
                    )
