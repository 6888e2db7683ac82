"""The quality machinery inside the loop, on the scripted LLM: readings, anchors, revision, flags, keys in text, /ask."""

from __future__ import annotations

import json

from fakes import FakeEmbedder, FakeRetriever, responder

from hypoforge.agents import drafting, models as m
from hypoforge.agents import quality as q
from hypoforge.chat import actions
from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import ScriptedLLM
from hypoforge.agents.run import start_run
from hypoforge.agents.scripted import READOUTS
from hypoforge.agents.settings import LoopSettings, Settings
from hypoforge.knowledge.records import Record

GOAL = "Why do a third of rheumatoid arthritis patients not respond to methotrexate?"


def make(tmp_path, llm, retriever=None, **loop):
    # One draft per hypothesis unless a test asks for more: these tests script each call in turn
    # (the second sample of a failing draft has its own tests, test_another_sample_...).
    loop.setdefault("drafts", 1)
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(**loop))
    deps = Deps(llm=llm, retriever=retriever or FakeRetriever(), settings=settings, embedder=FakeEmbedder())
    return settings, deps


def bad_draft(keys):
    """The demo's defects in one draft: a cut title, one prediction repeated, a mechanism that repeats the statement."""
    pred = {"readout": "DAS28 score", "direction": "higher", "comparison": "in patients with low drug levels"}
    statement = "Methotrexate non-response follows low polyglutamate levels in erythrocytes."
    step = {"claim": statement, "key": keys[0]}
    return {"title": "Methotrexate Non-Response Combined with", "statement": statement,
            "cause": step, "intermediate": step, "effect": step, "prediction1": pred, "prediction2": pred}


def test_a_failing_draft_is_revised_once_with_the_failures_named(tmp_path):
    calls = {"n": 0}

    def script(messages, schema, keys):
        if schema.__name__ == "HypothesisDraft":
            calls["n"] += 1
            if calls["n"] == 1:
                return bad_draft(sorted(keys))
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1").report
    drafts = [c for c in llm.calls if c.schema in ("HypothesisDraft", "ChainStepDraft", "PredictionReadout", "HypothesisFix")]
    assert [c.schema for c in drafts] == ["HypothesisDraft", "ChainStepDraft", "ChainStepDraft", "HypothesisFix"], \
        "one draft; steps 2 and 3 from the step before each; one targeted revision (no prediction from steps that fail)"
    # step 3 is written from the new step 2, not from the draft's
    step2 = drafts[1].messages[-1]["content"]
    assert f'says: "{bad_draft(["PMID:1"])["statement"]}"' in step2
    assert bad_draft(["PMID:1"])["statement"] not in drafts[2].messages[-1]["content"]
    revise = drafts[3].messages[-1]["content"]
    assert "failed these automatic checks" in revise
    assert "dangling word 'with'" in revise and "distinct (chain[1]): says what the statement says" in revise
    # the derived steps cite records that do not say them: grounded names them, so the chain is
    # rewritten, and the repeated prediction with it (none is derived from a failing step)
    assert "grounded (chain[2])" in revise and "measures what predictions[1] measures" in revise
    assert "Rewrite only these fields: title, cause, intermediate, effect, prediction2" in revise
    # the fields to rewrite are hidden in the draft shown (a small model copies back what it sees); the rest is shown
    shown = revise.split("Draft:", 1)[1]
    assert "Title: (to rewrite)" in shown and "Combined with" not in shown
    assert f"Statement: {bad_draft(['PMID:1'])['statement']}" in shown and "1. (to rewrite)" in shown
    assert "Predictions: DAS28 score is higher in patients with low drug levels.; (to rewrite)" in shown
    p = report.proposals[0]
    assert p.revised == ["complete", "distinct"] and p.flags == []
    assert p.title != "Methotrexate Non-Response Combined with"
    assert p.statement == bad_draft(["PMID:1"])["statement"], "the statement passed its checks and was kept"


def test_a_last_step_restating_the_statement_is_written_from_the_step_before(tmp_path):
    """Qwen's commonest failure: the effect step says the statement again. Shown the step before
    alone, and the goal, it wrote what that step leads to."""
    statement = "Carriers of the ABCB1 3435T allele pump methotrexate out of lymphocytes, so they respond less to it."

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["statement"] = statement
            out["effect"] = {"claim": "Carriers of the ABCB1 3435T allele pump methotrexate out and respond less to it", "key": out["effect"]["key"]}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1s").report
    asked = [c for c in llm.calls if c.schema in ("HypothesisDraft", "ChainStepDraft", "PredictionReadout", "HypothesisFix")]
    assert [c.schema for c in asked][:2] == ["HypothesisDraft", "ChainStepDraft"]
    ask = asked[1].messages[-1]["content"]
    draft_step2 = report.proposals[0].chain[1].claim
    assert f'says: "{draft_step2}"' in ask and GOAL in ask and statement not in ask, "only the step before and the goal are shown"
    p = report.proposals[0]
    assert "respond less to it" not in p.chain[2].claim and p.chain[1].claim == draft_step2
    assert not [f for f in p.flags if "chain[3]" in f]


def test_a_chain_step_at_its_cap_keeps_its_whole_leading_phrase(tmp_path):
    """The demo of 2026-11-30 (eleventh session) ended a revised chain on a step cut at its cap
    ("... associated with more frequent remission, and the 1298C allele shows a sim"): a step that
    ran to its cap keeps its whole leading phrase, as a title does, and is not stored cut."""
    cap = m.PROFILES["compact"].cap(m.PROFILES["compact"].step_words)
    seen = {}

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            head = seen.setdefault("head", out["intermediate"]["claim"].rstrip("."))
            cut = (head + ", and this then goes on to change the " + "adenosine release " * 20)[:cap]
            out["intermediate"] = {"claim": cut, "key": out["intermediate"]["key"]}
        return out

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="qcap").report.proposals[0]
    head = seen["head"]
    assert p.chain[1].claim == head and head in p.mechanism
    assert not [f for f in p.flags if f.startswith("complete (chain[2])")]


def test_an_intermediate_step_comparing_groups_is_written_from_the_cause_step(tmp_path):
    """Bench goal 3 (2026-11-30): "Reduction in platelet count is lower in patients with reduced TPMT
    compared to those without it" is a prediction in the chain's place; it is written again from
    the step before it, like a repeated step."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["intermediate"] = {"claim": "Plasma methotrexate is lower in patients with the ABCB1 3435T allele compared to those without it",
                                   "key": out["intermediate"]["key"]}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1c").report
    asked = [c for c in llm.calls if c.schema in ("HypothesisDraft", "ChainStepDraft", "PredictionReadout", "HypothesisFix")]
    assert [c.schema for c in asked][:2] == ["HypothesisDraft", "ChainStepDraft"]
    p = report.proposals[0]
    assert f'says: "{p.chain[0].claim}"' in asked[1].messages[-1]["content"], "shown the cause step before it"
    assert "compared to" not in p.chain[1].claim and not [f for f in p.flags if "chain[2]" in f]


def test_failing_steps_follow_the_step_failures_from_a_sound_step():
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import failing_steps

    fail = lambda check, field: q.Failure(check=check, field=field, detail="x")  # noqa: E731
    assert failing_steps([fail("distinct", "chain[3]")], 3) == [3]
    assert failing_steps([fail("distinct", "chain[1]")], 3) == [], "the cause step is the draft's idea: left to the revision"
    assert failing_steps([fail("distinct", "mechanism")], 3) == [3], "a mechanism restating the statement: its last step"
    assert failing_steps([fail("distinct", "chain[2]"), fail("distinct", "mechanism")], 3) == [2]
    assert failing_steps([fail("grounded", "chain[2]")], 3) == []
    assert failing_steps([fail("specific", "chain[2]"), fail("specific", "chain[3]")], 3) == [2, 3], "no causal step: derived in turn"
    assert failing_steps([fail("distinct", "chain[1]"), fail("specific", "chain[2]")], 3) == [2], "from a step restating the statement"
    assert failing_steps([fail("specific", "chain[1]"), fail("specific", "chain[2]")], 3) == [], "never from a step that is no causal step"
    assert failing_steps([fail("grounded", "chain[2]"), fail("distinct", "chain[3]")], 3) == [], "never from an ungrounded step"
    assert failing_steps([fail("on_goal", "chain[3]")], 3) == [3], "a last step ending on the other question"
    assert failing_steps([fail("on_goal", "chain[2]")], 3) == [], "only the last step must end on the goal's question"


SAME = {"readout": "plasma methotrexate level", "direction": "lower",
        "comparison": "in patients with the ABCB1 3435T allele compared to those without it"}


def run_repeating(tmp_path, run_id, readout=None):
    """A run whose draft repeats one prediction; ``readout``, when given, is what the per-link call answers."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out.update(prediction1=SAME, prediction2=SAME)
        if schema.__name__ == "PredictionReadout" and readout:
            out = {"readout": readout, "direction": "lower"}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id=run_id).report
    return llm, report


def test_a_repeated_prediction_is_derived_from_its_own_link(tmp_path):
    """Qwen, shown its draft, copied the other prediction back into the one it was told to rewrite:
    the per-link call shows only the step the prediction tests, and the code writes the comparison
    from the draft's own cause."""
    llm, report = run_repeating(tmp_path, "q1d")
    asked = [c for c in llm.calls if c.schema in ("HypothesisDraft", "PredictionReadout", "HypothesisFix")]
    assert [c.schema for c in asked] == ["HypothesisDraft", "PredictionReadout"], "fixed by the per-link call, no revision"
    ask = asked[1].messages[-1]["content"]
    assert "This shapes the clinical response to methotrexate" in ask, "prediction 2 tests the link to step 3"
    assert "plasma methotrexate level" not in ask, "the prediction it repeated is not shown"
    assert "in patients with the ABCB1 3435T allele" in ask
    p = report.proposals[0]
    assert p.flags == [] and p.revised == ["distinct"]
    assert p.predictions[0].startswith("Plasma methotrexate level is lower")
    assert p.predictions[1].startswith(READOUTS) and p.predictions[1].endswith(
        "in patients with the ABCB1 3435T allele than in those without.")


def test_a_derived_prediction_that_fails_again_is_left_to_the_revision(tmp_path):
    """The per-link answer repeats the readout too: it is not kept, and the targeted revision names the repeat."""
    llm, report = run_repeating(tmp_path, "q1e", readout=SAME["readout"])
    asked = [c.schema for c in llm.calls if c.schema in ("HypothesisDraft", "PredictionReadout", "HypothesisFix")]
    assert asked == ["HypothesisDraft", "PredictionReadout", "HypothesisFix"]
    fix = [c for c in llm.calls if c.schema == "HypothesisFix"][0].messages[-1]["content"]
    assert "measures what predictions[1] measures" in fix and "Rewrite only these fields: prediction2" in fix
    assert report.proposals[0].flags == []


