"""Read a patient's genotypes at the defining variants of the supported pharmacogenes.

Inputs: VCF / VCF.gz / BGZF / BCF (parsed by cyvcf2, i.e. htslib), single- or multi-sample, with
or without ``chr``; or a consumer raw-data text file (23andMe, AncestryDNA) matched by rsID, since
those positions are GRCh37.

Design choices:

* A defining variant absent from the file, or present with a missing GT, is a *no-call* (None),
  never silently reference: gVCF-less files often omit reference sites, and assuming reference
  there would hide a poor metaboliser.
* Indels are matched after trimming to a minimal representation, and also when a shifted
  representation of the same indel in a repeat makes the same haplotype (CYP2C9*25, G6PD Tsukui:
  CPIC and callers write them left-aligned, pypgx right-aligned). The two REF strings together
  give the reference needed for that check, so no reference genome is required.
* GRCh37 input is detected (contig lengths, ``##reference``, or defining positions matching
  GRCh37 coordinates) and refused with a UserError, since GRCh37 positions would be silently
  misread as GRCh38.
* Chromosome X (G6PD) may carry haploid GTs (``1``: one X chromosome); they are recorded as one
  copy with ``ploidy=1``, diploid GTs as ``ploidy=2``. Haploid GTs elsewhere are malformed. Sex is
  not guessed here: the caller combines ploidy with the sex the user states.
* Phase: ALT copies are also kept per haplotype; a gene's haplotypes are handed to the caller only
  when all of its heterozygous GTs are phased in one phase set (PS, or none given).
* One pass over the file serves any number of samples (:func:`read_all_genotypes`), using the
  genotype matrix cyvcf2 exposes, so a 100-sample file is parsed once.
* Nothing fails quietly: a VCF with no records, or none at any defining position (wrong contig
  names, another region), is a UserError that says which (contig names seen vs expected), not a
  report of "Not genotyped" genes. htslib's own messages (``[W::bcf_hrec_check] Invalid tag name``)
  are captured at the file-descriptor level while the file is read: warnings are dropped, and the
  first htslib error is quoted when the file cannot be read.
* Hostile files: more than :data:`MAX_RECORDS_PER_GENE` records inside one gene's region (a
  base-by-base gVCF of the largest, CYP2C19, has about 91,000) is refused before it costs minutes.
"""

from __future__ import annotations

import contextlib
import difflib
import gzip
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from hypoforge.errors import UserError
from hypoforge.tools.genomics.context import load_context_variants
from hypoforge.tools.genomics.definitions import (
    SUPPORTED_GENES,
    X_LINKED,
    DefVariant,
    GeneDefinition,
    parse_key,
    load_gene,
    normalize,
)
from hypoforge.tools.genomics.models import ContextObservation, GeneObservations, SampleGenotypes

# Chromosome lengths that tell the builds apart (GRCh37, GRCh38).
_CONTIG_LENGTHS = {
    "6": (171115067, 170805979),
    "10": (135534747, 133797422),
    "13": (115169878, 114364328),
    "1": (249250621, 248956422),
    "X": (155270560, 156040895),
}


MAX_RECORDS_PER_GENE = 250_000
"""Records a VCF may hold inside one gene's region (its defining positions +-50 bases)."""

_CHROMOSOMES = frozenset([str(i) for i in range(1, 23)] + ["X", "Y", "M", "MT"])
_CHROM_GENES = "6/chr6 (TPMT), 13/chr13 (NUDT15), 10/chr10 (CYP2C9, CYP2C19), X/chrX (G6PD)"


_HTSLIB_PREFIXES = ("[W::", "[E::", "[I::", "[D::")


