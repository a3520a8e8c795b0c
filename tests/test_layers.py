"""The package's house, drawn from its imports: cli -> render -> rules -> log -> plan, with no
arrow back up and no circle (lazy imports and TYPE_CHECKING imports count too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "commsplan"

# Top to bottom; a module may import its own layer and any layer below it. errors.py and
# files.py sit below them all.
LAYERS = ["cli", "render", "rules", "log", "plan", "base"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every commsplan module ``path`` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("commsplan"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("commsplan"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(
                    candidate
                    if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                    else node.module
                )
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in imports_of(path) if i in modules and i != name} for name, path in modules.items()}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else "base"


def test_every_module_is_in_a_layer() -> None:
    unplaced = [m for m in graph() if m != "commsplan" and layer(m) not in LAYERS]
    assert unplaced == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in graph().items()
        for target in targets
        if module not in ("commsplan", "commsplan.__main__")
        and LAYERS.index(layer(target)) < LAYERS.index(layer(module))
    ]
    assert upward == []


def test_no_import_circle() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_graph_sees_the_imports_it_checks() -> None:
    edges = graph()
    assert "commsplan.log.records" in edges["commsplan.log.index"]
    assert "commsplan.rules.agenda" in edges["commsplan.cli.agenda_cmds"]  # a lazy import inside a command