def test_a_derived_readout_repeating_another_is_asked_again_from_what_its_step_leads_to(tmp_path):
    """Step i + 1 starts from what step i leads to, which the prediction before measures: Qwen measured
    "Thiopurine levels" twice (bench goal 3, 2026-11-30). Asked again with only what the step leads
    to, it measures the step's result; the first answer is not kept."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out.update(prediction1=SAME, prediction2=SAME)
            out["effect"] = {"claim": "Low methotrexate levels cause less adenosine release in the synovium", "key": out["effect"]["key"]}
        if schema.__name__ == "PredictionReadout":
            leads = "leads to:" in messages[-1]["content"]
            out = {"readout": "synovial fluid adenosine level" if leads else SAME["readout"], "direction": "lower"}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1r").report
    asked = [c for c in llm.calls if c.schema in ("HypothesisDraft", "PredictionReadout", "HypothesisFix")]
    assert [c.schema for c in asked] == ["HypothesisDraft", "PredictionReadout", "PredictionReadout"]
    again = asked[2].messages[-1]["content"]
    assert 'leads to: "less adenosine release in the synovium"' in again and "Low methotrexate levels" not in again
    p = report.proposals[0]
    assert p.predictions[1].startswith("Synovial fluid adenosine level is lower") and p.flags == [], p.predictions


def test_on_the_rich_profile_a_derived_prediction_carries_its_experiment(tmp_path):
    """Four steps, three predictions with experiments: prediction 3 tests the link to step 4."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            same = {**SAME, "experiment": "Measure it in a prospective cohort of treated patients."}
            out.update(prediction2=same, prediction3=same)
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    deps.settings.llm.profile = "rich"
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1r").report
    asked = [c for c in llm.calls if c.schema == "PredictionReadout"]
    assert len(asked) == 1 and "This shapes the clinical response to methotrexate" in asked[0].messages[-1]["content"]
    p = report.proposals[0]
    assert len(p.predictions) == 3 and p.flags == []
    assert p.predictions[2].startswith(READOUTS) and "than in those without. Test: measure it in a cohort." in p.predictions[2]


def test_a_draft_comparing_no_one_compares_the_carriers_of_its_variant(tmp_path):
    """Bench goal 2 (2026-11-30): "ALT level is higher in patients with RA" compares no one, and no
    comparison names a group; the statement names its variant, whose carriers are compared."""
    nobody = {"readout": "ALT level in serum", "direction": "higher", "comparison": "in patients with RA"}

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out.update(prediction1=nobody, prediction2={**nobody, "readout": "liver histology"},
                       statement="Carriers of the MTHFR 677T allele respond less to methotrexate because their lymphocytes hold less folate.")
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1v").report
    asked = [c for c in llm.calls if c.schema == "PredictionReadout"]
    assert len(asked) == 2 and all("in carriers of MTHFR 677T than in non-carriers" in c.messages[-1]["content"] for c in asked)
    p = report.proposals[0]
    assert all(pred.endswith("in carriers of MTHFR 677T than in non-carriers.") for pred in p.predictions)
    assert not [f for f in p.flags if "predictions" in f]


def test_no_prediction_is_derived_from_a_step_that_fails():
    """Bench goal 2 (2026-11-30): from steps copied from the prompt's example, Qwen derived "Egg
    production is lower in carriers of C677T"; the revision rewrites such steps, and a prediction
    derived from them would outlive it."""
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import derive_predictions

    draft = m.hypothesis_draft("compact").model_validate({**bad_draft(["PMID:1"]), "prediction1": SAME, "prediction2": SAME,
                                                          "title": "ABCB1 3435T and methotrexate efflux"})
    fail = lambda check, field: q.Failure(check=check, field=field, detail="x")  # noqa: E731

    class NoCalls:
        def ask(self, *a, **k):
            raise AssertionError("no call expected")

    repeat = fail("distinct", "predictions[2]")
    args = dict(goal=GOAL, profile=m.PROFILES["compact"])
    assert derive_predictions(NoCalls(), {}, draft, [repeat, fail("grounded", "chain[3]")], **args) is None
    assert derive_predictions(NoCalls(), {}, draft, [repeat, fail("not_copied", "mechanism")], **args) is None


def test_cause_group_reads_the_groups_a_comparison_sets_apart():
    from hypoforge.agents import quality as q

    with_it = ("patients with the MTHFR C677T polymorphism", "those without")
    assert q.cause_group("in patients with the MTHFR C677T polymorphism compared to those without it", GOAL) == with_it
    assert q.cause_group("patients with GGH polymorphism", GOAL) == ("patients with GGH polymorphism", "those without")
    assert q.cause_group("in patients with reduced TPMT activity vs. those without", GOAL)[0] == "patients with reduced TPMT activity"
    liver = "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?"
    # bench goal 2 (2026-11-30): the group as an adjective
    assert q.cause_group("in obese patients compared to non-obese ones", liver) == ("obese patients", "non-obese patients")
    assert q.cause_group("in patients with RA", GOAL) is None, "the setting is no group"
    assert q.cause_group("in patients with methotrexate vs. patients without methotrexate", liver) is None, "every patient takes it"
    assert q.cause_group("in fast metabolisers", GOAL) is None
    # bench goal 3 (2026-11-30): every patient has a genotype, even of the goal's own genes; its carriers of variants are a group
    tpmt = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    assert q.cause_group("in patients with TPMT or NUDT15 genotypes compared to those without them", tpmt) == (
        "carriers of TPMT or NUDT15 variants", "non-carriers")
    # variants that name no gene are no group; the statement's genes give one
    assert q.cause_group("in patients with specific genotypes than in those without", tpmt) is None
    assert q.gene_group("The presence of TPMT or NUDT15 gene variants can affect the metabolism of thiopurines.") == (
        "carriers of TPMT or NUDT15 variants", "non-carriers")
    assert q.gene_group("Obesity adds to methotrexate polyglutamate in hepatocytes.") is None
    # and a genotype given a level (the same run's other draft): no group, so its carriers of variants
    assert q.cause_group("in those with a reduced TPMT genotype compared to those with higher TPMT genotype", tpmt) == (
        "carriers of TPMT variants", "non-carriers")
    # the demo's (2026-11-30): a clause, not a group
    assert q.cause_group("in patients with low ATIC scores respond more frequently to methotrexate", GOAL) == (
        "patients with low ATIC scores", "those without")
    assert q.cause_group("in patients with a low score on the clinical pharmacogenetic model of ATIC polymorphisms", GOAL) is None
    assert q.variant_group("The C677T polymorphism in the methylenetetrahydrofolate reductase gene raises liver enzymes.") == (
        "carriers of C677T", "non-carriers")
    assert q.variant_group("Carriers of TPMT*3A or TPMT*3C cannot tolerate azathioprine.") is None, "two variants: no one group"
    assert q.variant_group("Obesity adds to methotrexate polyglutamate in hepatocytes.") is None


def test_a_revision_that_breaks_something_else_is_revised_again_once(tmp_path):
    """Qwen fixed an unmeasurable prediction by copying the other one: the new failure (distinct) is
    named in a second targeted revision; a failure named before is not asked for again."""
    calls = {"n": 0}
    das28 = {"readout": "DAS28 score", "direction": "higher", "comparison": "in fast metabolisers"}

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix"):
            calls["n"] += 1
            if calls["n"] == 1:  # the draft: prediction 2 names no readout
                out.update(prediction1=das28, prediction2={"readout": "the patients", "direction": "lower", "comparison": "than controls"})
            elif calls["n"] == 2:  # the first revision copies prediction 1's readout into prediction 2
                out = {"prediction2": {**das28, "comparison": "in slow metabolisers"}}
            # the second revision (calls["n"] == 3) answers with the responder's own, distinct readout
        if schema.__name__ == "PredictionReadout":  # the per-link call fails too, so the revisions take over
            out = {"readout": "the patients", "direction": "lower"}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1b").report
    asked = [c for c in llm.calls if c.schema in ("HypothesisDraft", "HypothesisFix")]
    assert [c.schema for c in asked] == ["HypothesisDraft", "HypothesisFix", "HypothesisFix"]
    assert "names no measurable readout" in asked[1].messages[-1]["content"]
    second = asked[2].messages[-1]["content"]
    assert "measures what predictions[1] measures" in second and "Rewrite only these fields: prediction2" in second
    p = report.proposals[0]
    assert p.flags == [] and p.revised == ["testable"]
    assert len({pred.split(" is ")[0].split(" are ")[0] for pred in p.predictions}) == 2


def test_fields_to_rewrite_follow_the_failures():
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import fields_to_rewrite

    fields = list(m.hypothesis_draft("compact").model_fields)
    fail = lambda check, field: q.Failure(check=check, field=field, detail="x")  # noqa: E731
    assert fields_to_rewrite([fail("complete", "predictions[1].comparison")], fields) == ("prediction1",)
    assert fields_to_rewrite([fail("distinct", "chain[3]"), fail("complete", "title")], fields) == ("title", "effect")
    assert fields_to_rewrite([fail("grounded", "mechanism")], fields) == ("cause", "intermediate", "effect")
    assert fields_to_rewrite([fail("on_goal", "statement")], fields) == tuple(fields), "an off-goal idea is rewritten whole"
    assert fields_to_rewrite([fail("distinct", "statement")], fields) == tuple(fields), "so is a twin of another hypothesis"
    assert fields_to_rewrite([fail("on_goal", "chain[3]")], fields) == ("effect",), "a last step off the question is that step's failure"


def test_a_draft_still_failing_is_flagged_not_accepted_and_never_ranked_first(tmp_path):
    state = {"n": 0}

    def script(messages, schema, keys):
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix"):
            state["n"] += 1
            if state["n"] <= 2:  # the first hypothesis fails both times (its draft and its targeted revision)
                bad = {**bad_draft(sorted(keys)), "title": "Idea 1 q99 Combined with"}
                return {f: bad[f] for f in schema.model_fields}
        if schema is m.ReviewDraft:
            return {"alignment": 5, "plausibility": 5, "novelty": 5, "testability": 5, "safety": 5,
                    "strengths": "s", "weaknesses": "w", "unsupported": [], "verdict": "accept"}
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=2, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q2").report
    flagged = [p for p in report.proposals if p.flags]
    assert len(flagged) == 1 and flagged[0].title.startswith("Idea 1 q99")
    # the judge prefers q99 (the scripted judge picks the higher q), yet it is ranked after the passing one
    assert report.proposals[-1].id == flagged[0].id and report.proposals[0].flags == []
    assert flagged[0].reviews[0].verdict == "revise", "a flagged hypothesis cannot be accepted"
    assert report.proposals[0].reviews[0].verdict == "accept"
    review_prompt = next(c for c in llm.calls if c.schema == "ReviewDraft" and "q99" in c.messages[-1]["content"])
    assert "Automatic checks it still fails" in review_prompt.messages[-1]["content"]
    assert report.stats["flagged"] == 1
    md = (tmp_path / "out" / "report.md").read_text()
    assert "Failed checks (ranked after every proposal that passes)" in md


def test_every_passage_gets_one_reading_in_order_and_background_does_not_anchor(tmp_path):
    def script(messages, schema, keys):
        if schema.__name__ == "EvidenceReadings":
            n = len(schema.model_fields)
            # only the first passage bears on the goal; the others are background
            return {f"p{i}": "relevant" if i == 1 else "background" for i in range(1, n + 1)}
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=3, evolve_per_round=0)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q3")
    call = next(c for c in llm.calls if c.schema == "EvidenceReadings")
    import re

    retrieved = re.findall(r"^p\d+ \[(\S+)\]", call.messages[-1]["content"], re.MULTILINE)
    assert len(retrieved) == settings.index.k - 1 and len(set(retrieved)) == len(retrieved)  # the fake index holds 5 records
    ev = result.state["evidence"]
    assert all(ev[k]["bearing"] for k in retrieved), "no passage is left unread"
    assert [ev[k]["relevant"] for k in retrieved] == [True] + [False] * (len(retrieved) - 1)
    assert len(result.report.proposals) == 1, "one relevant anchor: one hypothesis"
    assert result.report.notes and "1 of" in result.report.notes[0]
    gen = next(c for c in llm.calls if c.schema == "HypothesisDraft")
    assert f"A [{retrieved[0]}]" in gen.messages[-1]["content"]
    assert "## Notes" in (tmp_path / "out" / "report.md").read_text()


