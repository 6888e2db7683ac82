"""Star-allele calling from unphased genotypes.

Method (exact matching, as CPIC definitions intend): a diplotype a/b *fits* when, at every called
defining variant, the ALT copies observed equal the copies a and b require, allowing each
allele's optional variants (IUPAC positions in CPIC) to add one copy. Positions with no call are
dropped from every definition first (never assumed reference); alleles that become identical after
that are reported as alternatives of one another.

Among fitting diplotypes the most parsimonious wins: the one whose largest allele explains the most
variants (lexicographic on allele sizes, largest first), so het *3B+*3C positions give *1/*3A, the
choice CPIC and PharmCAT make; then the one crediting fewer optional (IUPAC) variants; the other fits are listed and the call is marked ambiguous. When the
gene's reference allele differs from the GRCh38 default (CYP2C19 *1 vs *38), ties prefer the
reference allele. When nothing fits, or an unexpected allele sits at a defining position, the call
is withheld (diplotype None, phenotype Indeterminate) rather than guessed.
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
    # Reduce each allele to the called positions; merge alleles that became indistinguishable.
    groups: dict[tuple[frozenset[str], frozenset[str]], list[AlleleDef]] = {}
    for al in defn.alleles:
        red = AlleleDef.model_construct(name=al.name, core=al.core & keys, optional=al.optional & keys)
        groups.setdefault((red.core, red.optional), []).append(red)
    reps: list[AlleleDef] = []
    equivalents: dict[str, list[str]] = {}
    for members in groups.values():
        names = [m.name for m in members]
        lead = defn.ref_allele if defn.ref_allele in names else names[0]
        reps.append(next(m for m in members if m.name == lead))
        equivalents[lead] = [n for n in names if n != lead]
    positive = {k for k, v in called.items() if v > 0}
    usable = [r for r in reps if r.core <= positive]
    fits: list[tuple[tuple[int, ...], str, str, int]] = []
    for a, b in itertools.combinations_with_replacement(usable, 2):
        sizes = _fits(a, b, called, keys)
        if sizes is not None:
            x, y = _sort_pair(defn, a.name, b.name)
            fits.append((tuple(sorted(sizes[:2], reverse=True)), x, y, sizes[2]))
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
    ref_bonus = lambda f: (f[1] == defn.ref_allele) + (f[2] == defn.ref_allele)  # noqa: E731
    fits.sort(key=lambda f: (tuple(-s for s in f[0]), f[3], -ref_bonus(f)))
    best = fits[0]
    pheno, score = phenotype_of(defn, best[1], best[2])
    alts: list[Candidate] = []
    seen = {f"{best[1]}/{best[2]}"}

    def add(a: str, b: str) -> None:
        x, y = _sort_pair(defn, a, b)
        d = f"{x}/{y}"
        if d not in seen:
            seen.add(d)
            p, s = phenotype_of(defn, x, y)
            alts.append(Candidate(diplotype=d, phenotype=p, activity_score=s))

    for f in fits[1:]:
        add(f[1], f[2])
    for a in (best[1], best[2]):
        for eq in equivalents.get(a, []):
            other = best[2] if a == best[1] else best[1]
            add(eq, other)
    if missing:
        notes.append(f"{len(missing)} defining position(s) not called; alleles defined there cannot be excluded")
    phenos = {pheno} | {c.phenotype for c in alts}
    if len(phenos) > 1:
        notes.append("alternative diplotypes imply different phenotypes: " + ", ".join(sorted(phenos)))
    confidence = "high" if not alts and not missing else ("medium" if len(phenos) == 1 else "low")
    return GeneCall(
        gene=defn.gene, diplotype=f"{best[1]}/{best[2]}", phenotype=pheno, activity_score=score,
        ambiguous=bool(alts), alternatives=alts, missing_positions=missing_labels,
        unexpected=obs.unexpected, confidence=confidence, notes=notes,
    )


def call_star_alleles(genotypes: SampleGenotypes, gene: str) -> GeneCall:
    """Call one gene's diplotype and phenotype from a sample's genotypes."""
    gene = gene.upper()
    defn = load_gene(gene)
    obs = genotypes.genes.get(gene) or GeneObservations(gene=gene, alt_counts={})
    return call_gene(obs, defn)
