"""Star-allele calling: concordance with PharmCAT's haplotype test VCFs, definition cross-check,
file handling and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from hypoforge.errors import UserError
from hypoforge.tools.genomics.calling import call_star_alleles
from hypoforge.tools.genomics.definitions import load_gene, variant_key
from hypoforge.tools.genomics.genotypes import read_all_genotypes, read_genotypes

# Diplotype each haplotype-test file name states. Legacy names are mapped to current CPIC names:
# CYP2C19 *4A and *4B are both *4 today (*4B = *4 carrying the *17 promoter variant, which CPIC
# now writes as an optional base of *4); TPMT "*1S" is *1. Where the name lists three alleles,
# every diplotype it names is accepted.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "TPMT": {
        "het3a": ["*1/*3A"], "hom1s_het3a": ["*1/*3A"], "s16s22": ["*16/*22"], "s1s1": ["*1/*1"],
        "s1s1s": ["*1/*1"], "s1ss1ss3": ["*1/*3A"], "s3as3b": ["*3A/*3B"], "s3bs3c": ["*3B/*3C"],
    },
    "NUDT15": {"refref": ["*1/*1"], "s2ref": ["*1/*2"], "s3ref": ["*1/*3"]},
    "CYP2C9": {
        "s1s1": ["*1/*1"], "s1s61": ["*1/*61"], "s24s24": ["*24/*24"], "s24s2pluss24": ["*24/*2+*24"],
        "s2s24": ["*2/*24"], "s2s24only": ["*2/*24"], "s2s25": ["*2/*25"], "s2s3": ["*2/*3"],
        "s3s18m94981296": ["*3/*18"],
    },
    "CYP2C19": {
        "s15s28": ["*15/*28"], "s1s1": ["*1/*1"], "s1s17": ["*1/*17"],
        "s1s17s1s4bmissing": ["*1/*17", "*1/*4"], "s1s17s1s4bmissingmore": ["*1/*17", "*1/*4"],
        "s1s1rs12248560missing": ["*1/*1"], "s1s2": ["*1/*2"], "s1s28": ["*1/*28"],
        "s1s2rs3758581missing": ["*1/*2"], "s1s2rs3758581missingRs58973490het": ["*1/*2"],
        "s1s2rs58973490het": ["*1/*2"], "s1s35": ["*1/*35"], "s1s4b": ["*1/*4"],
        "s1s4s17": ["*1/*4", "*4/*17"], "s2s2": ["*2/*2"], "s2s3": ["*2/*3"], "s4as4b": ["*4/*4"],
        "s4bs17": ["*4/*17"], "s4bs17rs28399504missing": ["*4/*17"], "s4s17het": ["*4/*17"],
        "s4s17missingS1": ["*4/*17"],
    },
}
# Files whose name states no diplotype: what a careful caller must do instead.
NO_CALL = {("TPMT", "unexpected.allele"), ("TPMT", "unexpected.allele.with.s9"), ("CYP2C19", "sUnks17"), ("CYP2C19", "noCall")}
DIRS = {"TPMT": "TPMT", "NUDT15": "NUDT15", "CYP2C9": "cyp2c9", "CYP2C19": "cyp2c19"}

# The six misses against the file names, with the reason each is not a caller error. For five of them
# PharmCAT's own matcher tests (PharmGKB/PharmCAT, NamedAlleleMatcher*Test.java) assert the same call
# or a tie that includes it; file-name concordance above 35/41 would need a caller that reads
# information the genotypes do not hold. (Checked: each must still be a miss, so this cannot go stale.
# Re-checked under PharmCAT's blank-cell rule: same six calls, scores and reasons; none involves the
# alleles the rule changed, CYP2C19 *16, *30 and *34.)
EXPLAINED_MISSES = {
    ("TPMT", "s3bs3c"): "unphased het *3B and *3C sites also fit *1/*3A, which scores higher (PharmCAT's test: "
                        "'*1/*3A (which scores higher) is valid'); *3B/*3C is listed",
    ("CYP2C9", "s24s2pluss24"): "*2+*24 on one chromosome is no defined allele: no call (PharmCAT's test asserts 0 "
                                "diplotypes); the combination *24/*2+*24 is named in a note",
    ("CYP2C9", "s2s24only"): "same genotype as s24s2pluss24 (het *2, hom *24): no call (PharmCAT's test asserts no match)",
    ("CYP2C9", "s3s18m94981296"): "the only *3 position is missing, so *3 cannot be matched (PharmCAT rule); *1/*18 is called "
                                  "and *3/*18 listed as not excluded",
    ("CYP2C19", "s4bs17rs28399504missing"): "the *4 position is missing: *17/*17, *4/*17 and *4/*4 tie (PharmCAT asserts "
                                            "exactly these three); *17/*17 wins the tie-break, the others are listed",
    ("CYP2C19", "s4s17missingS1"): "het *4 and *17 sites: *1/*4 scores above *4/*17 (PharmCAT's s1s4 test asserts *1/*4 "
                                   "for this genotype); *4/*17 is listed",
}
FILE_NAME_CONCORDANCE = 35  # of 41; the test fails if this drops

# PharmCAT's asserted top-scoring diplotypes ([] = no call) for the files its matcher tests cover with
# current definitions (CYP2C19 cases from the TestVcfBuilder tests that build the same genotype).
PHARMCAT_TOP: dict[str, dict[str, list[str]]] = {
    "TPMT": {
        "s1s1": ["*1/*1"], "s1s1s": ["*1/*1"], "s3bs3c": ["*1/*3A", "*3B/*3C"], "s3as3b": ["*3A/*3B"],
        "s16s22": ["*16/*22"], "s1ss1ss3": ["*1/*3A", "*3B/*3C"],
    },
    "CYP2C9": {
        "s1s1": ["*1/*1"], "s2s3": ["*2/*3"], "s2s24": ["*2/*24"], "s2s24only": [], "s24s24": ["*24/*24"],
        "s2s25": ["*2/*25"], "s24s2pluss24": [],
    },
    "CYP2C19": {
        "s1s1": ["*1/*1"], "s1s2": ["*1/*2"], "s1s17s1s4bmissing": ["*1/*4", "*1/*17"],
        "s1s17s1s4bmissingmore": ["*1/*4", "*1/*17"], "s1s28": ["*1/*28"], "s2s2": ["*2/*2"], "s2s3": ["*2/*3"],
        "s4as4b": ["*4/*4"], "s4bs17": ["*4/*17"], "s15s28": ["*15/*28", "*28/*39"], "sUnks17": [],
        "s1s1rs12248560missing": ["*1/*1", "*1/*17", "*17/*17"], "s4s17het": ["*4/*17"],
        "s4bs17rs28399504missing": ["*4/*4", "*4/*17", "*17/*17"],
    },
}


def _concordance(shared_data: Path) -> tuple[int, int, int, list[str]]:
    base = shared_data / "vcf_pharmcat" / "haplotype_tests"
    strict = within = total = 0
    misses = []
    for gene, files in EXPECTED.items():
        for stem, accepted in files.items():
            call = call_star_alleles(read_genotypes(base / DIRS[gene] / f"{stem}.vcf"), gene)
            total += 1
            got = {call.diplotype} | {c.diplotype for c in call.alternatives}
            if call.diplotype in accepted:
                strict += 1
            else:
                misses.append(f"{gene} {stem}: expected {accepted}, got {call.diplotype}")
                assert (gene, stem) in EXPLAINED_MISSES, f"unexplained miss {gene} {stem}: {call.diplotype}"
            if got & set(accepted):
                within += 1
    return strict, within, total, misses


def test_haplotype_concordance(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    strict, within, total, misses = _concordance(shared_data)
    with capsys.disabled():
        print(f"\nhaplotype_tests concordance: {strict}/{total} best call ({strict / total:.1%}); "
              f"{within}/{total} within reported alternatives")
    assert total == sum(len(v) for v in EXPECTED.values()) == 41
    assert len(misses) == len(EXPLAINED_MISSES)
    assert strict == FILE_NAME_CONCORDANCE
    assert within >= total - 2  # only the two no-call CYP2C9 files lack the stated diplotype


def test_pharmcat_concordance(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Best call is one of PharmCAT's top-scoring diplotypes (or both are no-calls), and every
    diplotype PharmCAT asserts is reported (best or alternative)."""
    base = shared_data / "vcf_pharmcat" / "haplotype_tests"
    agree = total = 0
    for gene, files in PHARMCAT_TOP.items():
        for stem, top in files.items():
            call = call_star_alleles(read_genotypes(base / DIRS[gene] / f"{stem}.vcf"), gene)
            total += 1
            if not top:
                assert call.diplotype is None, (gene, stem, call.diplotype)
            else:
                assert call.diplotype in top, (gene, stem, call.diplotype, top)
                reported = {call.diplotype} | {c.diplotype for c in call.alternatives}
                assert set(top) <= reported, (gene, stem, set(top) - reported)
                tied = {c.diplotype for c in call.alternatives if c.score == call.score}
                assert tied <= set(top), (gene, stem, tied - set(top))  # no tie PharmCAT would not report
            agree += 1
    with capsys.disabled():
        print(f"\nPharmCAT matcher-test concordance: {agree}/{total}")
    assert total == 27


