"""The package's import graph: no cycles (function-local and importlib imports count), light leaf modules."""

import ast
import os
import subprocess
import sys

import pytest

import recbole_darec

PACKAGE_DIR = os.path.dirname(recbole_darec.__file__)


def module_name(path):
    relative = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[: -len(".py")].replace(os.sep, ".")
    return relative[: -len(".__init__")] if relative.endswith(".__init__") else relative


def imports_of(path, name):
    """Modules of this package that ``path`` imports anywhere (top level, in functions, via importlib)."""
    tree = ast.parse(open(path).read())
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return {m for m in found if m == "recbole_darec" or m.startswith("recbole_darec.")}


def import_graph():
    modules = {}
    for folder, _, files in os.walk(PACKAGE_DIR):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                modules[module_name(path)] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for target in imports_of(path, name):
            while target not in modules and "." in target:  # "from pkg.mod import function" names pkg.mod
                target = target.rsplit(".", 1)[0]
            # importing a.b.c runs the __init__ of its packages a.b (those the importer is not inside)
            parts = target.split(".")
            targets.update(
                ".".join(parts[:i])
                for i in range(2, len(parts) + 1)
                if not name.startswith(".".join(parts[:i]) + ".") and ".".join(parts[:i]) in modules
            )
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "recbole_darec.model.darec" in graph and "recbole_darec.checks" in graph["recbole_darec.model.darec"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_sees_function_local_and_importlib_imports():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    lookup = os.path.join(PACKAGE_DIR, "model", "lookup.py")
    assert "recbole_darec.model" in imports_of(lookup, "recbole_darec.model.lookup")  # importlib.import_module


def test_importing_the_losses_does_not_import_the_trainer_or_the_data_pipeline():
    code = (
        "import sys, recbole_darec.model.losses; "
        "print(sorted(m for m in ('recbole_darec.trainer', 'recbole_darec.quick_start', 'recbole_darec.data', "
        "'recbole_darec.profiles') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# The floors of the package, lowest first: a module imports only from its own floor or below (docs/guide.md,
# "Where things are"). A new module must be placed here: the test names one that is not.
FLOORS = [
    ("foundation", ["recbole_darec", "compat", "checks", "filenames", "atomic_io", "cli"]),
    ("data and models", ["data", "data.*", "model", "model.*"]),
    (
        "profiles, configuration, run state, reporting",
        ["profiles", "profiles.*", "config"]
        + ["checkpoint", "runtime", "outputs", "grouped_evaluation", "reporting", "run_store", "suite"],
    ),
    ("training and data preparation", ["trainer", "prepare"]),
    ("one run", ["quick_start"]),
    (
        "commands",
        ["compare", "benchmark", "evaluate", "hyper", "convert", "convert.*", "leaderboard", "record_run"]
        + ["robustness_report", "run", "synthetic", "__main__"],
    ),
]


def floor_of(module):
    name = module[len("recbole_darec.") :] if module != "recbole_darec" else module
    for exact in (True, False):  # a module named on a floor is there, whatever a wildcard elsewhere says
        for number, (_, patterns) in enumerate(FLOORS):
            for pattern in patterns:
                if name == pattern if exact else pattern.endswith(".*") and name.startswith(pattern[:-1]):
                    return number
    raise AssertionError(f"{module} is on no floor of tests/test_imports.py's FLOORS: place it there")


def test_no_module_imports_from_a_floor_above_its_own():
    graph = import_graph()
    upward = [
        f"{source} ({FLOORS[floor_of(source)][0]}) imports {target} ({FLOORS[floor_of(target)][0]})"
        for source, targets in sorted(graph.items())
        for target in sorted(targets)
        if floor_of(target) > floor_of(source)
    ]
    assert upward == []


def test_the_floor_check_sees_an_upward_import():
    assert floor_of("recbole_darec.model.darec") == 1 and floor_of("recbole_darec.trainer") == 3
    with pytest.raises(AssertionError, match="on no floor"):
        floor_of("recbole_darec.utils")