class _HtslibLog:
    """What htslib wrote to file descriptor 2 while :func:`_quiet_htslib` held it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._checked = 0

    def lines(self) -> list[str]:
        return os.pread(self._fd, 1 << 20, 0).decode("utf-8", "replace").splitlines()  # keeps fd 2's offset

    def __call__(self) -> str:
        """The first htslib error (else warning) so far as `` (htslib: ...)``; '' if none."""
        lines = [ln for ln in self.lines() if ln.startswith(_HTSLIB_PREFIXES)]
        first = next((ln for ln in lines if ln.startswith("[E::")), None) or next(iter(lines), "")
        return f" (htslib: {first[:200]})" if first else ""

    def new_error(self) -> str | None:
        """An htslib error line written since the last call (one fstat when there is none)."""
        size = os.fstat(self._fd).st_size
        if size == self._checked:
            return None
        text = os.pread(self._fd, min(size - self._checked, 1 << 16), self._checked).decode("utf-8", "replace")
        self._checked = size
        return next((ln[:200] for ln in text.splitlines() if ln.startswith("[E::")), None)


@contextlib.contextmanager
def _quiet_htslib() -> Iterator[_HtslibLog]:
    """Capture what C code writes to file descriptor 2 while the block runs: htslib's ``[W::...]``
    warnings and ``[E::...]`` errors (with their unprefixed continuation lines) never reach the
    terminal; the log is yielded for error messages. Lines written there before the first htslib
    line (Python's own stderr) are passed on afterwards."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        log = _HtslibLog(tmp.fileno())
        os.dup2(tmp.fileno(), 2)
        try:
            yield log
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            other = []
            for line in log.lines():
                if line.startswith(_HTSLIB_PREFIXES):
                    break  # htslib's multi-line messages continue unprefixed: keep the rest captured
                other.append(line)
            if other:
                sys.stderr.write("\n".join(other) + "\n")


def _same_indel(p1: int, r1: str, a1: str, p2: int, r2: str, a2: str) -> bool:
    """Whether two indels make the same haplotype, decided exactly without a reference genome: when
    their REF spans touch or overlap (and agree where they overlap), the two REFs together are the
    reference of one stretch; apply each variant to it and compare the results."""
    if (p2, r2) < (p1, r1):
        p1, r1, a1, p2, r2, a2 = p2, r2, a2, p1, r1, a1
    offset = p2 - p1
    if offset > len(r1):
        return False  # a gap of unknown bases between them
    shared = len(r1) - offset
    if shared > 0 and r1[offset:offset + len(r2)] != r2[:shared]:
        return False
    stretch = r1 + r2[max(shared, 0):] if offset + len(r2) > len(r1) else r1
    return a1 + stretch[len(r1):] == stretch[:offset] + a2 + stretch[offset + len(r2):]


class _GeneIndex:
    """Lookup from VCF records to a gene's defining variants."""

    def __init__(self, defn: GeneDefinition) -> None:
        self.defn = defn
        self.by_pos: dict[int, list[DefVariant]] = {}
        self.indels: list[DefVariant] = []
        for v in defn.variants.values():
            self.by_pos.setdefault(v.pos, []).append(v)
            if not v.is_snv:
                self.indels.append(v)
        # Variants of CPIC alleles the tables lack: (pos, ref, alt) -> allele name.
        self.unsupported = {normalize(p, r, a): name for k, name in defn.unsupported.items()
                            for _, p, r, a in [parse_key(k)]}
        positions = [v.pos for v in defn.variants.values()] + [p for p, _, _ in self.unsupported]
        self.lo = min(positions) - 50
        self.hi = max(positions) + 50

    def match(self, pos: int, ref: str, alt: str) -> DefVariant | None:
        p, r, a = normalize(pos, ref, alt)
        for v in self.by_pos.get(p, []):
            if (v.ref, v.alt) == (r, a):
                return v
        if len(r) != 1 or len(a) != 1:
            for v in self.indels:
                if abs(v.pos - p) <= len(r) + len(v.ref) and _same_indel(p, r, a, v.pos, v.ref, v.alt):
                    return v
        return None

    def covered(self, pos: int, ref: str) -> list[DefVariant]:
        """Defining variants whose position lies inside the record's REF span."""
        out = []
        for q in range(pos, pos + max(len(ref), 1)):
            out.extend(self.by_pos.get(q, []))
        return out


def _open_vcf(path: Path, samples: Sequence[str] | None = None, htslib: Callable[[], str] = str):  # type: ignore[no-untyped-def]
    import cyvcf2

    try:
        return cyvcf2.VCF(str(path), samples=list(samples) if samples else None, lazy=True, threads=1)
    except Exception as exc:  # htslib raises OSError / generic errors for non-VCF input
        raise UserError(f"{path}: not a readable VCF/BCF file ({exc}){htslib()}; give a VCF, VCF.gz or BCF") from exc


def _detect_build(vcf, indexes: list[_GeneIndex], path: Path) -> None:  # type: ignore[no-untyped-def]
    header = vcf.raw_header
    for line in header.splitlines():
        if line.startswith("##contig=<"):
            fields = dict(kv.split("=", 1) for kv in line[10:-1].split(",") if "=" in kv)
            chrom = fields.get("ID", "").removeprefix("chr")
            if chrom in _CONTIG_LENGTHS and fields.get("length", "").isdigit():
                length = int(fields["length"])
                if length == _CONTIG_LENGTHS[chrom][0]:
                    raise UserError(
                        f"{path}: contig {fields['ID']} has the GRCh37 length {length}; this tool needs GRCh38 "
                        "coordinates: lift the file over to GRCh38 (e.g. with bcftools +liftover or Picard LiftoverVcf)"
                    )
        if line.lower().startswith("##reference=") and any(t in line.lower() for t in ("grch37", "hg19", "b37", "hs37d5")):
            raise UserError(f"{path}: header says {line.strip()!r} (GRCh37); lift the file over to GRCh38 first")


def _check_grch37_positions(records_hits38: int, records_hits37: int, path: Path) -> None:
    if records_hits37 >= 2 and records_hits38 == 0:
        raise UserError(
            f"{path}: {records_hits37} records sit on GRCh37 positions of defining variants and none on GRCh38 ones; "
            "this looks like a GRCh37 file: lift it over to GRCh38 first"
        )


def _sniff(path: Path) -> str:
    """'vcf', '23andme', 'ancestrydna' or 'unknown', from the first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            return "unknown"
    if head.startswith(b"BCF"):
        return "vcf"
    text = head.decode("utf-8", "replace")
    if text.startswith("##fileformat=VCF"):
        return "vcf"
    low = text.lower()
    if "ancestrydna" in low or low.lstrip("#").startswith("rsid\tchromosome\tposition\tallele1"):
        return "ancestrydna"
    if "23andme" in low or "# rsid\tchromosome\tposition\tgenotype" in low:
        return "23andme"
    return "unknown"


def read_all_genotypes(
    path: str | Path, genes: Iterable[str] = SUPPORTED_GENES, samples: Sequence[str] | None = None,
    *, max_records_per_gene: int = MAX_RECORDS_PER_GENE,
) -> list[SampleGenotypes]:
    """Read every sample (or the named ones) of a VCF/BCF in one pass. UserError when the file
    cannot be read, holds no records, or has none at any defining position of ``genes``."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file; give the path of a VCF/BCF or 23andMe/AncestryDNA file")
    fmt = _sniff(path)
    if fmt in ("23andme", "ancestrydna"):
        if samples and len(samples) > 1:
            raise UserError(f"{path}: a consumer genotype file holds one person; give at most one --sample")
        return [_read_consumer(path, fmt, list(genes), samples[0] if samples else None)]
    if fmt != "vcf":
        raise UserError(f"{path}: not a VCF/BCF (no ##fileformat=VCF header) nor a 23andMe/AncestryDNA text file")
    with _quiet_htslib() as htslib:
        return _read_vcf(path, [load_gene(g) for g in genes], samples, max_records_per_gene, htslib)


