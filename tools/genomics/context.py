"""A small curated table of established rheumatoid-arthritis risk variants, reported as context.

None of these is actionable: no guideline changes treatment on them. The plan prints them under a
"context, not actionable" heading. Variants are matched by rsID only (VCF ID column or consumer
file), so no GRCh38 position is asserted here; GRCh37 positions are kept for checking against the
GWAS Catalog (tests/test_genomics_plan.py).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from pydantic import BaseModel


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
    text = resources.files("hypoforge.tools.genomics").joinpath("data/ra_context_variants.tsv").read_text("utf-8")
    return tuple(ContextVariant(**row) for row in csv.DictReader(io.StringIO(text), delimiter="\t"))  # type: ignore[arg-type]
