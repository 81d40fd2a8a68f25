"""The layering the README states: ``actions/`` may import ``bot/``, ``nlu/`` and ``kb/``; those three never
import ``actions/`` (the action server's code), and ``nlu/`` and ``kb/`` never import ``bot/`` (their
command-line entry points, ``__main__.py``, aside: nothing imports those, so they cannot close a cycle)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN: Dict[str, Tuple[str, ...]] = {"bot": ("actions",), "nlu": ("actions", "bot"), "kb": ("actions", "bot")}


def imported_packages(source: str) -> Iterator[Tuple[int, str]]:
    """(line, top-level package) of every import in ``source``, at any depth (inside functions too)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def violations(package: str) -> List[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        forbidden = ("actions",) if path.name == "__main__.py" else FORBIDDEN[package]
        found += [f"{path.relative_to(ROOT)}:{line} imports {imported}"
                  for line, imported in imported_packages(path.read_text(encoding="utf-8")) if imported in forbidden]
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(package: str):
    assert violations(package) == []


def test_the_import_finder_sees_every_form():
    source = "import actions.kb_answer\nfrom bot.wording import X\ndef f():\n    from actions import buttons\n"
    assert list(imported_packages(source)) == [(1, "actions"), (2, "bot"), (4, "actions")]