def test_readings_schema_fixes_count_and_order():
    schema = m.readings_schema(3)
    js = schema.model_json_schema()
    assert js["required"] == ["p1", "p2", "p3"]
    assert list(js["properties"]) == ["p1", "p2", "p3"]


def test_a_misattributed_key_in_the_overview_is_removed_and_counted(tmp_path):
    def script(messages, schema, keys):
        if schema.__name__ == "MetaReviewDraft":
            return {"recurring": [], "lead": "1", "why": "Hepatitis B virus infection matters, as shown in the study by PMID:1004",
                    "next_step": "Transport ideas lead"}
        return responder(messages, schema, keys)

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), rounds=1, hypotheses=2, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q4").report
    assert "PMID:1004" not in report.overview and "Next step: Transport ideas lead." in report.overview
    assert report.stats["text_keys_dropped"] == 1


def test_the_overview_names_the_lead_the_meta_reviewer_picks_among_hypotheses_that_pass(tmp_path):
    """The overview is built on a hypothesis of the run: the model picks a number among those passing
    every check (a flagged one is not offered), says why and the next experiment; its lessons come
    from a fixed menu of weaknesses, not free text."""
    state = {"n": 0}

    def script(messages, schema, keys):
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix"):
            state["n"] += 1
            if state["n"] <= 2:  # the first hypothesis fails its checks, draft and revision
                bad = {**bad_draft(sorted(keys)), "title": "Idea 1 q99 Combined with"}
                return {f: bad[f] for f in schema.model_fields}
        if schema.__name__ == "MetaReviewDraft":
            assert schema.model_json_schema()["properties"]["lead"] == {"const": "1", "title": "Lead", "type": "string"}
            return {"recurring": ["vague", "vague", "untestable"], "lead": "1", "why": "it names a transporter and a cell",
                    "next_step": "measure lymphocyte methotrexate in non-responders"}
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=2, evolve_per_round=0)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q4b")
    passing = next(p for p in result.report.proposals if not p.flags)
    assert result.report.overview == (f"Most promising: {passing.title}. It names a transporter and a cell. "
                                      "Next step: Measure lymphocyte methotrexate in non-responders.")
    prompt = next(c for c in llm.calls if c.schema == "MetaReviewDraft").messages[-1]["content"]
    assert GOAL in prompt and "1. " + passing.title in prompt and "q99" not in prompt.split("Candidate hypotheses")[1]
    assert result.state["lessons"] == [m.WEAKNESSES["vague"][1], m.WEAKNESSES["untestable"][1]]


def test_bridge_record_is_offered_and_the_new_link_reported(tmp_path):
    records = [
        Record(key="PMID:3001", pmid="3001", title="ABCB1 efflux lowers methotrexate in lymphocytes", year=2017,
               abstract="ABCB1 transporter variants increased methotrexate efflux from lymphocytes of RA patients."),
        Record(key="PMID:3002", pmid="3002", title="Smoking induces ABCB1 expression in lymphocytes", year=2015,
               abstract="Cigarette smoke raised ABCB1 transporter expression in circulating lymphocytes."),
    ]
    from hypoforge.knowledge.memory import MemoryRetriever

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["cause"] = {"claim": "Smoking induces ABCB1 expression in lymphocytes", "key": "PMID:3002"}
            out["intermediate"] = {"claim": "More ABCB1 pumps methotrexate out of lymphocytes", "key": "PMID:3001"}
            out["effect"] = {"claim": "Less methotrexate left in lymphocytes lowers the response to it", "key": "PMID:3001"}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, retriever=MemoryRetriever(records), rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q5").report
    gen = next(c for c in llm.calls if c.schema == "HypothesisDraft").messages[-1]["content"]
    assert "B [PMID:3002]" in gen and "ABCB1" in gen.split("both concern")[1].split("\n")[0]
    assert report.proposals[0].bridge and "step 2 links PMID:3002 to PMID:3001" in report.proposals[0].bridge
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [s["key"] for s in data["proposals"][0]["chain"]] == ["PMID:3002", "PMID:3001", "PMID:3001"]
    assert "New link" in (tmp_path / "out" / "report.md").read_text()


def test_no_bridge_about_another_drug(tmp_path):
    """Bench goal 3 (2026-11-29): a methotrexate review bridged the TPMT anchor of an azathioprine goal,
    and the hypothesis became one about methotrexate side effects."""
    goal = "Could TPMT genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    records = [
        Record(key="PMID:4001", pmid="4001", title="TPMT genotype and azathioprine myelotoxicity", year=2011,
               abstract="TPMT poor metabolizers given azathioprine developed myelosuppression from thioguanine nucleotides."),
        Record(key="PMID:4002", pmid="4002", title="Thioguanine nucleotides and TPMT activity in methotrexate users", year=2012,
               abstract="TPMT activity and thioguanine nucleotides were measured in patients taking methotrexate."),
    ]
    from hypoforge.knowledge.memory import MemoryRetriever

    llm = ScriptedLLM(responder=responder)
    settings, deps = make(tmp_path, llm, retriever=MemoryRetriever(records), rounds=1, hypotheses=1, evolve_per_round=0)
    start_run(goal, settings, deps, out_dir=tmp_path / "out", run_id="q6")
    gen = next(c for c in llm.calls if c.schema == "HypothesisDraft").messages[-1]["content"]
    assert "A [PMID:4001]" in gen and "[PMID:4002]" not in gen


def test_ask_answers_when_a_passage_plainly_addresses_the_question(tmp_path):
    """The demo's /ask regression: a cautious model that says 'no evidence' whenever it is allowed to."""
    liver = Record(key="PMID:4036984", pmid="4036984", title="Low-dose methotrexate treatment of rheumatoid arthritis",
                   year=1985, abstract="Transaminase elevations were common on methotrexate; liver biopsies showed hepatotoxicity in two.")

    def cautious(messages, schema, keys):
        if schema.__name__ == "AnswerDraft":
            return {"supported": False, "answer": "The index has no evidence for this.", "citations": []}
        return {"citations": ["PMID:4036984"], "answer": "Transaminase rises were common; biopsies showed hepatotoxicity in two."}

    from hypoforge.knowledge.memory import MemoryRetriever

    _, deps = make(tmp_path, ScriptedLLM(responder=cautious), retriever=MemoryRetriever([liver, *FakeRetriever().records.values()]))
    a = actions.answer(deps, "what is the hepatotoxicity of methotrexate in RA?")
    assert a.grounded and [c.key for c in a.citations] == ["PMID:4036984"]
    assert deps.llm.calls[-1].schema == "AnsweredDraft"
    # a question no passage addresses still gets the honest "no evidence"
    b = actions.answer(deps, "methotrexate pizza")
    assert not b.grounded


def test_key_sentence_is_a_whole_sentence_that_bears_on_the_goal():
    from hypoforge.agents.generator import key_sentence

    passage = ("The cohort had 200 patients. Low erythrocyte methotrexate polyglutamate concentrations went with "
               "non-response to methotrexate. Smoking was common and the tail was cut mid-sen")
    assert key_sentence(GOAL, passage) == ("Low erythrocyte methotrexate polyglutamate concentrations went with "
                                           "non-response to methotrexate.")


def test_rich_profile_readings_at_the_cap_are_asked_again_then_trimmed(tmp_path):
    cap = m.PROFILES["rich"].cap(m.PROFILES["rich"].reading_words)
    long = ("Methotrexate response was lower in smokers; " + "word " * 200)[: cap]

    def script(messages, schema, keys):
        if schema.__name__ == "EvidenceReadings":
            return {f: {"reading": long, "relevance": "relevant"} for f in schema.model_fields}
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    deps.settings.llm.profile = "rich"
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q6")
    calls = [c for c in llm.calls if c.schema == "EvidenceReadings"]
    assert len(calls) == 2 and "ran past the limit" in calls[1].messages[-1]["content"]
    bearings = [e["bearing"] for e in result.state["evidence"].values()]
    # cut back to a word boundary and closed, never stored mid-word or at the cap
    assert bearings and all(b.endswith(" word.") and len(b) < cap - 1 for b in bearings)


def test_checks_that_several_hypotheses_fail_become_the_first_lessons(tmp_path):
    from hypoforge.agents.quality import CHECK_LESSONS, recurring_check_lessons

    assert recurring_check_lessons([["grounded (mechanism): x", "complete (title): y"], ["grounded (mechanism): z"], []]) == [
        CHECK_LESSONS["grounded"]]

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix") and "title" in out:
            out["title"] = out["title"] + " Combined with"  # every draft and revision ends on a dangling word
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=2, hypotheses=2, evolve_per_round=1)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q6")
    assert result.state["lessons"][0] == CHECK_LESSONS["complete"]
    evolve = next(c for c in llm.calls if c.schema == "HypothesisDraft" and "Strategy:" in c.messages[-1]["content"])
    assert CHECK_LESSONS["complete"] in evolve.messages[-1]["content"]


def test_flagged_proposals_rank_by_how_many_checks_they_fail(tmp_path):
    state = {"n": 0}

    def script(messages, schema, keys):
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix"):
            state["n"] += 1
            if state["n"] <= 2:  # the first hypothesis fails complete and distinct, draft and revision
                bad = {**bad_draft(sorted(keys)), "title": "Idea 1 q99 Combined with"}
                return {f: bad[f] for f in schema.model_fields}
            out = responder(messages, schema, keys)  # the second only ends its title on a dangling word
            return {**out, "title": "Idea 2 q01 Combined with"} if "title" in out else out
        return responder(messages, schema, keys)

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), rounds=1, hypotheses=2, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q7").report
    assert [p.title[:10] for p in report.proposals] == ["Idea 2 q01", "Idea 1 q99"], "one failed check before two, whatever the rating"
    assert report.proposals[1].elo > report.proposals[0].elo


def test_a_record_naming_the_drug_a_cause_and_the_question_bears_on_the_goal_whatever_its_label():
    """The demo goal's MTHFR response studies were labelled background by Qwen (2026-11-29)."""
    from hypoforge.agents.generator import bears_on
    from hypoforge.agents.models import Evidence

    def ev(title, passage=""):
        return Evidence(key="PMID:1", title=title, passage=passage, relevant=False)

    assert bears_on(GOAL, ev("MTHFR functional genetic variation and methotrexate treatment response in rheumatoid arthritis"))
    assert not bears_on(GOAL, ev("Methotrexate treatment response in rheumatoid arthritis")), "no candidate cause"
    assert not bears_on(GOAL, ev("MTHFR variation and methotrexate side effects in rheumatoid arthritis")), "the other question"
    assert not bears_on(GOAL, ev("MTHFR variation and leflunomide response")), "not the goal's drug"
    assert not bears_on(GOAL, ev("Rituximab pharmacokinetics in methotrexate-refractory RA", "B-cell levels were analysed.")), "no gene"
    # disease activity under a drug is its response: the index's antidrug-antibody study (PMID:25733803)
    lost = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    ada = ev("Antidrug antibodies against TNF-blocking agents: correlations between disease activity, hypersensitivity reactions, and "
             "different classes of immunoglobulins", "IgG4 levels were higher in the patients with worse DAS28 (NR) and in those experiencing "
             "adverse events. The percentages of patients with antidrug antibodies were: ADA 33.3%, ETN 11.5%, and IFX 10.3%.")
    assert bears_on(lost, ada)


