"""RDKit chemistry suite, in three modules:

* :mod:`.core`: parsing (SMILES, InChI, mol blocks, with size caps checked before RDKit), descriptors,
  drug-likeness rules, structural alerts, scaffolds, reference panels and similarity, the
  per-molecule :func:`profile`;
* :mod:`.screen`: batch screening (molecule files read as items, a process pool, JSONL output,
  summaries);
* :mod:`.tools`: the four tools, ``chem.describe``/``chem.filters``/``chem.similarity`` (each call in
  a forked worker, ``isolate``) and ``chem.screen``.

The public names are re-exported here, so ``from hypoforge.tools.chemistry import profile`` works.
"""

from __future__ import annotations

from hypoforge.tools.chemistry.core import (
    Alert,
    Descriptors,
    MoleculeError,
    MoleculeReport,
    ReferencePanel,
    RuleCheck,
    canonical_smiles,
    descriptors,
    load_panel,
    murcko_scaffold,
    parse_molecule,
    profile,
    rule_checks,
    similarity_search,
    structural_alerts,
)
from hypoforge.tools.chemistry.screen import BatchItem, profile_item, read_molecule_file, screen, summarise
from hypoforge.tools.chemistry.tools import DescribeTool, FiltersTool, ScreenTool, SimilarityTool

__all__ = [
    "Alert", "BatchItem", "Descriptors", "DescribeTool", "FiltersTool", "MoleculeError", "MoleculeReport",
    "ReferencePanel", "RuleCheck", "ScreenTool", "SimilarityTool", "canonical_smiles", "descriptors",
    "load_panel", "murcko_scaffold", "parse_molecule", "profile", "profile_item", "read_molecule_file",
    "rule_checks", "screen", "similarity_search", "structural_alerts", "summarise",
]
