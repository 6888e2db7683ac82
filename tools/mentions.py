"""Spotting a tool's input in free text: SMILES-like tokens, protein and nucleotide sequences.

The agents ask the LLM for tool calls only when some offered tool applies to the text at hand
(:meth:`hypoforge.tools.base.Tool.applies_to`): the chemistry tools need a molecule written out as
SMILES, the protein tools a sequence. A name ("baricitinib") is not a structure: a model asked for its
SMILES would write one from memory, which is invented data. The chemistry tools take the name of a drug
of their tested panel instead, and resolve it themselves (``tools.chemistry.core.approved_smiles``).
Plain numbers (PMIDs), gene and allele names (CYP2C9*3, HLA-DRB1*04:01) do not count.
"""

from __future__ import annotations

import re

_SMILES_CHARS = set("BCNOPSFIHclbrnops0123456789@+-[]()=#/\\.%")
_PROTEIN = re.compile(r"\b[ACDEFGHIKLMNPQRSTVWY]{20,}\b")
_NUCLEOTIDES = re.compile(r"\b(?:[ACGTU]{18,}|[acgtu]{18,})\b")


def _smiles_like(token: str) -> bool:
    if len(token) < 6 or not set(token) <= _SMILES_CHARS:
        return False
    atoms = sum(ch in "CNOSPFIcnops" for ch in token)
    structure = any(ch in "=#()[]" for ch in token) or re.search(r"[a-zA-Z]\d", token) is not None
    return atoms >= 3 and structure


def smiles_in(text: str) -> bool:
    """Whether ``text`` writes out a molecule as a SMILES-like token."""
    tokens = (t.strip(".,;:'\"") for t in re.split(r"[\s,;'\"]+", text))
    return any(_smiles_like(t) for t in tokens)


def protein_in(text: str) -> bool:
    """Whether ``text`` holds a run of 20 or more amino-acid letters."""
    return bool(_PROTEIN.search(text))


def nucleotides_in(text: str) -> bool:
    """Whether ``text`` holds a DNA or RNA run of 18 or more bases (six codons)."""
    return bool(_NUCLEOTIDES.search(text))
