"""Plans for constructed patients, clinical schema, HLA table, PMIDs and the patient CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hypoforge.cli import main
from hypoforge.errors import UserError
from hypoforge.tools.genomics.clinical import parse_clinical
from hypoforge.tools.genomics.context import load_context_variants
from hypoforge.tools.genomics.hla import load_motifs, shared_epitope
from hypoforge.tools.genomics.models import GeneCall
from hypoforge.tools.genomics.plan import build_plan, g6pd_recommendations
from hypoforge.tools.genomics.tool import GenomicsPlanInput, GenomicsPlanTool


def call(gene: str, dip: str, pheno: str, score: float | None = None) -> GeneCall:
    return GeneCall(gene=gene, diplotype=dip, phenotype=pheno, activity_score=score, ambiguous=False, confidence="high")


NORMAL = [call("TPMT", "*1/*1", "Normal Metabolizer"), call("NUDT15", "*1/*1", "Normal Metabolizer"),
          call("CYP2C9", "*1/*1", "Normal Metabolizer", 2.0), call("CYP2C19", "*1/*1", "Normal Metabolizer")]


def test_tpmt_poor_metaboliser_no_standard_azathioprine() -> None:
    calls = [call("TPMT", "*3A/*3A", "Poor Metabolizer")] + NORMAL[1:]
    rec = build_plan(calls).drug("azathioprine")
    assert rec.action == "avoid"
    assert "consider alternative non-thiopurine" in rec.text
    assert "30447069" in rec.evidence.pmids and "TPMT *3A/*3A" in rec.evidence.facts[0]


def test_cyp2c9_poor_metaboliser_celecoxib_reduced() -> None:
    calls = NORMAL[:2] + [call("CYP2C9", "*3/*3", "Poor Metabolizer", 0.0)] + NORMAL[3:]
    rec = build_plan(calls).drug("celecoxib")
    assert rec.action == "adjust" and "25-50% of the lowest recommended starting dose" in rec.text
    assert rec.evidence.pmids == ["32189324"]


def test_cyp2c9_activity_score_one_is_not_guessed() -> None:
    calls = NORMAL[:2] + [call("CYP2C9", "*1/*3", "Intermediate Metabolizer", 1.0)] + NORMAL[3:]
    rec = build_plan(calls).drug("meloxicam")
    assert rec.action == "review" and "activity score 1.0" in rec.text


def test_all_normal_standard_plan() -> None:
    plan = build_plan(NORMAL)
    assert plan.drug("azathioprine").action == "standard"
    assert all(plan.drug(d).action == "standard" for d in ("celecoxib", "ibuprofen", "meloxicam"))
    assert "Methotrexate monotherapy" in plan.steps[1].text
    assert "research use" in plan.disclaimer.lower()


def test_every_dose_text_is_cpic_text() -> None:
    """Dose-bearing texts in a plan come verbatim from the CPIC recommendation table."""
    from hypoforge.tools.genomics.definitions import read_table

    cpic = {r["Recommendation"] for r in read_table("recommendation-table.csv")}
    for calls in (NORMAL, [call("TPMT", "*1/*3A", "Intermediate Metabolizer")] + NORMAL[1:]):
        for r in build_plan(calls).drugs:
            if re.search(r"\d+ ?(mg|%)", r.text):
                assert r.text in cpic, r.text


def test_clinical_contraindications() -> None:
    clin = parse_clinical({"sex": "female", "pregnancy_plans": True,
                           "comorbidities": {"egfr": 25, "heart_failure_nyha": 3, "hepatitis_b": "unknown", "latent_tb": "positive"},
                           "prior_dmards": [{"drug": "Sulfasalazine", "response": "intolerance"}]})
    plan = build_plan(NORMAL, clinical=clin)
    avoid = {(r.drug, r.evidence.facts[0]) for r in plan.drugs if r.action == "avoid"}
    assert ("methotrexate", "eGFR 25") in avoid and ("methotrexate", "pregnancy plans") in avoid
    assert ("leflunomide", "pregnancy plans") in avoid and ("TNF inhibitors", "heart failure NYHA 3") in avoid
    assert ("sulfasalazine", "sulfasalazine: intolerance") in avoid
    assert {r.drug for r in plan.drugs if r.action == "screen"} == {"rituximab", "biologics and JAK inhibitors"}
    assert "contraindicated" in plan.steps[1].text


def test_clinical_unknown_and_contradictory_keys() -> None:
    with pytest.raises(UserError, match=r"unknown key 'comorbidities.egrf'; did you mean 'egfr'"):
        parse_clinical({"comorbidities": {"egrf": 20}})
    with pytest.raises(UserError, match=r"unknown key 'wieght_kg'; did you mean 'weight_kg'"):
        parse_clinical({"wieght_kg": 70})
    with pytest.raises(UserError, match="contradicts"):
        parse_clinical({"sex": "male", "pregnancy_plans": True})
    with pytest.raises(UserError, match="unknown drug name 'metotrexate'; did you mean 'methotrexate'"):
        parse_clinical({"current_dmards": [{"drug": "metotrexate"}]})


def test_drb1_table_matches_imgt(shared_data: Path) -> None:
    seqs: dict[str, str] = {}
    name = ""
    for line in (shared_data / "hla_imgt" / "DRB1_prot.fasta").read_text().splitlines():
        if line.startswith(">"):
            name = line.split()[1]
            seqs[name] = ""
        else:
            seqs[name] += line.strip()
    table = load_motifs()
    assert len(table) >= 20
    for allele, motif in table.items():
        full = [s for n, s in seqs.items() if (n == allele or n.startswith(allele + ":")) and s.startswith("M") and len(s) > 103]
        assert full, allele
        assert {s[98:103] for s in full} == {motif}, allele
    assert shared_epitope("DRB1*04:01/DRB1*01:01").copies == 2
    assert shared_epitope("*04:02/*15:01").status == "negative"
    assert shared_epitope("DRB1*10:01/DRB1*99:99").copies is None


def test_pmids_are_cpic_citations(shared_data: Path) -> None:
    cites = set()
    for f in (shared_data / "pgx_cpic_pharmcat" / "cpic_recommendations_2023-08").glob("*.json"):
        cites |= set(re.findall(r'"pmid":\s*"(\d+)"', f.read_text()))
    clin = parse_clinical({"comorbidities": {"egfr": 20}})
    plan = build_plan([call("TPMT", "*1/*3A", "Intermediate Metabolizer")] + NORMAL[1:], clinical=clin)
    used = {p for r in plan.drugs + plan.not_actionable for p in r.evidence.pmids}
    assert used and used <= cites


def test_context_variants_in_gwas_catalog(shared_data: Path) -> None:
    rows = (shared_data / "ra_gwas_loci" / "gwascatalog_2014-07-09_RA_associations_hg19.tsv").read_text().splitlines()
    catalog = {r.split("\t")[3]: r.split("\t") for r in rows[1:]}
    for v in load_context_variants():
        if "GWAS Catalog" in v.source:
            chrom, _, end, *_ = catalog[v.rsid]
            assert (chrom, int(end)) == (f"chr{v.grch37_chrom}", v.grch37_pos)


def test_cli_genotype_json(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"
    assert main(["patient", "genotype", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    tpmt = next(g for g in data["genes"] if g["gene"] == "TPMT")
    assert tpmt["diplotype"] == "*3A/*3B" and tpmt["phenotype"] == "Poor Metabolizer"
    assert set(tpmt) == {"gene", "diplotype", "phenotype", "activity_score", "ambiguous", "missing_positions"}


def test_cli_plan_writes_files_and_refuses_bad_input(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = shared_data / "vcf_pharmcat" / "multisample" / "100samples.vcf.bgz"
    oc = tmp_path / "hla.tsv"
    oc.write_text("gene\tdiplotype\nHLA-DRB1\tDRB1*04:01/DRB1*15:01\n")
    clin = tmp_path / "c.yaml"
    clin.write_text("age: 54\nsex: female\ncomorbidities:\n  egfr: 80\n")
    out = tmp_path / "out"
    assert main(["patient", "plan", str(f), "--sample", "s3", "--outside-calls", str(oc), "--clinical", str(clin), "--out", str(out), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["shared_epitope"]["copies"] == 1
    assert json.loads((out / "plan.json").read_text())["sample"] == "s3"
    assert "Not medical advice" in (out / "plan.md").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("comorbidities:\n  hepatitsb: positive\n")
    out2 = tmp_path / "out2"
    assert main(["patient", "plan", str(f), "--sample", "s3", "--clinical", str(bad), "--out", str(out2)]) == 2
    assert "unknown key 'comorbidities.hepatitsb'" in capsys.readouterr().err
    assert not out2.exists()
    assert main(["patient", "genotype", str(f), "--sample", "nobody"]) == 2


def test_tool_wrapper(shared_data: Path) -> None:
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"
    out = GenomicsPlanTool().run(GenomicsPlanInput(vcf=str(f)))
    assert GenomicsPlanTool.name == "genomics.plan"
    assert "azathioprine: avoid" in out.summary  # type: ignore[attr-defined]


def test_g6pd_table_is_cpic_verbatim(shared_data: Path) -> None:
    import csv

    src = shared_data / "pgx_cpic_pharmcat" / "derived_tsv" / "cpic_drug_recommendations.tsv"
    with open(src, encoding="utf-8", newline="") as fh:
        cpic = {(r["drug"], r["gene_phenotypes"]): r for r in csv.DictReader(fh, delimiter="\t") if r["guideline"] == "G6PD"}
    table = g6pd_recommendations()
    assert {p for _, p in table} == {"Normal", "Deficient", "Variable", "Deficient with CNSHA", "Indeterminate"}
    for (drug, pheno), rec in table.items():
        row = cpic[(drug, f"G6PD={pheno}")]
        assert (rec.classification, f"G6PD: {rec.implication}", rec.recommendation, rec.comments) == (
            row["classification"], row["implications"], row["recommendation"], row["comments"]), (drug, pheno)


def test_g6pd_adjusts_hcq_and_sulfasalazine() -> None:
    deficient = build_plan(NORMAL + [call("G6PD", "A- 202A_376G/MALE", "G6PD Deficient")])
    hcq = deficient.drug("hydroxychloroquine")
    assert hcq.action == "standard" and hcq.text.startswith("No reason to avoid based on G6PD status at standard doses")
    assert hcq.evidence.pmids == ["36049896"] and "G6PD A- 202A_376G/MALE" in hcq.evidence.facts[0]
    cnsha = build_plan(NORMAL + [call("G6PD", "Alhambra/MALE", "G6PD Deficient with CNSHA")])
    assert {cnsha.drug(d).action for d in ("hydroxychloroquine", "sulfasalazine")} == {"caution"}
    unsure = call("G6PD", "B (reference)/B (reference)", "G6PD Normal").model_copy(update={"confidence": "low", "ambiguous": True})
    rec = build_plan(NORMAL + [unsure]).drug("sulfasalazine")
    assert rec.action == "review" and "enzyme activity must be measured" in rec.text
    assert build_plan(NORMAL).drug("hydroxychloroquine").evidence.facts == ["G6PD: not genotyped"]


def test_clinical_sex_decides_g6pd(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A diploid-coded homozygous-reference G6PD: two readings without sex, one with it."""
    lines = [ln for ln in (shared_data / "vcf_pharmcat" / "pharmcat_positions.vcf").read_text().splitlines()
             if ln.startswith("#") or ln.startswith("chrX\t")]  # PharmCAT's list: GT 0/0 at every G6PD position
    vcf = tmp_path / "x.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    assert main(["patient", "genotype", str(vcf), "--json"]) == 0
    g6pd = next(g for g in json.loads(capsys.readouterr().out)["genes"] if g["gene"] == "G6PD")
    assert g6pd["diplotype"] == "B (reference)/B (reference)" and g6pd["ambiguous"]
    assert main(["patient", "genotype", str(vcf), "--sex", "male", "--json"]) == 0
    g6pd = next(g for g in json.loads(capsys.readouterr().out)["genes"] if g["gene"] == "G6PD")
    assert g6pd["diplotype"] == "B (reference)/MALE" and not g6pd["ambiguous"]
    clin = tmp_path / "c.yaml"
    clin.write_text("sex: male\n")
    assert main(["patient", "plan", str(vcf), "--clinical", str(clin), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert next(c for c in plan["gene_calls"] if c["gene"] == "G6PD")["diplotype"] == "B (reference)/MALE"
    assert next(r for r in plan["drugs"] if r["drug"] == "hydroxychloroquine")["action"] == "standard"


def test_outside_call_replaces_the_file_call(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"  # TPMT *3A/*3B: poor metaboliser
    oc = tmp_path / "calls.tsv"
    oc.write_text("gene\tdiplotype\nTPMT\t*1/*1\nCYP2D6\t*1/*4\n")
    assert main(["patient", "plan", str(f), "--outside-calls", str(oc), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    tpmt = next(c for c in plan["gene_calls"] if c["gene"] == "TPMT")
    assert (tpmt["diplotype"], tpmt["phenotype"], tpmt["source"]) == ("*1/*1", "Normal Metabolizer", "outside call (TSV)")
    assert "*3A/*3B" in tpmt["notes"][0]
    aza = next(r for r in plan["drugs"] if r["drug"] == "azathioprine")
    assert aza["action"] == "standard" and "(outside call)" in aza["evidence"]["facts"][0]
    bad = tmp_path / "bad.tsv"
    bad.write_text("TPMT\t*1/*3X\n")
    out = tmp_path / "out"
    assert main(["patient", "plan", str(f), "--outside-calls", str(bad), "--out", str(out)]) == 2
    assert "row 1: unknown TPMT allele '*3X'" in capsys.readouterr().err and not out.exists()
    bad.write_text("TPMT\t*1/*1\ntpmt\t*1/*3A\n")
    assert main(["patient", "plan", str(f), "--outside-calls", str(bad)]) == 2
    assert "second call for tpmt" in capsys.readouterr().err