def _vcf_samples(path: Path, htslib: _HtslibLog) -> list[str]:
    vcf = _open_vcf(path, htslib=htslib)
    try:
        return list(vcf.samples)
    finally:
        vcf.close()


def _read_vcf(
    path: Path, defns: list[GeneDefinition], samples: Sequence[str] | None, max_records_per_gene: int,
    htslib: _HtslibLog,
) -> list[SampleGenotypes]:
    indexes = [_GeneIndex(d) for d in defns]
    ctx = load_context_variants()
    ctx_ids = {c.rsid for c in ctx}
    vcf = _open_vcf(path, htslib=htslib)
    try:
        all_samples: list[str] = list(vcf.samples)
        if not all_samples:
            raise UserError(f"{path}: the VCF has no sample columns; genotypes are needed")
        for s in samples or []:
            if s not in all_samples:
                near = difflib.get_close_matches(s, all_samples, n=3)
                hint = f"; did you mean {', '.join(near)}?" if near else f"; the file has {', '.join(all_samples[:5])}{'...' if len(all_samples) > 5 else ''}"
                raise UserError(f"{path}: sample {s!r} not found{hint}")
        _detect_build(vcf, indexes, path)
    except UserError:
        vcf.close()
        raise
    names = list(samples) if samples else all_samples
    if samples:
        vcf.close()
        vcf = _open_vcf(path, samples, htslib)
    n = len(names)
    # counts[gene][key] -> int array (n,), -1 = no call; untouched keys are absent (= not in file)
    counts: list[dict[str, np.ndarray]] = [{} for _ in defns]
    unexpected: list[list[list[str]]] = [[[] for _ in range(n)] for _ in defns]
    ctx_gt: dict[str, list[str | None]] = {}
    grch37_hits = grch38_hits = 0
    pos37 = {(v.chrom, v.grch37_pos, v.grch37_ref) for d in defns for v in d.variants.values() if v.grch37_pos}
    pos38 = {(v.chrom, v.pos, v.ref) for d in defns for v in d.variants.values()}
    chroms = {d.chrom for d in defns}
    x_chroms = {d.chrom for d in defns if d.gene in X_LINKED}
    # ploidy_seen[gene] bit mask per sample: 1 = a haploid GT was called, 2 = a diploid one
    ploidy_seen = [np.zeros(n, dtype=np.int8) for _ in defns]
    # Phase: ALT copies per haplotype, whether every heterozygous GT of the gene is phased within
    # one phase set (PS; phased GTs without PS share one set, as the VCF specification says), and
    # whether the gene has any heterozygous GT at all (otherwise phase adds nothing).
    haps: list[dict[str, np.ndarray]] = [{} for _ in defns]
    phase_ok = [np.ones(n, dtype=bool) for _ in defns]
    phase_set = [np.full(n, -1, dtype=np.int64) for _ in defns]
    any_het = [np.zeros(n, dtype=bool) for _ in defns]
    n_records = 0
    contigs: dict[str, None] = {}  # names seen, in file order (capped)
    in_region = [0] * len(defns)
    try:
        for rec in vcf:
            n_records += 1
            bad = htslib.new_error()
            if bad:  # htslib hands on records it failed to parse; touching their fields can crash
                raise UserError(f"{path}: malformed record near {rec.CHROM}:{rec.POS} (htslib: {bad}); fix or remove it")
            if len(contigs) < 20:
                contigs.setdefault(rec.CHROM)
            chrom = rec.CHROM.removeprefix("chr")
            ids = set((rec.ID or "").split(";"))
            hit_ctx = ids & ctx_ids
            if chrom not in chroms and not hit_ctx:
                continue
            pos, ref, alts = rec.POS, rec.REF, [a for a in rec.ALT if a not in (".", "*", "<*>", "<NON_REF>")]
            if (chrom, pos, ref) in pos38:
                grch38_hits += 1
            elif (chrom, pos, ref) in pos37:
                grch37_hits += 1
            gts = _genotype_matrix(rec, path, n, haploid_ok=chrom in x_chroms)
            if hit_ctx:
                bases = [ref] + list(rec.ALT)
                for rs in hit_ctx:
                    ctx_gt[rs] = [
                        None if (row < 0).any() else "".join(bases[i] for i in row if i < len(bases)) for row in gts
                    ]
            for gi, idx in enumerate(indexes):
                if chrom != idx.defn.chrom or not (idx.lo <= pos <= idx.hi):
                    continue
                in_region[gi] += 1
                if in_region[gi] > max_records_per_gene:
                    raise UserError(
                        f"{path}: more than {max_records_per_gene:,} records inside the {idx.defn.gene} region "
                        f"(chr{idx.defn.chrom}:{idx.lo}-{idx.hi}); a VCF holds at most one record per base and "
                        "allele there: check the file (duplicated records?) or cut it to the pharmacogene regions"
                    )
                for ai, alt in enumerate(alts, start=1):
                    newer = idx.unsupported.get(normalize(pos, ref, alt)) if idx.unsupported else None
                    if newer:
                        for si in np.nonzero((gts == ai).any(axis=1))[0]:
                            unexpected[gi][si].append(f"chr{chrom}:{pos} {ref}>{alt} (CPIC {idx.defn.gene} {newer}, "
                                                      "newer than the pypgx 0.27.0 tables)")
                hits = idx.covered(pos, ref)
                matched: dict[int, DefVariant] = {}
                for ai, alt in enumerate(alts, start=1):
                    if alt.startswith("<"):
                        continue
                    v = idx.match(pos, ref, alt)
                    if v is not None:
                        matched[ai] = v
                        if v not in hits:
                            hits.append(v)
                if not hits:
                    continue
                missing_row = (gts == -1).any(axis=1)
                haploid_row = gts[:, 1] == -2
                ploidy_seen[gi] |= np.where(missing_row, 0, np.where(haploid_row, 1, 2)).astype(np.int8)
                het_row = (gts[:, 0] != gts[:, 1]) & ~missing_row & ~haploid_row
                if het_row.any():
                    ps = _phase_sets(rec, n)
                    any_het[gi] |= het_row
                    phase_ok[gi] &= ~het_row | _phased(rec, n)
                    first = het_row & (phase_set[gi] == -1)
                    phase_set[gi][first] = ps[first]
                    phase_ok[gi] &= ~het_row | (phase_set[gi] == ps)
                for v in hits:
                    arr = counts[gi].setdefault(v.key, np.zeros(n, dtype=np.int16))
                    hap = haps[gi].setdefault(v.key, np.zeros((n, 2), dtype=np.int16))
                    for ai, mv in matched.items():
                        if mv.key == v.key:
                            hap += (gts == ai).astype(np.int16)
                    arr[:] = np.where((arr < 0) | missing_row, -1, hap.sum(axis=1))
                # Non-reference alleles that change a defining SNV base but match no definition.
                snv_here = [v for v in idx.by_pos.get(pos, []) if v.is_snv]
                for ai, alt in enumerate(alts, start=1):
                    if ai in matched or not snv_here or alt.startswith("<"):
                        continue
                    p, r, a = normalize(pos, ref, alt)
                    if p == pos and r[:1] != a[:1] or (len(r) == len(a) == 1):
                        carriers = np.nonzero((gts == ai).any(axis=1))[0]
                        for si in carriers:
                            unexpected[gi][si].append(f"chr{chrom}:{pos} {ref}>{alt}")
    except UserError:
        raise
    except Exception as exc:
        raise UserError(f"{path}: could not parse the VCF ({exc}){htslib()}; check that it is a valid VCF") from exc
    finally:
        vcf.close()
    _check_grch37_positions(grch38_hits, grch37_hits, path)
    if not any(counts):
        _nothing_genotyped(path, defns, n_records, list(contigs), htslib)
    out: list[SampleGenotypes] = []
    for si, name in enumerate(names):
        genes_obs: dict[str, GeneObservations] = {}
        for gi, d in enumerate(defns):
            ac: dict[str, int | None] = {}
            for k in d.variants:
                arr = counts[gi].get(k)
                ac[k] = None if arr is None or arr[si] < 0 else int(arr[si])
            seen = int(ploidy_seen[gi][si])
            odd = ["mixed haploid and diploid genotypes at this gene's positions"] if seen == 3 else []
            haplotypes = None
            if seen == 2 and any_het[gi][si] and phase_ok[gi][si]:
                haplotypes = {k: (int(haps[gi][k][si, 0]), int(haps[gi][k][si, 1])) for k, c in ac.items() if c is not None}
            genes_obs[d.gene] = GeneObservations(
                gene=d.gene, alt_counts=ac, unexpected=unexpected[gi][si] + odd, haplotypes=haplotypes,
                ploidy={1: 1, 2: 2}.get(seen),
            )
        context = {rs: ContextObservation(rsid=rs, genotype=(ctx_gt.get(rs) or [None] * n)[si]) for rs in sorted(ctx_ids)}
        out.append(SampleGenotypes(sample=name, source=str(path), file_format="vcf", genes=genes_obs, context=context))
    return out


