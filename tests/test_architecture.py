"""The house rules, read from the source: the parts import one way only, no module imports
another that imports it back (at any distance, function-level imports included), nothing imports
a command, and every module says what it is for."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"data", "ModelManager", "interface"}
# Each part and the parts it may import (itself included). Order: network <- foundations <-
# reading <- data, pen, personal <- models <- gui <- commands (app/__init__.py explains each).
MAY_IMPORT = {
    "network": {"network"},
    "foundations": {"network", "foundations"},
    "reading": {"network", "foundations", "reading"},
    "data": {"network", "foundations", "data"},
    "pen": {"network", "foundations", "reading", "pen"},
    "personal": {"network", "foundations", "reading", "personal"},
    "models": {"network", "foundations", "reading", "data", "pen", "personal", "models"},
    "gui": {"network", "foundations", "reading", "data", "pen", "personal", "models", "gui"},
    "commands": {"network", "foundations", "reading", "data", "pen", "personal", "models", "gui"},
}


def modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in COMMANDS}
    for folder in ("network", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def part(module: str) -> str:
    top, _, rest = module.partition(".")
    if top in COMMANDS:
        return "commands"
    if top == "network":
        return "network"
    sub = rest.split(".")[0]
    if sub in ("reading", "data", "pen", "models", "gui", "personal"):
        return sub
    return "foundations"


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``module`` imports, anywhere in the file."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    found = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: imports(m, p, known) for m, p in known.items()}


def test_every_part_imports_only_the_parts_below_it():
    wrong = [f"{m} ({part(m)}) imports {d} ({part(d)})" for m, deps in graph().items() for d in deps
             if part(d) not in MAY_IMPORT[part(m)] and not d.endswith("__init__")]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_a_command():
    assert not [(m, d) for m, deps in graph().items() for d in deps if d in COMMANDS]


def test_no_import_cycles_between_modules():
    """A package's __init__ that hands on its modules' names is left out: a cycle is two modules
    that need each other (the rule ../shared/tools/arch_check.py applies too)."""
    g = graph()
    packages = {m for m, p in modules().items() if p.name == "__init__.py"}
    g = {m: deps - packages for m, deps in g.items() if m not in packages}
    state: dict[str, int] = {}   # 1 on the current path, 2 done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                cycles.append(path[path.index(d):] + [m, d] if d in path else [m, d])
            elif d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [])
    assert not cycles, cycles


def test_every_module_says_what_it_is_for():
    missing = [str(p.relative_to(ROOT)) for p in modules().values() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not missing


def test_every_module_is_on_the_contributors_map():
    """docs/architecture.md has a line for every module, so the map cannot fall behind the code."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(ROOT)) for name, p in modules().items()
               if name not in COMMANDS and p.name != "__init__.py" and f"`{p.relative_to(ROOT)}`" not in text]
    assert not missing


def test_models_you_train_and_caches_are_not_tracked_files():
    """A trained model or a cache never shows in `git status` as a change to the project."""
    import shutil
    import subprocess

    if not shutil.which("git") or not (ROOT / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    probe = ["saved_models/mine/model.json", "saved_models/.checkpoints/mine/model.json", "cache/mnist-abc/meta.json",
             "saved_models/default/model.json"]
    ignored = subprocess.run(["git", "check-ignore", *probe], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert ignored == probe[:3]
