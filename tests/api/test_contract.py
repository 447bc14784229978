"""The exported schema keeps the contract's names, and schema.graphql is what the code exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oms_graph.api.schema import export_sdl

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT.parent / "shared" / "tools" / "check_contract.py"


def test_schema_file_is_what_the_code_exports():
    assert (ROOT / "schema.graphql").read_text() == export_sdl(), (
        "schema.graphql is stale: run `oms-graph export-schema > schema.graphql`"
    )


def test_export_schema_command_prints_the_sdl():
    out = subprocess.run(
        [sys.executable, "-m", "oms_graph.cli", "export-schema"], capture_output=True, text=True, check=True
    ).stdout
    assert out == export_sdl()


@pytest.mark.skipif(
    not CHECKER.exists(), reason="../shared/tools/check_contract.py is absent (outside the team's checkout)"
)
def test_schema_keeps_every_name_of_the_contract():
    result = subprocess.run(
        [sys.executable, str(CHECKER), "schema.graphql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract: ok" in result.stdout