def test_score_ties_follow_pharmcat_rule(shared_data: Path) -> None:
    """A missing *4 position leaves *4 and *17 defined by one called position each: three equal scores."""
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c19" / "s4bs17rs28399504missing.vcf"
    call = call_star_alleles(read_genotypes(f), "CYP2C19")
    tied = {call.diplotype} | {c.diplotype for c in call.alternatives if c.score == call.score}
    assert tied == {"*4/*4", "*4/*17", "*17/*17"} and call.score == 2
    assert call.confidence == "low" and any("rs28399504" in m for m in call.missing_positions)
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c9" / "s3s18m94981296.vcf"
    call = call_star_alleles(read_genotypes(f), "CYP2C9")
    assert call.diplotype == "*1/*18"
    unseen = [c for c in call.alternatives if c.diplotype == "*3/*18"]
    assert unseen and unseen[0].score is None  # *3 cannot be matched, but is not excluded either
    assert call.confidence != "high"


def test_unexpected_alleles_withhold_the_call(shared_data: Path) -> None:
    base = shared_data / "vcf_pharmcat" / "haplotype_tests"
    for gene, stem in NO_CALL:
        call = call_star_alleles(read_genotypes(base / DIRS[gene] / f"{stem}.vcf"), gene)
        assert call.diplotype is None and call.phenotype == "Indeterminate", (gene, stem)
    call = call_star_alleles(read_genotypes(base / "TPMT" / "unexpected.allele.vcf"), "TPMT")
    assert call.unexpected == ["chr6:18147910 A>T"]


