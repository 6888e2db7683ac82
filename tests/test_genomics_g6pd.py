"""G6PD (X-linked) calling, checked against CPIC's own allele definitions.

Every test genotype is built from ../shared/data: the CPIC G6PD definition file (which bases each
named allele carries) and PharmCAT's position list (the VCF records at those loci). The calls come
from the project's pypgx-derived definitions, so these tests compare two independent sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hypoforge.tools.genomics.calling import call_star_alleles
from hypoforge.tools.genomics.definitions import load_gene
from hypoforge.tools.genomics.genotypes import read_genotypes

REF = "B (reference)"


def _cpic(shared_data: Path) -> dict:
    return json.loads((shared_data / "pgx_cpic_pharmcat" / "allele_definitions" / "G6PD_translation.json").read_text())


def _records(shared_data: Path) -> list[list[str]]:
    lines = (shared_data / "vcf_pharmcat" / "pharmcat_positions.vcf").read_text().splitlines()
    return [ln.split("\t") for ln in lines if ln.startswith("chrX\t")]


def _allele_sites(cpic: dict, name: str) -> dict[int, str]:
    """position -> VCF ALT base(s) the named allele carries (CPIC's definition)."""
    allele = next(a for a in cpic["namedAlleles"] if a["name"] == name)
    out = {}
    for v, base in zip(cpic["variants"], allele["alleles"], strict=True):
        if base is None:
            continue
        vcf = v["cpicToVcfAlleleMap"].get(base, base)
        if vcf != v["ref"]:
            out[v["position"]] = vcf
    return out


def _write_vcf(path: Path, records: list[list[str]], gts: dict[int, tuple[str, int]], default: str) -> Path:
    """gts: position -> (ALT base, GT pattern as '1', '0/1' or '1/1'); others get ``default``."""
    rows = ["##fileformat=VCFv4.2", "##contig=<ID=chrX,length=156040895>",
            '##INFO=<ID=PX,Number=.,Type=String,Description="Gene">',
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1"]
    for r in records:
        pos, alts, gt = int(r[1]), r[4].split(","), default
        if pos in gts:
            base, pattern = gts[pos]
            gt = pattern.replace("1", str(alts.index(base) + 1))
        rows.append("\t".join(r[:8] + ["GT", gt]))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_definitions_equal_cpic(shared_data: Path) -> None:
    cpic = _cpic(shared_data)
    defn = load_gene("G6PD")
    assert {a.name for a in defn.alleles} == {a["name"] for a in cpic["namedAlleles"]}
    for a in defn.alleles:
        sites = _allele_sites(cpic, a.name)
        mine = {defn.variants[k].pos: defn.variants[k] for k in a.core}
        assert len(mine) == len(sites), a.name
        for pos, base in sites.items():
            if pos in mine:
                assert mine[pos].alt == base or len(mine[pos].ref) > 1, a.name
            else:  # a deletion in a repeat: pypgx writes it a few bases to the right of CPIC
                assert any(v.pos - 5 <= pos < v.pos and len(v.ref) > 1 for v in mine.values()), a.name


def test_every_allele_hemizygous_and_heterozygous(shared_data: Path, tmp_path: Path) -> None:
    """Each CPIC allele, as the single X of a male (haploid GT) and opposite the reference in a female."""
    cpic, records = _cpic(shared_data), _records(shared_data)
    defn = load_gene("G6PD")
    checked = 0
    for a in cpic["namedAlleles"]:
        name = a["name"]
        if name == REF:
            continue
        sites = _allele_sites(cpic, name)
        male = read_genotypes(_write_vcf(tmp_path / "m.vcf", records, {p: (b, "1") for p, b in sites.items()}, "0"))
        call = call_star_alleles(male, "G6PD", sex="male")
        assert call.diplotype == f"{name}/MALE", (name, call.diplotype, call.notes)
        assert not call.missing_positions and call.confidence == "high"
        fem = read_genotypes(_write_vcf(tmp_path / "f.vcf", records, {p: (b, "0/1") for p, b in sites.items()}, "0/0"))
        call = call_star_alleles(fem, "G6PD", sex="female")
        assert call.diplotype == f"{REF}/{name}", (name, call.diplotype)
        function = defn.allele(name).function.split(" (")[0]
        hemi = {"Class I": "G6PD Deficient with CNSHA", "Class II": "G6PD Deficient", "Class III": "G6PD Deficient",
                "Class IV": "G6PD Normal"}.get(function, "G6PD Indeterminate")
        if function != "Unknown Function":  # pypgx's table is not consistent for those (Indeterminate or Variable)
            het = "G6PD Normal" if function == "Class IV" else "G6PD Variable"
            assert call.phenotype == het, (name, function, call.phenotype)
            assert call_star_alleles(male, "G6PD", sex="male").phenotype == hemi, (name, function)
        checked += 1
    assert checked == len(cpic["namedAlleles"]) - 1


def test_cpic_phenotype_facts(shared_data: Path, tmp_path: Path) -> None:
    cpic, records = _cpic(shared_data), _records(shared_data)
    a202 = _allele_sites(cpic, "A- 202A_376G")
    med = _allele_sites(cpic, "Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham")

    def call(gts: dict[int, tuple[str, int]], default: str, sex: str | None):  # type: ignore[no-untyped-def]
        return call_star_alleles(read_genotypes(_write_vcf(tmp_path / "x.vcf", records, gts, default)), "G6PD", sex=sex)

    assert call({p: (b, "1") for p, b in a202.items()}, "0", "male").phenotype == "G6PD Deficient"
    assert call({}, "0", "male").phenotype == "G6PD Normal"
    assert call({p: (b, "1/1") for p, b in med.items()}, "0/0", "female").phenotype == "G6PD Deficient"
    het = call({p: (b, "0/1") for p, b in a202.items()}, "0/0", None)
    assert het.phenotype == "G6PD Variable" and any("two X" in n for n in het.notes)
    # Diploid-coded 1/1 for a male is one X copy.
    assert call({p: (b, "1/1") for p, b in a202.items()}, "0/0", "male").diplotype == "A- 202A_376G/MALE"


def test_sex_and_ploidy_must_agree(shared_data: Path, tmp_path: Path) -> None:
    cpic, records = _cpic(shared_data), _records(shared_data)
    a202 = _allele_sites(cpic, "A- 202A_376G")
    het = read_genotypes(_write_vcf(tmp_path / "het.vcf", records, {p: (b, "0/1") for p, b in a202.items()}, "0/0"))
    male_het = call_star_alleles(het, "G6PD", sex="male")
    assert male_het.diplotype is None and male_het.phenotype == "Indeterminate" and "stated to be male" in male_het.notes[0]
    haploid = read_genotypes(_write_vcf(tmp_path / "hap.vcf", records, {}, "0"))
    assert haploid.genes["G6PD"].ploidy == 1
    fem = call_star_alleles(haploid, "G6PD", sex="female")
    assert fem.diplotype is None and "stated to be female" in fem.notes[0]
    unstated = call_star_alleles(haploid, "G6PD")
    assert unstated.diplotype == f"{REF}/MALE" and unstated.phenotype == "G6PD Normal"


def test_homozygous_without_sex_lists_both_readings(shared_data: Path, tmp_path: Path) -> None:
    records = _records(shared_data)
    g = read_genotypes(_write_vcf(tmp_path / "ref.vcf", records, {}, "0/0"))
    call = call_star_alleles(g, "G6PD")
    assert call.diplotype == f"{REF}/{REF}" and call.phenotype == "G6PD Normal"
    assert f"{REF}/MALE" in {c.diplotype for c in call.alternatives}
    assert call.confidence == "medium" and any("sex not stated" in n for n in call.notes)
    assert call_star_alleles(g, "G6PD", sex="female").confidence == "high"


def test_autosomal_haploid_gt_is_still_an_error(tmp_path: Path) -> None:
    from hypoforge.errors import UserError

    f = tmp_path / "hap6.vcf"
    f.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
                 "chr6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t1\n")
    with pytest.raises(UserError, match="haploid"):
        read_genotypes(f)


def test_23andme_single_x_base(tmp_path: Path) -> None:
    """23andMe writes one base for a male X: rs1050828 T and rs1050829 C are A- 202A_376G."""
    f = tmp_path / "genome.txt"
    f.write_text("# This data file generated by 23andMe\n# rsid\tchromosome\tposition\tgenotype\n"
                 "rs1050828\tX\t153764217\tT\nrs1050829\tX\t153763492\tC\nrs5030868\tX\t153762634\tG\n")
    g = read_genotypes(f)
    assert g.genes["G6PD"].ploidy == 1
    call = call_star_alleles(g, "G6PD", sex="male")
    assert call.diplotype == "A- 202A_376G/MALE" and call.phenotype == "G6PD Deficient"
    assert call.missing_positions and call.confidence != "high"


def test_grch37_x_is_refused(tmp_path: Path) -> None:
    from hypoforge.errors import UserError

    head = "##fileformat=VCFv4.2\n{contig}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
    by_length = tmp_path / "len.vcf"
    by_length.write_text(head.format(contig="##contig=<ID=chrX,length=155270560>\n")
                         + "chrX\t154536002\trs1050828\tC\tT\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match="GRCh37"):
        read_genotypes(by_length)
    # No header hint: rs1050828 and rs1050829 at their GRCh37 positions.
    by_pos = tmp_path / "pos.vcf"
    by_pos.write_text(head.format(contig="") + "chrX\t153763492\trs1050829\tT\tC\t.\tPASS\t.\tGT\t0/1\n"
                      "chrX\t153764217\trs1050828\tC\tT\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match="GRCh37"):
        read_genotypes(by_pos)
