"""The layout's promises, checked: a module that calls itself pure is held to it by import-linter."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers/common/logister_common"
PURITY = "What says Pure is pure: no AWS, no Powertools, not even indirectly"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_that_says_pure_is_in_the_purity_contract():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (purity,) = [contract for contract in contracts if contract["name"] == PURITY]
    checked = purity["source_modules"]
    claims = [
        _module_name(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "Pure" in (ast.get_docstring(ast.parse(path.read_text())) or "")
    ]
    assert claims, "no module says it is pure: the check below would prove nothing"
    unchecked = [name for name in claims if not any(name == c or name.startswith(f"{c}.") for c in checked)]
    assert not unchecked, f"these say Pure but import-linter does not hold them to it: {unchecked}"