def test_missing_positions_are_listed_never_reference(shared_data: Path) -> None:
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c19" / "s1s2rs3758581missing.vcf"
    call = call_star_alleles(read_genotypes(f), "CYP2C19")
    assert any("94842866" in m for m in call.missing_positions)
    assert call.ambiguous and "*2/*38" in {c.diplotype for c in call.alternatives}
    assert call.confidence != "high"


def test_definitions_agree_with_cpic(shared_data: Path) -> None:
    """pypgx-derived definitions (plus the authored overrides) equal CPIC's for every shared allele."""
    checked = 0
    for gene in ("TPMT", "NUDT15", "CYP2C9", "CYP2C19"):
        d = json.loads((shared_data / "pgx_cpic_pharmcat" / "allele_definitions" / f"{gene}_translation.json").read_text())
        variants = d["variants"]
        ref = next(a for a in d["namedAlleles"] if a["reference"])
        defn = load_gene(gene)
        names = {a.name for a in defn.alleles}
        iupac = {"R": "AG", "Y": "CT", "M": "AC", "S": "CG", "K": "GT", "W": "AT"}
        for allele in d["namedAlleles"]:
            if allele["name"] not in names:
                continue
            core, optional = set(), set()
            for v, base, rbase in zip(variants, allele["alleles"], ref["alleles"]):
                if base is None or base == rbase:  # a blank cell is the reference row's base (PharmCAT's rule)
                    continue
                if base in iupac:
                    alt = iupac[base].replace(v["ref"], "")
                    optional.add(variant_key(v["chromosome"], v["position"], v["ref"], alt))
                else:
                    core.add(variant_key(v["chromosome"], v["position"], v["ref"], base))
            mine = defn.allele(allele["name"])
            if gene == "CYP2C9" and allele["name"] == "*25":  # same deletion, left- vs right-aligned
                assert core == {"10-94942205-CAATGGAAAGA-C"} and mine.core == {"10-94942210-GAAAGAAATGG-G"}
            else:
                assert mine.core == core, (gene, allele["name"])
                assert mine.optional == optional, (gene, allele["name"])
            checked += 1
    assert checked > 150


