"""RDKit chemistry suite: parsing errors, known descriptor values, rules, alerts, panel, screening."""

from __future__ import annotations

import csv
import itertools

import pytest

from hypoforge.tools.chemistry.core import (
    RA_PANEL_FILE,
    MoleculeError,
    descriptors,
    load_panel,
    murcko_scaffold,
    parse_molecule,
    profile,
    read_panel_file,
    rule_checks,
    similarity_search,
    structural_alerts,
)
from hypoforge.tools.chemistry.screen import BatchItem, read_molecule_file, screen, summarise
from hypoforge.tools.base import ToolInputError
from hypoforge.tools.registry import ToolRegistry

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def test_aspirin_known_values():
    rep = profile("OC(=O)c1ccccc1OC(C)=O")  # non-canonical input
    assert rep.canonical_smiles == ASPIRIN
    assert rep.inchikey == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
    assert rep.formula == "C9H8O4"
    d = rep.descriptors
    assert d.mw == pytest.approx(180.16, abs=0.01)  # C9H8O4
    assert d.tpsa == pytest.approx(63.6, abs=0.05)  # Ertl TPSA, as listed by PubChem
    assert d.clogp == pytest.approx(1.31, abs=0.01)  # Wildman-Crippen
    assert (d.hbd, d.hba, d.heavy_atoms, d.atoms) == (1, 3, 13, 21)
    assert 0.5 < d.qed < 0.6 and 1.0 <= d.sa_score < 2.5  # simple, easy to make
    assert all(r.passed for r in rep.rules if r.rule in ("lipinski", "veber"))
    assert rep.scaffold == "c1ccccc1"


def test_inchi_and_molblock_parse_to_same_structure():
    from rdkit import Chem

    inchi = "InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)"
    assert profile(inchi).canonical_smiles == ASPIRIN
    block = Chem.MolToMolBlock(Chem.MolFromSmiles(ASPIRIN))
    assert profile(block).canonical_smiles == ASPIRIN


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("C1CC", "syntax error"),
        ("c1cccc1", "kekulize"),
        ("CN(C)(C)(C)C", "valence"),
        ("C C", "whitespace"),
        ("InChI=1S/nonsense", "InChI"),
        ("", "empty"),
    ],
)
def test_invalid_molecules_raise_clear_errors(bad, fragment):
    with pytest.raises(MoleculeError) as info:
        parse_molecule(bad)
    assert fragment.lower() in str(info.value).lower()


def test_rules_flag_violations():
    # cyclosporin-like large peptide surrogate: a long lipophilic chain breaks several rules
    big = profile("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)NCCCCCCCCCCCCCC(=O)O")
    rules = {r.rule: r for r in big.rules}
    assert not rules["lipinski"].passed or any("cLogP" in v for v in rules["lipinski"].violations)
    assert not rules["veber"].passed and any("rotatable" in v for v in rules["veber"].violations)
    assert not rules["ghose"].passed
    small = rule_checks(descriptors(parse_molecule("CCO")))
    ghose = next(r for r in small if r.rule == "ghose")
    assert not ghose.passed and any("MW" in v for v in ghose.violations)


def test_pains_and_brenk_alerts():
    # 5-benzylidene rhodanine: the textbook PAINS family ene_rhod
    alerts = structural_alerts(parse_molecule("O=C1NC(=S)SC1=Cc1ccccc1"))
    assert any(a.catalog == "PAINS" and a.description.startswith("ene_rhod") for a in alerts)
    assert any(a.catalog == "BRENK" for a in alerts)
    assert not any(a.catalog == "PAINS" for a in structural_alerts(parse_molecule("c1ccccc1C(=O)O")))


def test_murcko_scaffold():
    assert murcko_scaffold(parse_molecule("CC(C)Cc1ccc(cc1)C(C)C(=O)O")) == "c1ccccc1"
    assert murcko_scaffold(parse_molecule("CCCC")) == ""


def test_similarity_search_ranks_self_first():
    panel = load_panel("ra_approved")
    hits = similarity_search(parse_molecule("C[C@@H]1CCN(C[C@@H]1N(C)c1ncnc2[nH]ccc12)C(=O)CC#N"), panel, top_k=3)
    assert hits[0].name == "tofacitinib" and hits[0].tanimoto == 1.0
    assert hits[0].tanimoto >= hits[1].tanimoto >= hits[2].tanimoto
    # a close analogue (methyl ester of ibuprofen) finds ibuprofen first
    assert similarity_search(parse_molecule("CC(C)Cc1ccc(cc1)C(C)C(=O)OC"), panel, top_k=1)[0].name == "ibuprofen"


