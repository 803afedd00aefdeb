"""The package's shape: one folder per stage, and no stage imports a later one or takes part in a cycle.

Reads every import in rag/ with `ast` (imports inside functions too: a lazy import is still a
dependency) and fails naming the offending module and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rag.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "rag"
# Lowest first: a module may import from its own stage and from the ones before it.
STAGES = ("errors", "config", "zh", "ingest", "index", "grounding", "answer", "evaluation", "app", "cli")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rag"


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, imported rag module) for every import in a file under `root`, relative ones resolved."""
    name, found = module_name(path, root), []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "rag"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parents + ([base] if base else []))
            if base.split(".")[0] == "rag":
                found += [(node.lineno, _target(base, a.name, root)) for a in node.names]
    return found


def _target(base: str, name: str, root: Path) -> str:
    """`from rag.zh import tokens` imports rag.zh.tokens; so does `from rag.zh.tokens import x`."""
    candidate = f"{base}.{name}"
    as_path = root / Path(*candidate.split("."))
    return candidate if as_path.with_suffix(".py").is_file() or as_path.is_dir() else base


def upward_imports(package: Path = PACKAGE) -> list[str]:
    problems, root = [], package.parent
    for path in sorted(package.rglob("*.py")):
        here = stage(module_name(path, root))
        for line, target in imports(path, root):
            there = stage(target)
            if here in STAGES and there in STAGES and STAGES.index(there) > STAGES.index(here):
                problems.append(f"{path.relative_to(root)}:{line} imports {target}: "
                                f"stage '{here}' may not import the later stage '{there}'")
    return problems


def cycles(package: Path = PACKAGE) -> list[list[str]]:
    root = package.parent
    names = {p: module_name(p, root) for p in package.rglob("*.py")}
    graph = {name: {t for _, t in imports(p, root) if t != name} for p, name in names.items()}
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":  # an open module is on the trail: the trail from it closes a cycle
                found.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_every_module_sits_in_a_stage_folder():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in {"__init__", "config", "errors", "cli"}]
    assert not loose, f"modules outside a stage folder: {loose}"
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert folder.name in STAGES, f"rag/{folder.name}/ is not a stage: {STAGES}"
        assert ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))), \
            f"rag/{folder.name}/__init__.py must say what the stage does and what it hands on"


def test_no_stage_imports_a_later_stage():
    assert upward_imports() == []


def test_no_import_cycle():
    assert cycles() == []


def test_the_check_names_an_upward_import(tmp_path):
    """The checks above are real: a copy of the package with one upward import added is caught, by name."""
    import shutil

    copy = tmp_path / "rag"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    bad = copy / "zh" / "tokens.py"
    upward = "\nfrom rag.answer.pipeline import Pipeline\n"
    bad.write_text(bad.read_text(encoding="utf-8") + upward, encoding="utf-8")
    problems, found = upward_imports(copy), cycles(copy)
    assert any("rag/zh/tokens.py" in p and "rag.answer.pipeline" in p for p in problems), problems
    assert any("rag.zh.tokens" in c and "rag.answer.pipeline" in c for c in found), found


def test_modules_stay_small_and_lines_short():
    """Small modules and lines a reviewer reads without scrolling: ≤ 300 lines a module,
    ≤ 110 characters a line (the tests too)."""
    long_files, long_lines = [], []
    files = [*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "tests").rglob("*.py"), PROJECT_ROOT / "app.py"]
    for path in sorted(files):
        lines = path.read_text(encoding="utf-8").splitlines()
        where = path.relative_to(PROJECT_ROOT)
        if path.is_relative_to(PACKAGE) and len(lines) > 300:
            long_files.append(f"{where}: {len(lines)} lines")
        long_lines += [f"{where}:{n}: {len(line)} characters"
                       for n, line in enumerate(lines, 1) if len(line) > 110]
    assert long_files == [] and long_lines == [], long_files + long_lines[:20]
