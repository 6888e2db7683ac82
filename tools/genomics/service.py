"""One entry point shared by the CLI and the tool wrapper: file(s) in, plan out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypoforge.errors import UserError
from hypoforge.files import write_atomic
from hypoforge.tools.genomics.calling import Sex, call_from_outside, call_star_alleles
from hypoforge.tools.genomics.clinical import load_clinical
from hypoforge.tools.genomics.definitions import SUPPORTED_GENES
from hypoforge.tools.genomics.genotypes import read_genotypes
from hypoforge.tools.genomics.models import GeneCall, SampleGenotypes
from hypoforge.tools.genomics.plan import (
    OutsideCall,
    TreatmentPlan,
    build_plan,
    render_markdown,
)


def genotype_report(
    path: str | Path, sample: str | None = None, sex: Sex | None = None
) -> tuple[SampleGenotypes, list[GeneCall]]:
    """Read one person's genotypes and call every supported gene; ``sex`` decides X-linked calls."""
    g = read_genotypes(path, sample=sample)
    return g, [call_star_alleles(g, gene, sex=sex) for gene in SUPPORTED_GENES]


def genotype_json(g: SampleGenotypes, calls: list[GeneCall]) -> dict[str, object]:
    return {"sample": g.sample, "genes": [
        {"gene": c.gene, "diplotype": c.diplotype, "phenotype": c.phenotype, "activity_score": c.activity_score,
         "ambiguous": c.ambiguous, "missing_positions": c.missing_positions} for c in calls]}


def load_outside_calls(path: str | Path) -> list[OutsideCall]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such outside-calls TSV")
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    if rows and [x.strip().lower() for x in rows[0][:2]] == ["gene", "diplotype"]:
        rows = rows[1:]
    seen: set[str] = set()
    for i, r in enumerate(rows, start=1):
        if len(r) != 2 or not r[0].strip() or "/" not in r[1]:
            raise UserError(f"{path}: row {i} must be 'gene<TAB>diplotype' (e.g. HLA-DRB1\tDRB1*04:01/DRB1*15:01)")
        gene, dip = r[0].strip(), r[1].strip()
        key = gene.upper().replace("HLA-", "")
        if key in seen:
            raise UserError(f"{path}: row {i}: a second call for {gene}; give one row per gene")
        seen.add(key)
        if key in SUPPORTED_GENES:
            try:
                call_from_outside(key, dip)
            except ValueError as exc:
                raise UserError(f"{path}: row {i}: {exc}; use the allele names of the CPIC definitions") from exc
        out.append(OutsideCall(gene=gene, diplotype=dip))
    return out


def make_plan(vcf: str | Path, sample: str | None = None, outside_calls: str | Path | None = None,
              clinical: str | Path | None = None) -> TreatmentPlan:
    """Validate every input before any work, so bad input never yields a partial plan."""
    clin = load_clinical(clinical) if clinical else None
    oc = load_outside_calls(outside_calls) if outside_calls else []
    g, calls = genotype_report(vcf, sample, sex=clin.sex if clin else None)
    return build_plan(calls, clinical=clin, outside_calls=oc, genotypes=g)


def write_plan(plan: TreatmentPlan, out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "plan.md", out / "plan.json"
    write_atomic(js, json.dumps(plan.model_dump(mode="json"), indent=2) + "\n")
    write_atomic(md, render_markdown(plan))
    return md, js
