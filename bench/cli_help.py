"""Start-up time of ``hypoforge --help`` (lazy imports keep it fast). Target: under 0.5 s.

Baseline in the same run: the bare interpreter start (``python -c pass``), so the ratio shows
what hypoforge adds.   python bench/cli_help.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _common import ROOT, result


def timed(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    base = timed([sys.executable, "-c", "pass"], args.repeat)
    helpt = timed([sys.executable, str(ROOT / "cli.py"), "--help"], args.repeat)
    print(f"python -c pass: {base:.3f} s; hypoforge --help: {helpt:.3f} s (median of {args.repeat})")
    result("cli_help_seconds", helpt, base, "seconds (median)", "< 0.5 s", helpt < 0.5)


if __name__ == "__main__":
    main()