def test_anchors_with_a_factor_of_their_own_come_before_repeats():
    from hypoforge.agents.generator import anchors_for
    from hypoforge.agents.models import Evidence

    goal = "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?"

    def ev(key, text):
        return Evidence(key=key, title=text.split(".")[0], passage=text, relevant=True)

    read = [ev("PMID:1", "MTHFR C677T and methotrexate liver toxicity. MTHFR C677T and MTHFR A1298C carriers had raised transaminases on methotrexate."),
            ev("PMID:2", "MTHFR C677T again. Methotrexate hepatotoxicity was commoner in MTHFR C677T carriers."),
            ev("PMID:3", "ABCC2 and methotrexate liver injury. ABCC2 variants raised liver enzymes on methotrexate."),
            ev("PMID:4", "Long-term methotrexate liver biopsies. Few patients developed fibrosis on methotrexate.")]
    anchors, _ = anchors_for(goal, read)
    assert [a.key for a in anchors] == ["PMID:1", "PMID:3", "PMID:4"], "a second MTHFR study is evidence, not an anchor"
    # one gene, another variant: still a repeat (the demo's two MTHFR studies, C677T and rs1801131)
    read[1] = ev("PMID:2", "MTHFR rs1801131 again. Methotrexate hepatotoxicity was commoner in MTHFR rs1801131 carriers.")
    assert [a.key for a in anchors_for(goal, read)[0]] == ["PMID:1", "PMID:3", "PMID:4"]
    # a study finding its gene has no effect on the question anchors nothing (the demo's MTHFR meta-analysis)
    read[2] = ev("PMID:3", "ABCC2 and methotrexate liver injury. ABCC2 variants were not associated with liver toxicity on methotrexate.")
    assert [a.key for a in anchors_for(goal, read)[0]] == ["PMID:1", "PMID:4"]


def test_anchors_are_about_the_goals_drug_and_name_its_focus_first():
    """Bench goal 3 (2026-11-29): three methotrexate genotype studies anchored an azathioprine goal
    because its focus includes "genotype"; the CPIC thiopurine guideline came last."""
    from hypoforge.agents import quality as q
    from hypoforge.agents.generator import anchors_for, bears_on
    from hypoforge.agents.models import Evidence

    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"

    def ev(key, text):
        return Evidence(key=key, title=text.split(".")[0], passage=text, relevant=True)

    read = [ev("PMID:1", "MTHFR C677T, A1298C and SLC19A1 G80A genotype and methotrexate toxicity. Carriers had more side effects on methotrexate."),
            ev("PMID:2", "CPIC guideline for thiopurine dosing by TPMT genotype. TPMT poor metabolizers given azathioprine risk myelosuppression."),
            ev("PMID:3", "Azathioprine and methotrexate combined in RA. Toxicity was similar; HLA-B27 carriers were excluded.")]
    assert q.about_another_drug(goal, read[0].passage) and not q.about_another_drug(goal, read[2].passage)
    assert not q.about_another_drug(goal, "TPMT activity and thiopurine dosing"), "naming no listed drug is not another drug"
    anchors, _ = anchors_for(goal, read)
    assert [a.key for a in anchors] == ["PMID:2", "PMID:3"], "the methotrexate study anchors nothing; the TPMT record comes first"
    assert not bears_on(goal, read[0].model_copy(update={"relevant": False}))


def test_a_dosing_guideline_anchors_a_toxicity_goal():
    """Bench goal 14 (2026-11-30): the CPIC CYP2C9-NSAID guideline's card says "the lowest effective
    dose is always advised"; read as a response record, it could not anchor a bleeding goal, and the
    run wrote no hypothesis at all."""
    from hypoforge.agents import quality as q
    from hypoforge.agents.generator import anchors_for
    from hypoforge.agents.models import Evidence

    goal = "Why does CYP2C9 genotype change the risk of gastrointestinal bleeding on NSAIDs such as celecoxib?"
    cpic = Evidence(key="PMID:32189324", title="CPIC Guideline for CYP2C9 and Nonsteroidal Anti-inflammatory Drugs", relevant=True,
                    passage="For poor metabolizers of celecoxib the recommendations start at 25-50% of the lowest usual dose and titrate "
                            "cautiously, and the lowest effective dose is always advised.")
    assert q.question_kinds(cpic.passage) == set()
    assert q.question_kinds("Methotrexate was effective in 60% of patients.") == {"response"}, "effective, not a dose, is response"
    assert [a.key for a in anchors_for(goal, [cpic])[0]] == ["PMID:32189324"]


def test_a_copy_is_named_without_its_words_in_the_revision():
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import revision_text

    f = q.not_copied("statement", "x " + "a genetic risk factor for methotrexate related elevation of liver enzymes in rheumatoid arthritis",
                     {"record PMID:11710708": "is a genetic risk factor for methotrexate related elevation of liver enzymes in rheumatoid arthritis patients"})[0]
    assert "liver enzymes" in str(f), "the stored flag quotes the copied words for the reader"
    text = revision_text(f)
    assert "record PMID:11710708" in text and "liver enzymes" not in text and "write it anew" in text


def test_a_cut_overview_sentence_is_left_out_and_a_flagged_lead_is_the_reports_first(tmp_path):
    """Qwen's 'why' ran to its cap ('... despite the'): it is left out, not stored cut. With every
    hypothesis flagged, the lead is the one the report ranks first (fewest failed checks), not the
    model's pick."""
    from hypoforge.agents.metareview import whole

    cut = ("The candidate hypothesis 2 presents a mechanism and evidence from a case study showing that about a third of "
           "patients do not respond to methotrexate despite the")
    assert whole(cut, len(cut)) == ""
    assert whole("It names a transporter and a cell", 200) == "It names a transporter and a cell"
    ran_on = "A full first clause is written out here in words, and a second ran on into"
    assert whole(ran_on, len(ran_on)) == "A full first clause is written out here in words."

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ in ("HypothesisDraft", "HypothesisFix") and "title" in out:
            out["title"] = out["title"] + " Combined with"  # every hypothesis is flagged (complete)
        if schema.__name__ == "MetaReviewDraft":
            assert schema.model_json_schema()["properties"]["lead"]["const"] == "1", "one candidate: the report's first"
            out = {**out, "why": cut}
        return out

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), rounds=1, hypotheses=2, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q4c").report
    assert report.overview.startswith(f"Most promising: {report.proposals[0].title}. (No hypothesis passes")
    assert "despite" not in report.overview and "Next step:" in report.overview


def test_an_overview_sentence_about_genes_the_lead_never_names_is_left_out():
    """The demo at dc81ad5 (2026-12-02) led with an RFC1 G80A hypothesis and said it focused "on the
    MTHFR gene", then proposed a study of the MTHFR C677T polymorphism."""
    from hypoforge.agents.metareview import about_lead

    chain = [m.ChainStep(claim="The uptake of methotrexate into cells is reduced by the G80A variant", key="PMID:1"),
             m.ChainStep(claim="Less methotrexate uptake leads to lower methotrexate response rates", key="PMID:1")]
    lead = m.Hypothesis(id="H1", title="G80A and RFC1 polymorphisms and methotrexate response in rheumatoid arthritis",
                        statement="G80A and RFC1 polymorphisms reduce methotrexate response in rheumatoid arthritis.",
                        mechanism=m.mechanism_text(chain), chain=chain, predictions=[], citations=["PMID:1"], origin="generator", round=0)
    why = "This hypothesis proposes a mechanism for methotrexate response by focusing on the MTHFR gene and its polymorphisms"
    assert about_lead(why, lead, GOAL) == ""
    assert about_lead("It names the carrier and the step that lowers uptake", lead, GOAL) == "It names the carrier and the step that lowers uptake"
    assert about_lead("Genotype RFC1 G80A in non-responders", lead, GOAL) == "Genotype RFC1 G80A in non-responders"
    assert about_lead("Compare MTHFR genotypes", lead, "Do MTHFR or RFC1 variants explain methotrexate non-response?") == "Compare MTHFR genotypes"


def test_the_overview_leaves_out_a_sentence_about_a_gene_no_lead_names(tmp_path):
    def script(messages, schema, keys):
        if schema.__name__ == "MetaReviewDraft":
            return {"recurring": [], "lead": "1", "why": "It rests on the MTHFR C677T polymorphism",
                    "next_step": "measure lymphocyte methotrexate in non-responders"}
        return responder(messages, schema, keys)

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), rounds=1, hypotheses=2, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q4m").report
    assert not any("MTHFR" in f"{p.title} {p.statement}" for p in report.proposals)
    assert "MTHFR" not in report.overview and report.overview.endswith("Next step: Measure lymphocyte methotrexate in non-responders.")


def test_retrieval_asks_for_studies_of_causes_not_only_the_goal_as_written(tmp_path):
    from hypoforge.agents.generator import cause_query

    assert cause_query(GOAL) == "methotrexate response predictors polymorphism mechanism"
    assert cause_query("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?") == (
        "TPMT NUDT15 genotype azathioprine toxicity risk polymorphism mechanism")
    assert cause_query("How does cigarette smoking promote citrullination?").endswith(" mechanism")
    # a biologic's response lost over time: antibodies against the drug are a cause to look for
    lost = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    assert cause_query(lost).endswith("response predictors polymorphism mechanism antidrug antibodies immunogenicity")
    assert cause_query("Why do patients lose response to etanercept?").endswith("antidrug antibodies immunogenicity")
    assert "antidrug" not in cause_query("Why is the response to methotrexate lost over time?"), "a small molecule"
    assert "antidrug" not in cause_query("Which features of synovial tissue predict whether a patient responds to rituximab?"), "no response lost"

    asked = []

    class Recording(FakeRetriever):
        def search(self, query, k=5):
            asked.append(query)
            return super().search(query, k=k)

    settings, deps = make(tmp_path, ScriptedLLM(responder=responder), Recording(), rounds=1, hypotheses=1, evolve_per_round=0)
    start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q8")
    # the goal, its causes, and the plan's focus areas with the goal's entities (the scripted plan: drug transport, adenosine signalling)
    assert asked[:4] == [GOAL, cause_query(GOAL), "drug transport methotrexate", "adenosine signalling methotrexate"]


def test_a_repeated_chain_step_is_told_its_role_not_shown_the_repeat():
    from hypoforge.agents import quality as q
    from hypoforge.agents.drafting import revision_text
    from hypoforge.agents.models import PROFILES, STEP_ROLES

    steps = ["Common polymorphisms in the folate pathway affect methotrexate metabolism and response",
             "Methotrexate metabolism is affected by genetic polymorphisms in the folate pathway, leading to reduced efficacy"]
    f = q.distinct_items("chain", steps)[0]
    assert "Common polymorphisms" in str(f), "the stored flag quotes the step repeated"
    text = revision_text(f, PROFILES["compact"].steps)
    assert text == f"distinct (chain[2]): says what another step says; as the intermediate step it must give {STEP_ROLES['intermediate']}"


def test_records_sharing_only_the_setting_are_no_bridge():
    # bench/quality goal 5 (2026-11-29): a "new link" whose records shared only "disease, rheumatoid, arthritis"
    from hypoforge.agents.generator import bridge_partner
    from hypoforge.agents.models import Evidence

    goal = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    snp = Evidence(key="PMID:16720636", title="The -308 TNF-alpha polymorphism predicts response to TNF blockers in rheumatoid arthritis",
                   passage="The -308 promoter polymorphism predicted response in rheumatoid arthritis disease.", relevant=True)
    dose = Evidence(key="PMID:24472261", title="Dose optimization of infliximab in patients with rheumatoid arthritis",
                    passage="Infliximab dose escalation in rheumatoid arthritis disease.", relevant=True)
    assert bridge_partner(snp, [snp, dose], goal) == (None, "")
    # the demo (2026-11-29): a bridge that shared only "genotype"; general biology is no link either
    poly = Evidence(key="PMID:8", title="Promoter polymorphism and anti-drug antibodies", passage="The promoter polymorphism and antibodies.", relevant=True)
    assert bridge_partner(snp, [snp, dose, poly], goal) == (None, "")
    il6 = snp.model_copy(update={"passage": "The -308 promoter polymorphism raised IL-6 and predicted response in rheumatoid arthritis disease."})
    ada = Evidence(key="PMID:9", title="IL-6 and anti-drug antibodies", passage="Serum IL-6 rose with anti-drug antibodies.", relevant=True)
    partner, shared = bridge_partner(il6, [il6, dose, poly, ada], goal)
    assert partner is ada and shared == "IL-6"


