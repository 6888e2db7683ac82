"""Grammar-constrained decoding against free decoding, with and without the grammar prefilter.

The issue 11 setting (``bench/contention.py``'s prompt, the ``HypothesisDraft`` grammar, greedy, up
to --tokens tokens, mean tokens/s of --runs runs after a warm-up, the automatic thread count): free
decoding, constrained decoding with the prefilter (``hypoforge.agents.llm.prefilter``, the
default) and without it (llama.cpp's whole-vocabulary grammar pass at every token). The constrained
outputs with and without the prefilter must be identical. Target: constrained >= 0.9x free on Qwen.

    python bench/constrained_decoding.py [--model qwen2.5-coder-1.5b|smollm2-135m|PATH] [--tokens 200] [--runs 2]
"""

from __future__ import annotations

from _common import bootstrap, result

bootstrap()

from contention import MESSAGES, prepare, tokens_per_second  # noqa: E402

from hypoforge.agents.llm import LlamaCppLLM  # noqa: E402


def main() -> None:
    args, name, path, grammar = prepare(__doc__)
    rates, texts = {}, {}
    for prefilter in (True, False):
        llm = LlamaCppLLM(path, name=name, temperature=0.0, seed=0)
        llm.grammar_prefilter = prefilter
        if prefilter:
            rates["free"], _ = tokens_per_second(llm, None, args.tokens, args.runs)
        label = "constrained, prefilter" if prefilter else "constrained, full pass"
        rates[label], used = tokens_per_second(llm, grammar, args.tokens, args.runs)
        texts[prefilter] = llm._complete(MESSAGES, max_tokens=args.tokens, grammar=grammar)
        extra = f" (kept set used at {llm._llama.last_prefilter.shrunk} of {llm._llama.last_prefilter.shrunk + llm._llama.last_prefilter.full} tokens)" if prefilter else ""
        print(f"{label}: {rates[label]:.1f} tok/s with threads {used}{extra}", flush=True)
    print(f"free: {rates['free']:.1f} tok/s")
    same = texts[True] == texts[False]
    print(f"constrained outputs identical with and without the prefilter: {same}")
    value, baseline = rates["constrained, prefilter"], rates["free"]
    result("constrained_vs_free_tok_s", value, baseline, f"grammar-constrained tok/s with the prefilter vs free ({name})",
           ">= 0.9x free decoding, identical output", value >= 0.9 * baseline and same,
           full_pass_tok_s=round(rates["constrained, full pass"], 2), identical=same, tokens=args.tokens, runs=args.runs)


if __name__ == "__main__":
    main()
