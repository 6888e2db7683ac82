"""HLA-DRB1 shared epitope from outside HLA typing.

The shared epitope is the residue 70-74 motif QKRAA, QRRAA or RRRAA of the DRB1 beta chain; DERAA
is not (it is reported as protective in the literature, but this tool only states SE status). The
motifs of common two-field alleles are an authored table (``data/drb1_shared_epitope.tsv``) that a
test checks residue by residue against IPD-IMGT/HLA protein sequences. An allele missing from the
table is reported as unknown, never guessed.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, Field

from hypoforge.errors import UserError
from hypoforge.tools.genomics.definitions import bundled_table

SHARED_EPITOPE_MOTIFS = frozenset({"QKRAA", "QRRAA", "RRRAA"})


class SharedEpitopeCall(BaseModel):
    alleles: list[str]
    motifs: list[str | None]
    copies: int | None = Field(description="0, 1 or 2 shared-epitope alleles; None if an allele's motif is unknown")
    status: str = Field(description="'positive', 'negative' or 'unknown'")
    source: str = "hypoforge DRB1 motif table (residues 70-74, checked against IPD-IMGT/HLA 3.58.0)"


@functools.cache
def load_motifs() -> dict[str, str]:
    return {r["allele"]: r["motif_70_74"] for r in bundled_table("drb1_shared_epitope.tsv")}


_ALLELE = re.compile(r"^(?:HLA-)?DRB1\*?(\d{2}):?(\d{2})")


def normalize_drb1(name: str) -> str:
    m = _ALLELE.match(name.strip().upper())
    if not m:
        raise UserError(f"HLA-DRB1 allele {name!r} is not in the form DRB1*04:01; fix the outside-calls file")
    return f"DRB1*{m.group(1)}:{m.group(2)}"


def shared_epitope(diplotype: str) -> SharedEpitopeCall:
    """SE status from a DRB1 diplotype such as 'DRB1*04:01/DRB1*15:01' or '*04:01/*15:01'."""
    parts = [p.strip() for p in diplotype.replace("+", "/").split("/") if p.strip()]
    if len(parts) != 2:
        raise UserError(f"HLA-DRB1 diplotype {diplotype!r} must name two alleles separated by '/'")
    alleles = [normalize_drb1(p if p.upper().startswith(("DRB1", "HLA")) else "DRB1" + p) for p in parts]
    table = load_motifs()
    motifs = [table.get(a) for a in alleles]
    if any(m is None for m in motifs):
        known = [m for m in motifs if m is not None]
        se = sum(m in SHARED_EPITOPE_MOTIFS for m in known)
        return SharedEpitopeCall(alleles=alleles, motifs=motifs, copies=None, status="positive" if se else "unknown")
    copies = sum(m in SHARED_EPITOPE_MOTIFS for m in motifs)  # type: ignore[misc]
    return SharedEpitopeCall(alleles=alleles, motifs=motifs, copies=copies, status="positive" if copies else "negative")