def _nothing_genotyped(path: Path, defns: list[GeneDefinition], n_records: int, contigs: list[str],
                       htslib: _HtslibLog) -> None:
    """Raise the UserError that says why no defining position of any gene was found."""
    genes = ", ".join(d.gene for d in defns)
    if n_records == 0:
        raise UserError(f"{path}: the VCF has no records{htslib()}; nothing to genotype ({genes})")
    wanted = {d.chrom for d in defns}
    names = {c.removeprefix("chr") for c in contigs}
    seen = ", ".join(contigs[:8]) + (", ..." if len(contigs) > 8 else "")
    if not wanted & names:
        if names & _CHROMOSOMES:  # standard names, other chromosomes
            order = sorted(wanted, key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0))
            where = ", ".join(order[:-1]) + " or " + order[-1] if len(order) > 1 else order[0]
            raise UserError(
                f"{path}: none of its {n_records:,} records is on chromosome {where} (contigs seen: {seen}), where "
                f"{genes} lie; give a VCF that covers these genes"
            )
        raise UserError(
            f"{path}: none of its {n_records:,} records is on a pharmacogene chromosome: contigs seen {seen}; expected "
            f"{_CHROM_GENES} (GRCh38); rename the contigs (e.g. bcftools annotate --rename-chrs)"
        )
    raise UserError(
        f"{path}: none of its {n_records:,} records (contigs {seen}) lies at a defining position of {genes}; "
        "the file covers other regions: give a VCF that includes the pharmacogene positions"
    )


