"""Screening throughput and accuracy on ZINC (shared data: molecules/zinc20k).

Throughput: molecules/s of the parallel screen (``chem.screen``'s engine, 2 worker processes) against
a plain single-process loop over the same molecules, measured in the same run; target >= 1.7x on 2
cores. Both paths do identical work per molecule (parse, descriptors with QED and SA score, rule
checks, PAINS/Brenk alerts, scaffold). Accuracy: mean absolute difference of our QED and cLogP
from the file's reference columns over every screened molecule.

    python bench/screen_zinc.py [--n 4000] [--workers 2] [--repeats 1]

On a shared machine wall-clock ratios swing with other load, so the script also reports CPU time
(ours plus the workers'): ``cpu_efficiency`` = serial CPU / parallel CPU, and ``cpu_bound_ratio`` =
workers x efficiency, the speed-up the pool delivers when its cores are free. With ``--repeats`` the
serial and parallel runs alternate and the best of each is kept.

Ends with one JSON line: name, value (parallel mol/s), baseline (serial mol/s), ratio, unit, target, met.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from _common import bootstrap, result  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="molecules to screen (from the top of the file; 0 = all 20,000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="alternating rounds; the best time of each path is kept")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("HYPOFORGE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    args = ap.parse_args()
    bootstrap()
    from hypoforge.tools.chemistry.screen import BatchItem, profile_item, screen

    path = args.data / "molecules" / "zinc20k" / "20k_rndm_zinc_drugs_clean_3.csv"
    if not path.is_file():
        print(f"skipped: {path} not found (set HYPOFORGE_SHARED_DATA)")
        print(json.dumps({"name": "screen_zinc", "value": None, "baseline": None, "ratio": None, "unit": "molecules/s",
                          "target": ">= 1.7x", "met": False, "skipped": "zinc20k data absent"}))
        return 0
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if args.n:
        rows = rows[: args.n]
    items = [BatchItem(index=i, id=f"zinc{i}", text=r["smiles"].strip(), fmt="smiles") for i, r in enumerate(rows)]
    for it in items[:20]:  # warm caches (filter catalogs, SA fragment table) outside both timings
        profile_item(it)

    def cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    t_serial = t_par = c_serial = c_par = float("inf")
    for _ in range(max(1, args.repeats)):
        c0, t0 = cpu(), time.perf_counter()
        serial = [profile_item(it) for it in items]
        t_serial, c_serial = min(t_serial, time.perf_counter() - t0), min(c_serial, cpu() - c0)
        c0, t0 = cpu(), time.perf_counter()
        parallel = screen(items, workers=args.workers, progress=sys.stderr.isatty())
        t_par, c_par = min(t_par, time.perf_counter() - t0), min(c_par, cpu() - c0)
    load = os.getloadavg()[0]

    same = all(a.model_dump() == b.model_dump() for a, b in zip(serial, parallel)) and len(serial) == len(parallel)
    ok = [(r, row) for r, row in zip(parallel, rows) if r.error is None and r.descriptors is not None]
    qed_mad = sum(abs(r.descriptors.qed - float(row["qed"])) for r, row in ok) / len(ok)
    logp_mad = sum(abs(r.descriptors.clogp - float(row["logP"])) for r, row in ok) / len(ok)
    serial_rate, par_rate = len(items) / t_serial, len(items) / t_par
    ratio = par_rate / serial_rate
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"molecules: {len(items)} ({len(items) - len(ok)} failed to parse)")
    print(f"single-process loop: {t_serial:.2f} s = {serial_rate:.1f} molecules/s (baseline)")
    print(f"parallel screen, {args.workers} workers: {t_par:.2f} s = {par_rate:.1f} molecules/s")
    efficiency = c_serial / c_par
    print(f"speed-up: {ratio:.2f}x (target >= 1.7x); identical results: {same}")
    print(f"CPU: serial {c_serial:.2f} s, parallel (incl. workers) {c_par:.2f} s -> efficiency {efficiency:.2f}, "
          f"CPU-bound speed-up {args.workers * efficiency:.2f}x; 1-min load average {load:.1f}")
    print(f"accuracy vs reference columns: mean |dQED| = {qed_mad:.4f}, mean |dlogP| = {logp_mad:.6f}")
    result("screen_zinc", par_rate, serial_rate, "molecules/s", ">= 1.7x", ratio >= 1.7 and same,
           n=len(items), workers=args.workers, cpu_efficiency=round(efficiency, 3),
           cpu_bound_ratio=round(args.workers * efficiency, 3), load_avg_1m=round(load, 2), qed_mad=round(qed_mad, 5),
           logp_mad=round(logp_mad, 7))
    return 0


if __name__ == "__main__":
    sys.exit(main())