def test_na12878_parses_and_calls(shared_data: Path) -> None:
    folder = shared_data / "vcf_pharmcat" / "na12878_2016"
    for f in sorted(folder.glob("*.vcf")):
        if "nochr10" in f.name:  # only other pharmacogenes' chromosomes (1, 2, 7, 12, 16, 19): nothing to call
            with pytest.raises(UserError, match="none of its 11 records is on chromosome 6, 10, 13 or X"):
                read_genotypes(f)
            continue
        g = read_genotypes(f)
        calls = {gene: call_star_alleles(g, gene) for gene in ("TPMT", "NUDT15", "CYP2C9", "CYP2C19")}
        assert calls["CYP2C19"].diplotype is not None, f.name


def test_multisample_needs_sample_and_selects_it(shared_data: Path) -> None:
    f = shared_data / "vcf_pharmcat" / "multisample" / "100samples.vcf.bgz"
    with pytest.raises(UserError, match="--sample"):
        read_genotypes(f)
    one = read_genotypes(f, sample="s7")
    allg = {s.sample: s for s in read_all_genotypes(f)}
    assert len(allg) == 100
    assert one.genes["CYP2C19"].alt_counts == allg["s7"].genes["CYP2C19"].alt_counts
    with pytest.raises(UserError, match="not found.*s7"):
        read_genotypes(f, sample="s7x")


def _strip_chr_and_gzip(src: Path, dst: Path) -> None:
    lines = [ln.replace("chr", "", 1) if not ln.startswith("#") else ln for ln in src.read_text().splitlines(True)]
    with gzip.open(dst, "wt") as fh:
        fh.writelines(lines)