def test_descriptors_match_zinc_reference_columns(shared_data):
    """logP and SA score match the file's RDKit-computed columns to rounding; QED was computed there
    with an older RDKit QED implementation, so it is held to a looser per-molecule and mean bound."""
    path = shared_data / "molecules" / "zinc20k" / "20k_rndm_zinc_drugs_clean_3.csv"
    with path.open(newline="") as fh:
        rows = list(itertools.islice(csv.DictReader(fh), 0, 2000, 40))  # 50 spread-out molecules
    qed_diffs = []
    for row in rows:
        d = descriptors(parse_molecule(row["smiles"].strip()))
        assert d.clogp == pytest.approx(float(row["logP"]), abs=1e-3), row["smiles"]
        assert d.sa_score == pytest.approx(float(row["SAS"]), abs=1e-3), row["smiles"]
        qed_diffs.append(abs(d.qed - float(row["qed"])))
    assert max(qed_diffs) < 0.05 and sum(qed_diffs) / len(qed_diffs) < 0.02


def _hub_samples(shared_data):
    path = shared_data / "molecules" / "drug_repurposing_hub" / "repurposing_samples_20200324.txt"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("!")]
    by_name: dict[str, set[str]] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        if row["InChIKey"]:
            by_name.setdefault(row["pert_iname"].strip().lower(), set()).add(row["InChIKey"].strip())
    return by_name


def test_ra_panel_matches_drug_repurposing_hub(shared_data):
    """Each panel structure must be the hub's compound of that name: the full InChIKey, or the
    connectivity block when the panel leaves stereo unspecified (racemates)."""
    from rdkit import Chem

    hub = _hub_samples(shared_data)
    entries = read_panel_file(RA_PANEL_FILE)
    assert len(entries) >= 15 and len({e.name for e in entries}) == len(entries)
    checked = 0
    for e in entries:
        if e.name not in hub:
            continue
        mol = parse_molecule(e.smiles)
        key = Chem.MolToInchiKey(mol)
        unspecified = any(c[1] == "?" for c in Chem.FindMolChiralCenters(mol, includeUnassigned=True, useLegacyImplementation=False))
        if unspecified:
            assert key.split("-")[0] in {k.split("-")[0] for k in hub[e.name]}, e.name
        else:
            assert key in hub[e.name], f"{e.name}: {key} not in {hub[e.name]}"
        checked += 1
    assert checked >= 15


def test_read_files_and_screen_keeps_going(tmp_path):
    smi = tmp_path / "mols.smi"
    smi.write_text(f"# a comment\n{ASPIRIN} aspirin\nC1CC broken\n\nCCO ethanol\nCN(C)(C)(C)C pentavalent\n")
    items = list(read_molecule_file(smi))
    assert [i.id for i in items] == ["aspirin", "broken", "ethanol", "pentavalent"]
    serial = screen(items, workers=1)
    parallel = screen(items, workers=2, chunksize=1)
    assert [r.model_dump() for r in serial] == [r.model_dump() for r in parallel]
    assert [r.error is None for r in serial] == [True, False, True, False]
    assert "syntax" in serial[1].error and "valence" in serial[3].error
    summary = summarise(serial)
    assert (summary.total, summary.ok, summary.errors) == (4, 2, 2)
    assert [e.id for e in summary.error_items] == ["broken", "pentavalent"]


def test_sdf_and_csv_inputs(tmp_path):
    from rdkit import Chem

    sdf = tmp_path / "mols.sdf"
    w = Chem.SDWriter(str(sdf))
    for name, s in [("aspirin", ASPIRIN), ("ethanol", "CCO")]:
        m = Chem.MolFromSmiles(s)
        m.SetProp("_Name", name)
        w.write(m)
    w.close()
    # append a broken record: neopentane with one C-C bond turned double (a five-valent carbon)
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CC(C)(C)C")).splitlines()
    first_bond = next(i for i, ln in enumerate(block) if ln.startswith("  1  2  1"))
    block[first_bond] = "  1  2  2  0"
    sdf.write_text(sdf.read_text() + "bad\n" + "\n".join(block[1:]) + "\n$$$$\n")
    reports = screen(read_molecule_file(sdf))
    assert [r.id for r in reports] == ["aspirin", "ethanol", "bad"]
    assert reports[0].canonical_smiles == ASPIRIN and "valence" in reports[2].error
    csvf = tmp_path / "m.csv"
    csvf.write_text("name,SMILES\nasp,CC(=O)Oc1ccccc1C(=O)O\n")
    assert [i.id for i in read_molecule_file(csvf)] == ["asp"]
    nocol = tmp_path / "n.csv"
    nocol.write_text("a,b\n1,2\n")
    with pytest.raises(ToolInputError, match="smiles"):
        list(read_molecule_file(nocol))


