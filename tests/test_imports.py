"""Imports run in one direction: no cycle between the packages of ``src/lakehouse_inv``, none inside a package.

A package is a first-level subpackage (``forecast``, ``lakehouse``, ...); a top-level module (``config``,
``grouped``, ...) is a node of its own. Every ``import`` and ``from ... import`` statement counts, including those
inside functions: a lazy import hides a cycle from Python's import machinery, not from the design. Relative
imports are resolved against the importing module. Packages also sit in the layers of ``docs/architecture.md``
(``LAYERS``) and import only their own layer or lower ones. ``python tests/test_imports.py [src/lakehouse_inv]``
prints the cycles, the imports that close them and the imports into a higher layer.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT_PACKAGE = "lakehouse_inv"
SOURCE = Path(__file__).resolve().parents[1] / "src" / ROOT_PACKAGE


def module_name(path: Path, source: Path = SOURCE) -> str:
    parts = list(path.relative_to(source.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Absolute names of everything ``module`` imports (``from a import b`` gives ``a.b`` and ``a``: ``b`` may be
    a module or a name defined in ``a``; the caller keeps the names that exist)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def module_graph(source: Path = SOURCE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (itself excluded)."""
    files = {module_name(p, source): p for p in sorted(source.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = imported_modules(tree, module, path.name == "__init__.py")
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def node_of(module: str) -> str:
    """The package graph's node: the first-level subpackage or top-level module under the root package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        node = node_of(module)
        packages[node].update(node_of(t) for t in targets if node_of(t) != node)
    return dict(packages)


def within_package_graphs(graph: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """Per package, its modules' imports of modules of the same package. A package's ``__init__`` is left out:
    importing ``a.b`` runs ``a/__init__`` first, which is how Python works, not a design dependency."""
    inner: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for module, targets in graph.items():
        package = node_of(module)
        if module.count(".") < 2:
            continue
        inner[package][module] = {t for t in targets if node_of(t) == package and t.count(".") >= 2}
    return dict(inner)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (or a self-loop), each sorted; Tarjan's
    algorithm, iterative so deep graphs do not hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
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
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return sorted(found)


def cycle_edges(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The edges inside a cycle: the imports that would have to go (or turn around) for the graph to be acyclic."""
    member = {n: i for i, component in enumerate(cycles(graph)) for n in component}
    return sorted((a, b) for a, targets in graph.items() for b in targets if a in member and member[a] == member.get(b))


# The layers of docs/architecture.md, top first: a package may import its own layer (without a cycle) and the
# layers below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli", "dashboard", "serve"),
    (
        "simulate",
        "ingest",
        "refine",
        "gold",
        "forecast",
        "backtest",
        "optimize",
        "evaluate",
        "generate_orders",
        "monitor",
        "maintain",
        "grants",
    ),
    ("replenishment",),
    ("pipeline",),
    ("lakehouse",),
    ("config", "ranges", "resources", "spark", "grouped", "threads", "io_utils", "access", ROOT_PACKAGE),
)


def upward_imports(packages: dict[str, set[str]], layers=LAYERS) -> list[tuple[str, str]]:
    """Package edges from a lower layer to a higher one (a package missing from ``layers`` is an error)."""
    rank = {package: i for i, layer in enumerate(layers) for package in layer}
    unknown = sorted(set(packages) - set(rank))
    assert not unknown, f"packages without a layer in LAYERS (and docs/architecture.md): {unknown}"
    return sorted((a, b) for a, targets in packages.items() for b in targets if rank[b] < rank[a])


def module_edges_between(graph: dict[str, set[str]], a: str, b: str) -> list[tuple[str, str]]:
    return sorted((m, t) for m, targets in graph.items() for t in targets if node_of(m) == a and node_of(t) == b)


# --- the cycle finder itself ---------------------------------------------------------------------------------


def test_cycle_finder_finds_a_planted_cycle_and_nothing_in_a_dag():
    dag = {"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a"}}
    assert cycles(dag) == []
    planted = dag | {"c": {"d"}}  # c -> d -> a -> b -> c
    assert cycles(planted) == [["a", "b", "c", "d"]]
    assert ("c", "d") in cycle_edges(planted)
    assert cycles({"x": {"x"}}) == [["x"]]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}) == [["a", "b"], ["c", "d"]]


def test_graph_reads_lazy_and_relative_imports(tmp_path):
    package = tmp_path / ROOT_PACKAGE
    (package / "low").mkdir(parents=True)
    (package / "high").mkdir()
    for folder in (package, package / "low", package / "high"):
        (folder / "__init__.py").write_text("")
    (package / "high" / "job.py").write_text("from ..low import core\n")
    (package / "low" / "core.py").write_text("def f():\n    from lakehouse_inv.high import job\n")
    graph = module_graph(package)
    assert graph["lakehouse_inv.high.job"] == {"lakehouse_inv.low", "lakehouse_inv.low.core"}
    assert cycles(package_graph(graph)) == [["high", "low"]]


# --- the project ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return module_graph()


def test_no_cycle_between_packages(graph):
    packages = package_graph(graph)
    found = cycles(packages)
    detail = [module_edges_between(graph, a, b) for a, b in cycle_edges(packages)]
    assert found == [], f"import cycles between packages {found}; the imports closing them: {detail}"


def test_imports_point_down_the_layers(graph):
    packages = package_graph(graph)
    upward = upward_imports(packages)
    detail = [module_edges_between(graph, a, b) for a, b in upward]
    assert upward == [], f"imports into a higher layer {upward}: {detail}"


def test_layer_check_finds_a_planted_upward_import():
    assert upward_imports({"lakehouse": {"config"}, "pipeline": {"lakehouse"}, "config": set()}) == []
    assert upward_imports({"lakehouse": {"pipeline"}, "pipeline": set()}) == [("lakehouse", "pipeline")]


def test_no_module_imports_a_job_module(graph):
    """``job.py`` modules only read, call a step's computation and write; the step registry names them as strings.
    Whoever needs a step's work (the walk-forward evaluation) calls its step API (``forecast/step.py``, ...)."""
    importers = sorted((m, t) for m, targets in graph.items() for t in targets if t.rsplit(".", 1)[-1] == "job")
    assert importers == []


def test_no_cycle_inside_a_package(graph):
    found = {p: cycles(g) for p, g in within_package_graphs(graph).items() if cycles(g)}
    assert found == {}, f"import cycles inside packages: {found}"


def report(source: Path = SOURCE) -> str:
    graph = module_graph(source)
    packages = package_graph(graph)
    lines = [f"{len(packages)} package nodes, {sum(map(len, packages.values()))} package edges"]
    lines.append(f"package cycles: {cycles(packages)}")
    upward = cycle_edges(packages)
    lines.append(f"package imports inside a cycle: {len(upward)}")
    for a, b in upward:
        lines += [f"  {a} -> {b}: " + ", ".join(f"{m} -> {t}" for m, t in module_edges_between(graph, a, b))]
    inner = {p: cycles(g) for p, g in within_package_graphs(graph).items() if cycles(g)}
    lines.append(f"module cycles inside packages: {inner}")
    upward = upward_imports(packages)
    lines.append(f"imports into a higher layer: {len(upward)}")
    lines += [
        f"  {a} -> {b}: " + ", ".join(f"{m} -> {t}" for m, t in module_edges_between(graph, a, b)) for a, b in upward
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/test_imports.py [path/to/src/lakehouse_inv]
    print(report(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else SOURCE))
    sys.exit(0)