def test_no_chr_prefix_and_gzip(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"
    dst = tmp_path / "nochr.vcf.gz"
    _strip_chr_and_gzip(src, dst)
    assert call_star_alleles(read_genotypes(dst), "TPMT").diplotype == "*3A/*3B"


def test_bcf_roundtrip(shared_data: Path, tmp_path: Path) -> None:
    import cyvcf2

    src = shared_data / "vcf_pharmcat" / "haplotype_tests" / "NUDT15" / "s3ref.vcf"
    fixed = tmp_path / "in.vcf"  # BCF needs contigs declared
    text = src.read_text().replace("#CHROM", "##contig=<ID=chr13,length=114364328>\n#CHROM", 1)
    fixed.write_text(text)
    reader = cyvcf2.VCF(str(fixed))
    out = tmp_path / "x.bcf"
    w = cyvcf2.Writer(str(out), reader, mode="wb")
    for rec in reader:
        w.write_record(rec)
    w.close()
    assert call_star_alleles(read_genotypes(out), "NUDT15").diplotype == "*1/*3"


def test_consumer_23andme(tmp_path: Path) -> None:
    # rs1800460 (*3B) and rs1142345 (*3C) het; rs1800462 (*2) homozygous reference.
    f = tmp_path / "genome.txt"
    f.write_text(
        "# This data file generated by 23andMe\n# rsid\tchromosome\tposition\tgenotype\n"
        "rs1800460\t6\t18139228\tCT\nrs1142345\t6\t18130918\tTC\nrs1800462\t6\t18143955\tCC\n"
        "rs2476601\t1\t114377568\tAG\n"
    )
    g = read_genotypes(f)
    assert g.file_format == "23andme"
    call = call_star_alleles(g, "TPMT")
    assert call.diplotype == "*1/*3A" and call.ambiguous and call.missing_positions
    assert g.context["rs2476601"].genotype == "AG"
    assert call_star_alleles(g, "CYP2C9").phenotype == "Not genotyped"


def test_bad_inputs(shared_data: Path, tmp_path: Path) -> None:
    notvcf = tmp_path / "notes.txt"
    notvcf.write_text("hello\nworld\n")
    with pytest.raises(UserError, match="not a VCF"):
        read_genotypes(notvcf)
    with pytest.raises(UserError, match="no such file"):
        read_genotypes(tmp_path / "absent.vcf")
    src = (shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf").read_text()
    g37 = tmp_path / "g37.vcf"
    g37.write_text(src.replace("#CHROM", "##contig=<ID=chr6,length=171115067>\n#CHROM", 1))
    with pytest.raises(UserError, match="GRCh37"):
        read_genotypes(g37)
    # GRCh37 coordinates without any header hint: rs1800460 and rs1142345 at their hg19 positions.
    head = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
    g37b = tmp_path / "g37b.vcf"
    g37b.write_text(head + "6\t18139228\trs1800460\tC\tT\t.\tPASS\t.\tGT\t0/1\n6\t18130918\trs1142345\tT\tC\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match="GRCh37"):
        read_genotypes(g37b)
    bad = tmp_path / "bad.vcf"
    bad.write_text(head + "6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t0/3\n")
    with pytest.raises(UserError, match="ALT allele that does not exist|malformed"):
        read_genotypes(bad)


def _phase(src: Path, dst: Path, gts: dict[int, str], extra_format: str = "", extra: dict[int, str] | None = None) -> Path:
    """Copy a one-sample VCF, replacing the GT at the given positions (and adding a FORMAT field)."""
    out = []
    for line in src.read_text().splitlines():
        if line.startswith("#CHROM") and extra_format:
            out.append(f'##FORMAT=<ID={extra_format},Number=1,Type=Integer,Description="Phase set">')
        if not line.startswith("#"):
            f = line.split("\t")
            pos = int(f[1])
            if pos in gts:
                f[9] = gts[pos]
            if extra_format:
                f[8] += f":{extra_format}"
                f[9] += ":" + (extra or {}).get(pos, ".")
            line = "\t".join(f)
        out.append(line)
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_phase_decides_tpmt_3b_3c(shared_data: Path, tmp_path: Path) -> None:
    """The unphased s3bs3c genotype is *1/*3A; phased, the haplotypes decide."""
    src = shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3bs3c.vcf"
    b3, c3 = 18138997, 18130687  # rs1800460 (*3B), rs1142345 (*3C)
    trans = call_star_alleles(read_genotypes(_phase(src, tmp_path / "t.vcf", {b3: "0|1", c3: "1|0"})), "TPMT")
    assert trans.diplotype == "*3B/*3C" and not trans.ambiguous and trans.confidence != "low"
    assert any("phased" in n for n in trans.notes)
    cis = call_star_alleles(read_genotypes(_phase(src, tmp_path / "c.vcf", {b3: "0|1", c3: "0|1"})), "TPMT")
    assert cis.diplotype == "*1/*3A" and "*3B/*3C" not in {c.diplotype for c in cis.alternatives}
    # Phased in different phase sets: phase between them is unknown, so both readings remain.
    split = _phase(src, tmp_path / "s.vcf", {b3: "0|1", c3: "1|0"}, "PS", {b3: "100", c3: "200"})
    both = call_star_alleles(read_genotypes(split), "TPMT")
    assert both.diplotype == "*1/*3A" and "*3B/*3C" in {c.diplotype for c in both.alternatives}
    same = _phase(src, tmp_path / "p.vcf", {b3: "0|1", c3: "1|0"}, "PS", {b3: "100", c3: "100"})
    assert call_star_alleles(read_genotypes(same), "TPMT").diplotype == "*3B/*3C"
    # One phased, one unphased het: unphased calling.
    half = call_star_alleles(read_genotypes(_phase(src, tmp_path / "h.vcf", {b3: "0|1", c3: "0/1"})), "TPMT")
    assert half.diplotype == "*1/*3A" and half.ambiguous


def test_combination_is_named_not_called(shared_data: Path) -> None:
    """Het *2 with hom *24 fits no allele pair; the *2+*24 combination is named in a note only."""
    f = shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c9" / "s24s2pluss24.vcf"
    call = call_star_alleles(read_genotypes(f), "CYP2C9")
    assert call.diplotype is None and call.phenotype == "Indeterminate"
    assert any("*24/*2+*24" in n and "not called" in n for n in call.notes)
    plain = call_star_alleles(read_genotypes(shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c9" / "s2s3.vcf"), "CYP2C9")
    assert not any("one chromosome" in n for n in plain.notes)


def test_phenotypes_equal_pypgx_functions() -> None:
    """phenotype_of reads pypgx's tables without importing pypgx (its import pulls pandas, matplotlib
    and scikit-learn); here pypgx's own predict_score / predict_phenotype check it on every CYP2C9
    allele score and a fixed spread of diplotypes of each gene (about 90 ms per pypgx call)."""
    import random

    pypgx = pytest.importorskip("pypgx", reason="pypgx with its full dependencies is needed for this cross-check")
    from hypoforge.tools.genomics.definitions import SUPPORTED_GENES, phenotype_of

    cyp2c9 = load_gene("CYP2C9")
    for al in cyp2c9.alleles:
        if al.activity_score is not None:
            assert pypgx.predict_score("CYP2C9", al.name) == al.activity_score, al.name
    rng = random.Random(7)
    checked = 0
    for gene in SUPPORTED_GENES:
        defn = load_gene(gene)
        names = [a.name for a in defn.alleles]
        pairs = [(defn.ref_allele, n) for n in rng.sample(names, 4)] + [tuple(rng.sample(names, 2)) for _ in range(4)]
        if gene == "G6PD":
            pairs += [(n, "MALE") for n in rng.sample(names, 4)]
        for a, b in pairs:
            ours, _ = phenotype_of(defn, a, b)
            assert ours == pypgx.predict_phenotype(gene, a, b), (gene, a, b)
            checked += 1
    assert checked == 8 * len(SUPPORTED_GENES) + 4


_HEAD = "##fileformat=VCFv4.2\n{extra}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"


def test_nothing_genotyped_is_an_error_that_says_why(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hypoforge.cli import main

    src = (shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf").read_text()
    refseq = tmp_path / "refseq.vcf"  # RefSeq accessions instead of chr6
    refseq.write_text("\n".join(ln if ln.startswith("#") else ln.replace("chr6", "NC_000006.12", 1)
                                for ln in src.splitlines()) + "\n")
    with pytest.raises(UserError, match=r"no[n]e of its \d+ records is on a pharmacogene chromosome: contigs seen NC_000006.12; expected 6/chr6"):
        read_genotypes(refseq)
    empty = tmp_path / "empty.vcf"
    empty.write_text(_HEAD.format(extra=""))
    with pytest.raises(UserError, match="the VCF has no records"):
        read_genotypes(empty)
    elsewhere = tmp_path / "elsewhere.vcf"
    elsewhere.write_text(_HEAD.format(extra="") + "chr6\t1000\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match="none of its 1 records .* lies at a defining position"):
        read_genotypes(elsewhere)
    # The CLI: one line on stderr, exit 2, no traceback.
    for f in (refseq, empty):
        assert main(["patient", "genotype", str(f)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("hypoforge: error: ") and "Traceback" not in err
    # One gene genotyped is enough: the others are reported "Not genotyped" as before.
    call = call_star_alleles(read_genotypes(shared_data / "vcf_pharmcat" / "haplotype_tests" / "TPMT" / "s3as3b.vcf"), "CYP2C19")
    assert call.phenotype == "Not genotyped"


def test_htslib_warnings_stay_off_the_terminal(shared_data: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import cyvcf2

    src = (shared_data / "vcf_pharmcat" / "haplotype_tests" / "NUDT15" / "s3ref.vcf").read_text()
    f = tmp_path / "badtag.vcf"
    f.write_text(src.replace("#CHROM", '##INFO=<ID=my-tag,Number=1,Type=String,Description="dash in name">\n#CHROM', 1))
    cyvcf2.VCF(str(f)).close()  # htslib itself does warn on this header ...
    assert "[W::" in capfd.readouterr().err
    assert call_star_alleles(read_genotypes(f), "NUDT15").diplotype == "*1/*3"  # ... but not through us
    assert capfd.readouterr().err == ""
    # htslib errors are quoted in the one-line message, not printed (nor their continuation lines).
    header = tmp_path / "header.vcf"
    header.write_text("##fileformat=VCFv4.2\n##INFO=<ID=A,Number=1\n#CHROM\tPOS\n")
    with pytest.raises(UserError, match=r"not a readable VCF.*htslib: \[E::"):
        read_genotypes(header)
    # A POS htslib cannot parse: it still hands the record on, and reading its REF would crash
    # the process (SIGSEGV in cyvcf2); the record is refused first.
    badpos = tmp_path / "badpos.vcf"
    badpos.write_text(_HEAD.format(extra="") + "chr6\tabc\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match=r"malformed record near chr6:1 \(htslib: \[E::vcf_parse\] Could not parse the position 'abc'\)"):
        read_genotypes(badpos)
    assert capfd.readouterr().err == ""


def test_record_limit_per_gene_region(shared_data: Path, tmp_path: Path) -> None:
    from hypoforge.tools.genomics.genotypes import read_all_genotypes

    rows = "".join(f"chr6\t{18131000 + i}\t.\tA\tG\t.\tPASS\t.\tGT\t0/0\n" for i in range(60))
    f = tmp_path / "dense.vcf"
    f.write_text(_HEAD.format(extra="") + rows + "chr6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t0/1\n")
    with pytest.raises(UserError, match="more than 50 records inside the TPMT region"):
        read_all_genotypes(f, max_records_per_gene=50)
    assert read_all_genotypes(f, max_records_per_gene=61)[0].genes["TPMT"].alt_counts  # within the limit


def test_blank_definition_cell_is_the_reference_base(shared_data: Path, tmp_path: Path) -> None:
    """PharmCAT's rule (NamedAlleleMatcher-101): CYP2C19 *30 leaves rs3758581 blank, so it carries
    the reference row's (*38's) A there. Het rs145328984 C>T and het rs3758581 A>G, all else
    reference: the G must come from *1, so *1/*30 (not *30/*38, as when a blank was either base)."""
    src = shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c19" / "s1s1.vcf"
    het = {94775106: "0/1", 94842866: "0/1"}
    rows = [ln.split("\t") for ln in src.read_text().splitlines()]
    for f in rows:
        if not f[0].startswith("#"):
            f[9] = het.get(int(f[1]), "0/0")
    vcf = tmp_path / "s1s30.vcf"
    vcf.write_text("\n".join("\t".join(f) for f in rows) + "\n")
    call = call_star_alleles(read_genotypes(vcf), "CYP2C19")
    assert call.diplotype == "*1/*30" and not call.ambiguous and call.confidence == "high"
    assert call.phenotype == "Indeterminate"  # CPIC: *30 is of uncertain function
    defn = load_gene("CYP2C19")
    for name in ("*16", "*30", "*34"):  # the alleles CPIC leaves blank at rs3758581
        assert "10-94842866-A-G" not in defn.allele(name).core | defn.allele(name).optional, name


def test_alleles_newer_than_pypgx_withhold_the_call(shared_data: Path, tmp_path: Path) -> None:
    """CPIC alleles pypgx 0.27.0 lacks sit at positions no defined allele uses; a carrier must get
    no call naming the allele, not *1 (the position would otherwise go unread)."""
    checked = 0
    for gene in ("TPMT", "NUDT15", "CYP2C9", "CYP2C19"):
        d = json.loads((shared_data / "pgx_cpic_pharmcat" / "allele_definitions" / f"{gene}_translation.json").read_text())
        defn = load_gene(gene)
        known = {a.name for a in defn.alleles}
        positions = {v.pos for v in defn.variants.values()}
        ref = d["namedAlleles"][0]["alleles"]
        expected = {}
        for allele in d["namedAlleles"]:
            if allele["name"] in known:
                continue
            for v, base, rbase in zip(d["variants"], allele["alleles"], ref):
                if base is not None and base != rbase and v["position"] not in positions:
                    alt = v["cpicToVcfAlleleMap"].get(base, base)
                    expected[variant_key(v["chromosome"], v["position"], v["ref"], alt)] = allele["name"]
        assert defn.unsupported == expected, gene
        checked += len(expected)
    assert checked == 19  # NUDT15 *21, CYP2C9 *72-*88, CYP2C19 *41
    src = (shared_data / "vcf_pharmcat" / "haplotype_tests" / "cyp2c9" / "s1s1.vcf").read_text().splitlines()
    head, body = [ln for ln in src if ln.startswith("#")], [ln for ln in src if not ln.startswith("#")]
    body.append("chr10\t94942306\t.\tC\tT\t.\tPASS\t.\tGT\t0/1")  # CPIC CYP2C9 *72
    f = tmp_path / "s1s72.vcf"
    f.write_text("\n".join(head + sorted(body, key=lambda ln: int(ln.split("\t")[1]))) + "\n")
    call = call_star_alleles(read_genotypes(f), "CYP2C9")
    assert call.diplotype is None and call.phenotype == "Indeterminate"
    assert call.unexpected == ["chr10:94942306 C>T (CPIC CYP2C9 *72, newer than the pypgx 0.27.0 tables)"]
