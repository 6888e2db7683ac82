"""A minimal, real Hypoforge tool plugin: the net charge of a peptide at a given pH.

Henderson-Hasselbalch over the ionisable groups (free N- and C-terminus, side chains of D, E, C, Y,
H, K, R) with the EMBOSS pKa set. Small on purpose: it shows the whole contract (name,
description, Input/Output models, run, version, timeout) and nothing else.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from hypoforge.tools.base import Tool, ToolInputError

__version__ = "0.1.0"

# EMBOSS iep pKa values.
POSITIVE = {"Nterm": 8.6, "K": 10.8, "R": 12.5, "H": 6.5}
NEGATIVE = {"Cterm": 3.6, "D": 3.9, "E": 4.1, "C": 8.5, "Y": 10.1}
AMINO_ACIDS = set("ACDEFGHIKLMNPQRSTVWY")


class ChargeInput(BaseModel):
    sequence: str = Field(min_length=1, description="Peptide sequence, one-letter amino-acid codes.")
    ph: float = Field(7.4, ge=0.0, le=14.0, description="pH at which to compute the charge.")


class ChargeOutput(BaseModel):
    sequence: str
    ph: float
    net_charge: float = Field(description="Expected net charge (elementary charges).")
    positive_residues: int = Field(description="Count of K, R and H.")
    negative_residues: int = Field(description="Count of D and E.")


def net_charge(sequence: str, ph: float) -> float:
    counts = {aa: sequence.count(aa) for aa in "KRHDECY"}
    counts["Nterm"] = counts["Cterm"] = 1
    pos = sum(counts[g] / (1 + 10 ** (ph - pka)) for g, pka in POSITIVE.items())
    neg = sum(counts[g] / (1 + 10 ** (pka - ph)) for g, pka in NEGATIVE.items())
    return pos - neg


class PeptideChargeTool(Tool):
    name = "peptide.net_charge"
    description = "Net charge of a peptide at a given pH (Henderson-Hasselbalch, EMBOSS pKa values)."
    version = __version__
    timeout_s = 5.0
    Input = ChargeInput
    Output = ChargeOutput

    def run(self, inp: ChargeInput) -> ChargeOutput:
        seq = "".join(inp.sequence.split()).upper()
        bad = sorted(set(seq) - AMINO_ACIDS)
        if bad:
            raise ToolInputError(f"sequence has non-amino-acid letter(s) {', '.join(bad)}; use the 20 standard one-letter codes")
        return ChargeOutput(
            sequence=seq,
            ph=inp.ph,
            net_charge=round(net_charge(seq, inp.ph), 3),
            positive_residues=sum(seq.count(a) for a in "KRH"),
            negative_residues=sum(seq.count(a) for a in "DE"),
        )
