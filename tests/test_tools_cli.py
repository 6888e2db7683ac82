"""`hypoforge tools list|show|run`: output formats and exit codes for bad input."""

from __future__ import annotations

import json

import pytest

from hypoforge.cli import main
from hypoforge.tools.registry import BUILTIN_TOOLS


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch):
    monkeypatch.setenv("HYPOFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_list_json(capsys):
    assert main(["tools", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(BUILTIN_TOOLS)
    assert all(set(r) == {"name", "description", "plugin"} and r["plugin"] == "hypoforge" for r in rows)


def test_list_table(capsys):
    assert main(["tools", "list"]) == 0
    out = capsys.readouterr().out
    assert "chem.describe" in out and "seq.protparam" in out


def test_show_schemas(capsys):
    assert main(["tools", "show", "chem.similarity"]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert spec["name"] == "chem.similarity"
    assert "molecule" in spec["input_schema"]["properties"] and "molecule" in spec["input_schema"]["required"]
    assert "hits" in spec["output_schema"]["properties"]


def test_run_json_output(capsys):
    assert main(["tools", "run", "chem.describe", "--args", '{"molecule": "OCC"}', "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["canonical_smiles"] == "CCO" and out["descriptors"]["hbd"] == 1


def test_run_human_output_has_evidence_id(capsys):
    assert main(["tools", "run", "seq.translate", "--args", '{"sequence": "ATGAAA"}']) == 0
    out = capsys.readouterr().out
    assert out.startswith("# TOOL:seq.translate:") and '"protein": "MK"' in out


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["tools", "run", "chem.describe", "--args", "{nope"], ["not valid JSON"]),
        (["tools", "run", "chem.describe", "--args", "[1]"], ["JSON object"]),
        (["tools", "run", "chem.describe", "--args", "{}"], ["molecule: Field required"]),
        (["tools", "run", "chem.similarity", "--args", '{"molecule": "CCO", "top_k": "many", "colour": 1}'],
         ["top_k:", "colour: unknown argument"]),
        (["tools", "run", "chem.describe", "--args", '{"molecule": "C1CC"}'], ["syntax error"]),
        (["tools", "run", "seq.protparam", "--args", '{"sequence": "MKB"}'], ["'B' at position 3"]),
        (["tools", "run", "chem.descrbe", "--args", "{}"], ["unknown tool", "did you mean 'chem.describe'"]),
        (["tools", "show", "seq.protparm"], ["did you mean 'seq.protparam'"]),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, fragments, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("hypoforge: error:")
    for f in fragments:
        assert f in err