def _genotype_matrix(rec, path: Path, n: int, haploid_ok: bool = False) -> np.ndarray:  # type: ignore[no-untyped-def]
    """(n_samples, 2) allele indices: -1 = missing, -2 = no second allele (haploid GT, allowed only
    where ``haploid_ok``: chromosome X). UserError on malformed GTs or other ploidy."""
    if n == 0:
        return np.zeros((0, 2), dtype=np.int16)
    try:
        arr = rec.genotype.array()
    except Exception as exc:
        raise UserError(f"{path}: malformed GT at {rec.CHROM}:{rec.POS} ({exc}); fix the genotype field") from exc
    gts = np.asarray(arr[:, :-1], dtype=np.int16)
    if gts.shape[1] == 1:  # every sample haploid at this record
        gts = np.concatenate([gts, np.full((n, 1), -2, dtype=np.int16)], axis=1)
    if gts.shape[1] != 2:
        raise UserError(f"{path}: ploidy {gts.shape[1]} at {rec.CHROM}:{rec.POS}; diploid genotypes (e.g. 0/1) are required")
    # cyvcf2 pads haploid calls with -2 (vector end); a lone allele on an autosome is malformed here.
    if (gts[:, 0] == -2).any() or ((gts[:, 1] == -2).any() and not haploid_ok):
        raise UserError(
            f"{path}: haploid or ragged genotype at {rec.CHROM}:{rec.POS}; autosomal pharmacogenes need diploid GT like 0/1"
        )
    if (gts > len(rec.ALT)).any():
        raise UserError(f"{path}: genotype refers to an ALT allele that does not exist at {rec.CHROM}:{rec.POS}")
    return np.where((gts < 0) & (gts != -2), -1, gts)


