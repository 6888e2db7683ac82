"""Star-allele definitions, allele function and phenotype tables, read from the ``pypgx`` package.

Design choices:

* The tables come from the CSV files that the MIT-licensed ``pypgx`` wheel ships (``allele-table``,
  ``variant-table``, ``diplotype-table``, ``equation-table``, ``gene-table``, ``cpic-table``,
  ``recommendation-table``). They are located with ``importlib.util.find_spec`` and read as plain
  CSV: ``pypgx`` itself is never imported (its import pulls matplotlib, pandas and scikit-learn).
* pypgx lists only the *core* variants of each allele relative to the gene's reference allele. On
  GRCh38 the genome carries CYP2C19*38, not *1, so every allele except the GRCh38 default also
  carries *1's core variant (rs3758581). :func:`load_gene` adds that background variant, which is
  what the CPIC definitions state explicitly.
* A blank cell in a CPIC definition means the reference row's base (PharmCAT's rule,
  NamedAlleleMatcher-101), exactly as pypgx's core lists read: an allele carries the reference
  base wherever it lists no variant. So CYP2C19 *16, *30 and *34, which CPIC leaves blank at
  rs3758581, carry *38's A there and do not inherit *1's G ("no_background" below).
* CPIC writes a few positions with an IUPAC ambiguity code (either base may occur on that allele,
  e.g. CYP2C19*4 at rs12248560). pypgx cannot express that, so the project authors those few
  cases in ``data/allele_overrides.json`` (checked against the CPIC definitions by a test). The
  same file corrects the few G6PD rows where pypgx's GRCh38 column departs from CPIC ("core"
  replaces an allele's variants, "exclude" drops a name CPIC does not define) and lists CPIC
  alleles newer than pypgx 0.27.0 ("unsupported": NUDT15 *21, CYP2C9 *72-*88, CYP2C19 *41) by
  their variants at otherwise unused positions, so a carrier gets no call rather than *1.
* G6PD is X-linked. Its alleles are named as CPIC names them (e.g. "A- 202A_376G",
  "Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham"), with the WHO class as the
  allele function. One X chromosome (hemizygous) is written ``ALLELE/MALE``, the form pypgx's
  diplotype table uses, so its phenotype lookup serves both sexes.
* Variants are keyed ``"chrom-pos-ref-alt"`` (no ``chr``), trimmed to their minimal
  representation, as pypgx writes them.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from hypoforge.errors import UserError

SUPPORTED_GENES: tuple[str, ...] = ("TPMT", "NUDT15", "CYP2C9", "CYP2C19", "G6PD")
"""Genes called from a genotype file."""

X_LINKED: frozenset[str] = frozenset({"G6PD"})
"""Genes on chromosome X: one copy in a hemizygous (46,XY) patient."""

HEMIZYGOUS = "MALE"
"""The second 'allele' of a hemizygous diplotype (pypgx's convention: ``A- 202A_376G/MALE``)."""

PYPGX_VERSION = "0.27.0"


class DefVariant(BaseModel):
    """One defining variant of a gene (GRCh38, minimal representation)."""

    key: str = Field(description="chrom-pos-ref-alt, GRCh38, no chr prefix")
    chrom: str
    pos: int
    ref: str
    alt: str
    rsid: str | None = None
    grch37_pos: int | None = None
    grch37_ref: str | None = None
    grch37_alt: str | None = None

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1

    def label(self) -> str:
        rs = f" ({self.rsid})" if self.rsid else ""
        return f"chr{self.chrom}:{self.pos} {self.ref}>{self.alt}{rs}"


class AlleleDef(BaseModel):
    name: str
    core: frozenset[str] = Field(description="variant keys the allele must carry")
    optional: frozenset[str] = Field(default=frozenset(), description="variant keys it may carry (IUPAC codes in CPIC)")
    function: str | None = None
    activity_score: float | None = None


class GeneDefinition(BaseModel):
    gene: str
    chrom: str
    ref_allele: str
    default_allele: str = Field(description="the allele the GRCh38 reference sequence carries")
    phenotype_method: str = Field(description="'Diplotype' (table lookup) or 'Score' (activity score)")
    variants: dict[str, DefVariant]
    alleles: list[AlleleDef]
    diplotype_phenotypes: dict[str, str]
    score_equations: list[tuple[str, str]] = Field(default_factory=list)
    unsupported: dict[str, str] = Field(
        default_factory=dict,
        description="variant key -> CPIC allele newer than the pypgx tables that carries it (at a position no "
        "defined allele uses): seen in a file, it withholds the call",
    )

    @functools.cached_property
    def by_name(self) -> dict[str, AlleleDef]:
        return {a.name: a for a in self.alleles}

    @functools.cached_property
    def rank(self) -> dict[str, int]:
        """Allele name -> its place in the table (the order diplotypes are written in)."""
        return {a.name: i for i, a in enumerate(self.alleles)}

    def missing_labels(self, alt_counts: dict[str, int | None]) -> list[str]:
        """Defining positions with no call in ``alt_counts``, in genome order, as display labels."""
        missing = sorted((v for k, v in self.variants.items() if alt_counts.get(k) is None), key=lambda v: v.pos)
        return [v.label() for v in missing]

    def allele(self, name: str) -> AlleleDef:
        return self.by_name[name]


def pypgx_data_dir() -> Path:
    """The folder of pypgx's data tables, found without importing pypgx."""
    spec = importlib.util.find_spec("pypgx")
    if spec is None or spec.origin is None:
        raise UserError(
            f"the pypgx package (allele definitions) is not installed; run: pip install pypgx=={PYPGX_VERSION}"
        )
    path = Path(spec.origin).parent / "api" / "data"
    if not (path / "allele-table.csv").is_file():
        raise UserError(f"pypgx at {path.parent.parent} lacks its data tables; reinstall pypgx=={PYPGX_VERSION}")
    return path


def read_table(name: str) -> list[dict[str, str]]:
    with open(pypgx_data_dir() / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def bundled_table(name: str) -> list[dict[str, str]]:
    """A tab-separated table the project ships in ``tools/genomics/data`` ('#' lines are comments)."""
    text = resources.files("hypoforge.tools.genomics").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader((ln for ln in text.splitlines() if not ln.startswith("#")), delimiter="\t"))


def normalize(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim a variant to its minimal representation (common suffix, then common prefix), keeping
    one anchor base for indels, as VCF does."""
    ref, alt = ref.upper(), alt.upper()
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def variant_key(chrom: str, pos: int, ref: str, alt: str) -> str:
    p, r, a = normalize(pos, ref, alt)
    return f"{chrom.removeprefix('chr')}-{p}-{r}-{a}"


def parse_key(key: str) -> tuple[str, int, str, str]:
    chrom, pos, ref, alt = key.split("-")
    return chrom, int(pos), ref, alt


@functools.cache
def _overrides() -> dict[str, dict[str, dict[str, object]]]:
    text = resources.files("hypoforge.tools.genomics").joinpath("data/allele_overrides.json").read_text("utf-8")
    data = json.loads(text)
    return {k: v for k, v in data.items() if not k.startswith("_")}


@functools.cache
def load_gene(gene: str) -> GeneDefinition:
    """Build a gene's GRCh38 definitions from pypgx's tables (cached: the tables are immutable)."""
    gene = gene.upper()
    if gene not in SUPPORTED_GENES:
        raise UserError(f"gene {gene!r} is not supported for star-allele calling; choose from {', '.join(SUPPORTED_GENES)}")
    ginfo = next(r for r in read_table("gene-table.csv") if r["Gene"] == gene)
    ref_allele, default_allele = ginfo["RefAllele"], ginfo["GRCh38Default"]
    chrom = ginfo["GRCh38Region"].split(":")[0]

    variants: dict[str, DefVariant] = {}
    by_grch38_name: dict[str, str] = {}
    for r in read_table("variant-table.csv"):
        if r["Gene"] != gene or r["GRCh38Name"] == "N/A":
            continue
        c, p, ref, alt = r["GRCh38Name"].split("-")
        key = variant_key(c, int(p), ref, alt)
        g37 = r["GRCh37Name"].split("-") if r["GRCh37Name"] != "N/A" else None
        variants[key] = DefVariant(
            key=key, chrom=c, pos=parse_key(key)[1], ref=parse_key(key)[2], alt=parse_key(key)[3],
            rsid=r["rsID"] if r["rsID"].startswith("rs") else None,
            grch37_pos=int(g37[1]) if g37 else None,
            grch37_ref=g37[2] if g37 else None,
            grch37_alt=g37[3] if g37 else None,
        )
        by_grch38_name[r["GRCh38Name"]] = key

    def keys_of(field: str) -> frozenset[str]:
        if field == "N/A":
            return frozenset()
        out = set()
        for name in field.split(","):
            c, p, ref, alt = name.split("-")
            out.add(by_grch38_name.get(name, variant_key(c, int(p), ref, alt)))
        return frozenset(out)

    rows = [r for r in read_table("allele-table.csv") if r["Gene"] == gene]
    background = next((keys_of(r["GRCh38Core"]) for r in rows if r["StarAllele"] == ref_allele), frozenset())
    if ref_allele == default_allele:
        background = frozenset()
    overrides = _overrides().get(gene, {})
    alleles: list[AlleleDef] = []
    for r in rows:
        name = r["StarAllele"]
        if r["SV"] == "TRUE":
            continue  # structural alleles cannot be called from SNV/indel genotypes
        core = keys_of(r["GRCh38Core"])
        if not core and name not in (ref_allele, default_allele):
            continue  # no GRCh38 definition
        ov = overrides.get(name, {})
        if ov.get("exclude"):
            continue
        if "core" in ov:
            core = frozenset(variant_key(*parse_key(k)) for k in ov["core"])  # type: ignore[attr-defined]
        if name != default_allele and not ov.get("no_background"):
            core = core | background
        for k in core:
            if k not in variants:
                c, p, ref, alt = parse_key(k)
                variants[k] = DefVariant(key=k, chrom=c, pos=p, ref=ref, alt=alt)
        optional = frozenset(variant_key(*parse_key(k)) for k in ov.get("optional", []))  # type: ignore[attr-defined]
        for k in optional:
            if k not in variants:
                c, p, ref, alt = parse_key(k)
                variants[k] = DefVariant(key=k, chrom=c, pos=p, ref=ref, alt=alt)
        score = float(r["ActivityScore"]) if r["ActivityScore"] not in ("N/A", "") else None
        alleles.append(AlleleDef(
            name=name, core=core, optional=optional - core,
            function=r["Function"], activity_score=score,
        ))

    # A variant no kept allele uses is not a defining position (e.g. G6PD c.1311, which only the
    # excluded rows carried): an ALT there must not block every fit.
    used = frozenset().union(*(a.core | a.optional for a in alleles))
    variants = {k: v for k, v in variants.items() if k in used}
    unsupported = {variant_key(*parse_key(k)): name for name, ov in overrides.items()
                   for k in ov.get("unsupported", [])}  # type: ignore[attr-defined]
    dips = {r["Diplotype"]: r["Phenotype"] for r in read_table("diplotype-table.csv") if r["Gene"] == gene}
    eqs = [(r["Phenotype"], r["Equation"]) for r in read_table("equation-table.csv") if r["Gene"] == gene]
    return GeneDefinition(
        gene=gene, chrom=chrom, ref_allele=ref_allele, default_allele=default_allele,
        phenotype_method=ginfo["PhenotypeMethod"], variants=variants, alleles=alleles,
        diplotype_phenotypes=dips, score_equations=eqs, unsupported=unsupported,
    )


def _satisfies(equation: str, score: float) -> bool:
    """Evaluate pypgx's tiny equation language ('0 <= score < 1', '2 == score') without eval()."""
    toks = equation.split()
    vals = [score if t == "score" else (t if t in ("<", "<=", "==", ">", ">=") else float(t)) for t in toks]
    ops = {"<": float.__lt__, "<=": float.__le__, "==": float.__eq__, ">": float.__gt__, ">=": float.__ge__}
    for i in range(1, len(vals), 2):
        if not ops[str(vals[i])](float(vals[i - 1]), float(vals[i + 1])):
            return False
    return True


def phenotype_of(defn: GeneDefinition, a: str, b: str) -> tuple[str, float | None]:
    """Phenotype (and activity score where the gene uses one) of diplotype a/b, from pypgx tables."""
    if defn.phenotype_method == "Score":
        s1, s2 = defn.allele(a).activity_score, defn.allele(b).activity_score
        if s1 is None or s2 is None:
            return "Indeterminate", None
        score = s1 + s2
        for pheno, eq in defn.score_equations:
            if _satisfies(eq, score):
                return pheno, score
        return "Indeterminate", score
    for dip in (f"{a}/{b}", f"{b}/{a}"):
        if dip in defn.diplotype_phenotypes:
            return defn.diplotype_phenotypes[dip], None
    return "Indeterminate", None