# A structured abstract whose retrieved chunk would be its aims and methods; the genes are in its results.
STRUCTURED = (
    "OBJECTIVE: To test whether folate pathway polymorphisms predict the efficacy of methotrexate in early rheumatoid arthritis. "
    "METHODS: One hundred patients starting methotrexate with folic acid were followed for twelve months. "
    "Disease activity was scored by DAS28 at every visit by a blinded assessor. "
    "Eleven polymorphisms in eight genes of the folate pathway were genotyped from whole blood. "
    "RESULTS: Response at twelve months was associated with the SLC19A1 80A and MTR 2756A alleles. "
    "Carriers of both alleles responded in 90 percent against 50 percent of other patients. "
    "CONCLUSION: Variants of SLC19A1 and MTR may predict who responds to methotrexate. "
    "Larger prospective cohorts are needed before genotype guides treatment in practice."
)


def test_an_excerpt_keeps_a_records_findings_in_whole_sentences_without_labels():
    from hypoforge.agents.generator import record_excerpt

    short = record_excerpt(STRUCTURED, GOAL, limit=300)
    assert "SLC19A1" in short and "MTR" in short  # the results, not the aims and methods
    assert "METHODS" not in short and "RESULTS:" not in short and "genotyped from whole blood" not in short
    assert len(short) <= 300 and short.endswith(".")
    assert all(s in STRUCTURED for s in short.split(". ")[:-1])  # whole sentences, in the record's order
    assert record_excerpt(STRUCTURED, GOAL, limit=2000).startswith("To test whether")  # a record that fits is kept whole
    unlabelled = "Methotrexate is widely used. " * 30 + "The RFC1 G80A variant predicted efficacy."
    assert "The RFC1 G80A variant predicted efficacy." in record_excerpt(unlabelled, GOAL, limit=120)
    assert record_excerpt("Some patients lose response over time. Copyright © 2013 Wiley Publishing Asia Pty Ltd.", GOAL) == (
        "Some patients lose response over time.")  # a publisher's notice is no finding
    assert record_excerpt("Remission was more frequent with prednisone. Current Controlled Trials ISRCTN2486111.", GOAL) == (
        "Remission was more frequent with prednisone.")  # nor is a registry number


def test_an_unlabelled_abstract_is_excerpted_to_its_findings_not_its_methods():
    """PMID:25733803 (antidrug antibodies against TNF blockers) has no section labels; its excerpt
    was its methods sentence, which lists three drug abbreviations (2026-11-30)."""
    from hypoforge.agents.generator import record_excerpt, sentence_role

    abstract = ("The aim of this study was to evaluate the correlations between antidrug antibodies and resistance to therapy in RA patients. "
                "This retrospective study involved 129 patients who received anti-TNF agents (32 received infliximab [IFX], 58 etanercept "
                "[ETN], and 39 adalimumab [ADA]). After 24 weeks of treatment, 38% of the ETN-treated patients had injection-site reactions. "
                "The percentages of patients with antidrug antibodies were: ADA 33.3%, ETN 11.5%, and IFX 10.3% (P=0.025). "
                "The presence of specific IgG4 antibodies against TNF blockers in patients with RA might affect the drugs' activity.")
    goal = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    short = record_excerpt(abstract, goal + " antidrug antibodies", limit=260)
    assert "IgG4 antibodies against TNF blockers" in short and "antidrug antibodies were" in short
    assert "retrospective study involved" not in short and "The aim" not in short
    assert sentence_role("", "These data suggest an association between IgG4 and worse DAS28.") > 0
    assert sentence_role("", "This retrospective study involved 129 patients.") < 0
    assert sentence_role("RESULTS", "This study involved 129 patients.") > 0, "a section label decides where there is one"


def test_evidence_passages_come_from_the_whole_record_not_the_first_chunk(tmp_path):
    from hypoforge.agents.state import evidence

    record = Record(key="PMID:9000001", pmid="9000001", title="Folate pathway polymorphisms and methotrexate response", abstract=" ".join([STRUCTURED, STRUCTURED]))

    class Chunked(FakeRetriever):
        def search(self, query, k=5):  # the retrieved chunk is the abstract's opening, as Chroma returns it
            return [p.model_copy(update={"text": p.text[:300]}) for p in super().search(query, k=k)]

    settings, deps = make(tmp_path, ScriptedLLM(responder=responder), Chunked([record]), rounds=1, hypotheses=1, evolve_per_round=0)
    res = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q9")
    passage = evidence(res.state)["PMID:9000001"].passage
    assert "SLC19A1 80A" in passage and "OBJECTIVE" not in passage


def test_ask_shows_the_records_findings_and_never_stores_a_cut_answer(tmp_path):
    """The bench's /ask stored an answer cut at its cap ("...to produce remissi")."""
    record = Record(key="PMID:9000001", pmid="9000001", title="Folate pathway polymorphisms and methotrexate response",
                    abstract=" ".join([STRUCTURED, STRUCTURED]))
    shown = []

    def long_winded(messages, schema, keys):
        shown.append(messages[-1]["content"])
        first = "Carriers of the SLC19A1 80A and MTR 2756A alleles responded more often to methotrexate. "
        return {"citations": ["PMID:9000001"], "answer": (first + "The study also looked at " + "other outcomes and " * 30)[:actions.ANSWER_CHARS]}

    from hypoforge.knowledge.memory import MemoryRetriever

    class Chunked(MemoryRetriever):
        def search(self, query, k=5, **kw):
            return [p.model_copy(update={"text": p.text[:300]}) for p in super().search(query, k=k)]

    _, deps = make(tmp_path, ScriptedLLM(responder=long_winded), retriever=Chunked([record]))
    a = actions.answer(deps, "which polymorphisms predict methotrexate response?")
    assert a.grounded and a.text == "Carriers of the SLC19A1 80A and MTR 2756A alleles responded more often to methotrexate."
    assert "SLC19A1 80A" in shown[-1]  # the passage shown is the record's findings, not its first chunk


def test_a_step_citing_the_wrong_record_is_rekeyed_without_a_call_and_the_report_says_it_was_revised(tmp_path):
    def script(messages, schema, keys):
        if schema.__name__ == "HypothesisDraft":
            assert {"PMID:1001", "PMID:1002"} <= set(keys)
            pred = {"readout": "intracellular methotrexate level in lymphocytes", "direction": "lower", "comparison": "in efflux variant carriers than in non-carriers"}
            return {"title": "Efflux transporter variants limit methotrexate response",
                    "statement": "Patients carrying efflux transporter variants respond less to methotrexate because their cells keep less of it.",
                    "cause": {"claim": "Efflux transporter variants export methotrexate from lymphocytes", "key": "PMID:1001"},  # the wrong record
                    "intermediate": {"claim": "Erythrocyte polyglutamate concentrations fall as less drug is retained", "key": "PMID:1001"},
                    "effect": {"claim": "Lower polyglutamate leaves disease activity higher", "key": "PMID:1001"},
                    "prediction1": pred, "prediction2": {"readout": "DAS28 score", "direction": "higher", "comparison": "in patients with low erythrocyte polyglutamate"}}
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q10").report.proposals[0]
    assert [s.key for s in p.chain] == ["PMID:1002", "PMID:1001", "PMID:1001"], "the efflux step now cites the efflux record"
    assert "grounded" in p.revised and not [f for f in p.flags if f.startswith("grounded")]
    fixes = [c.messages[-1]["content"] for c in llm.calls if c.schema == "HypothesisFix"]
    assert not any("grounded (" in f for f in fixes), "a misattributed key costs no revision call"


def test_an_answer_denying_what_its_record_reports_is_asked_again_then_quoted(tmp_path):
    """Bench /ask (2026-11-29): 'does not raise remission rates' citing the trial whose title says prednisone improves them."""
    from hypoforge.agents import quality as q

    trial = Record(key="PMID:22584017", pmid="22584017", title="Low-dose oral prednisone improves clinical and ultrasonographic remission rates in early rheumatoid arthritis",
                   abstract="Patients starting methotrexate were randomised to low-dose prednisone or placebo. Remission was more frequent with prednisone than with placebo at one year.")
    question = "does adding low-dose prednisone to methotrexate raise remission rates in early RA?"
    assert q.denies_unreported("answer", "Adding prednisone does not raise remission rates.", {trial.key: trial.title})
    assert not q.denies_unreported("answer", "Adding prednisone raises remission rates.", {trial.key: trial.title})
    assert not q.denies_unreported("answer", "Prednisone did not change remission.", {"PMID:1": "Prednisone did not change remission rates."}), \
        "a record that denies it backs the denial"

    def scripted(*answers):
        shown = []

        def script(messages, schema, keys):
            shown.append(messages[-1]["content"])
            return {"citations": [trial.key], "answer": answers[min(len(shown), len(answers)) - 1]}
        return script, shown

    from hypoforge.knowledge.memory import MemoryRetriever

    wrong = "Adding low-dose prednisone to methotrexate does not raise remission rates in early RA."
    script, shown = scripted(wrong, "Adding low-dose prednisone raised remission rates at one year.")
    _, deps = make(tmp_path, ScriptedLLM(responder=script), retriever=MemoryRetriever([trial]))
    a = actions.answer(deps, question)
    assert len(shown) == 2 and "does not raise remission rates" in shown[1] and "reports no negative finding" in shown[1]
    assert a.grounded and a.text == "Adding low-dose prednisone raised remission rates at one year."

    script, shown = scripted(wrong, wrong)
    _, deps = make(tmp_path / "again", ScriptedLLM(responder=script), retriever=MemoryRetriever([trial]))
    a = actions.answer(deps, question)
    assert len(shown) == 2 and a.grounded and [c.key for c in a.citations] == [trial.key]
    assert a.text.startswith("PMID:22584017 reports: ") and "does not" not in a.text and "prednisone" in a.text

    # an invented source in the answer goes with its sentence; an answer that was nothing else is asked for again
    right = "Adding low-dose prednisone raised remission rates at one year."
    script, shown = scripted(f"{right} Kato et al. found the same in Japan.")
    _, deps = make(tmp_path / "author", ScriptedLLM(responder=script), retriever=MemoryRetriever([trial]))
    assert actions.answer(deps, question).text == right and len(shown) == 1
    script, shown = scripted("Kato et al. found that prednisone raised remission rates.", right)
    _, deps = make(tmp_path / "author-only", ScriptedLLM(responder=script), retriever=MemoryRetriever([trial]))
    a = actions.answer(deps, question)
    assert a.text == right and len(shown) == 2 and "not one of the records shown" in shown[1]