def _phased(rec, n: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    try:
        return np.asarray(rec.gt_phases, dtype=bool)
    except Exception:
        return np.zeros(n, dtype=bool)


def _phase_sets(rec, n: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """PS per sample; -2 (one shared default set) where the record or the sample has none."""
    try:
        ps = rec.format("PS")
    except Exception:
        ps = None
    if ps is None:
        return np.full(n, -2, dtype=np.int64)
    flat = np.asarray(ps).reshape(n, -1)[:, 0].astype(np.int64)
    return np.where(flat < 0, -2, flat)


def read_genotypes(
    path: str | Path, sample: str | None = None, genes: Iterable[str] = SUPPORTED_GENES
) -> SampleGenotypes:
    """Genotypes of one person. A multi-sample VCF needs ``sample``."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file; give the path of a VCF/BCF or 23andMe/AncestryDNA file")
    if _sniff(path) == "vcf" and sample is None:
        with _quiet_htslib() as htslib:
            names = _vcf_samples(path, htslib)
        if len(names) > 1:
            raise UserError(
                f"{path}: the VCF has {len(names)} samples ({', '.join(names[:5])}{'...' if len(names) > 5 else ''}); "
                "choose one with --sample"
            )
    return read_all_genotypes(path, genes, [sample] if sample else None)[0]


_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _read_consumer(path: Path, fmt: str, genes: list[str], sample: str | None) -> SampleGenotypes:
    """23andMe (rsid chrom pos genotype) or AncestryDNA (rsid chrom pos allele1 allele2), by rsID."""
    calls: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#") or line.lower().startswith("rsid"):
                continue
            parts = line.rstrip("\n").split("\t")
            if fmt == "23andme" and len(parts) == 4:
                gt = parts[3].strip()
            elif fmt == "ancestrydna" and len(parts) == 5:
                gt = parts[3].strip() + parts[4].strip()
            else:
                raise UserError(f"{path}:{lineno}: expected {4 if fmt == '23andme' else 5} tab-separated columns for a {fmt} file")
            calls[parts[0].strip()] = gt.upper()
    genes_obs: dict[str, GeneObservations] = {}
    for g in genes:
        d = load_gene(g)
        ac: dict[str, int | None] = {}
        unexpected: list[str] = []
        ploidies: set[int] = set()
        for k, v in d.variants.items():
            gt = calls.get(v.rsid or "")
            ok_len = (1, 2) if g in X_LINKED else (2,)  # 23andMe writes one base for a single X
            if gt is None or not v.is_snv or len(gt) not in ok_len or any(b not in "ACGT" for b in gt):
                ac[k] = None  # absent, no-call ('--'), indel ('DI') or haploid autosome: never assume reference
                continue
            ref = v.grch37_ref or v.ref
            alt = v.grch37_alt or v.alt
            allowed = {ref} | {w.grch37_alt or w.alt for w in d.variants.values() if w.rsid == v.rsid and w.is_snv}
            if not set(gt) <= allowed:
                flipped = gt.translate(_COMPLEMENT)
                palindromic = {ref, alt} in ({"A", "T"}, {"C", "G"})
                if not palindromic and set(flipped) <= allowed:
                    gt = flipped  # reported on the other strand
                else:
                    ac[k] = None
                    unexpected.append(f"{v.rsid} {gt} (definition {ref}>{alt})")
                    continue
            ac[k] = gt.count(alt)
            ploidies.add(len(gt))
        if len(ploidies) > 1:
            unexpected.append("mixed haploid and diploid genotypes at this gene's positions")
        genes_obs[g] = GeneObservations(
            gene=g, alt_counts=ac, unexpected=unexpected, ploidy=next(iter(ploidies)) if len(ploidies) == 1 else None
        )
    ctx = {c.rsid: ContextObservation(rsid=c.rsid, genotype=calls.get(c.rsid)) for c in load_context_variants()}
    return SampleGenotypes(
        sample=sample or path.stem, source=str(path), file_format=fmt,  # type: ignore[arg-type]
        build="GRCh37 (rsID-matched)", genes=genes_obs, context=ctx,
    )
