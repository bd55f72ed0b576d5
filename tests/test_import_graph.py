"""tfopt imports only downward: no import cycle among its modules or its top-level parts.

Each module's ``import tfopt...`` and ``from tfopt... import ...`` statements are read
with ``ast`` (inside functions too: a lazy import is still an edge) and resolved to the
module they load: ``from tfopt.optim import engine`` is an edge to ``tfopt.optim.engine``,
``from tfopt.optim import optimize`` one to ``tfopt.optim``. Importing ``tfopt.a.b`` also
runs ``tfopt.a``'s ``__init__``, so that is an edge too (unless the importer lives in
``tfopt.a`` itself). Two graphs must have no cycle: the modules, and the top-level parts
(``tfopt.visualize``, ``tfopt.optim``, ``tfopt.images``, ...), where DESIGN.md's layers live.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tfopt"


def _module_files():
    """{module name: path} of every module of tfopt (a package by its __init__.py)."""
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


_FILES = _module_files()


def _ancestors(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]  # without "tfopt" itself


def _imported(name, path):
    """Modules of tfopt that ``name`` imports (anywhere in the file)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in _FILES else base)
    targets = set()
    for target in found:
        if target != "tfopt" and not target.startswith("tfopt."):
            continue
        while target not in _FILES:  # e.g. "import tfopt.a.b.attr" style names
            target = target.rsplit(".", 1)[0]
        own = set(_ancestors(name))
        targets.add(target)
        targets.update(a for a in _ancestors(target) if a not in own)
    targets.discard(name)
    targets.discard("tfopt")
    return targets


def _module_graph():
    return {name: _imported(name, path) for name, path in _FILES.items()}


def _part(name):
    return ".".join(name.split(".")[:2])


def _part_graph(graph):
    parts = {}
    for name, targets in graph.items():
        edges = parts.setdefault(_part(name), set())
        edges.update(_part(t) for t in targets if _part(t) != _part(name))
    return parts


def _cycles(graph):
    """One cycle (as a list of nodes, first == last) per strongly connected group that has one."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "active"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "active":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def _show(cycles):
    return "; ".join(" -> ".join(c) for c in cycles)


def test_the_graph_sees_lazy_and_package_imports():
    graph = _module_graph()
    assert "tfopt.visualize.dream" in graph["tfopt.visualize.run"]      # imported inside a function
    assert "tfopt.optim.tiled" in graph["tfopt.visualize.dream"]
    assert "tfopt.optim" in graph["tfopt.visualize.dream"]              # from tfopt.optim import optimize
    assert "tfopt.layers" in graph["tfopt.nets.stylenet"]
    assert "tfopt.cli" in graph["tfopt.cli.style_flags"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle_among_modules():
    cycles = _cycles(_module_graph())
    assert not cycles, f"import cycles: {_show(cycles)}"


def test_no_import_cycle_among_top_level_parts():
    cycles = _cycles(_part_graph(_module_graph()))
    assert not cycles, f"import cycles between parts of tfopt: {_show(cycles)}"


@pytest.mark.parametrize("name", sorted(n for n in _FILES if n != "tfopt.cli" and not n.startswith("tfopt.cli.")))
def test_library_modules_import_neither_the_command_line_side_nor_absl(name):
    tree = ast.parse(_FILES[name].read_text())
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        for imported in names:
            assert imported != "tfopt.cli" and not imported.startswith("tfopt.cli."), f"{name} imports {imported}"
            assert imported != "absl" and not imported.startswith("absl."), f"{name} imports {imported}"
