"""RDKit core: parsing, descriptors, drug-likeness rules, structural alerts, scaffolds, similarity
search against reference panels, and the per-molecule profile.

Design notes:

* Parsing never trusts RDKit's log output. A molecule is parsed unsanitised, then
  ``DetectChemistryProblems`` turns valence/aromaticity problems into a per-molecule message, so a
  batch can keep every error next to the item that caused it. :class:`MoleculeError` is a
  :class:`~hypoforge.tools.base.ToolInputError`: the registry reports it as ``bad_input``.
* Static reference data (FilterCatalogs, the Contrib SA-score fragment table, fingerprint
  generators, reference panels) is built lazily and cached per process with ``functools.cache``:
  immutable lookups, not clients, and each screening worker builds its own copy on first use.
"""

from __future__ import annotations

import csv
from collections import Counter
import functools
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from hypoforge.tools.base import ToolInputError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RA_PANEL_FILE = DATA_DIR / "ra_small_molecules.tsv"
PANELS = {"ra_approved": RA_PANEL_FILE}
MORGAN_RADIUS = 2
MORGAN_BITS = 2048

Format = Literal["auto", "smiles", "inchi", "molblock"]

#: Size limits checked before RDKit does any real work: descriptors, alerts and the SA score grow
#: faster than the molecule (a 5,000-atom SMILES ran 160 s and took 1 GB). 500 heavy atoms is well
#: above drugs and peptides such as cyclosporin (85) or insulin chains; proteins belong to seq.* / esm.*.
MAX_ATOMS = 500
MAX_CHARS: dict[str, int] = {"smiles": 4000, "inchi": 8000, "molblock": 200_000}
# Atoms in SMILES text: bracket atoms, two-letter organic-subset halogens, then one-letter atoms.
_SMILES_ATOM = re.compile(r"\[[^\]]*\]|Br|Cl|[BCNOPSFI]|[bcnops]")


class MoleculeError(ToolInputError):
    """A molecule that cannot be parsed or sanitised; the message says which and why."""


# --------------------------------------------------------------------------------------- parsing
def _rdkit() -> Any:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # problems are reported per molecule, not on stderr
    return Chem


def _sanitise(mol: Any, what: str) -> Any:
    Chem = _rdkit()
    mol.UpdatePropertyCache(strict=False)
    problems = Chem.DetectChemistryProblems(mol)
    if problems:
        msgs = "; ".join(p.Message() for p in problems)
        raise MoleculeError(f"{what}: sanitisation failed: {msgs}")
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit raises several unrelated exception types
        raise MoleculeError(f"{what}: sanitisation failed: {exc}") from None
    return mol


def detect_format(text: str) -> Format:
    t = text.lstrip()
    if t.startswith("InChI="):
        return "inchi"
    if "\n" in text.strip() and ("M  END" in text or "V2000" in text or "V3000" in text):
        return "molblock"
    return "smiles"


def parse_molecule(text: str, fmt: Format = "auto") -> Any:
    """An RDKit molecule from a SMILES, InChI or MDL mol block; :class:`MoleculeError` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise MoleculeError("empty molecule: give a SMILES, an InChI or a mol block")
    fmt = detect_format(text) if fmt == "auto" else fmt
    short = text.strip().splitlines()[0][:60]
    smiles = text.strip()
    if fmt == "smiles":  # checked on the text: RDKit never sees an oversized or spaced SMILES
        if any(c.isspace() for c in smiles):
            raise MoleculeError(f"SMILES {short!r}: contains whitespace; give one SMILES without names or spaces")
        atoms = len(_SMILES_ATOM.findall(smiles))
        if atoms > MAX_ATOMS:
            raise MoleculeError(f"SMILES {short!r}...: about {atoms:,} heavy atoms, over the {MAX_ATOMS} limit for one molecule")
    size = len(text.strip())
    if size > MAX_CHARS[fmt]:
        raise MoleculeError(
            f"{_FORMAT_NAMES[fmt]} {short!r}...: {size:,} characters, over the {MAX_CHARS[fmt]:,} limit for one molecule; "
            f"the chemistry tools take molecules of up to {MAX_ATOMS} heavy atoms"
        )
    Chem = _rdkit()
    if fmt == "inchi":
        mol = Chem.MolFromInchi(text.strip(), sanitize=True)
        if mol is None:
            raise MoleculeError(f"InChI {short!r}: could not be parsed (check the layers and the 'InChI=1S/' prefix)")
        return mol
    if fmt == "molblock":
        mol = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False)
        if mol is None:
            raise MoleculeError(f"mol block {short!r}: could not be parsed (malformed atom or bond lines)")
        heavy = sum(a.GetAtomicNum() != 1 for a in mol.GetAtoms())
        if heavy > MAX_ATOMS:
            raise MoleculeError(f"mol block {short!r}: {heavy:,} heavy atoms, over the {MAX_ATOMS} limit for one molecule")
        _sanitise(mol, f"mol block {short!r}")
        return Chem.MolFromMolBlock(text)
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        raise MoleculeError(f"SMILES {short!r}: syntax error (unbalanced brackets or rings, or an unknown atom symbol)")
    _sanitise(mol, f"SMILES {short!r}")
    # Re-parse the standard way: sanitised parsing also perceives stereo (E/Z bonds, CIP labels)
    # exactly as every other RDKit user gets it, so InChIKeys and canonical SMILES agree.
    return Chem.MolFromSmiles(smiles)


_FORMAT_NAMES = {"smiles": "SMILES", "inchi": "InChI", "molblock": "mol block"}


def canonical_smiles(mol: Any) -> str:
    return _rdkit().MolToSmiles(mol)


def murcko_scaffold(mol: Any) -> str:
    """The Bemis-Murcko scaffold as canonical SMILES ('' for acyclic molecules)."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    return _rdkit().MolToSmiles(MurckoScaffold.GetScaffoldForMol(mol))


# ----------------------------------------------------------------------------------- descriptors
class Descriptors(BaseModel):
    mw: float = Field(description="Average molecular weight (Da).")
    clogp: float = Field(description="Wildman-Crippen logP.")
    tpsa: float = Field(description="Topological polar surface area (A^2).")
    hbd: int = Field(description="H-bond donors (Lipinski definition).")
    hba: int = Field(description="H-bond acceptors (Lipinski definition).")
    rotatable_bonds: int
    heavy_atoms: int
    atoms: int = Field(description="All atoms including hydrogens (Ghose).")
    molar_refractivity: float = Field(description="Wildman-Crippen molar refractivity (Ghose).")
    qed: float = Field(description="Quantitative estimate of drug-likeness, 0..1.")
    sa_score: float = Field(description="Synthetic accessibility (Ertl & Schuffenhauer), 1 easy .. 10 hard.")


@functools.cache
def _sascorer() -> Any:
    """RDKit's Contrib ``sascorer`` module, loaded from RDConfig.RDContribDir (not on sys.path)."""
    from rdkit.Chem import RDConfig

    path = Path(RDConfig.RDContribDir) / "SA_Score" / "sascorer.py"
    if not path.is_file():
        raise RuntimeError(f"RDKit Contrib SA_Score not found at {path}; reinstall rdkit with its Contrib files")
    spec = importlib.util.spec_from_file_location("hypoforge_rdkit_sascorer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def descriptors(mol: Any) -> Descriptors:
    from rdkit.Chem import QED, Descriptors as D, Lipinski, rdMolDescriptors

    logp, mr = rdMolDescriptors.CalcCrippenDescriptors(mol)  # one pass for logP and MR
    heavy = mol.GetNumHeavyAtoms()
    return Descriptors(
        mw=round(D.MolWt(mol), 3),
        clogp=round(logp, 4),
        tpsa=round(rdMolDescriptors.CalcTPSA(mol), 2),
        hbd=Lipinski.NumHDonors(mol),
        hba=Lipinski.NumHAcceptors(mol),
        rotatable_bonds=rdMolDescriptors.CalcNumRotatableBonds(mol),
        heavy_atoms=heavy,
        atoms=heavy + sum(a.GetTotalNumHs() for a in mol.GetAtoms()),
        molar_refractivity=round(mr, 3),
        qed=round(QED.qed(mol), 4),
        sa_score=round(_sascorer().calculateScore(mol), 4),
    )


class RuleCheck(BaseModel):
    rule: Literal["lipinski", "veber", "ghose"]
    passed: bool
    violations: list[str]


def rule_checks(d: Descriptors) -> list[RuleCheck]:
    """Lipinski (at most one violation allowed), Veber and Ghose drug-likeness rules."""
    lip = [
        msg for bad, msg in (
            (d.mw > 500, f"MW {d.mw:.1f} > 500"),
            (d.clogp > 5, f"cLogP {d.clogp:.2f} > 5"),
            (d.hbd > 5, f"HBD {d.hbd} > 5"),
            (d.hba > 10, f"HBA {d.hba} > 10"),
        ) if bad
    ]
    veber = [
        msg for bad, msg in (
            (d.rotatable_bonds > 10, f"rotatable bonds {d.rotatable_bonds} > 10"),
            (d.tpsa > 140, f"TPSA {d.tpsa:.1f} > 140"),
        ) if bad
    ]
    ghose = [
        msg for bad, msg in (
            (not 160 <= d.mw <= 480, f"MW {d.mw:.1f} outside 160-480"),
            (not -0.4 <= d.clogp <= 5.6, f"cLogP {d.clogp:.2f} outside -0.4-5.6"),
            (not 40 <= d.molar_refractivity <= 130, f"molar refractivity {d.molar_refractivity:.1f} outside 40-130"),
            (not 20 <= d.atoms <= 70, f"atom count {d.atoms} outside 20-70"),
        ) if bad
    ]
    return [
        RuleCheck(rule="lipinski", passed=len(lip) <= 1, violations=lip),
        RuleCheck(rule="veber", passed=not veber, violations=veber),
        RuleCheck(rule="ghose", passed=not ghose, violations=ghose),
    ]


# -------------------------------------------------------------------------------------- alerts
class Alert(BaseModel):
    catalog: Literal["PAINS", "BRENK"]
    description: str


@functools.cache
def _filter_catalog(catalog: str) -> Any:
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, catalog))
    return FilterCatalog(params)


def structural_alerts(mol: Any) -> list[Alert]:
    """PAINS (A/B/C) and Brenk unwanted-substructure matches, from RDKit's FilterCatalog."""
    alerts = [
        Alert(catalog=catalog, description=entry.GetDescription())
        for catalog in ("PAINS", "BRENK")
        for entry in _filter_catalog(catalog).GetMatches(mol)
    ]
    return sorted(alerts, key=lambda a: (a.catalog, a.description))


# ---------------------------------------------------------------------------------- similarity
@functools.cache
def _morgan_generator() -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=MORGAN_BITS)


def morgan_fingerprint(mol: Any) -> Any:
    return _morgan_generator().GetFingerprint(mol)


class PanelEntry(BaseModel):
    name: str
    smiles: str
    cls: str = Field("", alias="class", serialization_alias="class")

    model_config = {"populate_by_name": True}


@dataclass(frozen=True)
class ReferencePanel:
    """Named reference molecules with precomputed Morgan fingerprints."""

    name: str
    entries: tuple[PanelEntry, ...]
    fingerprints: tuple[Any, ...]

    @classmethod
    def from_entries(cls, name: str, entries: Iterable[PanelEntry]) -> ReferencePanel:
        ents = tuple(entries)
        fps = []
        for e in ents:
            try:
                fps.append(morgan_fingerprint(parse_molecule(e.smiles, "smiles")))
            except MoleculeError as exc:
                raise MoleculeError(f"reference panel {name!r}, entry {e.name!r}: {exc}") from None
        return cls(name=name, entries=ents, fingerprints=tuple(fps))


def read_panel_file(path: Path) -> list[PanelEntry]:
    """A panel TSV: '#' comment lines, then a header with name, smiles and optional class."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    return [PanelEntry.model_validate(row) for row in csv.DictReader(lines, delimiter="\t")]


@functools.cache
def approved_structures() -> dict[str, str]:
    """Name (lower case) -> SMILES of the built-in panel of approved RA small molecules, whose
    structures tests/test_chemistry.py checks against the Drug Repurposing Hub."""
    return {e.name.lower(): e.smiles for e in read_panel_file(RA_PANEL_FILE)}


def approved_smiles(molecule: str) -> str:
    """``molecule`` as a structure: a panel drug's name ("Tofacitinib") becomes the panel's SMILES;
    anything else (SMILES, InChI, mol block) is returned as given. A name is resolved from the tested
    panel only, never written from a model's memory."""
    return approved_structures().get(molecule.strip().lower(), molecule)


# What makes a text about a molecule's chemistry, so that naming a panel drug calls for its structure:
# bench goal 9 asked which physicochemical properties let an oral JAK inhibitor reach effective
# exposure, and no chemistry tool applied (its records name tofacitinib, never its SMILES).
_CHEMISTRY = re.compile(
    r"physico-?chemical|lipophilic|\blog ?[PD]\b|solubil|permeab|polar surface|molecular (?:weight|mass|properties|structure)"
    r"|drug-?likeness|lipinski|oral (?:bioavailability|absorption|exposure)|bioavailab|chemical structure|scaffold|analogue|analog\b",
    re.IGNORECASE)


@functools.cache
def _approved_name() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, approved_structures())) + r")\b", re.IGNORECASE)


def names_approved_molecule(text: str) -> bool:
    """``text`` speaks of molecular chemistry and names a drug of the built-in panel."""
    return bool(_CHEMISTRY.search(text) and _approved_name().search(text))


def approved_molecules_named(text: str) -> list[str]:
    """The panel drugs ``text`` names (lower case), most often named first (then in order of first
    mention), when it speaks of molecular chemistry; none otherwise. Bench goal 9 (2026-11-30) asked
    about oral JAK inhibitors; its records first named methylprednisolone, methotrexate and
    leflunomide once each, and tofacitinib throughout."""
    if not _CHEMISTRY.search(text):
        return []
    counts = Counter(m.group(0).lower() for m in _approved_name().finditer(text))  # in order of first mention
    return sorted(counts, key=lambda name: -counts[name])  # stable: a tie keeps that order


