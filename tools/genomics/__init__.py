"""Pharmacogenomics for personalised rheumatoid-arthritis treatment plans.

Public functions: :func:`read_genotypes` (VCF/BCF or consumer file -> SampleGenotypes),
:func:`call_star_alleles` (-> GeneCall), :func:`build_plan` (-> TreatmentPlan). Imports are lazy
so that ``hypoforge --help`` never loads cyvcf2.
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_genotypes", "call_star_alleles", "build_plan"]


def __getattr__(name: str) -> Any:
    if name == "read_genotypes":
        from hypoforge.tools.genomics.genotypes import read_genotypes

        return read_genotypes
    if name == "call_star_alleles":
        from hypoforge.tools.genomics.calling import call_star_alleles

        return call_star_alleles
    if name == "build_plan":
        from hypoforge.tools.genomics.plan import build_plan

        return build_plan
    raise AttributeError(name)
