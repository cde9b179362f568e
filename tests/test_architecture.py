"""The layers of the package, as the import-linter contracts in pyproject.toml state them.

The contracts: each module imports only from the layers below its own (``layers``),
``govtext.themes`` reads no input files (``themes-read-no-inputs``) and no package has
an import cycle among its modules (``acyclic``). Imports that break them today are
listed in ``ignore_imports`` (``# issue 23: to untangle``): the second test checks that
each entry is still needed, so a debt paid off is struck from the list, and the first
fails on an entry that no longer matches an import.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def _importlinter() -> dict[str, Any]:
    settings: dict[str, Any] = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return settings


def _ignored() -> list[tuple[str, str]]:
    return [(c["id"], imp) for c in _importlinter()["contracts"] for imp in c.get("ignore_imports", [])]


def _write_config(path: Path, contract: dict[str, Any]) -> None:
    # JSON strings, numbers, booleans and arrays of them are TOML values as written.
    lines = ["[tool.importlinter]", f"root_package = {json.dumps(_importlinter()['root_package'])}", ""]
    lines.append("[[tool.importlinter.contracts]]")
    lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_architecture_contracts_are_kept() -> None:
    assert lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True) == 0


def test_architecture_contracts_cover_the_layers_of_issue_23() -> None:
    contracts = {c["id"]: c for c in _importlinter()["contracts"]}
    assert set(contracts) >= {"layers", "themes-read-no-inputs", "acyclic"}
    layers = [set(layer.replace(" ", "").split("|")) for layer in contracts["layers"]["layers"]]
    order = ["cli", "pipeline", "stages", "store", "segment", "documents", "errors"]
    positions = [next(i for i, layer in enumerate(layers) if name in layer) for name in order]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert contracts["layers"]["exhaustive"] is True  # a new module needs a layer


@pytest.mark.parametrize(("contract_id", "ignored"), _ignored())
def test_architecture_each_ignored_import_is_still_needed(
    tmp_path: Path, contract_id: str, ignored: str
) -> None:
    contract = next(c for c in _importlinter()["contracts"] if c["id"] == contract_id)
    without = {**contract, "ignore_imports": [i for i in contract["ignore_imports"] if i != ignored]}
    config = tmp_path / "importlinter.toml"
    _write_config(config, without)
    assert lint_imports(config_filename=str(config), no_cache=True, no_logo=True) == 1, (
        f"{ignored!r} no longer breaks contract {contract_id!r}: remove it from ignore_imports"
    )


def test_architecture_only_the_store_talks_to_duckdb() -> None:
    # govtext/store is the only code with SQL: no other module imports DuckDB or reaches
    # for a store's connection (``store.con``); it calls the store's named methods.
    import ast

    package = ROOT / "govtext"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.is_relative_to(package / "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] == "duckdb" for n in names) or (
                isinstance(node, ast.Attribute) and node.attr in {"con", "_con"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _long_functions(path: Path, root: Path = ROOT) -> list[str]:
    """Functions over MAX_FUNCTION_LINES without a ``# long: <reason>`` comment above them."""
    import ast

    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            above = lines[first - 2].strip() if first >= 2 else ""
            if length > MAX_FUNCTION_LINES and not above.startswith("# long:"):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_architecture_no_module_over_600_lines() -> None:
    big = [
        f"{p.relative_to(ROOT)} ({len(p.read_text(encoding='utf-8').splitlines())} lines)"
        for p in sorted((ROOT / "govtext").rglob("*.py"))
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    ]
    assert not big, f"modules over {MAX_MODULE_LINES} lines: cut them at a joint: {big}"


def test_architecture_long_functions_say_why() -> None:
    long = [hit for p in sorted((ROOT / "govtext").rglob("*.py")) for hit in _long_functions(p)]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines need a '# long: why' comment above: {long}"


def test_architecture_long_function_check_sees_a_reason(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    bare = tmp_path / "govtext_probe.py"
    bare.write_text(f"def f():\n{body}\n", encoding="utf-8")
    reasoned = tmp_path / "govtext_probe2.py"
    reasoned.write_text(f"# long: a table of cases reads best whole\ndef f():\n{body}\n", encoding="utf-8")
    assert _long_functions(bare, tmp_path) == ["govtext_probe.py:1 f (81 lines)"]
    assert _long_functions(reasoned, tmp_path) == []


def test_architecture_picture_is_current() -> None:
    """docs/architecture.svg is drawn from the layers contract (scripts/architecture_svg.py)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "architecture_svg.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
