"""Star-allele calling from genotypes, unphased or phased.

Method (exact matching, as CPIC definitions intend): a diplotype a/b *fits* when, at every called
defining variant, the ALT copies observed equal the copies a and b require, allowing each
allele's optional variants (IUPAC positions in CPIC) to add one copy. A position an allele's
definition leaves blank carries the reference row's base (PharmCAT's NamedAlleleMatcher rule), so
only an IUPAC code lets either base occur there. Positions with no call in the file are
dropped from every definition first (never assumed reference); alleles that become identical after
that are reported as alternatives of one another.

Ranking follows PharmCAT's documented Named Allele Matcher score: an allele scores the number of
called positions its definition specifies (IUPAC positions included; the reference allele specifies
every position, so it scores all called positions), and a diplotype scores the sum of its two
alleles. The highest score wins, so het *3B+*3C positions give *1/*3A, the choice CPIC and
PharmCAT make. An allele none of whose defining positions was called scores nothing: it can never
be the call (PharmCAT cannot match it either), but it is listed as an alternative with score None,
because the missing data cannot exclude it. Ties on the score are broken, in order, by the larger
single allele (most specific), by crediting fewer optional variants, and by preferring the gene's
reference allele (CYP2C19 *1 over the GRCh38 default *38); every other fit is listed and the call
is marked ambiguous. When nothing fits, or an unexpected allele sits at a defining position, the
call is withheld (diplotype None, phenotype Indeterminate) rather than guessed. Combinations of
alleles on one chromosome (PharmCAT's research-only "*2 + *24" mode) are not called; when only
such a combination fits, a note names it.

X-linked genes (G6PD): a patient with one X chromosome is called *hemizygous*: each single allele
whose variants equal the observed copies (0 or 1) fits, written ``ALLELE/MALE`` (pypgx's form, so
its diplotype table gives the phenotype). Which model applies comes from the sex the user states
and the GT ploidy in the file, never from a guess: haploid GTs mean one X; a heterozygous GT means
two; a stated sex that contradicts the GTs withholds the call. Without a stated sex, diploid-coded
homozygous GTs fit both models: the two-X call is reported, the hemizygous one is listed beside it,
and confidence drops (to low where their phenotypes differ).

Phase: when every heterozygous GT of a gene is phased within one phase set, the reader gives the
ALT copies on each haplotype, and a fit must also put one allele on each haplotype exactly: het
*3B and *3C sites on opposite haplotypes are *3B/*3C, on one haplotype *1/*3A. If no pair of
alleles fits the haplotypes (e.g. a switch error), the call falls back to the unphased fits and
says so. Partly phased or multi-block genes are called as unphased (a superset of the phased
answer: never wrong, possibly more ambiguous).
"""
from __future__ import annotations

import difflib
import itertools
from typing import Literal, NamedTuple

from hypoforge.tools.genomics.definitions import (
    HEMIZYGOUS,
    X_LINKED,
    GeneDefinition,
    load_gene,
    phenotype_of,
)
from hypoforge.tools.genomics.models import Candidate, GeneCall, GeneObservations, SampleGenotypes


class _Reduced(NamedTuple):
    """An allele restricted to the called positions (a plain tuple: built per call for every allele)."""

    name: str
    core: frozenset[str]
    optional: frozenset[str]


def _fits(a: _Reduced, b: _Reduced, called: dict[str, int], keys: frozenset[str]) -> tuple[int, int, int] | None:
    """Return (size_a, size_b, optional_used) when a/b fits exactly, else None; sizes count the
    optional variants each allele was credited with."""
    extra_a = extra_b = 0
    for k in keys:
        need = (k in a.core) + (k in b.core)
        opt_a, opt_b = k in a.optional, k in b.optional
        obs = called[k]
        if obs < need or obs > need + opt_a + opt_b:
            return None
        surplus = obs - need
        if surplus:
            use_a = min(surplus, int(opt_a))
            extra_a += use_a
            extra_b += surplus - use_a
    return len(a.core & keys) + extra_a, len(b.core & keys) + extra_b, extra_a + extra_b


def _sort_pair(defn: GeneDefinition, a: str, b: str) -> tuple[str, str]:
    last = len(defn.rank)  # the hemizygous marker always goes second
    return (a, b) if defn.rank.get(a, last) <= defn.rank.get(b, last) else (b, a)


