"""Prompt tokens evaluated per LLM call, with and without llama.cpp prefix reuse.

The loop puts the stable part of every prompt first (goal, plan, evidence readings in the system
message), so consecutive calls share a long prefix that llama.cpp keeps in its KV cache. This
replays the call pattern of one generate -> review -> judge sequence on the embedded model twice:
once as is, once resetting the cache before every call, and counts the tokens actually evaluated
(instrumented ``Llama.eval``). Target: >= 2x fewer evaluated prompt tokens with reuse.

    python bench/prefix_cache.py [--model smollm2-135m|qwen2.5-coder-1.5b|PATH] [--calls 6]
"""

from __future__ import annotations

import argparse
import json
from importlib import resources

from _common import bootstrap, result

bootstrap()

from hypoforge import prompts  # noqa: E402
from hypoforge.agents import models as m  # noqa: E402
from hypoforge.agents.drafting import form  # noqa: E402
from hypoforge.agents.models import PROFILES  # noqa: E402
from hypoforge.agents.llm import LlamaCppLLM  # noqa: E402
from hypoforge.agents.llm.catalogue import resolve_model  # noqa: E402


def evidence(n: int) -> list[dict]:
    path = resources.files("hypoforge.knowledge") / "starter" / "cards.jsonl"
    cards = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    picked = [c for c in cards if "methotrexate" in (c["title"] + c["card"]).lower()][:n] or cards[:n]
    return [{"key": c["key"], "title": c["title"], "bearing": c["card"][:150]} for c in picked]


def session(llm: LlamaCppLLM, calls: int) -> None:
    ev = evidence(6)
    keys = [e["key"] for e in ev]
    system = prompts.render("system", goal="Why do a third of RA patients not respond to methotrexate?", constraints=[], focus=["drug transport"], evidence=ev)
    users = [
        (prompts.render("generate", goal="Why do a third of RA patients not respond to methotrexate?", anchor={**ev[0], "passage": ev[0]["bearing"]}, partner=None, shared="", existing=[], lessons=[],
                        form=form(PROFILES["compact"])), m.HypothesisDraft, keys, 200),
        (prompts.render("review", hypothesis="Title: ABCB1 efflux\nStatement: efflux lowers intracellular drug", passages=[], flags=[]),
         m.ReviewDraft, keys[:1], 120),
        (prompts.render("judge", arguments=[], a="Title: efflux", b="Title: adenosine"), m.JudgementDraft, None, 60),
    ]
    for i in range(calls):
        user, schema, k, mt = users[i % len(users)]
        llm.structured([{"role": "system", "content": system}, {"role": "user", "content": user}], schema, keys=k, max_tokens=mt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--calls", type=int, default=6)
    args = ap.parse_args()
    name, path = resolve_model(args.model)
    figures = {}
    for reuse in (False, True):
        llm = LlamaCppLLM(path, name=name, seed=1)
        llm.prefix_reuse = reuse
        session(llm, args.calls)
        figures[reuse] = (llm.stats.prompt_eval_tokens / llm.stats.calls, llm.stats.prompt_tokens / llm.stats.calls, llm.stats.seconds)
        print(f"prefix reuse {'on ' if reuse else 'off'}: {figures[reuse][0]:.0f} prompt tokens evaluated per call "
              f"(of {figures[reuse][1]:.0f} in the prompt), {figures[reuse][2]:.1f} s in {llm.stats.calls} calls")
    without, with_ = figures[False][0], figures[True][0]
    ratio = without / max(with_, 1e-9)
    result("prefix_cache_prompt_tokens_per_call", with_, without, f"prompt tokens evaluated per call ({name})",
           ">= 2x fewer with reuse", ratio >= 2.0, reduction=round(ratio, 2), seconds_off=round(figures[False][2], 1),
           seconds_on=round(figures[True][2], 1))


if __name__ == "__main__":
    main()
