"""Agent-facing tool wrapper: genotype file (+ optional clinical YAML) -> treatment plan."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from hypoforge.tools.base import Tool


class GenomicsPlanInput(BaseModel):
    vcf: str = Field(description="path of a GRCh38 VCF/BCF or 23andMe/AncestryDNA file")
    sample: str | None = None
    outside_calls: str | None = Field(default=None, description="TSV of gene<TAB>diplotype")
    clinical: str | None = Field(default=None, description="clinical YAML path")


class GenomicsPlanOutput(BaseModel):
    plan: dict[str, object]
    summary: list[str]


class GenomicsPlanTool(Tool):
    """Runs locally only (patient data never leaves the machine): no ``network`` need."""

    name: ClassVar[str] = "genomics.plan"
    description: ClassVar[str] = (
        "Personalised RA treatment plan from a patient's genotype: TPMT/NUDT15/CYP2C9/CYP2C19 star alleles and G6PD, "
        "CPIC-based drug adjustments, HLA-DRB1 shared epitope from outside calls, clinical contraindications."
    )
    Input: ClassVar[type[BaseModel]] = GenomicsPlanInput
    Output: ClassVar[type[BaseModel]] = GenomicsPlanOutput
    timeout_s: ClassVar[float] = 60.0
    agent_callable: ClassVar[bool] = False  # patient files are passed by the user (--patient), never by an LLM

    def run(self, inp: GenomicsPlanInput) -> GenomicsPlanOutput:
        from hypoforge.tools.genomics.service import make_plan

        plan = make_plan(inp.vcf, inp.sample, inp.outside_calls, inp.clinical)
        summary = [f"{c.gene} {c.diplotype or 'no call'}: {c.phenotype}" for c in plan.gene_calls]
        summary += [f"{r.drug}: {r.action}" for r in plan.drugs if r.action in ("avoid", "adjust")]
        return GenomicsPlanOutput(plan=plan.model_dump(mode="json"), summary=summary)