_NO_SECOND_X = _Reduced(HEMIZYGOUS, frozenset(), frozenset())


def call_gene(obs: GeneObservations, defn: GeneDefinition | None = None, *, hemizygous: bool = False) -> GeneCall:
    """Call one gene from its observations. ``hemizygous``: one copy of the chromosome (X in a
    46,XY patient), so ``alt_counts`` are 0 or 1 and each fit is a single allele."""
    defn = defn or load_gene(obs.gene)
    called = {k: v for k, v in obs.alt_counts.items() if v is not None and k in defn.variants}
    missing_labels = defn.missing_labels(obs.alt_counts)
    if not called:
        return GeneCall(
            gene=defn.gene, diplotype=None, phenotype="Not genotyped", ambiguous=False,
            missing_positions=missing_labels, unexpected=obs.unexpected, confidence="none",
            notes=["no defining position of this gene was called in the file"],
        )
    keys = frozenset(called)
    full = {defn.ref_allele, defn.default_allele}
    called_positions = {defn.variants[k].pos for k in keys}

    def score_of(name: str) -> int | None:
        """PharmCAT's allele score on the called positions; None when none of its positions was called."""
        if name in full:
            return len(called_positions)
        al = defn.allele(name)
        n = len({defn.variants[k].pos for k in al.core | al.optional if k in keys})
        return n or None

    scores = {al.name: score_of(al.name) for al in defn.alleles}
    scores[HEMIZYGOUS] = 0

    # Reduce each allele to the called positions; merge alleles that became indistinguishable.
    groups: dict[tuple[frozenset[str], frozenset[str]], list[_Reduced]] = {}
    for al in defn.alleles:
        red = _Reduced(al.name, al.core & keys, al.optional & keys)
        groups.setdefault((red.core, red.optional), []).append(red)
    reps: list[_Reduced] = []
    equivalents: dict[str, list[str]] = {}
    for members in groups.values():
        names = [m.name for m in members]
        # The group's name: the reference allele, else the GRCh38 default, else the best-scoring member.
        lead = max(names, key=lambda n: (n == defn.ref_allele, n in full, scores[n] or 0))
        reps.append(next(m for m in members if m.name == lead))
        equivalents[lead] = [n for n in names if n != lead]
    positive = {k for k, v in called.items() if v > 0}
    usable = [r for r in reps if r.core <= positive]
    def dip_score(a: str, b: str) -> int | None:
        sa, sb = scores[a], scores[b]
        return None if sa is None or sb is None else sa + sb

    fits: list[tuple[int, tuple[int, ...], str, str, int]] = []
    pairs = [(a, _NO_SECOND_X) for a in usable] if hemizygous else itertools.combinations_with_replacement(usable, 2)
    for a, b in pairs:
        sizes = _fits(a, b, called, keys)
        if sizes is not None:
            x, y = _sort_pair(defn, a.name, b.name)
            fits.append((dip_score(x, y) or -1, tuple(sorted(sizes[:2], reverse=True)), x, y, sizes[2]))
    notes: list[str] = []
    if obs.unexpected or not fits:
        if obs.unexpected:
            notes.append("unexpected allele(s) no defined allele explains: " + "; ".join(obs.unexpected))
        if not fits:
            notes.append("no pair of defined alleles explains the observed genotypes")
            combos = [] if obs.unexpected or hemizygous else _combinations(defn, usable, called, keys)
            if combos:
                notes.append("two defined alleles on one chromosome would fit: " + ", ".join(combos[:3])
                             + " (PharmCAT's research-only combination mode; not called, phenotype Indeterminate)")
        return _withheld(defn, obs, notes)
    if obs.haplotypes and not hemizygous:
        by_name = {r.name: r for r in reps}
        hap = obs.haplotypes

        def on(r: _Reduced, h: int) -> bool:
            return all((k in r.core) <= hap[k][h] <= (k in r.core) + (k in r.optional) for k in keys)

        phased = [f for f in fits if (on(by_name[f[2]], 0) and on(by_name[f[3]], 1)) or (on(by_name[f[2]], 1) and on(by_name[f[3]], 0))]
        if phased:
            if len(phased) < len(fits):
                notes.append(f"phased GTs: {len(fits) - len(phased)} unphased fit(s) excluded")
            fits = phased
        else:
            notes.append("phased GTs fit no pair of alleles haplotype by haplotype; called as unphased")
    ref_bonus = lambda f: (f[2] == defn.ref_allele) + (f[3] == defn.ref_allele)  # noqa: E731
    fits.sort(key=lambda f: (-f[0], tuple(-s for s in f[1]), f[4], -ref_bonus(f)))
    best = fits[0]
    if best[0] < 0:  # only alleles without any called position fit: nothing can be matched
        notes.append("no allele with a called defining position explains the observed genotypes")
        return _withheld(defn, obs, notes)
    pheno, act = phenotype_of(defn, best[2], best[3])
    alts: list[Candidate] = []
    seen = {f"{best[2]}/{best[3]}"}

    def add(a: str, b: str) -> None:
        x, y = _sort_pair(defn, a, b)
        d = f"{x}/{y}"
        if d not in seen:
            seen.add(d)
            p, s = phenotype_of(defn, x, y)
            alts.append(Candidate(diplotype=d, phenotype=p, activity_score=s, score=dip_score(x, y)))

    # Every fit, each allele expanded to the alleles indistinguishable from it on the called positions.
    # Alleles with no called position at all are paired only with a matchable partner (one unseen
    # allele per diplotype), which names each of them without listing every pair of unseen alleles.
    for f in fits:
        a, b = f[2], f[3]
        seen_a = [a, *(e for e in equivalents.get(a, []) if scores[e] is not None)]
        seen_b = [b, *(e for e in equivalents.get(b, []) if scores[e] is not None)]
        for x in seen_a:
            for y in seen_b:
                add(x, y)
        for u in equivalents.get(a, []):
            if scores[u] is None:
                add(u, b)
        for u in equivalents.get(b, []):
            if scores[u] is None:
                add(a, u)
    alts.sort(key=lambda c: -(c.score if c.score is not None else -1))
    if missing_labels:
        notes.append(f"{len(missing_labels)} defining position(s) not called; alleles defined there cannot be excluded")
    phenos = {pheno} | {c.phenotype for c in alts}
    if len(phenos) > 1:
        notes.append("alternative diplotypes imply different phenotypes: " + ", ".join(sorted(phenos)))
    confidence = "high" if not alts and not missing_labels else ("medium" if len(phenos) == 1 else "low")
    return GeneCall(
        gene=defn.gene, diplotype=f"{best[2]}/{best[3]}", phenotype=pheno, activity_score=act, score=best[0],
        ambiguous=bool(alts), alternatives=alts, missing_positions=missing_labels,
        unexpected=obs.unexpected, confidence=confidence, notes=notes,
    )


