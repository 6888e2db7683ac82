"""Benchmark: samples/s and peak memory calling TPMT, NUDT15, CYP2C9, CYP2C19 and G6PD on the 100-sample VCF.

Our path parses the file once (cyvcf2 genotype matrix for all samples) then calls each sample.
Baseline, measured in the same run: the naive route of re-reading the file once per sample
(`read_genotypes(path, sample=s)`), on the first 20 samples.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from _common import bootstrap, result  # noqa: E402

bootstrap()

from hypoforge.tools.genomics.calling import call_star_alleles  # noqa: E402
from hypoforge.tools.genomics.definitions import SUPPORTED_GENES, load_gene  # noqa: E402
from hypoforge.tools.genomics.genotypes import read_all_genotypes, read_genotypes  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "vcf_pharmcat" / "multisample" / "100samples.vcf.bgz"


def main() -> None:
    if not DATA.is_file():
        sys.exit(f"missing {DATA}")
    for g in SUPPORTED_GENES:
        load_gene(g)  # table loading is one-off; keep it out of both timings
    t0 = time.perf_counter()
    samples = read_all_genotypes(DATA)
    calls = [[call_star_alleles(s, g) for g in SUPPORTED_GENES] for s in samples]
    fast = len(samples) / (time.perf_counter() - t0)
    # Peak Python-heap memory in a separate traced pass (tracemalloc slows the code it traces).
    tracemalloc.start()
    traced = read_all_genotypes(DATA)
    for s in traced:
        for g in SUPPORTED_GENES:
            call_star_alleles(s, g)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    names = [s.sample for s in samples][:20]
    t0 = time.perf_counter()
    for n in names:
        s = read_genotypes(DATA, sample=n)
        for g in SUPPORTED_GENES:
            call_star_alleles(s, g)
    naive = len(names) / (time.perf_counter() - t0)
    called = sum(c.diplotype is not None for row in calls for c in row)
    print(f"one-pass: {fast:.1f} samples/s, peak Python heap {peak_mb:.1f} MiB (process max RSS {rss_mb:.0f} MiB), {called}/{len(calls) * len(SUPPORTED_GENES)} gene calls")
    print(f"baseline (re-read per sample): {naive:.1f} samples/s")
    result("genotype_calling", fast, naive, "samples/s", ">= 50", fast >= 50,
           peak_mem_mib=round(peak_mb, 1), max_rss_mib=round(rss_mb))


if __name__ == "__main__":
    main()
