"""Embedded decoding speed on a quiet and on a shared machine, by thread setting, free and constrained.

The issue 11 setting: one prompt (about 70 tokens), greedy decoding of up to --tokens tokens, free
and constrained by the project's ``HypothesisDraft`` grammar; each figure is the mean tokens/s of
--runs runs after a warm-up. Rows: every usable core (the old default), one thread, and the
automatic count (``hypoforge.agents.llm.threads``, re-measured before each call as a run does), first
on the machine as it is ("quiet"), then beside one busy process
(``nice -n 19 python -c "while True: pass"``). Run it on an otherwise idle machine.

Targets: contended constrained decoding with the automatic count >= 0.8x the quiet single-thread
constrained figure of the same run; quiet constrained decoding with the automatic count >= 0.95x
the old default's.

    python bench/contention.py [--model qwen2.5-coder-1.5b|smollm2-135m|PATH] [--tokens 200] [--runs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import bootstrap, result

bootstrap()

from hypoforge.agents import models as m  # noqa: E402
from hypoforge.agents.llm.grammar import schema_to_gbnf  # noqa: E402
from hypoforge.agents.llm import LlamaCppLLM, schema_for  # noqa: E402
from hypoforge.agents.llm.catalogue import list_models, resolve_model  # noqa: E402
from hypoforge.agents.llm.threads import AutoThreads, usable_cores  # noqa: E402

KEYS = ["PMID:11", "PMID:12", "PMID:13"]
MESSAGES = [
    {"role": "system", "content": "You are a careful biomedical scientist. Answer with one testable hypothesis."},
    {"role": "user", "content": (
        "Research goal: why do about a third of rheumatoid arthritis patients not respond to methotrexate? "
        "Propose a mechanism involving drug transport or folate metabolism, with predictions and the "
        f"supporting citation keys ({', '.join(KEYS)}). Write the full mechanism in detail."
    )},
]


def default_model() -> str:
    """Qwen when installed (the demo model), else SmolLM2."""
    installed = {info.name for info in list_models() if info.installed}
    return "qwen2.5-coder-1.5b" if "qwen2.5-coder-1.5b" in installed else "smollm2-135m"


@contextmanager
def busy_process(on: bool) -> Iterator[None]:
    if not on:
        yield
        return
    proc = subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)  # let it reach the scheduler's steady state
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def set_threads(llm: LlamaCppLLM, setting: str, all_cores: int) -> None:
    """Fix the count (set on the context now) or hand it to the automatic measurement per call."""
    import llama_cpp

    if setting == "auto":
        llm.auto_threads = AutoThreads()
        return
    n = all_cores if setting == "all" else int(setting)
    llm.auto_threads = None
    llama_cpp.llama_set_n_threads(llm._load().ctx, n, n)
    llm.threads_used = n


def tokens_per_second(llm: LlamaCppLLM, grammar, tokens: int, runs: int) -> tuple[float, list[int]]:
    """Mean decoding rate over ``runs`` calls after one warm-up; the thread counts the calls used."""
    llm._complete(MESSAGES, max_tokens=tokens, grammar=grammar)  # warm-up: prompt now in the KV cache
    rates, used = [], []
    for _ in range(runs):
        before_tokens, before_s = llm.stats.completion_tokens, llm.stats.seconds
        llm._complete(MESSAGES, max_tokens=tokens, grammar=grammar)
        used.append(llm.threads_used)
        rates.append((llm.stats.completion_tokens - before_tokens) / max(llm.stats.seconds - before_s, 1e-9))
    return sum(rates) / len(rates), used


def prepare(doc: str) -> tuple[argparse.Namespace, str, Path, Any]:
    """The options shared with bench/constrained_decoding.py, the model (name, path) and the grammar."""
    from llama_cpp import LlamaGrammar

    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="default: qwen2.5-coder-1.5b when installed, else smollm2-135m")
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    name, path = resolve_model(args.model or default_model())
    grammar = LlamaGrammar.from_string(schema_to_gbnf(schema_for(m.HypothesisDraft, KEYS)), verbose=False)
    return args, name, path, grammar


def main() -> None:
    args, name, path, grammar = prepare(__doc__)
    llm = LlamaCppLLM(path, name=name, temperature=0.0, seed=0)
    all_cores = usable_cores()
    settings = ["all", "1", "auto"]
    table: dict[str, dict[str, float]] = {}
    print(f"{name}, {all_cores} usable cores, up to {args.tokens} tokens, mean of {args.runs} runs after a warm-up")
    print(f"{'machine':<7} {'threads':<8} {'free tok/s':>10} {'grammar tok/s':>14}  threads used")
    for busy in (False, True):
        with busy_process(busy):
            for setting in settings:
                set_threads(llm, setting, all_cores)
                free, used_f = tokens_per_second(llm, None, args.tokens, args.runs)
                constrained, used_c = tokens_per_second(llm, grammar, args.tokens, args.runs)
                row = f"{'busy' if busy else 'quiet'}/{setting}"
                table[row] = {"free": round(free, 2), "grammar": round(constrained, 2)}
                label = f"{all_cores} (all)" if setting == "all" else setting
                print(f"{'busy' if busy else 'quiet':<7} {label:<8} {free:>10.1f} {constrained:>14.1f}  {used_f + used_c}", flush=True)
    contended, single = table["busy/auto"]["grammar"], table["quiet/1"]["grammar"]
    quiet_ratio = table["quiet/auto"]["grammar"] / max(table["quiet/all"]["grammar"], 1e-9)
    met = contended >= 0.8 * single and quiet_ratio >= 0.95
    result("contention_constrained_tok_s", contended, single, f"grammar-constrained tok/s beside a busy process ({name})",
           ">= 0.8x quiet 1-thread; quiet auto >= 0.95x quiet all-cores", met,
           quiet_auto_vs_all=round(quiet_ratio, 3), table=table, tokens=args.tokens, runs=args.runs)


if __name__ == "__main__":
    main()
