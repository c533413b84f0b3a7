"""The structure the renovation left, kept by tests (README, Architecture): no import circle among
the project's modules (imports inside functions included), no module over 600 lines, inventory's
inner layers not knowing the apps built on it, no private name imported across modules, and each
app writing only its own tables."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "closing", "common", "config", "inventory", "ledger", "reports", "warehouse")
MAX_LINES = 600


def _sources() -> dict[str, Path]:
    """Module name -> file, for every project module outside migrations and tests."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _sources()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement in the file, at any
    depth. Relative imports are resolved against the module's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return found


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, names, _line in _imports(name, path):
            targets = []
            for imported in names:  # `from pkg import submodule` depends on the submodule
                if f"{module}.{imported}" in MODULES:
                    targets.append(f"{module}.{imported}")
            if module in MODULES and (not names or len(targets) < len(names)):
                targets.append(module)
            graph[name].update(target for target in targets if target != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_among_the_project_modules():
    assert _cycles(_edges()) == []


def test_no_module_over_600_lines():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


INVENTORY_INNER = re.compile(r"^inventory\.(models|services|selectors|rules|signals|forms|jobs)(\.|$)")
BUILT_ON_INVENTORY = ("closing", "reports", "api", "warehouse")


def test_inventory_inner_layers_do_not_know_the_apps_built_on_it():
    """Posting, selectors, company set-up and models know nothing of closing, reports, the API or
    the warehouse: those register with inventory (inventory/signals.py) instead."""
    offending = [
        f"{name}:{line} imports {module}"
        for name, path in MODULES.items() if INVENTORY_INNER.match(name)
        for module, _names, line in _imports(name, path)
        if module.split(".")[0] in BUILT_ON_INVENTORY
    ]
    assert offending == []


def test_no_private_name_is_imported_from_another_module():
    offending = [
        f"{name}:{line} imports {imported} from {module}"
        for name, path in MODULES.items()
        for module, names, line in _imports(name, path)
        if module.split(".")[0] in PACKAGES and module != name
        for imported in names if imported.startswith("_") and not imported.startswith("__")
    ]
    assert offending == []


WRITES_TO = re.compile(r"(?i)\b(update|insert\s+into|delete\s+from|copy)\s+\"?inventory_\w+|"
                       r"table\s*=\s*[\"']inventory_")


@pytest.mark.parametrize("app", ["closing", "reports", "api"])
def test_apps_built_on_inventory_write_no_inventory_table_with_their_own_sql(app):
    """Closing, reports and the API change inventory's tables only by calling inventory's
    services (inventory/services/valuation.py for what a close changes)."""
    offending = [
        f"{name}: {match.group(0)}"
        for name, path in MODULES.items() if name.split(".")[0] == app
        for match in WRITES_TO.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


ENUM_LITERAL_IN_SQL = re.compile(r"(?i)\b(status|run_type|kind|source_type)\s*(=|<>|!=|\bIN\b)\s*\(?\s*'(?!\{)")


def test_sql_takes_enum_values_from_the_enums():
    """Raw SQL compares status, run type, kind or source type with the enums' values (formatted in
    or passed as parameters), never with a literal that could drift from the model's choices."""
    offending = [
        f"{name}: {match.group(0)}"
        for name, path in MODULES.items()
        for match in ENUM_LITERAL_IN_SQL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []
