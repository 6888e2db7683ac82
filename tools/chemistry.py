"""RDKit chemistry suite: parsing, descriptors, drug-likeness rules, structural alerts, scaffolds,
similarity search against reference panels, and batch screening with a process pool.

Design notes:

* Parsing never trusts RDKit's log output. A molecule is parsed unsanitised, then
  ``DetectChemistryProblems`` turns valence/aromaticity problems into a per-molecule message, so a
  batch can keep every error next to the item that caused it. :class:`MoleculeError` is a
  :class:`~hypoforge.tools.base.ToolInputError`: the registry reports it as ``bad_input``.
* Static reference data (FilterCatalogs, the Contrib SA-score fragment table, fingerprint
  generators, reference panels) is built lazily and cached per process with ``functools.cache``:
  immutable lookups, not clients, and each screening worker builds its own copy on first use.
* Batch screening sends plain strings to the workers (a SMILES, or one SDF record's mol block) and
  gets :class:`MoleculeReport` models back, so nothing RDKit-specific crosses process boundaries.
  Workers are forked where the platform allows, which also works from a source checkout that is
  not installed.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import itertools
import multiprocessing
import os
import re
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from hypoforge.tools.base import Tool, ToolInputError

DATA_DIR = Path(__file__).resolve().parent / "data"
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


# ------------------------------------------------------------------------------------ batch I/O
class BatchItem(BaseModel):
    index: int
    id: str
    text: str
    fmt: Format


def read_molecule_file(path: str | Path) -> Iterator[BatchItem]:
    """Items of a SMILES/CSV/SDF file, in file order; unreadable records still yield an item.

    ``.sdf``/``.sd``/``.mol``: records split on ``$$$$`` (id = title line). ``.csv``/``.tsv``: a header
    with a ``smiles`` column (any case) and optional ``id``/``name``. Anything else: one SMILES per
    line, optionally followed by whitespace and an id; blank and ``#`` lines are skipped.
    """
    p = Path(path)
    if not p.is_file():
        raise ToolInputError(f"molecule file {str(p)!r} not found; give a path to a .smi, .csv or .sdf file")
    suffix = p.suffix.lower()
    if suffix in {".sdf", ".sd", ".mol"}:
        block: list[str] = []
        n = 0
        with p.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip() == "$$$$":
                    text = "".join(block)
                    yield BatchItem(index=n, id=(block[0].strip() if block else "") or f"mol{n}", text=text, fmt="molblock")
                    n += 1
                    block = []
                else:
                    block.append(line)
        if "".join(block).strip():
            yield BatchItem(index=n, id=block[0].strip() or f"mol{n}", text="".join(block), fmt="molblock")
        return
    if suffix in {".csv", ".tsv"}:
        with p.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            fields = {f.lower(): f for f in reader.fieldnames or []}
            if "smiles" not in fields:
                raise ToolInputError(f"{str(p)!r}: no 'smiles' column in the header (found: {', '.join(fields) or 'none'})")
            id_col = fields.get("id") or fields.get("name")
            for n, row in enumerate(reader):
                smi = (row.get(fields["smiles"]) or "").strip()
                yield BatchItem(index=n, id=(row.get(id_col) or "").strip() if id_col else f"row{n + 1}", text=smi, fmt="smiles")
        return
    n = 0
    with p.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            smi, _, ident = s.partition(" ") if " " in s else s.partition("\t")
            yield BatchItem(index=n, id=ident.strip() or f"mol{n}", text=smi.strip(), fmt="smiles")
            n += 1


def profile_item(item: BatchItem) -> MoleculeReport:
    """Profile one batch item, catching its error so the batch goes on (runs in workers)."""
    try:
        return profile(item.text, item.fmt, index=item.index, id=item.id)
    except ToolInputError as exc:
        return MoleculeReport(index=item.index, id=item.id, input=item.text[:200], error=str(exc))
    except Exception as exc:  # noqa: BLE001 - an RDKit crash on one molecule must not stop a batch
        return MoleculeReport(index=item.index, id=item.id, input=item.text[:200], error=f"{type(exc).__name__}: {exc}")


def _pool_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def screen(items: Iterable[BatchItem], *, workers: int = 1, progress: bool = False, chunksize: int = 32) -> list[MoleculeReport]:
    """Profile every item, in input order, with ``workers`` processes (1 = in this process).

    A Rich progress bar on stderr shows molecules done when ``progress`` is true.
    """
    batch = list(items)
    results: list[MoleculeReport] = []
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("screen", total=len(batch))
    try:
        if workers <= 1:
            mapped: Iterator[MoleculeReport] = map(profile_item, batch)
            pool = None
        else:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
            mapped = pool.map(profile_item, batch, chunksize=max(1, chunksize))
        try:
            for rep in mapped:
                results.append(rep)
                if bar is not None:
                    bar.advance(task)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    finally:
        if bar is not None:
            bar.stop()
    return results


def write_jsonl_atomic(path: Path, rows: Iterable[BaseModel]) -> None:
    from hypoforge.files import atomic_writer

    with atomic_writer(path) as fh:
        for row in rows:
            fh.write(row.model_dump_json(by_alias=True) + "\n")


# ----------------------------------------------------------------------------------------- tools
class MoleculeInput(BaseModel):
    molecule: str = Field(min_length=1, description="A SMILES string, an InChI ('InChI=1S/...') or an MDL mol block.")


class _RDKitTool(Tool):
    """Single-molecule RDKit tools: each call runs in a forked worker that the timeout can stop
    (RDKit is native code a thread cannot interrupt). ``setup()`` builds the cached static data in
    the parent first, so every worker inherits it instead of rebuilding it (about 2 s) per call."""

    timeout_s = 30.0
    isolate = True

    def setup(self) -> None:
        profile("c1ccccc1O")  # filter catalogs, the SA-score fragment table, descriptor modules
        similarity_search(parse_molecule("c1ccccc1O"), load_panel("ra_approved"), top_k=1)


class DescribeTool(_RDKitTool):
    name = "chem.describe"
    description = (
        "Profile one small molecule: canonical SMILES, InChIKey, formula, descriptors (MW, cLogP, TPSA, "
        "HBD/HBA, rotatable bonds, QED, SA score), Lipinski/Veber/Ghose checks, PAINS/Brenk alerts and "
        "Murcko scaffold."
    )
    version = "1.0"
    Input = MoleculeInput
    Output = MoleculeReport

    def run(self, inp: MoleculeInput) -> MoleculeReport:
        return profile(inp.molecule)


class FiltersOutput(BaseModel):
    canonical_smiles: str
    alerts: list[Alert]
    pains: int
    brenk: int
    rules: list[RuleCheck]


class FiltersTool(_RDKitTool):
    name = "chem.filters"
    description = (
        "Drug-likeness and liability filters for one molecule: Lipinski, Veber and Ghose rules plus PAINS "
        "and Brenk structural alerts."
    )
    version = "1.0"
    Input = MoleculeInput
    Output = FiltersOutput

    def run(self, inp: MoleculeInput) -> FiltersOutput:
        mol = parse_molecule(inp.molecule)
        alerts = structural_alerts(mol)
        return FiltersOutput(
            canonical_smiles=canonical_smiles(mol),
            alerts=alerts,
            pains=sum(a.catalog == "PAINS" for a in alerts),
            brenk=sum(a.catalog == "BRENK" for a in alerts),
            rules=rule_checks(descriptors(mol)),
        )


class SimilarityInput(BaseModel):
    molecule: str = Field(min_length=1, description="Query molecule (SMILES, InChI or mol block).")
    panel: str = Field("ra_approved", description="Built-in reference panel: 'ra_approved' (approved RA small molecules).")
    references: list[PanelEntry] | None = Field(
        None, description="Optional custom panel [{name, smiles, class}] used instead of the built-in one."
    )
    top_k: int = Field(5, ge=1, le=100)
    min_similarity: float = Field(0.0, ge=0.0, le=1.0)


class SimilarityOutput(BaseModel):
    query: str
    panel: str
    fingerprint: str = f"Morgan r={MORGAN_RADIUS} {MORGAN_BITS} bits, Tanimoto"
    hits: list[SimilarityHit]


class SimilarityTool(_RDKitTool):
    name = "chem.similarity"
    description = (
        "Rank reference molecules by Morgan-fingerprint Tanimoto similarity to a query; default panel: "
        "approved rheumatoid-arthritis small molecules (csDMARDs, JAK inhibitors, glucocorticoids, NSAIDs)."
    )
    version = "1.0"
    Input = SimilarityInput
    Output = SimilarityOutput

    def run(self, inp: SimilarityInput) -> SimilarityOutput:
        mol = parse_molecule(inp.molecule)
        if inp.references:
            panel = ReferencePanel.from_entries("custom", inp.references)
        else:
            panel = load_panel(inp.panel)
        hits = similarity_search(mol, panel, top_k=inp.top_k, min_similarity=inp.min_similarity)
        return SimilarityOutput(query=canonical_smiles(mol), panel=panel.name, hits=hits)


class ScreenInput(BaseModel):
    path: str | None = Field(None, min_length=1, description="A .smi/.txt (SMILES [id] per line), .csv/.tsv (smiles column) or .sdf file.")
    molecules: list[str] | None = Field(None, min_length=1, max_length=10000, description="SMILES/InChI strings to screen instead of a file.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes.")
    limit: int | None = Field(None, ge=1, description="Screen only the first N molecules.")
    output: str | None = Field(None, description="Optional JSONL file receiving every per-molecule report.")
    max_rows: int = Field(20, ge=0, le=1000, description="Per-molecule reports returned inline.")

    @model_validator(mode="after")
    def _one_source(self) -> ScreenInput:
        if (self.path is None) == (self.molecules is None):
            raise ValueError("give exactly one of 'path' (a molecule file) or 'molecules' (a list of SMILES)")
        return self

    @field_validator("workers")
    @classmethod
    def _cap_workers(cls, v: int) -> int:
        return min(v, os.cpu_count() or 1)


class ScreenOutput(BaseModel):
    total: int
    ok: int
    errors: int
    lipinski_pass: int
    veber_pass: int
    ghose_pass: int
    with_pains: int
    with_brenk: int
    mean_qed: float | None
    error_items: list[MoleculeReport] = Field(description="Up to 50 failed items with their messages.")
    rows: list[MoleculeReport]
    output: str | None = None


def summarise(reports: list[MoleculeReport], *, max_rows: int = 20, output: str | None = None) -> ScreenOutput:
    ok = [r for r in reports if r.error is None]

    def passed(rule: str) -> int:
        return sum(any(c.rule == rule and c.passed for c in r.rules) for r in ok)

    qeds = [r.descriptors.qed for r in ok if r.descriptors]
    return ScreenOutput(
        total=len(reports),
        ok=len(ok),
        errors=len(reports) - len(ok),
        lipinski_pass=passed("lipinski"),
        veber_pass=passed("veber"),
        ghose_pass=passed("ghose"),
        with_pains=sum(any(a.catalog == "PAINS" for a in r.alerts) for r in ok),
        with_brenk=sum(any(a.catalog == "BRENK" for a in r.alerts) for r in ok),
        mean_qed=round(sum(qeds) / len(qeds), 4) if qeds else None,
        error_items=[r for r in reports if r.error is not None][:50],
        rows=reports[:max_rows],
        output=output,
    )


class ScreenTool(Tool):
    name = "chem.screen"
    agent_callable = False  # reads files from disk: run by users, not requested by the LLM
    description = (
        "Batch-screen a SMILES/CSV/SDF file: per-molecule descriptors, rule checks and alerts with parallel "
        "workers; failed molecules are reported individually and the batch goes on."
    )
    version = "1.0"
    timeout_s = 1800.0
    Input = ScreenInput
    Output = ScreenOutput

    def run(self, inp: ScreenInput) -> ScreenOutput:
        if inp.molecules is not None:
            items: Iterable[BatchItem] = [
                BatchItem(index=i, id=f"mol{i}", text=m, fmt="auto") for i, m in enumerate(inp.molecules)
            ]
        else:
            assert inp.path is not None
            items = read_molecule_file(inp.path)
        if inp.limit is not None:
            items = itertools.islice(items, inp.limit)  # indices run 0, 1, ...: stop reading at the limit
        reports = screen(items, workers=inp.workers, progress=sys.stderr.isatty())
        if inp.output:
            write_jsonl_atomic(Path(inp.output), reports)
        return summarise(reports, max_rows=inp.max_rows, output=inp.output)


__all__ = [
    "Alert", "BatchItem", "Descriptors", "DescribeTool", "FiltersTool", "MoleculeError", "MoleculeReport",
    "ReferencePanel", "RuleCheck", "ScreenTool", "SimilarityTool", "canonical_smiles", "descriptors",
    "load_panel", "murcko_scaffold", "parse_molecule", "profile", "profile_item", "read_molecule_file",
    "rule_checks", "screen", "similarity_search", "structural_alerts", "summarise",
]

