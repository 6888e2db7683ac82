"""A patient in the loop: genotype findings as cited evidence, with privacy by default.

``hypoforge run GOAL --patient VCF [--clinical YAML]`` runs the genomics tool (``genomics.plan``)
locally before the loop starts. Its result becomes an evidence entry (``TOOL:genomics.plan:...``)
that the agents read in their shared prompt and cite in personalised hypotheses; the full plan
stays in the run's tool results and the report.

Privacy: genotype and clinical data never leave the machine. When the LLM is an endpoint
(``llm.remote``), the patient's findings are kept out of every prompt unless the user passes
``--allow-remote-patient-data``; the run then proceeds without them and says so in its plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hypoforge.agents.deps import Deps
from hypoforge.agents.models import Evidence
from hypoforge.errors import UserError

WITHHELD = "patient data withheld from the remote model (pass --allow-remote-patient-data to include it)"


class PatientInput(BaseModel):
    vcf: Path
    sample: str | None = None
    clinical: Path | None = None
    outside_calls: Path | None = None
    allow_remote: bool = False


def patient_state(patient: PatientInput, deps: Deps) -> dict[str, Any]:
    """Run the genomics tool and return the initial-state entries for the patient."""
    if deps.tools is None or "genomics.plan" not in deps.tools:
        raise UserError("patient analysis is not available: the genomics.plan tool is not installed")
    args = {
        "vcf": str(patient.vcf),
        "sample": patient.sample,
        "clinical": str(patient.clinical) if patient.clinical else None,
        "outside_calls": str(patient.outside_calls) if patient.outside_calls else None,
    }
    res = deps.tools.call("genomics.plan", args)
    if not res.ok:
        raise UserError(f"patient analysis failed: {res.error}")
    out: dict[str, Any] = {"tool_results": {res.id: res.model_dump(mode="json")}}
    if deps.llm.remote and not patient.allow_remote:
        out["constraints"] = [WITHHELD]
        return out
    summary = "; ".join(res.output.get("summary", [])) if res.output else ""
    out["evidence"] = {
        res.id: Evidence(
            key=res.id, title="This patient's genotype and treatment-plan findings (genomics.plan)",
            passage=summary[:700] or "no actionable findings", bearing=(summary or "no actionable findings")[:300],
        ).model_dump(mode="json")
    }
    out["constraints"] = [f"personalise hypotheses to this patient's findings and cite {res.id}"]
    return out