def test_studies_of_a_cause_further_down_the_cause_query_join_the_evidence(tmp_path):
    """The demo's six interleaved records held one study of a cause of non-response; the starter pack
    held the ATIC model and a positive MTHFR study further down the cause query's list."""
    from types import SimpleNamespace

    from hypoforge.agents.generator import CAUSE_EXTRA, retrieve
    from hypoforge.agents.settings import IndexSettings
    from hypoforge.knowledge.memory import MemoryRetriever

    def rec(n, title, abstract):
        return Record(key=f"PMID:{n}", pmid=str(n), title=title, abstract=abstract)

    general = [rec(100 + i, f"Why patients respond to methotrexate survey {i}", "Why do a third of rheumatoid arthritis patients not respond "
                   "to methotrexate? A survey of prescribing habits.") for i in range(3)]
    causes = [rec(201, "ATIC variants and methotrexate response", "ATIC 347GG carriers responded less to methotrexate."),
              rec(202, "MTHFR variants and methotrexate response", "MTHFR variants were not associated with methotrexate response."),
              rec(203, "DHFR variants and methotrexate response", "DHFR carriers responded less to methotrexate."),
              rec(204, "FPGS variants and methotrexate response", "FPGS carriers responded less to methotrexate."),
              rec(205, "Methotrexate response and disease duration", "Methotrexate response fell with disease duration.")]
    settings = Settings(data_dir=tmp_path, index=IndexSettings(k=2))
    deps = SimpleNamespace(retriever=MemoryRetriever([*general, *causes]), settings=settings)
    found = [e.key for e in retrieve({"goal": GOAL, "run_id": "r"}, deps)]
    assert len(found) == 2 + CAUSE_EXTRA
    extra = found[2:]
    # the null MTHFR study and the study naming no cause are left out; two cause studies join
    assert "PMID:202" not in extra and "PMID:205" not in extra and set(extra) <= {"PMID:201", "PMID:203", "PMID:204"}


def test_a_proposal_shows_the_runs_records_that_found_no_effect_of_its_gene(tmp_path):
    """The demo: an MTHFR proposal on the one positive study, while two meta-analyses of the same run found no effect."""
    from hypoforge.knowledge.memory import MemoryRetriever

    records = [
        Record(key="PMID:3001", pmid="3001", title="ABCB1 efflux lowers methotrexate response in lymphocytes", year=2017,
               abstract="ABCB1 transporter variants increased methotrexate efflux from lymphocytes and predicted poor response."),
        Record(key="PMID:3003", pmid="3003", title="ABCB1 variants and methotrexate response: a meta-analysis", year=2020,
               abstract="ABCB1 C3435T was not associated with methotrexate response in pooled cohorts."),
        Record(key="PMID:3004", pmid="3004", title="FPGS variants and methotrexate response", year=2019,
               abstract="FPGS variants were not associated with methotrexate response."),
    ]

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["statement"] = "Patients carrying ABCB1 variants respond poorly to methotrexate because their lymphocytes pump it out."
            out["cause"] = {"claim": "ABCB1 variants raise methotrexate efflux from lymphocytes", "key": "PMID:3001"}
            out["intermediate"] = {"claim": "Lymphocytes keep less methotrexate", "key": "PMID:3001"}
            out["effect"] = {"claim": "Less methotrexate in lymphocytes leaves disease activity high", "key": "PMID:3001"}
        return out

    settings, deps = make(tmp_path, ScriptedLLM(responder=script), retriever=MemoryRetriever(records), rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q11").report
    against = report.proposals[0].against
    assert [(c.key, c.genes, c.question) for c in against] == [("PMID:3003", ["ABCB1"], "response")], "not the FPGS record: no gene it blames"
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["proposals"][0]["against"][0]["key"] == "PMID:3003"
    md = (tmp_path / "out" / "report.md").read_text()
    assert "**Evidence against.**" in md and "PMID:3003 (2020), *ABCB1 variants and methotrexate response: a meta-analysis*: no effect of ABCB1 on response." in md


def test_a_denial_about_other_things_in_a_cited_record_does_not_back_the_answer():
    """The bench (2026-11-29): the prednisone answer cited a second trial with 'no significant difference in 28 joint count'."""
    from hypoforge.agents import quality as q

    answer = "Adding low-dose prednisone to methotrexate does not raise remission rates in early RA."
    records = {"PMID:22584017": "Low-dose oral prednisone improves clinical and ultrasonographic remission rates in early rheumatoid arthritis.",
               "PMID:18234715": "In early arthritis there was no significant difference in 28 joint count disease activity score."}
    assert q.denies_unreported("answer", answer, records)
    records["PMID:9"] = "Low-dose prednisone did not raise remission rates when added to methotrexate."
    assert q.denies_unreported("answer", answer, records) == []


def test_a_step_repeating_another_is_dropped_when_fewer_checks_then_fail():
    """Bench goals 4 and 5 (2026-11-30, fifteenth session) ended chains on a step said twice, after it
    had been written again; the later copy goes when at least two steps stay and fewer checks fail."""
    steps = [m.ChainStep(claim="Smoking raises PAD2 in lung macrophages", key="PMID:1"),
             m.ChainStep(claim="More PAD2 citrullinates more vimentin", key="PMID:1"),
             m.ChainStep(claim="More PAD2 citrullinates more vimentin", key="PMID:2")]
    h = m.Hypothesis(id="H1", title="Smoking and PAD2", statement="Smoking raises ACPA because PAD2 citrullinates vimentin.",
                     mechanism=" -> ".join(s.claim for s in steps) + ".", chain=steps, predictions=[], citations=["PMID:1", "PMID:2"],
                     origin="generator", round=0)
    failures = q.distinct_items("chain", [s.claim for s in steps])
    assert [f.field for f in failures] == ["chain[3]"]
    recheck = lambda c: q.distinct_items("chain", [s.claim for s in c.chain])  # noqa: E731
    shorter, still = drafting.shortened(h, failures, recheck)
    assert [s.claim for s in shorter.chain] == [s.claim for s in steps[:2]] and still == []
    assert shorter.citations == ["PMID:1"] and shorter.mechanism == "Smoking raises PAD2 in lung macrophages -> More PAD2 citrullinates more vimentin."
    assert drafting.shortened(h, failures, lambda c: failures) == (h, failures), "kept only when fewer checks fail"
    two = h.model_copy(update={"chain": steps[1:]})
    assert drafting.shortened(two, q.distinct_items("chain", [s.claim for s in two.chain]), recheck)[0] is two, "two steps stay two"


def test_a_cause_step_still_restating_the_statement_is_dropped_when_two_steps_explain_it(tmp_path):
    """The quality_target run (2026-11-30) failed because its first step said the statement again, after
    both revisions. The statement already says it; the chain keeps the two steps that explain it, when
    they still name the statement's cause (`chain_names_cause`)."""
    statement = "Carriers of the ABCB1 3435T allele pump methotrexate out of lymphocytes, so they respond less to it."

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["statement"] = statement
        if "cause" in out:
            out["cause"] = {"claim": "Carriers of the ABCB1 3435T allele pump methotrexate out of lymphocytes", "key": sorted(keys)[0]}
            if named and "intermediate" in out:
                out["intermediate"] = {"claim": "Less methotrexate left by ABCB1 forms fewer polyglutamates in lymphocytes", "key": sorted(keys)[0]}
        return out

    named = False  # no other step names ABCB1: without the cause step the chain would not argue the statement's cause
    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path / "a", llm, rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "outa", run_id="q1d").report.proposals[0]
    assert "pump methotrexate out" in p.chain[0].claim and any("restates the statement" in f for f in p.flags)
    named = True
    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q1c").report
    p = report.proposals[0]
    assert len(p.chain) == 2 and all("pump methotrexate out" not in s.claim for s in p.chain), [s.claim for s in p.chain]
    assert p.statement == statement and not [f for f in p.flags if "restates the statement" in f]
    assert p.mechanism == " -> ".join(s.claim.rstrip(".") for s in p.chain) + "."


def test_each_query_offers_k_records_not_k_chunks(tmp_path):
    """The hybrid retriever returns up to two chunks per record: the JAK-inhibitor goal's six hits were
    two records (bench index, 2026-11-30). Each query must offer the interleaving k distinct records."""
    from types import SimpleNamespace

    from hypoforge.agents.generator import per_record, retrieve
    from hypoforge.agents.settings import IndexSettings
    from hypoforge.knowledge.memory import MemoryRetriever

    records = [Record(key=f"PMID:{300 + i}", pmid=str(300 + i), title=f"Methotrexate response study {i}",
                      abstract=f"Methotrexate response in rheumatoid arthritis patients, cohort {i}.") for i in range(6)]

    class Chunked(MemoryRetriever):
        def search(self, query, k=8, *, where=None):  # each record's two chunks, as the hybrid retriever groups them
            return [p for hit in super().search(query, k=k) for p in (hit, hit)][:k]

    retriever = Chunked(records)
    assert [p.key for p in retriever.search("methotrexate response", k=4)] == ["PMID:300", "PMID:300", "PMID:301", "PMID:301"]
    assert [p.key for p in per_record(retriever, "methotrexate response", 4)] == ["PMID:300", "PMID:301", "PMID:302", "PMID:303"]
    deps = SimpleNamespace(retriever=Chunked(records), settings=Settings(data_dir=tmp_path, index=IndexSettings(k=4)))
    found = [e.key for e in retrieve({"goal": GOAL, "run_id": "r"}, deps)]
    assert len(found) == len(set(found)) >= 4


def test_another_sample_of_a_failing_draft_is_drawn_and_the_one_failing_fewer_checks_kept(tmp_path):
    """``loop.drafts`` = 2: a first draft failing checks gets a second sample of the same prompt
    (sample 1: another seed, warmer), and the revision starts from whichever fails fewer."""
    from hypoforge.agents.run import read_state

    samples = []

    def script(messages, schema, keys):
        if schema.__name__ == "HypothesisDraft":
            samples.append(messages[-1]["content"])
            return bad_draft(sorted(keys)) if len(samples) == 1 else responder(messages, schema, keys)
        return responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0, drafts=2)
    start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q-drafts")
    drafts = [c for c in llm.calls if c.schema == "HypothesisDraft"]
    assert [c.sample for c in drafts[:2]] == [0, 1], "the second draft is another sample of the first prompt"
    assert drafts[0].messages == drafts[1].messages
    state = read_state(settings, "q-drafts")
    (h,) = [m.Hypothesis.model_validate(v) for v in state["hypotheses"].values()]
    assert h.title != bad_draft(["PMID:1"])["title"], "the second sample, failing fewer checks, was kept"
    assert "HypothesisFix" not in [c.schema for c in llm.calls] and h.flags == [], "the kept sample needed no revision"


def test_samples_are_drawn_while_every_draft_fails_and_none_for_one_that_passes(tmp_path):
    # every sample is the demo's bad draft: drafts=3 asks for two more, then revises
    def script(messages, schema, keys):
        return bad_draft(sorted(keys)) if schema.__name__ == "HypothesisDraft" else responder(messages, schema, keys)

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0, drafts=3)
    start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="q-drafts3")
    samples = [c.sample for c in llm.calls if c.schema == "HypothesisDraft"]
    assert samples[:3] == [0, 1, 2] and "HypothesisFix" in [c.schema for c in llm.calls]

    # the scripted generator's own draft passes every check: no second sample
    llm2 = ScriptedLLM(responder=responder)
    settings2, deps2 = make(tmp_path / "b", llm2, rounds=1, hypotheses=1, evolve_per_round=0, drafts=2)
    report = start_run(GOAL, settings2, deps2, out_dir=tmp_path / "out2", run_id="q-drafts-pass").report
    assert report.proposals[0].flags == [] and not report.proposals[0].revised
    assert [c.sample for c in llm2.calls if c.schema == "HypothesisDraft"] == [0]