def call_from_outside(gene: str, diplotype: str, replaces: GeneCall | None = None) -> GeneCall:
    """A gene call taken from another assay (outside-calls TSV), with the phenotype from the same
    tables. ValueError names an allele the definitions do not have."""
    defn = load_gene(gene)
    parts = [p.strip() for p in diplotype.split("/")]
    known = set(defn.by_name) | ({HEMIZYGOUS} if defn.gene in X_LINKED else set())
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"{diplotype!r} is not a diplotype like *1/*3A")
    for p in parts:
        if p not in known:
            near = difflib.get_close_matches(p, sorted(known), n=3)
            raise ValueError(f"unknown {defn.gene} allele {p!r}" + (f"; did you mean {', '.join(near)}?" if near else ""))
    a, b = _sort_pair(defn, parts[0], parts[1])
    pheno, score = phenotype_of(defn, a, b)
    was = f"{replaces.diplotype or 'no call'} ({replaces.phenotype})" if replaces else "none"
    return GeneCall(gene=defn.gene, diplotype=f"{a}/{b}", phenotype=pheno, activity_score=score, ambiguous=False,
                    confidence="high", source="outside call (TSV)",
                    notes=[f"outside call replaces the call from the genotype file: {was}"])


def _combinations(defn: GeneDefinition, usable: list[_Reduced], called: dict[str, int], keys: frozenset[str]) -> list[str]:
    """Diplotypes 'c/a+b' where alleles a and b together on one chromosome, opposite c, fit
    exactly. Only named in a note when nothing else fits: no CPIC function exists for them."""
    variants = [r for r in usable if r.core and r.name not in (defn.ref_allele, defn.default_allele)]
    out = []
    for a, b in itertools.combinations(variants, 2):
        if a.core & b.core:
            continue
        x, y = _sort_pair(defn, a.name, b.name)
        both = _Reduced(f"{x}+{y}", a.core | b.core, a.optional | b.optional)
        for c in usable:
            if _fits(both, c, called, keys) is not None:
                out.append(f"{c.name}/{both.name}")
    return out


