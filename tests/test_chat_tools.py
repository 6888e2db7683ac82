"""/molecule, /protein and /patient in chat: tables a scientist reads, raw JSON with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_chat import make_chat

from hypoforge.chat import render_tools
from hypoforge.tools.base import ToolResult

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
# Cyclosporin A: breaks Lipinski (MW, HBA) and Veber (TPSA)
CYCLOSPORIN = ("CC[C@H]1C(=O)N(CC(=O)N([C@H](C(=O)N[C@H](C(=O)N([C@H](C(=O)N[C@H](C(=O)N[C@@H](C(=O)N([C@H](C(=O)N([C@H]"
               "(C(=O)N([C@H](C(=O)N([C@H](C(=O)N1)[C@@H]([C@H](C)C/C=C/C)O)C)C(C)C)C)CC(C)C)C)CC(C)C)C)C)C)CC(C)C)C)C(C)C)CC(C)C)C)C")


def _rows(text: str) -> dict[str, list[str]]:
    """Table rows of rendered text by their first cell."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) >= 2 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def test_molecule_shows_descriptors_rules_alerts_and_scaffold(tmp_path):
    pytest.importorskip("rdkit")
    chat, screen, built = make_chat(tmp_path)
    chat.handle(f"/molecule {ASPIRIN}")
    out = screen.new()
    rows = _rows(out)
    assert rows["molecular weight (Da)"][:2] == ["180.2", "Lipinski <= 500"]
    assert rows["H-bond donors"][0] == "1" and rows["Lipinski"][0] == "pass"
    assert "Murcko scaffold" in out and "c1ccccc1" in out and "chem.describe" in out and "TOOL:chem.describe" in out
    assert "{" not in out, "no raw JSON in the table view"
    assert not built, "tools need no model"


def test_molecule_violations_name_the_limits(tmp_path):
    pytest.importorskip("rdkit")
    chat, screen, _ = make_chat(tmp_path)
    chat.handle(f"/molecule {CYCLOSPORIN}")
    rows = _rows(screen.new())
    assert rows["Lipinski"][0] == "FAIL" and "MW 1202.6 > 500" in rows["Lipinski"][1]
    assert rows["Veber"][0] == "FAIL" and "TPSA" in rows["Veber"][1]


def test_molecule_json_flag_prints_the_raw_output(tmp_path):
    pytest.importorskip("rdkit")
    chat, screen, _ = make_chat(tmp_path)
    chat.handle(f"/molecule --json {ASPIRIN}")
    out = screen.new()
    data = json.loads(out)
    assert data["descriptors"]["hbd"] == 1 and data["canonical_smiles"] == ASPIRIN


def test_alerts_table_lists_each_match():
    out = {"canonical_smiles": "x", "descriptors": {}, "rules": [],
           "alerts": [{"catalog": "PAINS", "description": "quinone_A"}, {"catalog": "BRENK", "description": "Michael_acceptor"}]}
    from rich.console import Console

    console = Console(width=120, color_system=None, record=True)
    console.print(render_tools.molecule(out))
    text = console.export_text()
    assert "Alerts (2)" in text and _rows(text)["PAINS"] == ["quinone_A"] and "Michael_acceptor" in text


def test_protein_properties_table(tmp_path):
    pytest.importorskip("Bio")
    chat, screen, _ = make_chat(tmp_path)
    chat.handle("/protein MKTAYIAKQRQISFVKSHFSRQ")
    rows = _rows(screen.new())
    assert rows["length (residues)"][0] == "22"
    assert rows["instability index"][1] in ("stable (< 40)", "unstable (>= 40)")
    chat.handle("/protein MKTAYIAKQRQISFVKSHFSRQ --json")
    out = screen.new()
    assert json.loads(out)["length"] == 22


def test_variants_sorted_most_damaging_first():
    from rich.console import Console

    res = ToolResult(id="TOOL:esm.variants:1", tool="esm.variants", version="1", inputs={},
                     output={"model": "esmc_300m", "length": 5, "items": [
                         {"variant": "A2G", "score": 0.4}, {"variant": "K5E", "score": -2.1}, {"variant": "Q9P", "error": "position 9 > length 5"}]})
    console = Console(width=120, color_system=None, record=True)
    render_tools.show_tool_result(console, res)
    lines = [ln for ln in console.export_text().splitlines() if any(v in ln for v in ("A2G", "K5E", "Q9P"))]
    assert ["K5E" in lines[0], "A2G" in lines[1], "Q9P" in lines[2]] == [True, True, True]
    assert "likely damaging" in lines[0] and "likely tolerated" in lines[1] and "position 9" in lines[2]


def test_patient_plan_tables(tmp_path, shared_data: Path):
    vcf = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"
    chat, screen, _ = make_chat(tmp_path)
    chat.handle(f"/patient {vcf}")
    out = screen.new()
    rows = _rows(out)
    assert "TPMT" in rows and "Poor Metabolizer" in " ".join(rows["TPMT"])
    assert "Drug-specific recommendations" in out and "azathioprine" in out.lower()
    chat.handle(f"/patient {vcf} --json")
    out = screen.new()
    plan = json.loads(out)
    assert any(c["gene"] == "TPMT" for c in plan["gene_calls"])
