"""Campaign throughput on the embedded model: goals/hour with 2 workers vs 1. Target: >= 1.7x.

A small campaign (4 goals, 1 round, 1 hypothesis, no debate) on SmolLM2-135M with one llama.cpp
thread per worker, over an index built from the starter pack in a temporary folder. Each run starts
fresh (no response cache), so both see the same work. Needs llama-cpp-python, the SmolLM2 wheel and
the knowledge store (``hypoforge.knowledge.api``); when one is missing it says which and ends with a
JSON line carrying ``"skipped"``.

    python bench/campaign.py [--goals 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, bootstrap, machine, result

GOALS = [
    "Why do a third of rheumatoid arthritis patients not respond to methotrexate?",
    "What explains secondary loss of response to TNF inhibitors in rheumatoid arthritis?",
    "Which baseline biomarkers could predict response to JAK inhibitors in rheumatoid arthritis?",
    "Why does methotrexate cause liver toxicity in some rheumatoid arthritis patients?",
    "How could synovial pathotype guide the choice of biologic in rheumatoid arthritis?",
    "Why do smokers with rheumatoid arthritis respond less to methotrexate?",
]


def skip(reason: str) -> None:
    print(f"skipped: {reason}")
    print(json.dumps({"name": "campaign_goals_per_hour_2w_vs_1w", "value": None, "baseline": None, "ratio": None, "unit": "goals/hour",
                      "target": ">= 1.7x", "met": False, "skipped": reason, "machine": machine(), "date": time.strftime("%Y-%m-%d")}))


def missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed in this interpreter (run from the venv that has it)"
    if importlib.util.find_spec("hypoforge.knowledge.api") is None:
        return "hypoforge.knowledge.api (the knowledge store) is not in this checkout yet"
    try:
        from hypoforge.agents.llm.catalogue import resolve_model

        resolve_model("smollm2-135m")
    except Exception as exc:  # noqa: BLE001 - reported as the skip reason
        return f"the smollm2-135m model is not installed ({exc})"
    return None


def spec_text(n: int, index: Path) -> str:
    goals = "".join(f"  - id: g{i}\n    goal: {g}\n" for i, g in enumerate(GOALS[:n]))
    return (
        "id: bench\nsettings:\n"
        f"  llm: {{model: smollm2-135m, n_threads: 1, n_ctx: 2048}}\n"
        f"  index: {{dir: {json.dumps(str(index))}}}\n"
        "  loop: {rounds: 1, hypotheses: 1, evolve_per_round: 0, debate: false, max_llm_calls: 40}\n"
        f"goals:\n{goals}"
    )


def run(spec: Path, out: Path, workers: int) -> float:
    cmd = [sys.executable, str(ROOT / "cli.py"), "campaign", "run", str(spec), "--out", str(out), "--workers", str(workers), "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    state = json.loads((out / "campaign.json").read_text()) if (out / "campaign.json").is_file() else {}
    done = sum(1 for g in state.get("goals", {}).values() if g["status"] == "complete")
    if proc.returncode != 0 or done != len(state.get("goals", {})):
        raise SystemExit(f"campaign with {workers} worker(s) failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--goals", type=int, default=4)
    args = ap.parse_args()
    bootstrap()
    reason = missing()
    if reason:
        skip(reason)
        return
    with tempfile.TemporaryDirectory(prefix="hf-bench-campaign-") as tmp:
        tmp_path = Path(tmp)
        index = tmp_path / "index"
        built = subprocess.run([sys.executable, str(ROOT / "cli.py"), "index", "starter", "--index", str(index)], capture_output=True, text=True, cwd=ROOT)
        if built.returncode != 0:
            skip(f"could not build the starter index: {built.stderr.strip()[-300:]}")
            return
        spec = tmp_path / "spec.yaml"
        spec.write_text(spec_text(args.goals, index))
        t1 = run(spec, tmp_path / "w1", 1)
        t2 = run(spec, tmp_path / "w2", 2)
    gph1, gph2 = args.goals / t1 * 3600, args.goals / t2 * 3600
    print(f"{args.goals} goals: 1 worker {t1:.1f} s ({gph1:.0f} goals/h), 2 workers {t2:.1f} s ({gph2:.0f} goals/h), speed-up {gph2 / gph1:.2f}x")
    result("campaign_goals_per_hour_2w_vs_1w", gph2, gph1, "goals/hour", ">= 1.7x", gph2 / gph1 >= 1.7, goals=args.goals)


if __name__ == "__main__":
    main()
