"""The code's shape: one owner of the stock counters, small modules, layers as the import contracts say."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "oms_graph"
LEDGER = SOURCE / "services" / "stock" / "ledger"  # a package: every module in it may write
COUNTERS = {"on_hand", "reserved", "routed", "promised"}
MAX_LINES = 400


def counter_writes(path: Path) -> list[str]:
    """Where a module writes a stock counter: `.values(on_hand=…)`, a stock level's row
    `{"location_id": …, "reserved": …}`, `level.routed = …`, or an UPDATE of the stock levels, products or
    channels' promises."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            found += [f"{where} .values({k.arg}=…)" for k in node.keywords if k.arg in COUNTERS]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "update" and node.args:
            target = ast.unparse(node.args[0])
            if any(
                name in target for name in ("StockLevel", "Product", "Promise", "stock", "product", "levels", "promise")
            ):
                found.append(f"{where} update({target})")
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if "location_id" in keys:  # a stock level's row (an input row names its location by code)
                found += [f"{where} {{{key!r}: …}}" for key in sorted(keys & COUNTERS)]
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr in COUNTERS:
                        found.append(f"{where} {ast.unparse(target)} = …")
    return found


def test_only_the_ledger_writes_stock_counters():
    writes = [w for path in sorted(SOURCE.rglob("*.py")) if LEDGER not in path.parents for w in counter_writes(path)]
    assert writes == []


def test_the_check_finds_a_counter_written_outside_the_ledger(tmp_path):
    module = tmp_path / "rogue.py"
    module.write_text(
        "update(StockLevel).values(reserved=StockLevel.reserved + 1)\n"
        "rows = [{'sku': 'A', 'location_id': here, 'on_hand': 3}]\n"
        "level.routed = 0\n"
    )
    found = counter_writes(module)
    assert len(found) == 4  # update(StockLevel), .values(reserved=…), {'on_hand': …}, level.routed = …


def test_the_ledger_itself_writes_every_counter():
    written = " ".join(w for path in sorted(LEDGER.glob("*.py")) for w in counter_writes(path))
    assert all(f"({name}=" in written or f"'{name}'" in written for name in COUNTERS)


def test_no_module_is_over_400_lines():
    lines = {str(p.relative_to(SOURCE)): len(p.read_text().splitlines()) for p in SOURCE.rglob("*.py")}
    long = {path: n for path, n in lines.items() if n > MAX_LINES}
    assert long == {}


def test_the_import_contracts_hold():
    lint_imports = shutil.which("lint-imports") or str(Path(__file__).resolve().parents[2] / ".venv/bin/lint-imports")
    if not Path(lint_imports).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[lint]')")
    done = subprocess.run([lint_imports], cwd=SOURCE.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
