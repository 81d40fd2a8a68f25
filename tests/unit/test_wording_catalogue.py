"""The customer-facing text has one home per kind, and nothing in it is dead: every name in
:mod:`bot.wording` is used by the product code (not only by tests), and every ``utter_*`` response in
``domain.yml`` is uttered by a rule, a story or an action."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "bot" / "wording.py"
PRODUCT_PACKAGES = ("actions", "bot", "kb", "nlu")   # the packages pyproject.toml ships
CATALOGUE_MODULE = "bot.wording"


def product_sources() -> Iterator[Path]:
    """Every Python file the product ships, except the catalogue itself."""
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path != CATALOGUE:
                yield path


def catalogue_names(source: str) -> List[str]:
    """The public names the catalogue defines at module level: texts, tables of texts and text helpers."""
    names: List[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("_")]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            names.append(node.name)
    return names


def catalogue_uses(source: str) -> Set[str]:
    """Catalogue names one module uses: ``from bot.wording import NAME`` or ``wording.NAME`` through any alias
    of the module (``from bot import wording``, ``import bot.wording as w``)."""
    tree = ast.parse(source)
    aliases: Set[str] = set()
    used: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CATALOGUE_MODULE:
            used |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "bot":
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "wording"}
        elif isinstance(node, ast.Import):
            aliases |= {alias.asname for alias in node.names if alias.name == CATALOGUE_MODULE and alias.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(node.attr)
    return used


def string_constants(source: str) -> Set[str]:
    """Every string literal of a module (``response="utter_greet"``)."""
    return {node.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def story_actions(data: object) -> Iterator[str]:
    """The ``action:`` steps of rules and stories, wherever they nest (``or``, checkpoints)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "action" and isinstance(value, str):
                yield value
            else:
                yield from story_actions(value)
    elif isinstance(data, list):
        for item in data:
            yield from story_actions(item)


def implicit_utterances(domain: Dict) -> Set[str]:
    """Responses Rasa utters by convention: ``utter_ask_<slot>`` for the slots a form requests."""
    forms = domain.get("forms") or {}
    return {f"utter_ask_{slot}" for form in forms.values() for slot in (form or {}).get("required_slots") or []}


def used_inside_used_helpers(source: str, used: Set[str]) -> Set[str]:
    """Catalogue names that the catalogue's own helpers compose from (``secret_warning`` uses
    ``SECRET_STEPS``), counted only for helpers the product uses."""
    found: Set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in used:
            found |= {inner.id for inner in ast.walk(node) if isinstance(inner, ast.Name)}
    return found


def test_catalogue_uses_finds_every_import_style() -> None:
    source = ("from bot import wording\nfrom bot import wording as w\nimport bot.wording as bw\n"
              "from bot.wording import APOLOGY as A, BUSY\n"
              "x = (wording.EMPTY, w.JUNK, bw.GLAD, A, copy.CLARIFY, other.UNCLEAR)\n")
    assert catalogue_uses(source) == {"EMPTY", "JUNK", "GLAD", "APOLOGY", "BUSY"}


def test_every_catalogue_text_is_used_by_the_product() -> None:
    names = catalogue_names(CATALOGUE.read_text(encoding="utf-8"))
    assert len(names) > 50, names   # the parse found the catalogue
    used: Set[str] = set()
    for path in product_sources():
        used |= catalogue_uses(path.read_text(encoding="utf-8"))
    used |= used_inside_used_helpers(CATALOGUE.read_text(encoding="utf-8"), used)
    unused = sorted(set(names) - used)
    assert not unused, f"texts in bot/wording.py that no product module uses: {unused}"


def test_every_domain_response_is_uttered() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    responses = {name for name in domain.get("responses") or {} if name.startswith("utter_")}
    assert responses, "domain.yml has no utter_* responses"
    uttered: Set[str] = set()
    for path in sorted((ROOT / "data").rglob("*.yml")):
        uttered |= {action for action in story_actions(yaml.safe_load(path.read_text(encoding="utf-8")))
                    if action.startswith("utter_")}
    for path in product_sources():
        uttered |= {text for text in string_constants(path.read_text(encoding="utf-8")) if text.startswith("utter_")}
    unused = sorted(responses - uttered - implicit_utterances(domain))
    assert not unused, f"domain.yml responses nothing utters: {unused}"
    unknown = sorted(uttered - responses)
    assert not unknown, f"utter_* names used but missing from domain.yml responses: {unknown}"


def test_a_text_only_an_unused_helper_composes_from_counts_as_unused() -> None:
    source = "A = 'a'\nB = 'b'\ndef used():\n    return A\ndef unused():\n    return B\n"
    assert used_inside_used_helpers(source, {"used"}) >= {"A"}
    assert "B" not in used_inside_used_helpers(source, {"used"})
