"""Star-allele calling from unphased genotypes.

Method (exact matching, as CPIC definitions intend): a diplotype a/b *fits* when, at every called
defining variant, the ALT copies observed equal the copies a and b require, allowing each
allele's optional variants (IUPAC positions in CPIC) to add one copy. Positions with no call are
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
alleles on one chromosome (PharmCAT's research-only "*2 + *24" mode) are not called.

Phase: the VCF reader records whether a sample's genotypes are phased, but calling treats them as
unphased: the fit is then a superset of the phased answer (never wrong, possibly more ambiguous).
"""
from __future__ import annotations

import functools
import itertools

from hypoforge.tools.genomics.definitions import AlleleDef, GeneDefinition, load_gene, phenotype_of
from hypoforge.tools.genomics.models import Candidate, GeneCall, GeneObservations, SampleGenotypes


def _fits(a: AlleleDef, b: AlleleDef, called: dict[str, int], keys: frozenset[str]) -> tuple[int, int, int] | None:
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


@functools.cache
def _order(gene: str) -> dict[str, int]:
    return {al.name: i for i, al in enumerate(load_gene(gene).alleles)}


def _sort_pair(defn: GeneDefinition, a: str, b: str) -> tuple[str, str]:
    order = _order(defn.gene)
    return (a, b) if order[a] <= order[b] else (b, a)


def call_gene(obs: GeneObservations, defn: GeneDefinition | None = None) -> GeneCall:
    defn = defn or load_gene(obs.gene)
    called = {k: v for k, v in obs.alt_counts.items() if v is not None and k in defn.variants}
    missing = sorted(
        (k for k in defn.variants if obs.alt_counts.get(k) is None),
        key=lambda k: defn.variants[k].pos,
    )
    missing_labels = [defn.variants[k].label() for k in missing]
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
        n = len({defn.variants[k].pos for k in (al.core | al.optional) - al.undefined if k in keys})
        return n or None

    scores = {al.name: score_of(al.name) for al in defn.alleles}

    # Reduce each allele to the called positions; merge alleles that became indistinguishable.
    groups: dict[tuple[frozenset[str], frozenset[str]], list[AlleleDef]] = {}
    for al in defn.alleles:
        red = AlleleDef.model_construct(name=al.name, core=al.core & keys, optional=al.optional & keys)
        groups.setdefault((red.core, red.optional), []).append(red)
    reps: list[AlleleDef] = []
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
    for a, b in itertools.combinations_with_replacement(usable, 2):
        sizes = _fits(a, b, called, keys)
        if sizes is not None:
            x, y = _sort_pair(defn, a.name, b.name)
            fits.append((dip_score(x, y) or -1, tuple(sorted(sizes[:2], reverse=True)), x, y, sizes[2]))
    notes: list[str] = []
    if obs.unexpected or not fits:
        if obs.unexpected:
            notes.append("unexpected allele(s) at defining positions: " + "; ".join(obs.unexpected))
        if not fits:
            notes.append("no pair of defined alleles explains the observed genotypes")
        return GeneCall(
            gene=defn.gene, diplotype=None, phenotype="Indeterminate", ambiguous=False,
            missing_positions=missing_labels, unexpected=obs.unexpected, confidence="low", notes=notes,
        )
    ref_bonus = lambda f: (f[2] == defn.ref_allele) + (f[3] == defn.ref_allele)  # noqa: E731
    fits.sort(key=lambda f: (-f[0], tuple(-s for s in f[1]), f[4], -ref_bonus(f)))
    best = fits[0]
    if best[0] < 0:  # only alleles without any called position fit: nothing can be matched
        notes.append("no allele with a called defining position explains the observed genotypes")
        return GeneCall(
            gene=defn.gene, diplotype=None, phenotype="Indeterminate", ambiguous=False,
            missing_positions=missing_labels, unexpected=obs.unexpected, confidence="low", notes=notes,
        )
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
    if missing:
        notes.append(f"{len(missing)} defining position(s) not called; alleles defined there cannot be excluded")
    phenos = {pheno} | {c.phenotype for c in alts}
    if len(phenos) > 1:
        notes.append("alternative diplotypes imply different phenotypes: " + ", ".join(sorted(phenos)))
    confidence = "high" if not alts and not missing else ("medium" if len(phenos) == 1 else "low")
    return GeneCall(
        gene=defn.gene, diplotype=f"{best[2]}/{best[3]}", phenotype=pheno, activity_score=act, score=best[0],
        ambiguous=bool(alts), alternatives=alts, missing_positions=missing_labels,
        unexpected=obs.unexpected, confidence=confidence, notes=notes,
    )


def call_star_alleles(genotypes: SampleGenotypes, gene: str) -> GeneCall:
    """Call one gene's diplotype and phenotype from a sample's genotypes."""
    gene = gene.upper()
    defn = load_gene(gene)
    obs = genotypes.genes.get(gene) or GeneObservations(gene=gene, alt_counts={})
    return call_gene(obs, defn)