def test_chemistry_tools_through_registry(tmp_path):
    reg = ToolRegistry.from_entry_points(autoload=False)
    r = reg.call("chem.describe", {"molecule": ASPIRIN})
    assert r.ok and r.output["descriptors"]["hbd"] == 1
    bad = reg.call("chem.describe", {"molecule": "C1CC"})
    assert bad.error_kind == "bad_input" and "syntax" in bad.error
    f = reg.call("chem.filters", {"molecule": "O=C1NC(=S)SC1=Cc1ccccc1"})
    assert f.output["pains"] >= 1
    s = reg.call("chem.similarity", {"molecule": "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "top_k": 2})
    assert s.output["hits"][0]["name"] == "ibuprofen" and s.output["hits"][0]["class"] == "NSAID"
    custom = reg.call("chem.similarity", {"molecule": "CCO", "references": [{"name": "ethanol", "smiles": "OCC"}]})
    assert custom.output["hits"][0]["tanimoto"] == 1.0
    smi = tmp_path / "m.smi"
    smi.write_text(f"{ASPIRIN} a\nnot_a_smiles b\n")
    out = tmp_path / "out" / "reports.jsonl"
    sc = reg.call("chem.screen", {"path": str(smi), "output": str(out)})
    assert sc.output["ok"] == 1 and sc.output["errors"] == 1
    assert len(out.read_text().splitlines()) == 2
    missing = reg.call("chem.screen", {"path": str(tmp_path / "nope.smi")})
    assert missing.error_kind == "bad_input" and "not found" in missing.error


def test_screen_tool_inline_molecules_and_source_rule():
    reg = ToolRegistry.from_entry_points(autoload=False)
    r = reg.call("chem.screen", {"molecules": [ASPIRIN, "C1CC", "CCO"], "max_rows": 3})
    assert r.ok and (r.output["ok"], r.output["errors"]) == (2, 1)
    assert [row["id"] for row in r.output["rows"]] == ["mol0", "mol1", "mol2"]
    both = reg.call("chem.screen", {"molecules": ["CCO"], "path": "x.smi"})
    neither = reg.call("chem.screen", {})
    assert both.error_kind == neither.error_kind == "invalid_args" and "exactly one" in both.error


def test_progress_bar_does_not_change_results(capsys):
    items = [BatchItem(index=i, id=str(i), text=s, fmt="smiles") for i, s in enumerate([ASPIRIN, "CCO"])]
    assert [r.canonical_smiles for r in screen(items, progress=True)] == [ASPIRIN, "CCO"]


def test_oversized_molecules_are_refused_before_rdkit(monkeypatch):
    from hypoforge.tools.chemistry import core as chemistry

    assert chemistry.parse_molecule("C" * chemistry.MAX_ATOMS).GetNumAtoms() == chemistry.MAX_ATOMS

    def no_rdkit():
        raise AssertionError("RDKit was called")

    monkeypatch.setattr(chemistry, "_rdkit", no_rdkit)
    with pytest.raises(ToolInputError, match=r"about 5,000 heavy atoms, over the 500 limit") as info:
        chemistry.parse_molecule("C" * 5000)
    assert "\n" not in str(info.value)
    with pytest.raises(ToolInputError, match="about 501 heavy atoms"):
        chemistry.parse_molecule("[13CH3]" + "Cl" * 500)  # bracket atoms and two-letter halogens count once
    with pytest.raises(ToolInputError, match="4,001 characters, over the 4,000 limit"):
        chemistry.parse_molecule("C" + "=" * 4000)
    with pytest.raises(ToolInputError, match="InChI .* over the 8,000 limit"):
        chemistry.parse_molecule("InChI=1S/" + "C" * 8000)