def approved_name(smiles: str) -> str | None:
    """The panel drug whose structure ``smiles`` is, as written in the panel file (None if none is)."""
    return next((name for name, s in approved_structures().items() if s == smiles), None)


@functools.cache
def load_panel(name: str) -> ReferencePanel:
    """A built-in reference panel by name (see :data:`PANELS`)."""
    if name not in PANELS:
        raise ToolInputError(f"unknown reference panel {name!r}; choose one of: {', '.join(sorted(PANELS))}")
    return ReferencePanel.from_entries(name, read_panel_file(PANELS[name]))


class SimilarityHit(BaseModel):
    name: str
    smiles: str
    cls: str = Field("", serialization_alias="class")
    tanimoto: float


def similarity_search(mol: Any, panel: ReferencePanel, *, top_k: int = 5, min_similarity: float = 0.0) -> list[SimilarityHit]:
    """Panel members ranked by Morgan (r=2, 2048 bits) Tanimoto similarity to ``mol``."""
    from rdkit import DataStructs

    sims = DataStructs.BulkTanimotoSimilarity(morgan_fingerprint(mol), list(panel.fingerprints))
    ranked = sorted(zip(panel.entries, sims, strict=True), key=lambda p: (-p[1], p[0].name))
    return [
        SimilarityHit(name=e.name, smiles=e.smiles, cls=e.cls, tanimoto=round(s, 4))
        for e, s in ranked[:top_k] if s >= min_similarity
    ]


# ------------------------------------------------------------------------------------- profiles
class MoleculeReport(BaseModel):
    """Everything the suite computes for one molecule; ``error`` is set instead when it failed."""

    index: int = 0
    id: str = ""
    input: str = ""
    canonical_smiles: str | None = None
    inchikey: str | None = None
    formula: str | None = None
    descriptors: Descriptors | None = None
    rules: list[RuleCheck] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    scaffold: str | None = None
    error: str | None = None


def describe_profile(output: dict[str, Any]) -> str:
    """A :class:`MoleculeReport` (as JSON) in words: "tofacitinib (C16H20N6O): molecular weight 312.4
    Da, lipophilicity (cLogP) 1.54, topological polar surface area 88.9 A^2, ...". Only what was
    computed is said; a panel drug is named by the panel's name for its structure."""
    report = MoleculeReport.model_validate(output)
    if report.descriptors is None:
        return f"{report.input}: not profiled ({report.error or 'no descriptors'})"
    d = report.descriptors
    name = approved_name(report.input) or report.canonical_smiles or report.input
    passed = [r.rule.capitalize() for r in report.rules if r.passed]
    failed = [f"{r.rule.capitalize()} ({'; '.join(r.violations)})" for r in report.rules if not r.passed]
    rules = ("meets the " + ", ".join(passed) + " drug-likeness rules" if passed else "") + (
        ("; " if passed else "") + "fails " + ", ".join(failed) if failed else "")
    alerts = ", ".join(f"{a.catalog} {a.description}" for a in report.alerts) or "no PAINS or Brenk structural alerts"
    return (f"{name} ({report.formula}; RDKit, computed from its structure): molecular weight {d.mw:.1f} Da, "
            f"lipophilicity (cLogP) {d.clogp:.2f}, topological polar surface area {d.tpsa:.1f} A^2, "
            f"{d.hbd} hydrogen-bond donor{'s' if d.hbd != 1 else ''} and {d.hba} acceptor{'s' if d.hba != 1 else ''}, "
            f"{d.rotatable_bonds} rotatable bond{'s' if d.rotatable_bonds != 1 else ''}, drug-likeness (QED) {d.qed:.2f}; "
            f"{rules}; {alerts}.")


def profile(text: str, fmt: Format = "auto", *, index: int = 0, id: str = "", alerts: bool = True) -> MoleculeReport:
    """Parse and profile one molecule; raises :class:`MoleculeError` on bad input."""
    mol = parse_molecule(text, fmt)
    from rdkit.Chem import rdMolDescriptors

    Chem = _rdkit()
    d = descriptors(mol)
    return MoleculeReport(
        index=index,
        id=id,
        input=text if fmt != "molblock" and detect_format(text) != "molblock" else text.strip().splitlines()[0],
        canonical_smiles=canonical_smiles(mol),
        inchikey=Chem.MolToInchiKey(mol) or None,
        formula=rdMolDescriptors.CalcMolFormula(mol),
        descriptors=d,
        rules=rule_checks(d),
        alerts=structural_alerts(mol) if alerts else [],
        scaffold=murcko_scaffold(mol),
    )

