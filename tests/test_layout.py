"""The house's layout: the modules of ``portal/`` import one another without a loop.

A loop works only by the order of its lines (an import left at the bottom of a file, or moved into a
function) and breaks when someone tidies them; a newcomer cannot tell which module comes first. The
graph is read from the source with ``ast``, so it sees every import, also those inside functions.
That is why each blueprint's ``bp`` lives in its package's ``blueprint.py`` (the package's ``__init__``
imports the views, the views import ``bp`` from there) and the project's folders in ``paths.py``.
"""
from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of ``package`` (dotted name; a package's ``__init__`` under the package's own name) and
    the modules of the same package it imports, anywhere in its source.

    ``from x import name`` points at the submodule ``x.name`` when there is one, else at ``x`` itself (the
    name is read from its ``__init__``). Importing ``a.b.c`` also runs ``a.b``'s ``__init__`` first, so
    that counts too, except for the packages the importing module already sits in (they are being imported
    when it runs).
    """
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        for target in _imported(ast.parse(path.read_text(encoding="utf-8")), here, modules):
            if target in modules and target != name:
                graph[name].add(target)
            graph[name] |= {p for p in _packages_of(target) if p in modules and not _contains(p, name)}
    return graph


def _imported(tree: ast.Module, here: list[str], modules: dict) -> list[str]:
    """The dotted names of every module the source imports (of any package; the caller keeps its own)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                found.append(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source)
    return found


def _packages_of(name: str) -> list[str]:
    """The packages whose ``__init__`` importing ``a.b.c`` runs first: ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _contains(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop of the graph as [a, b, ..., a], or None when there is none."""
    state: dict[str, str] = {}  # "open" while its imports are being walked, "done" after

    def walk(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = walk(nxt, path + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = walk(start, [])
            if found:
                return found
    return None


def test_the_modules_of_the_portal_import_one_another_without_a_loop():
    cycle = find_cycle(import_graph(PORTAL))
    assert cycle is None, "import loop: " + " -> ".join(cycle)


def test_a_loop_is_found_also_through_a_package_init_and_an_import_inside_a_function(tmp_path):
    package = tmp_path / "house"
    (package / "rooms").mkdir(parents=True)
    (package / "__init__.py").write_text("from .rooms import kitchen\n")
    (package / "paths.py").write_text("ROOT = '/'\n")
    (package / "rooms" / "__init__.py").write_text("")
    (package / "rooms" / "kitchen.py").write_text("from ..paths import ROOT\n\n\ndef cook():\n"
                                                  "    from .. import garden\n")
    (package / "garden.py").write_text("import os\n\nfrom . import ROOT\n")
    graph = import_graph(package)
    assert graph["house"] == {"house.rooms", "house.rooms.kitchen"}
    assert graph["house.rooms.kitchen"] == {"house.paths", "house.garden"}
    assert graph["house.garden"] == {"house"}  # ROOT is not a module: the name is read from house/__init__.py
    assert find_cycle(graph) == ["house", "house.rooms.kitchen", "house.garden", "house"]

    (package / "garden.py").write_text("from .paths import ROOT\n")
    assert find_cycle(import_graph(package)) is None
