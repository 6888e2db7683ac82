"""The chemistry tools: ``chem.describe``, ``chem.filters``, ``chem.similarity`` (one molecule each,
isolated in a forked worker) and ``chem.screen`` (a file or list, with a process pool)."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from hypoforge.tools.base import Tool
from hypoforge.tools.mentions import smiles_in
from hypoforge.tools.chemistry.core import (
    MORGAN_BITS,
    MORGAN_RADIUS,
    Alert,
    MoleculeReport,
    PanelEntry,
    ReferencePanel,
    RuleCheck,
    approved_molecules_named,
    approved_smiles,
    describe_profile,
    SimilarityHit,
    canonical_smiles,
    descriptors,
    load_panel,
    names_approved_molecule,
    parse_molecule,
    profile,
    rule_checks,
    similarity_search,
    structural_alerts,
)
from hypoforge.tools.chemistry.screen import BatchItem, ScreenOutput, read_molecule_file, screen, summarise, write_jsonl_atomic

STANDARD_CALLS = 3  # panel drugs profiled on a chemistry text without asking the LLM

_MOLECULE = ("A SMILES string, an InChI ('InChI=1S/...'), an MDL mol block, or the name of an approved RA small molecule "
             "of the built-in panel ('tofacitinib'), whose tested structure is used.")


# A molecule as an input: a panel drug's name becomes the panel's tested structure (approved_smiles).
PanelMolecule = Annotated[str, Field(min_length=1, description=_MOLECULE), AfterValidator(approved_smiles)]


class MoleculeInput(BaseModel):
    molecule: PanelMolecule


class _RDKitTool(Tool):
    """Single-molecule RDKit tools: each call runs in a forked worker that the timeout can stop
    (RDKit is native code a thread cannot interrupt). ``setup()`` builds the cached static data in
    the parent first, so every worker inherits it instead of rebuilding it (about 2 s) per call."""

    timeout_s: ClassVar[float] = 30.0
    isolate: ClassVar[bool] = True

    def applies_to(self, text: str) -> bool:
        """A molecule written out, or a panel drug named where the text speaks of its chemistry."""
        return smiles_in(text) or names_approved_molecule(text)

    def setup(self) -> None:
        profile("c1ccccc1O")  # filter catalogs, the SA-score fragment table, descriptor modules
        similarity_search(parse_molecule("c1ccccc1O"), load_panel("ra_approved"), top_k=1)


class DescribeTool(_RDKitTool):
    name: ClassVar[str] = "chem.describe"
    description: ClassVar[str] = (
        "Profile one small molecule: canonical SMILES, InChIKey, formula, descriptors (MW, cLogP, TPSA, "
        "HBD/HBA, rotatable bonds, QED, SA score), Lipinski/Veber/Ghose checks, PAINS/Brenk alerts and "
        "Murcko scaffold. The molecule is a SMILES or the name of an approved RA small molecule (methotrexate, "
        "tofacitinib, baricitinib, upadacitinib, celecoxib...)."
    )
    version: ClassVar[str] = "1.0"
    Input: ClassVar[type[BaseModel]] = MoleculeInput
    Output: ClassVar[type[BaseModel]] = MoleculeReport

    def run(self, inp: MoleculeInput) -> MoleculeReport:
        return profile(inp.molecule)

    def standard_calls(self, text: str) -> list[dict]:
        """Each panel drug a text about molecular chemistry names (at most :data:`STANDARD_CALLS`)."""
        return [{"molecule": name} for name in approved_molecules_named(text)[:STANDARD_CALLS]]

    def summarise(self, output: dict) -> str:
        """The profile as a sentence with the usual words for each property, so a hypothesis built on
        it names them as its evidence does (a grounded step cites "polar surface area", not "tpsa")."""
        return describe_profile(output)


class FiltersOutput(BaseModel):
    canonical_smiles: str
    alerts: list[Alert]
    pains: int
    brenk: int
    rules: list[RuleCheck]


class FiltersTool(_RDKitTool):
    name: ClassVar[str] = "chem.filters"
    description: ClassVar[str] = (
        "Drug-likeness and liability filters for one molecule: Lipinski, Veber and Ghose rules plus PAINS "
        "and Brenk structural alerts."
    )
    version: ClassVar[str] = "1.0"
    Input: ClassVar[type[BaseModel]] = MoleculeInput
    Output: ClassVar[type[BaseModel]] = FiltersOutput

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
    molecule: PanelMolecule
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
    name: ClassVar[str] = "chem.similarity"
    description: ClassVar[str] = (
        "Rank reference molecules by Morgan-fingerprint Tanimoto similarity to a query; default panel: "
        "approved rheumatoid-arthritis small molecules (csDMARDs, JAK inhibitors, glucocorticoids, NSAIDs)."
    )
    version: ClassVar[str] = "1.0"
    Input: ClassVar[type[BaseModel]] = SimilarityInput
    Output: ClassVar[type[BaseModel]] = SimilarityOutput

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


class ScreenTool(Tool):
    name: ClassVar[str] = "chem.screen"
    agent_callable: ClassVar[bool] = False  # reads files from disk: run by users, not requested by the LLM
    description: ClassVar[str] = (
        "Batch-screen a SMILES/CSV/SDF file: per-molecule descriptors, rule checks and alerts with parallel "
        "workers; failed molecules are reported individually and the batch goes on."
    )
    version: ClassVar[str] = "1.0"
    timeout_s: ClassVar[float] = 1800.0
    Input: ClassVar[type[BaseModel]] = ScreenInput
    Output: ClassVar[type[BaseModel]] = ScreenOutput

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