def test_a_directed_association_is_stated_as_the_cause_its_chain_argues_without_a_call(tmp_path):
    """Seven of the ten top-3 statements of the 5-goal bench (2026-11-30) still stated an association
    after the revisions named it. One with a direction is stated as its cause by the code, with no
    call, when its chain has a causal step and fewer checks fail."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            cause = out["cause"]["claim"].removesuffix(" lowers the drug's effect")
            out["statement"] = f"{cause} is associated with reduced methotrexate response in rheumatoid arthritis patients."
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    report = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="qa").report
    p = report.proposals[0]
    cause = p.chain[0].claim.removesuffix(" lowers the drug's effect")
    assert p.statement == f"{cause} reduces methotrexate response in rheumatoid arthritis patients."
    assert not [f for f in p.flags if "statement" in f] and "specific" not in p.revised
    assert [c.schema for c in llm.calls if c.schema in ("HypothesisDraft", "HypothesisFix", "ChainStepDraft")] == ["HypothesisDraft"]


def test_an_association_is_not_stated_as_a_cause_when_no_step_of_its_chain_is_causal():
    """With no causal step (associations all), nothing argues the cause: the statement stays as written."""
    h = m.Hypothesis(id="H1", title="MTHFR C677T and methotrexate", statement="The MTHFR C677T polymorphism is associated with reduced methotrexate efficacy.",
                     mechanism="", chain=[m.ChainStep(claim="MTHFR C677T is associated with lower folate", key="PMID:1"),
                                          m.ChainStep(claim="Folate levels are linked to methotrexate response", key="PMID:1")],
                     predictions=[], citations=["PMID:1"], origin="generator", round=0)
    failures = [q.Failure(check="specific", field="statement", detail="states an association")]
    assert drafting.restated(h, failures, lambda c: []) == (h, failures)
    sound = h.model_copy(update={"chain": [m.ChainStep(claim="MTHFR C677T lowers folate in red cells", key="PMID:1"), *h.chain[1:]]})
    stated, still = drafting.restated(sound, failures, lambda c: [])
    assert stated.statement == "The MTHFR C677T polymorphism reduces methotrexate efficacy." and still == []
    # kept only when fewer checks fail
    assert drafting.restated(sound, failures, lambda c: failures) == (sound, failures)


def test_a_reported_finding_is_restated_as_the_hypothesis_own_claim_when_fewer_checks_fail():
    """Two of the four top-3 statements of bench goal 1 at e82acc5 (2026-12-01) opened "A study found
    that ...": without a call, the frame goes and the claim is stated as the cause its chain argues."""
    h = m.Hypothesis(id="H1", title="MTHFR C677T and methotrexate",
                     statement="A study found that the MTHFR C677T polymorphism is associated with reduced methotrexate efficacy in patients with RA.",
                     mechanism="", chain=[m.ChainStep(claim="MTHFR C677T lowers folate in red cells", key="PMID:1")],
                     predictions=[], citations=["PMID:1"], origin="generator", round=0)
    failures = [q.Failure(check="specific", field="statement", detail="reports what a study found")]
    recheck = lambda c: q.specific(GOAL, c.statement)  # noqa: E731
    stated, still = drafting.restated(h, failures, recheck)
    assert stated.statement == "The MTHFR C677T polymorphism reduces methotrexate efficacy in patients with RA." and still == []
    assert drafting.restated(h, failures, lambda c: failures) == (h, failures), "kept only when fewer checks fail"


def test_a_statement_of_two_sentences_is_restated_as_its_first_when_fewer_checks_fail():
    """The first sentence was the hypothesis where the second added a cause (the quality_target run,
    2026-11-30); it replaces the statement without a call only when fewer checks then fail."""
    first = "MTHFR C677T carriers respond less to methotrexate because the variant lowers folate in lymphocytes."
    h = m.Hypothesis(id="H1", title="MTHFR C677T and methotrexate", statement=f"{first} Smoking also plays a role.",
                     mechanism="", chain=[m.ChainStep(claim="MTHFR C677T lowers folate in red cells", key="PMID:1")],
                     predictions=[], citations=["PMID:1"], origin="generator", round=0)
    failures = [q.Failure(check="specific", field="statement", detail="makes 2 claims in 2 sentences")]
    recheck = lambda c: q.one_claim(c.statement)  # noqa: E731
    stated, still = drafting.restated(h, failures, recheck)
    assert stated.statement == first and still == []
    assert drafting.restated(h, failures, lambda c: failures) == (h, failures)
    # not when the chain argues what only the second sentence names (the quality_target run, 2026-11-30)
    smoking = h.model_copy(update={"statement": f"{first} Smoking also lowers methotrexate efficacy.",
                                   "chain": [m.ChainStep(claim="Smoking lowers methotrexate efficacy in RA", key="PMID:1")]})
    assert drafting.restated(smoking, failures, recheck) == (smoking, failures)
    # a statement of one sentence has no first sentence to fall back on
    one = h.model_copy(update={"statement": first})
    assert drafting.restated(one, failures, lambda c: []) == (one, failures)


def test_a_prediction_pointing_against_its_statement_is_turned_without_a_call():
    """Bench goal 1 at d514c3e (2026-12-01) ranked first a proposal whose statement has the MTHFR
    C677T polymorphism reduce methotrexate efficacy and whose prediction has response higher with it,
    through both revisions. The direction is what the hypothesis decides: it is turned, no call."""
    goal = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    wrong = "Methotrexate response rate is higher in patients with the C677T polymorphism compared to those without it."
    other = "Plasma levels of methotrexate are lower in patients with the C677T polymorphism compared to those without it."
    h = m.Hypothesis(id="H1", title="MTHFR C677T and methotrexate response",
                     statement="The MTHFR C677T polymorphism reduces methotrexate efficacy in patients with RA.", mechanism="",
                     chain=[m.ChainStep(claim="The MTHFR C677T polymorphism lowers folate in red cells", key="PMID:1")],
                     predictions=[other, wrong], citations=["PMID:1"], origin="generator", round=0)
    steps = [s.claim for s in h.chain]

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return [f for i, p in enumerate(c.predictions, start=1) for f in q.direction_agrees(f"predictions[{i}]", goal, c.statement, p, steps)]

    failures = recheck(h)
    assert [f.field for f in failures] == ["predictions[2]"] and failures[0].detail.startswith(q.WRONG_WAY)
    fixed, still = drafting.turned(h, failures, recheck)
    assert fixed.predictions == [other, wrong.replace("is higher", "is lower")] and still == []
    assert drafting.turned(h, failures, lambda c: failures) == (h, failures), "kept only when fewer checks fail"
    assert drafting.turned(h, [q.Failure(check="testable", field="predictions[2]", detail="names no readout")], recheck)[0] is h


def test_a_prediction_pointing_against_its_chain_is_turned():
    """Bench goal 4 (2026-12-01): a step with lower ACPA levels in HLA-DRB1*13 carriers, a prediction
    of higher levels in them. Only the direction word between readout and comparison turns."""
    steps = ["HLA-DRB1*13 haplotypes are associated with lower ACPA levels and decreased citrullinated epitope recognition"]
    p = "ACPA levels in ACPA-positive patients are higher in patients with HLA-DRB1*13 alleles compared to those without."
    assert q.follows_chain("predictions[1]", p, steps)
    assert q.turned(p) == p.replace("are higher", "are lower") and not q.follows_chain("predictions[1]", q.turned(p), steps)
    assert q.turned("Folate is lower in carriers than in others. Test: measure it in blood.") == \
        "Folate is higher in carriers than in others. Test: measure it in blood."
    assert q.turned("Carriers respond less.") is None


def test_the_loop_stores_a_prediction_turned_the_way_its_statement_says(tmp_path):
    """In the loop: a draft whose statement has its variant reduce response and whose first
    prediction has response higher in the variant's carriers is stored with that prediction turned."""
    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        if schema.__name__ == "HypothesisDraft":
            out["statement"] = "The MTHFR C677T polymorphism reduces methotrexate response in rheumatoid arthritis patients."
            out["prediction1"] = {"readout": "methotrexate response rate", "direction": "higher",
                                  "comparison": "in carriers of MTHFR C677T than in non-carriers"}
        return out

    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path, llm, rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="qt").report.proposals[0]
    assert p.predictions[0] == "Methotrexate response rate is lower in carriers of MTHFR C677T than in non-carriers."
    assert not [f for f in p.flags if "wrong way" in f]


def test_a_prediction_measuring_what_another_measures_is_dropped_while_one_stays():
    """Bench goal 2 (2026-12-02) predicted higher procollagen III on high methotrexate doses twice,
    after both revisions, in a proposal failing nothing else: the later one goes, no call."""
    first = "Procollagen III expression in liver is higher in patients on high doses than in those on low doses."
    again = "Procollagen III expression is higher in those on high doses than in those on low doses."
    h = m.Hypothesis(id="H1", title="Methotrexate dose and liver fibrosis", statement="Higher methotrexate doses raise liver fibrosis.",
                     mechanism="", chain=[], predictions=[first, again], citations=[], origin="generator", round=0)
    recheck = lambda c: q.distinct_predictions(c.predictions)  # noqa: E731
    failures = recheck(h)
    assert [f.field for f in failures] == ["predictions[2]"]
    shorter, still = drafting.shortened(h, failures, recheck)
    assert shorter.predictions == [first] and still == []
    assert drafting.shortened(h, failures, lambda c: failures) == (h, failures), "kept only when fewer checks fail"
    other = "Serum ALT is higher in patients on high doses than in those on low doses."
    three = h.model_copy(update={"predictions": [first, again, other]})
    assert drafting.shortened(three, recheck(three), recheck)[0].predictions == [first, other]


def test_a_first_step_stating_only_an_association_is_dropped_above_causal_steps():
    """Bench goal 3 (2026-12-02) kept "TPMT and NUDT15 genotypes influence thiopurine metabolism" above
    two steps that say what changes. The chain starts from the cause its second step names; not when
    a later step is unsound too, nor below two steps."""
    steps = [m.ChainStep(claim="TPMT and NUDT15 genotypes influence thiopurine metabolism", key="PMID:1"),
             m.ChainStep(claim="Reduced TPMT activity leads to increased thiopurine levels in the blood", key="PMID:2"),
             m.ChainStep(claim="Increased thiopurine levels can cause severe myelosuppression", key="PMID:1")]
    h = m.Hypothesis(id="H1", title="TPMT activity and myelosuppression", statement="Reduced TPMT activity raises myelosuppression.",
                     mechanism="", chain=steps, predictions=[], citations=["PMID:1", "PMID:2"], origin="generator", round=0)

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return [f for i, s in enumerate(c.chain, start=1) for f in q.causal_step(f"chain[{i}]", s.claim)]

    failures = recheck(h)
    assert [f.field for f in failures] == ["chain[1]"] and failures[0].detail.startswith("states an association")
    shorter, still = drafting.shortened(h, failures, recheck)
    assert shorter.chain == steps[1:] and still == [] and shorter.citations == ["PMID:2", "PMID:1"]
    vague = h.model_copy(update={"chain": [*steps[:2], m.ChainStep(claim="Thiopurine levels are associated with side effects", key="PMID:1")]})
    assert drafting.shortened(vague, recheck(vague), recheck)[0] is vague, "a later unsound step keeps the chain whole"
    two = h.model_copy(update={"chain": [steps[0], steps[2]]})
    assert drafting.shortened(two, recheck(two), recheck)[0] is two, "two steps stay two"