Sex = Literal["female", "male", "other"]


def call_star_alleles(genotypes: SampleGenotypes, gene: str, sex: Sex | None = None) -> GeneCall:
    """Call one gene's diplotype and phenotype from a sample's genotypes. ``sex`` matters only for
    X-linked genes (see the module docstring); 'other' and None mean not stated."""
    gene = gene.upper()
    defn = load_gene(gene)
    obs = genotypes.genes.get(gene) or GeneObservations(gene=gene, alt_counts={})
    if gene in X_LINKED:
        return _call_x_linked(obs, defn, sex if sex in ("female", "male") else None)
    return call_gene(obs, defn)


def _withheld(defn: GeneDefinition, obs: GeneObservations, notes: list[str]) -> GeneCall:
    """No call: phenotype Indeterminate, with the reasons in ``notes``."""
    return GeneCall(gene=defn.gene, diplotype=None, phenotype="Indeterminate", ambiguous=False,
                    missing_positions=defn.missing_labels(obs.alt_counts), unexpected=obs.unexpected,
                    confidence="low", notes=notes)


def _one_copy(obs: GeneObservations) -> GeneObservations:
    """Diploid-coded homozygous GTs (0/0, 1/1) of a single X, as copies of one chromosome."""
    counts = {k: (None if v is None else v // 2) for k, v in obs.alt_counts.items()}
    return obs.model_copy(update={"alt_counts": counts, "ploidy": 1})


def _call_x_linked(obs: GeneObservations, defn: GeneDefinition, sex: Literal["female", "male"] | None) -> GeneCall:
    het = sorted(defn.variants[k].label() for k, v in obs.alt_counts.items() if v == 1 and k in defn.variants)
    if obs.ploidy == 1:
        if sex == "female":
            return _withheld(defn, obs, ["haploid (single-X) genotypes for a patient stated to be female: "
                                         "check the sample's sex or the genotype calls"])
        call = call_gene(obs, defn, hemizygous=True)
        call.notes.append("haploid GTs: called as one X chromosome")
        return call
    if sex == "male":
        if het:
            return _withheld(defn, obs, [f"heterozygous GT on chromosome X ({', '.join(het[:3])}) for a patient stated "
                                         "to be male: check the sample's sex or the genotype calls"])
        call = call_gene(_one_copy(obs), defn, hemizygous=True)
        if obs.ploidy == 2:
            call.notes.append("diploid-coded GTs read as one X chromosome (sex: male)")
        return call
    call = call_gene(obs, defn)
    if sex == "female" or obs.ploidy is None:
        return call
    if het:
        call.notes.append("heterozygous GTs: two X chromosomes")
        return call
    if call.diplotype is None:
        return call
    # Sex not stated and every GT homozygous: one X or two identical copies both fit.
    hemi = call_gene(_one_copy(obs), defn, hemizygous=True)
    seen = {call.diplotype} | {c.diplotype for c in call.alternatives}
    extra = ([Candidate(diplotype=hemi.diplotype, phenotype=hemi.phenotype, activity_score=hemi.activity_score,
                        score=hemi.score)] if hemi.diplotype else []) + hemi.alternatives
    alts = call.alternatives + [c for c in extra if c.diplotype not in seen]
    phenos = {call.phenotype} | {c.phenotype for c in alts}
    notes = call.notes + [f"sex not stated: homozygous GTs fit two X chromosomes ({call.diplotype}) or one "
                          f"({hemi.diplotype}); state the patient's sex to decide"]
    confidence = call.confidence if call.confidence in ("low", "none") else ("medium" if len(phenos) == 1 else "low")
    return call.model_copy(update={"alternatives": alts, "ambiguous": bool(alts), "notes": notes, "confidence": confidence})
