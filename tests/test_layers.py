"""The import graph of `claimdesk/` has layers you can see and no cycles.

Every module is parsed with `ast`; every import counts, also the ones inside functions (a
function-local import is still a dependency, only a later one). Relative imports are resolved.
Three rules, each failure lists the offending edges as `module:line -> module`:

1. **Layers**: a module may import its own layer or lower ones, never a higher one (table below,
   drawn in docs/DEVELOPING.md).
2. **Files inside a domain package** depend in one direction: models → schemas → workflow →
   services/queries → presenters → api/views/jobs → demo → `__init__` (its `init_app` wires the rest).
3. **No cycles**, neither between modules nor between packages.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "claimdesk"

#: the layers, bottom first; a module belongs to the longest prefix listed. Imports go down or sideways.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("claimdesk", "claimdesk.config", "claimdesk.extensions", "claimdesk.core")),
    ("platform", ("claimdesk.auth", "claimdesk.jobs")),
    ("shared", ("claimdesk.customers", "claimdesk.cases", "claimdesk.documents", "claimdesk.messaging",
                "claimdesk.notifications", "claimdesk.sla", "claimdesk.demo")),
    ("case", ("claimdesk.workorders", "claimdesk.complaints", "claimdesk.claims", "claimdesk.warranty",
              "claimdesk.appointments", "claimdesk.reminders", "claimdesk.sanbao")),
    ("reporting", ("claimdesk.dashboard",)),
    ("entry", ("claimdesk.domains", "claimdesk.app", "claimdesk.cli", "claimdesk.i18n", "claimdesk.rqjob")),
]

#: the order of the standard files inside a domain package (same rank: may import each other, acyclically)
FILE_RANK = {"models": 0, "schemas": 1, "workflow": 2, "services": 3, "queries": 3,
             # verbs split out of a services.py by responsibility: beside it (services imports them)
             "insurers": 3, "checklist": 3, "payout": 3, "repair": 3, "campaigns": 3, "rules": 3, "evidence": 3,
             "money": 3, "sending": 3, "changes": 3, "presenters": 4,
             "api": 5, "views": 5, "jobs": 5, "demo": 6, "__init__": 7}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return mods


MODULES = _modules()


def _targets(module: str, is_pkg: bool, node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")[: None if is_pkg else -1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from pkg import name`: the submodule if `name` is one, else the package itself
    return [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in MODULES else prefix for a in node.names]


def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported claimdesk module: first line}."""
    edges: dict[str, dict[str, int]] = defaultdict(dict)
    for module, (path, is_pkg) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(module, is_pkg, node):
                if target != "claimdesk" and not target.startswith("claimdesk."):
                    continue
                while target not in MODULES:
                    target = target.rsplit(".", 1)[0]
                if target != module:
                    edges[module].setdefault(target, node.lineno)
    return edges


GRAPH = _graph()


def layer_of(module: str) -> int:
    best, rank = -1, None
    for i, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py "
                             f"and to the diagram in docs/DEVELOPING.md")
    return rank


#: root modules that belong to a package for the package-cycle check (Flask keeps them at the root)
PACKAGE_OF = {"claimdesk.config": "claimdesk.core", "claimdesk.extensions": "claimdesk.core"}


def _package(module: str) -> str:
    return PACKAGE_OF.get(module, ".".join(module.split(".")[:2]))


def _edge(a: str, b: str) -> str:
    return f"{a}:{GRAPH[a][b]} -> {b}"


def _strongly_connected(nodes, succ) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node are cycles."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(succ(root))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(succ(w)))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_the_graph_sees_function_local_and_relative_imports():
    # core/views.py imports its sibling `web` relatively at the top; app.py imports the jobs worker
    # inside a function: both must be edges, or the other tests would pass on a blind graph
    assert "claimdesk.core.web" in GRAPH["claimdesk.core.views"]
    assert "claimdesk.jobs.worker" in GRAPH["claimdesk.app"]
    assert len(MODULES) > 80


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_upward_imports():
    bad = [f"{_edge(a, b)}   ({LAYERS[layer_of(a)][0]} imports {LAYERS[layer_of(b)][0]})"
           for a in sorted(GRAPH) for b in sorted(GRAPH[a]) if layer_of(b) > layer_of(a)]
    assert not bad, "imports from a higher layer:\n  " + "\n  ".join(bad)


def test_files_of_a_domain_package_depend_one_way():
    bad = []
    for a in sorted(GRAPH):
        for b in sorted(GRAPH[a]):
            pa, pb = a.split("."), b.split(".")
            in_packages = all(len(p) > 2 or MODULES[m][1] for m, p in ((a, pa), (b, pb)))
            if not in_packages or pa[:2] != pb[:2] or "claimdesk" in (a, b):
                continue
            ra = FILE_RANK.get(pa[2] if len(pa) > 2 else "__init__")
            rb = FILE_RANK.get(pb[2] if len(pb) > 2 else "__init__")
            if ra is not None and rb is not None and rb > ra:
                bad.append(_edge(a, b))
    assert not bad, ("inside a domain package, a file imports one that comes later in models → schemas → "
                     "workflow → services → presenters → api/views:\n  " + "\n  ".join(bad))


def test_no_cycles_between_modules():
    cycles = _strongly_connected(sorted(MODULES), lambda m: GRAPH.get(m, {}).keys())
    lines = []
    for comp in cycles:
        members = set(comp)
        lines.append("cycle: " + ", ".join(comp))
        lines += [f"    {_edge(a, b)}" for a in comp for b in sorted(GRAPH.get(a, {})) if b in members]
    assert not cycles, "import cycles between modules:\n" + "\n".join(lines)


def test_no_cycles_between_packages():
    pkg_edges: dict[str, set[str]] = defaultdict(set)
    for a, targets in GRAPH.items():
        for b in targets:
            if _package(a) != _package(b) and "claimdesk" not in (a, b):
                pkg_edges[_package(a)].add(_package(b))
    cycles = _strongly_connected(sorted(pkg_edges), lambda p: pkg_edges.get(p, ()))
    lines = []
    for comp in cycles:
        members = set(comp)
        lines.append("cycle: " + ", ".join(comp))
        lines += [f"    {_edge(a, b)}" for a in sorted(GRAPH) for b in sorted(GRAPH[a])
                  if _package(a) in members and _package(b) in members and _package(a) != _package(b)]
    assert not cycles, "import cycles between packages:\n" + "\n".join(lines)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module):
    """Modules stay readable; the exceptions are named here with the reason."""
    # no exception today; a module that must stay longer is named here with its reason
    allowed: dict[str, int] = {}
    path, _ = MODULES[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= allowed.get(module, 450), f"{module} has {lines} lines"