def test_a_vague_statement_over_a_sound_chain_is_written_again_from_the_chain(tmp_path):
    """A statement that only says its cause "may influence" the outcome, through both revisions, over
    steps that each say what changes: one call shows the steps alone and asks what the first step's
    cause does to the goal's outcome; the answer replaces the statement when fewer checks fail."""
    from_chain = "Low ABCB1 efflux keeps methotrexate in lymphocytes and raises methotrexate response in rheumatoid arthritis."
    state_calls = []

    def script(messages, schema, keys):
        out = responder(messages, schema, keys)
        user = messages[-1]["content"]
        if "Write the statement this chain argues" in user:
            state_calls.append(user)
            return {"statement": from_chain, "title": "ABCB1 efflux and methotrexate response"}
        if "statement" in out:
            out["statement"] = "ABCB1 variants may influence methotrexate response in rheumatoid arthritis patients."
        if unsound and "intermediate" in out:
            out["intermediate"] = {"claim": "ABCB1 is linked to methotrexate", "key": sorted(keys)[0]}
        if unsound and schema.__name__ == "ChainStepDraft":
            out = {"claim": "ABCB1 is associated with methotrexate levels", "key": sorted(keys)[0]}
        return out

    unsound = False
    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path / "a", llm, rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "outa", run_id="qs").report.proposals[0]
    assert len(state_calls) == 1 and all(s.claim in state_calls[0] for s in p.chain)
    assert p.statement == from_chain and not [f for f in p.flags if f.startswith("specific (statement)")]
    unsound, state_calls[:] = True, []
    llm = ScriptedLLM(responder=script)
    settings, deps = make(tmp_path / "b", llm, rounds=1, hypotheses=1, evolve_per_round=0)
    p = start_run(GOAL, settings, deps, out_dir=tmp_path / "outb", run_id="qs2").report.proposals[0]
    assert state_calls == [] and "may influence" in p.statement, "a chain with an unsound step argues no statement"


def test_a_chain_another_hypothesis_argues_fails_distinct_by_name():
    """One chain under two statements is one hypothesis (bench goal 3, 2026-12-02): the later draft is
    told whose chain it argues, so the revision writes another mechanism."""
    chain = [m.ChainStep(claim="Reduced TPMT activity leads to increased thiopurine levels in the blood", key="PMID:1"),
             m.ChainStep(claim="Increased thiopurine levels can cause severe myelosuppression", key="PMID:1")]
    first = m.Hypothesis(id="H1", title="Reduced TPMT activity raises myelosuppression", statement="Reduced TPMT activity leads to severe myelosuppression.",
                         mechanism=m.mechanism_text(chain), chain=chain, predictions=[], citations=["PMID:1"], origin="generator", round=0)
    later = first.model_copy(update={"id": "H2", "title": "Thiopurine accumulation in TPMT-deficient patients",
                                     "statement": "Patients lacking TPMT accumulate thioguanine nucleotides in marrow and lose neutrophils."})
    kw = dict(goal="Could TPMT genotype explain azathioprine intolerance?", ev={}, profile=m.PROFILES["compact"], focus=set())
    twin = [f for f in drafting.check(later, others=[first], **kw) if f.check == "distinct"]
    assert [str(f) for f in twin] == ["distinct (mechanism): argues the chain of the existing hypothesis "
                                      "'Reduced TPMT activity raises myelosuppression'; propose another mechanism"]
    assert not [f for f in drafting.check(later, others=[], **kw) if "existing hypothesis" in f.detail]


def test_the_chains_own_claim_needs_no_call_when_it_leaves_statement_and_title_passing(tmp_path):
    """The chain's own claim ("<first cause> leads to <last result>") is made by the code; the call
    for a statement is made only when that claim under the old title still fails there."""
    chain = [m.ChainStep(claim="Reduced TPMT activity leads to increased thiopurine levels in the blood", key="PMID:1"),
             m.ChainStep(claim="Increased thiopurine levels can cause side effects such as severe myelosuppression", key="PMID:1")]
    h = m.Hypothesis(id="H1", title="Reduced TPMT activity and myelosuppression", statement="TPMT variants may influence thiopurine tolerance.",
                     mechanism=m.mechanism_text(chain), chain=chain, predictions=[], citations=["PMID:1"], origin="generator", round=0)
    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return q.specific(goal, c.statement) + q.adds_to(c.statement, c.mechanism)

    failures = recheck(h)
    assert [f.field for f in failures] == ["statement"]

    class NoCall:
        def ask(self, *a, **k):
            raise AssertionError("no call expected")

    out, still = drafting.stated(NoCall(), {}, h, failures, goal=goal, profile=m.PROFILES["compact"], recheck=recheck)
    assert out.statement == "Reduced TPMT activity leads to severe myelosuppression." and still == []


def test_a_failing_prediction_beside_a_sound_one_is_struck():
    """The demo at 556b4f8 (2026-12-02) kept "MTHFR genotype frequency in G80A variant and non-G80A
    variant groups is lower ..." beside a sound response prediction, after both revisions: it goes,
    no call; not when no prediction is sound, nor on a failure that names no prediction."""
    bad = "MTHFR genotype frequency in G80A variant and non-G80A variant groups is lower in Japanese patients with rheumatoid arthritis."
    sound = "Methotrexate response rate is lower in patients with G80A variant compared to those without."
    h = m.Hypothesis(id="H1", title="RFC1 G80A and methotrexate response", statement="RFC1 G80A lowers methotrexate uptake, so response falls.",
                     mechanism="", chain=[], predictions=[bad, sound], citations=[], origin="generator", round=0)

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return [f for i, p in enumerate(c.predictions, start=1) for f in q.measures_genotype(f"predictions[{i}]", p)]

    failures = recheck(h)
    assert [(f.check, f.field) for f in failures] == [("testable", "predictions[1]")]
    shorter, still = drafting.shortened(h, failures, recheck)
    assert shorter.predictions == [sound] and still == []
    assert drafting.shortened(h, failures, lambda c: failures) == (h, failures), "kept only when fewer checks fail"
    both_bad = h.model_copy(update={"predictions": [bad, bad.replace("Japanese", "Korean")]})
    assert drafting.shortened(both_bad, recheck(both_bad), recheck)[0] is both_bad, "a prediction stays"
    wide = [*failures, q.Failure(check="testable", field="predictions", detail="fewer predictions than links")]
    assert drafting.shortened(h, wide, recheck)[0] is h, "a failure of the predictions as a whole leaves none known sound"


def test_a_title_naming_symbols_its_statement_never_mentions_takes_the_statements():
    """The demo titled its RFC1 G80A proposal "MTHFR C677T Polymorphism and Methotrexate Response in
    Rheumatoid Arthritis" in five sessions running (the last at 556b4f8, 2026-12-02): the title's
    foreign symbols give way to the statement's, no call."""
    title = "MTHFR C677T Polymorphism and Methotrexate Response in Rheumatoid Arthritis"
    statement = "The RFC1 G80A variant lowers methotrexate uptake into cells, so carriers respond less."
    foreign = q.foreign_title_terms(title, statement)
    assert foreign == ["C677T", "MTHFR"]
    assert q.retitle(title, statement, foreign) == "RFC1 G80A Polymorphism and Methotrexate Response in Rheumatoid Arthritis"
    # a foreign symbol joined to one the statement names goes with its "and"
    assert q.retitle("TPMT and NUDT15 Genotypes and Myelosuppression", "Reduced TPMT activity raises thioguanine, causing myelosuppression.",
                     ["NUDT15"]) == "TPMT Genotypes and Myelosuppression"
    # nothing is made up when the statement names no symbol and the title has none left
    assert q.retitle("MTHFR and methotrexate", "Low folate blunts the drug.", ["MTHFR"]) is None
    h = m.Hypothesis(id="H1", title=title, statement=statement, mechanism="", chain=[], predictions=[], citations=[],
                     origin="generator", round=0)

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return q.title_names_its_hypothesis(c.title, c.statement)

    fixed, still = drafting.retitled(h, recheck(h), recheck)
    assert fixed.title.startswith("RFC1 G80A Polymorphism") and still == []
    assert drafting.retitled(h, recheck(h), lambda c: recheck(h)) == (h, recheck(h)), "kept only when fewer checks fail"
    assert drafting.retitled(fixed, [], recheck) == (fixed, [])


def test_a_last_step_comparing_groups_is_dropped_after_causal_steps():
    """Bench goal 4 at 924a293 (2026-12-02) ended a sound two-step chain on its record's finding,
    "ACPAs are more frequent in patients with HLA-DRB1 shared epitope compared to those without":
    it goes, no call; not when an earlier step is unsound too, nor below two steps."""
    steps = [m.ChainStep(claim="The HLA-DRB1 shared epitope raises presentation of citrullinated peptides to T cells", key="PMID:1"),
             m.ChainStep(claim="More citrullinated peptide presentation raises ACPA formation", key="PMID:2"),
             m.ChainStep(claim="ACPAs are more frequent in patients with HLA-DRB1 shared epitope compared to those without", key="PMID:3")]
    h = m.Hypothesis(id="H1", title="Shared epitope and ACPA", statement="The shared epitope raises ACPA formation.",
                     mechanism="", chain=steps, predictions=[], citations=["PMID:1", "PMID:2", "PMID:3"], origin="generator", round=0)

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        return [f for i, s in enumerate(c.chain, start=1) for f in q.causal_step(f"chain[{i}]", s.claim)]

    failures = recheck(h)
    assert [f.field for f in failures] == ["chain[3]"] and failures[0].detail.startswith("compares groups")
    shorter, still = drafting.shortened(h, failures, recheck)
    assert shorter.chain == steps[:2] and still == [] and shorter.citations == ["PMID:1", "PMID:2"]
    vague = h.model_copy(update={"chain": [m.ChainStep(claim="The shared epitope is associated with ACPA", key="PMID:1"), *steps[1:]]})
    assert drafting.shortened(vague, recheck(vague), recheck)[0].chain == vague.chain, "an earlier unsound step keeps the chain whole"
    two = h.model_copy(update={"chain": [steps[0], steps[2]]})
    assert drafting.shortened(two, recheck(two), recheck)[0] is two, "two steps stay two"


def test_the_title_the_statement_call_writes_is_fitted_to_its_statement():
    """The demo at 102129c (2026-12-02) ended on an MTHFR title over an RFC1 G80A statement: the call
    that writes the statement from the chain writes a title too, and the title was not read again."""
    goal = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    chain = [m.ChainStep(claim="The RFC1 G80A variant lowers methotrexate uptake into cells", key="PMID:1"),
             m.ChainStep(claim="Less intracellular methotrexate lowers methotrexate response", key="PMID:1")]
    old_title = "Folate carrier genetics in rheumatoid arthritis"
    h = m.Hypothesis(id="H1", title=old_title, statement="RFC1 variants may influence methotrexate response.",
                     mechanism=m.mechanism_text(chain), chain=chain, predictions=[], citations=["PMID:1"], origin="generator", round=0)
    topic = [q.Failure(check="specific", field="title", detail="names a topic"), q.Failure(check="specific", field="title", detail="too broad")]

    def recheck(c: m.Hypothesis) -> list[q.Failure]:
        body = " ".join([c.statement, *(s.claim for s in c.chain)])
        return q.specific(goal, c.statement) + q.title_names_its_hypothesis(c.title, body) + (topic if c.title == old_title else [])

    from types import SimpleNamespace

    class Tally:
        def ask(self, *a, **k):
            return SimpleNamespace(statement="Carriers of the RFC1 G80A variant take up less methotrexate and respond less.",
                                   title="MTHFR polymorphisms and methotrexate response")

    kw = dict(goal=goal, profile=m.PROFILES["compact"], recheck=recheck)
    out, still = drafting.stated(Tally(), {}, h, recheck(h), **kw)
    assert out.title.startswith("MTHFR") and [f.field for f in still] == ["title"], (out, still)
    fitted, none = drafting.settled(Tally(), {}, h, recheck(h), **kw)
    assert fitted.title == "RFC1 G80A polymorphisms and methotrexate response" and none == [], fitted.title
