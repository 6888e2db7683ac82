"""Evidence-graded RA treatment plan from gene calls, outside calls and clinical facts.

Structure follows the 2021 ACR RA guideline (treat to target; methotrexate first-line csDMARD
unless contraindicated; escalation to bDMARD/tsDMARD). Pharmacogenomic adjustments use CPIC
recommendation text *verbatim* from pypgx's recommendation table, with CPIC level, PharmGKB level
and PMIDs from pypgx's CPIC table: this module writes no dose of its own. Where the table cannot
give the right text (CYP2C9 activity score 1.0, whose CPIC advice differs from 1.5 while pypgx keys
by phenotype only) the plan says so and points to the guideline instead of guessing. pypgx has
no G6PD recommendations, so the CPIC G6PD rows for hydroxychloroquine and sulfasalazine are read
from ``data/cpic_g6pd_recommendations.tsv`` (verbatim CPIC text, checked against CPIC's table by a
test). A G6PD call whose alternatives differ in phenotype is treated as CPIC's "Indeterminate".
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, Field

from hypoforge.tools.genomics.clinical import Clinical
from hypoforge.tools.genomics.definitions import bundled_table, read_table
from hypoforge.tools.genomics.hla import SharedEpitopeCall
from hypoforge.tools.genomics.models import GeneCall, SampleGenotypes

DISCLAIMER = (
    "For research use only. Not medical advice: treatment decisions belong to the treating clinician, "
    "with confirmatory clinical genotyping where results are to be acted on."
)
ACR = "ACR 2021 guideline for the treatment of rheumatoid arthritis (Fraenkel et al., Arthritis Care Res 2021)"
NSAIDS = ("celecoxib", "ibuprofen", "flurbiprofen", "meloxicam", "piroxicam", "lornoxicam", "tenoxicam")


class Evidence(BaseModel):
    source: str
    strength: str | None = None
    pmids: list[str] = Field(default_factory=list)
    rationale: str
    facts: list[str] = Field(default_factory=list, description="genotype or clinical facts the item rests on")


class Recommendation(BaseModel):
    drug: str
    action: Literal["standard", "adjust", "avoid", "caution", "screen", "review", "context"]
    text: str
    evidence: Evidence


class PlanStep(BaseModel):
    step: str
    text: str
    evidence: Evidence


class OutsideCall(BaseModel):
    gene: str
    diplotype: str


class ContextFinding(BaseModel):
    rsid: str
    gene: str
    trait: str
    genotype: str | None
    label: str = "context only, not actionable"
    source: str


class TreatmentPlan(BaseModel):
    sample: str
    disclaimer: str = DISCLAIMER
    gene_calls: list[GeneCall]
    outside_calls: list[OutsideCall] = Field(default_factory=list)
    shared_epitope: SharedEpitopeCall | None = None
    steps: list[PlanStep]
    drugs: list[Recommendation]
    not_actionable: list[Recommendation]
    context: list[ContextFinding] = Field(default_factory=list)
    clinical: Clinical | None = None

    def drug(self, name: str) -> Recommendation:
        return next(r for r in self.drugs if r.drug == name)


def _cpic_meta(drug: str, gene: str) -> tuple[str | None, list[str], str | None]:
    for r in read_table("cpic-table.csv"):
        if r["Drug"] == drug and r["Gene"] == gene:
            pmids = [p for p in r["PMID"].split(";") if p.strip()]
            level = f"CPIC level {r['CPICLevel']} ({r['CPICLevelStatus']})"
            if r["PharmGKBLevel"]:
                level += f"; PharmGKB level {r['PharmGKBLevel']}"
            return level, pmids, r["Guideline"] or None
    return None, [], None


def _cpic_text(drug: str, g1: str, p1: str, g2: str = "None", p2: str = "None") -> str | None:
    for r in read_table("recommendation-table.csv"):
        if r["Drug"] == drug and r["Gene1"] == g1 and r["Phenotype1"] == p1 and r["Gene2"] == g2 and r["Phenotype2"] == p2:
            return None if r["Recommendation"] in ("None", "") else r["Recommendation"]
    return None


class G6PDRecommendation(BaseModel):
    drug: str
    phenotype: str
    classification: str
    implication: str
    recommendation: str
    comments: str = ""


@functools.cache
def g6pd_recommendations() -> dict[tuple[str, str], G6PDRecommendation]:
    """(drug, CPIC G6PD phenotype) -> CPIC recommendation, from the bundled verbatim table."""
    return {(r["drug"], r["phenotype"]): G6PDRecommendation(**r) for r in bundled_table("cpic_g6pd_recommendations.tsv")}


_G6PD_ACTION = {"Normal": "standard", "Deficient": "standard", "Variable": "standard",
                "Deficient with CNSHA": "caution", "Indeterminate": "review"}


def _g6pd_recommendations(g6pd: GeneCall | None) -> list[Recommendation]:
    out: list[Recommendation] = []
    for drug in ("hydroxychloroquine", "sulfasalazine"):
        level, pmids, _ = _cpic_meta(drug, "G6PD")
        if g6pd is None or g6pd.phenotype == "Not genotyped":
            out.append(Recommendation(drug=drug, action="review", text=(
                "G6PD was not genotyped in this file. The CPIC G6PD guideline covers this drug: determine G6PD "
                "status per that guideline."), evidence=Evidence(
                source="CPIC guideline for G6PD", strength=level, pmids=pmids,
                rationale="G6PD deficiency and haemolysis risk", facts=["G6PD: not genotyped"])))
            continue
        settled = g6pd.diplotype is not None and g6pd.confidence != "low"
        phenotype = g6pd.phenotype.removeprefix("G6PD ") if settled else "Indeterminate"
        rec = g6pd_recommendations()[(drug, phenotype)]
        text = rec.recommendation + (f". {rec.comments}" if rec.comments else "")
        facts = [_fact(g6pd)] + ([] if settled else ["G6PD phenotype not settled by the genotype: CPIC 'Indeterminate'"])
        out.append(Recommendation(drug=drug, action=_G6PD_ACTION[phenotype], text=text,  # type: ignore[arg-type]
                                  evidence=Evidence(
            source="CPIC guideline for G6PD", strength=f"{level}; CPIC recommendation {rec.classification}",
            pmids=pmids, rationale=f"G6PD {phenotype}: {rec.implication}", facts=facts)))
    return out


def _pheno_key(call: GeneCall | None) -> str:
    if call is None or call.phenotype == "Not genotyped":
        return "None"
    return call.phenotype


def _action(text: str) -> str:
    low = text.lower()
    if "alternative" in low and ("consider alternative" in low or "choose an alternative" in low):
        return "avoid"
    if "reduced" in low or "25-50%" in low or "reduce" in low:
        return "adjust"
    if "recommended starting dose" in low or "normal starting dose" in low:
        return "standard"
    return "review"


def _fact(call: GeneCall) -> str:
    dip = call.diplotype or "no call"
    amb = " (ambiguous)" if call.ambiguous else ""
    outside = " (outside call)" if call.source.startswith("outside call") else ""
    return f"{call.gene} {dip}{amb}{outside}: {call.phenotype}; confidence {call.confidence}"


def _pgx_recommendations(calls: dict[str, GeneCall]) -> list[Recommendation]:
    out: list[Recommendation] = []
    tpmt, nudt15, cyp2c9 = calls.get("TPMT"), calls.get("NUDT15"), calls.get("CYP2C9")
    level, pmids, _ = _cpic_meta("azathioprine", "TPMT")
    text = _cpic_text("azathioprine", "NUDT15", _pheno_key(nudt15), "TPMT", _pheno_key(tpmt))
    facts = [_fact(c) for c in (tpmt, nudt15) if c is not None]
    if text:
        out.append(Recommendation(drug="azathioprine", action=_action(text), text=text, evidence=Evidence(
            source="CPIC guideline for thiopurines and TPMT/NUDT15", strength=level, pmids=pmids,
            rationale="azathioprine dosing by TPMT and NUDT15 phenotype", facts=facts)))
    else:
        out.append(Recommendation(drug="azathioprine", action="review", text=(
            "No TPMT or NUDT15 phenotype could be assigned from this file; CPIC advises genotype- or "
            "activity-guided thiopurine dosing (see guideline)."), evidence=Evidence(
            source="CPIC guideline for thiopurines and TPMT/NUDT15", strength=level, pmids=pmids,
            rationale="pharmacogenes not genotyped", facts=facts)))
    for drug in NSAIDS:
        level, pmids, _ = _cpic_meta(drug, "CYP2C9")
        facts = [_fact(cyp2c9)] if cyp2c9 else []
        if cyp2c9 is not None and cyp2c9.activity_score == 1.0:
            out.append(Recommendation(drug=drug, action="review", text=(
                "CYP2C9 activity score 1.0: the CPIC NSAID guideline gives activity-score-specific advice for this "
                "score that the bundled phenotype-level table does not carry; consult the guideline before prescribing."),
                evidence=Evidence(source="CPIC guideline for NSAIDs and CYP2C9", strength=level, pmids=pmids,
                                  rationale="recommendation depends on activity score", facts=facts)))
            continue
        text = _cpic_text(drug, "CYP2C9", _pheno_key(cyp2c9))
        if text is None:
            out.append(Recommendation(drug=drug, action="review", text=(
                "No CYP2C9 phenotype could be assigned; no genotype-based CPIC recommendation applies."),
                evidence=Evidence(source="CPIC guideline for NSAIDs and CYP2C9", strength=level, pmids=pmids,
                                  rationale="CYP2C9 not determined", facts=facts)))
            continue
        out.append(Recommendation(drug=drug, action=_action(text), text=text, evidence=Evidence(
            source="CPIC guideline for NSAIDs and CYP2C9", strength=level, pmids=pmids,
            rationale=f"{drug} is metabolised by CYP2C9", facts=facts)))
    out += _g6pd_recommendations(calls.get("G6PD"))
    level, _, _ = _cpic_meta("sulfasalazine", "NAT2")
    out.append(Recommendation(drug="sulfasalazine", action="context", text=(
        "NAT2 acetylator status and sulfasalazine: CPIC assignment is provisional with no published guideline; "
        "NAT2 is not genotyped here."), evidence=Evidence(source="CPIC gene-drug pair list", strength=level,
                                                        rationale="provisional pair", facts=["NAT2: not genotyped"])))
    return out


def _clinical_recommendations(c: Clinical) -> list[Recommendation]:
    out: list[Recommendation] = []
    cm = c.comorbidities

    def add(drug: str, action: str, text: str, fact: str, rationale: str) -> None:
        out.append(Recommendation(drug=drug, action=action, text=text,  # type: ignore[arg-type]
                                  evidence=Evidence(source=ACR, rationale=rationale, facts=[fact])))

    if cm.egfr is not None and cm.egfr < 30:
        add("methotrexate", "avoid", "Methotrexate is contraindicated with eGFR below 30; choose another csDMARD.",
            f"eGFR {cm.egfr:g}", "renally cleared; toxicity risk")
    if cm.liver_disease:
        add("methotrexate", "avoid", "Avoid methotrexate and leflunomide in liver disease.", "liver disease", "hepatotoxicity")
        add("leflunomide", "avoid", "Avoid methotrexate and leflunomide in liver disease.", "liver disease", "hepatotoxicity")
    if c.pregnancy_plans:
        for d in ("methotrexate", "leflunomide"):
            add(d, "avoid", f"{d.capitalize()} is teratogenic: avoid in a patient planning pregnancy.", "pregnancy plans", "teratogenicity")
    if cm.heart_failure_nyha is not None and cm.heart_failure_nyha >= 3:
        add("TNF inhibitors", "avoid", "Avoid TNF inhibitors in NYHA class III-IV heart failure; prefer a non-TNF biologic or JAK inhibitor.",
            f"heart failure NYHA {cm.heart_failure_nyha}", "TNF inhibitors may worsen heart failure")
    if cm.hepatitis_b in ("positive", "resolved", "unknown"):
        add("rituximab", "screen", "Screen for hepatitis B (and treat or give prophylaxis as indicated) before rituximab or other biologic/tsDMARD.",
            f"hepatitis B: {cm.hepatitis_b}", "reactivation risk")
    if cm.latent_tb in ("positive", "unknown"):
        add("biologics and JAK inhibitors", "screen", "Screen for (and treat) latent tuberculosis before starting a bDMARD or JAK inhibitor.",
            f"latent TB: {cm.latent_tb}", "TB reactivation risk")
    if cm.interstitial_lung_disease:
        add("methotrexate", "caution", "Interstitial lung disease: the ACR 2021 guideline conditionally still prefers methotrexate over alternatives; monitor respiratory status.",
            "interstitial lung disease", "ACR 2021 conditional recommendation")
    if cm.malignancy_history:
        add("JAK inhibitors", "caution", "History of malignancy: weigh biologic and JAK inhibitor choice with the treating oncologist; rituximab is preferred after lymphoproliferative disorder.",
            "malignancy history", "ACR 2021 recommendations for patients with prior malignancy")
    if cm.serious_infections:
        add("biologics and JAK inhibitors", "caution", "Prior serious infections: prefer csDMARD combinations over adding a bDMARD/tsDMARD where disease control allows.",
            "serious infections", "ACR 2021 conditional recommendation")
    intolerant = {d.drug for d in c.prior_dmards + c.current_dmards if d.response == "intolerance"}
    for d in sorted(intolerant):
        add(d, "avoid", f"Prior intolerance to {d}: do not re-challenge without review.", f"{d}: intolerance", "patient history")
    return out


def _steps(c: Clinical | None, blocked: set[str]) -> list[PlanStep]:
    ev = lambda r, f=(): Evidence(source=ACR, rationale=r, facts=list(f))  # noqa: E731
    steps = [PlanStep(step="Treat to target", text="Set a target of low disease activity or remission (e.g. DAS28-CRP or CDAI) and review at regular intervals, escalating when the target is not met.",
                      evidence=ev("treat-to-target is strongly recommended"))]
    facts = []
    if c and c.disease_activity.das28_crp is not None:
        facts.append(f"DAS28-CRP {c.disease_activity.das28_crp:g}")
    if c and c.disease_activity.cdai is not None:
        facts.append(f"CDAI {c.disease_activity.cdai:g}")
    if "methotrexate" in blocked:
        steps.append(PlanStep(step="First-line csDMARD", text="Methotrexate is contraindicated (see contraindications): choose an alternative csDMARD (e.g. sulfasalazine, hydroxychloroquine or leflunomide, subject to the adjustments below).",
                              evidence=ev("methotrexate contraindicated", facts)))
    else:
        steps.append(PlanStep(step="First-line csDMARD", text="Methotrexate monotherapy is the preferred first csDMARD for moderate-to-high disease activity.",
                              evidence=ev("ACR 2021 strong recommendation", facts)))
    prior_mtx = c and any(d.drug == "methotrexate" and d.response in ("inadequate", "intolerance") for d in c.prior_dmards + c.current_dmards)
    steps.append(PlanStep(step="Escalation", text=("Not at target on methotrexate: add a bDMARD or tsDMARD (JAK inhibitor), observing the screening and contraindications below."
                                                   if prior_mtx else "If not at target after an adequate csDMARD trial, add a bDMARD or tsDMARD, observing the screening and contraindications below."),
                          evidence=ev("ACR 2021 conditional recommendation", ["methotrexate: inadequate response or intolerance"] if prior_mtx else [])))
    return steps


def build_plan(
    calls: list[GeneCall],
    clinical: Clinical | None = None,
    outside_calls: list[OutsideCall] | None = None,
    genotypes: SampleGenotypes | None = None,
    sample: str | None = None,
) -> TreatmentPlan:
    """Assemble the plan. ``genotypes`` (optional) supplies the RA context variants."""
    from hypoforge.tools.genomics.context import load_context_variants
    from hypoforge.tools.genomics.hla import shared_epitope

    from hypoforge.tools.genomics.calling import call_from_outside
    from hypoforge.tools.genomics.definitions import SUPPORTED_GENES

    by_gene = {c.gene: c for c in calls}
    outside = outside_calls or []
    se = None
    for oc in outside:
        if oc.gene.upper().replace("HLA-", "") == "DRB1":
            se = shared_epitope(oc.diplotype)
        elif oc.gene.upper() in SUPPORTED_GENES:  # another assay's call replaces the file's
            gene = oc.gene.upper()
            by_gene[gene] = call_from_outside(gene, oc.diplotype, by_gene.get(gene))
    calls = list(by_gene.values())  # replaced calls keep their place
    drugs = _pgx_recommendations(by_gene)
    clin = _clinical_recommendations(clinical) if clinical else []
    blocked = {r.drug for r in clin if r.action == "avoid"}
    not_actionable = [Recommendation(drug="methotrexate", action="context", text=(
        "Candidate genes for methotrexate response or toxicity (e.g. MTHFR, SLC19A1, ATIC) have no CPIC guideline: "
        "literature only, not actionable."), evidence=Evidence(source="No CPIC guideline", rationale="literature only"))]
    if se is not None:
        not_actionable.append(Recommendation(drug="(none)", action="context", text=(
            f"HLA-DRB1 shared epitope {se.status}" + (f", {se.copies} cop{'y' if se.copies == 1 else 'ies'}" if se.copies is not None else "")
            + ": associated with RA susceptibility and severity; does not change drug choice."),
            evidence=Evidence(source=se.source, rationale="prognostic context", facts=[f"{a}: {m or 'motif unknown'}" for a, m in zip(se.alleles, se.motifs)])))
    context: list[ContextFinding] = []
    if genotypes is not None:
        for v in load_context_variants():
            obs = genotypes.context.get(v.rsid)
            context.append(ContextFinding(rsid=v.rsid, gene=v.gene, trait=v.trait, genotype=obs.genotype if obs else None, source=v.source))
    return TreatmentPlan(
        sample=sample or (genotypes.sample if genotypes else "patient"), gene_calls=calls, outside_calls=outside,
        shared_epitope=se, steps=_steps(clinical, blocked), drugs=clin + drugs, not_actionable=not_actionable,
        context=context, clinical=clinical,
    )


def evidence_line(e: Evidence) -> str:
    """Source, strength, PMIDs and the facts an item rests on, in one line."""
    bits = [e.source] + ([e.strength] if e.strength else []) + ([f"PMID {', '.join(e.pmids)}"] if e.pmids else [])
    return "; ".join(bits) + (f". Based on: {'; '.join(e.facts)}" if e.facts else "")


def render_markdown(plan: TreatmentPlan) -> str:
    lines = [f"# RA treatment plan: {plan.sample}", "", f"> {plan.disclaimer}", "", "## Pharmacogenes", "",
             "| gene | diplotype | phenotype | activity score | confidence | missing positions |", "|---|---|---|---|---|---|"]
    for c in plan.gene_calls:
        dip = (c.diplotype or "no call") + (" (ambiguous)" if c.ambiguous else "")
        lines.append(f"| {c.gene} | {dip} | {c.phenotype} | {'' if c.activity_score is None else c.activity_score:} | {c.confidence} | {len(c.missing_positions)} |")
    for oc in plan.outside_calls:
        lines.append(f"| {oc.gene} (outside call) | {oc.diplotype} | | | | |")

    lines += ["", "## Plan (ACR 2021 structure)", ""]
    for s in plan.steps:
        lines += [f"- **{s.step}.** {s.text}", f"  - Evidence: {evidence_line(s.evidence)}"]
    lines += ["", "## Drug-specific recommendations", ""]
    for r in plan.drugs:
        lines += [f"- **{r.drug}** ({r.action}): {r.text}", f"  - Evidence: {evidence_line(r.evidence)}"]
    lines += ["", "## Not actionable (context only)", ""]
    for r in plan.not_actionable:
        lines.append(f"- {r.text} ({evidence_line(r.evidence)})")
    for f in plan.context:
        lines.append(f"- {f.gene} {f.rsid}: {f.genotype or 'not in file'}; {f.trait}. {f.label} ({f.source})")
    return "\n".join(lines) + "\n"
