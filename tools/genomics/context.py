"""A small curated table of established rheumatoid-arthritis risk variants, reported as context.

None of these is actionable: no guideline changes treatment on them. The plan prints them under a
"context, not actionable" heading. Variants are matched by rsID only (VCF ID column or consumer
file), so no GRCh38 position is asserted here; GRCh37 positions are kept for checking against the
GWAS Catalog (tests/test_genomics_plan.py).
"""

from __future__ import annotations

import functools

from pydantic import BaseModel

from hypoforge.tools.genomics.definitions import bundled_table


class ContextVariant(BaseModel):
    rsid: str
    gene: str
    trait: str
    grch37_chrom: str
    grch37_pos: int
    note: str
    source: str


@functools.cache
def load_context_variants() -> tuple[ContextVariant, ...]:
    return tuple(ContextVariant(**row) for row in bundled_table("ra_context_variants.tsv"))  # type: ignore[arg-type]
