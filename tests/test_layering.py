"""The package's layering: each folder imports only from folders below it, and no cycles.

Every ``import`` of ``src/glassnet`` is read from the syntax tree, including the imports
inside functions, so a hidden upward import fails here as surely as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "glassnet"

#: a folder's rank; a module may import its own folder or a folder of lower rank
RANKS = {
    "_version": 0,
    "core": 1,
    "functions": 2, "optim": 2, "data": 2, "gradcheck": 2,
    "layers": 3,
    "models": 4, "vision": 4, "text": 4,
    "train": 5,
    "project": 6,
    "cli": 7,
    "course": 8, "__init__": 8,  # the package's front door sees everything
}
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every glassnet import in ``path``; ``from X import y`` gives X.y too."""
    return _imports_in(path.read_text(), _module_name(path), _is_package(path))


def _imports_in(source: str, here: str, is_package: bool) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
            found += [(node.lineno, n) for n in names if n.split(".")[0] == "glassnet"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".") if is_package else here.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "glassnet":
                continue
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.append((node.lineno, candidate if _exists(candidate) else module))
    return found


def _exists(module: str) -> bool:
    rel = Path(*module.split("."))
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_folder_has_a_rank():
    folders = {_folder(_module_name(p)) for p in _sources()}
    assert folders <= set(RANKS), f"folders without a rank: {sorted(folders - set(RANKS))}"


def test_no_import_toward_a_higher_rank():
    wrong = []
    for path in _sources():
        here = _module_name(path)
        mine = _folder(here)
        for line, target in _imports(path):
            theirs = _folder(target)
            if theirs == mine or target == "glassnet._version":
                continue
            if target == "glassnet" or RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"{path.relative_to(SRC)}:{line} ({mine}, rank {RANKS[mine]}) imports "
                             f"{target} ({theirs}, rank {RANKS.get(theirs, '?')})")
    assert not wrong, "imports toward a higher or equal rank:\n" + "\n".join(wrong)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _sources():
        here = _module_name(path)
        targets = set()
        for _, target in _imports(path):
            # importing glassnet.a.b runs glassnet.a/__init__ first: count the package too
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix != here and not here.startswith(prefix + "."):
                    targets.add(prefix)
        graph[here] = {t for t in targets if _exists(t)}
    return graph


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles[:10])


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_one_job_per_file(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines (at most {MAX_LINES})"


def test_the_checker_sees_imports_inside_functions():
    source = "def f():\n    from ..cli.main import main\n    import glassnet.train\n"
    found = _imports_in(source, "glassnet.core.backend", is_package=False)
    assert found == [(2, "glassnet.cli.main"), (3, "glassnet.train")]
