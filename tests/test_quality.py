"""The deterministic quality checks, on hand-made good and bad examples.

The first bad examples are the defects the issue found in a real `make demo` report (cut-off text,
copied mechanism, one prediction three times, an off-goal anchor, unread evidence, a receptor that
does not exist, a key misattributed in the overview).
"""

from __future__ import annotations

import re

import pytest

from hypoforge.agents import quality as q
from hypoforge.agents.drafting import check
from hypoforge.agents.models import PROFILES, ChainStep, Evidence, Hypothesis

GOAL = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"

INFLIXIMAB = ("Therapeutic efficacy of multiple intravenous infusions of anti-tumor necrosis factor alpha monoclonal antibody "
              "combined with low-dose weekly methotrexate in rheumatoid arthritis. In a 26-week double-blind trial, 101 RA "
              "patients with incomplete response to low-dose methotrexate received repeated infusions of the chimeric anti-TNF "
              "antibody cA2 (infliximab).")
POLYGLUTAMATE = ("Erythrocyte methotrexate polyglutamate concentrations and response in rheumatoid arthritis. Higher "
                 "erythrocyte methotrexate polyglutamate concentrations, formed by folylpolyglutamate synthetase (FPGS), were "
                 "associated with lower DAS28 disease activity after three months of methotrexate.")
ABCB1 = ("ABCB1 transporter variants and methotrexate efflux. Efflux transporter ABCB1 variants reduced intracellular "
         "methotrexate accumulation in lymphocytes from RA patients.")
RECORDS = {"PMID:9751087": INFLIXIMAB, "PMID:1001": POLYGLUTAMATE, "PMID:1002": ABCB1}
EVIDENCE = {k: Evidence(key=k, title=v.split(". ")[0], passage=v) for k, v in RECORDS.items()}
P = PROFILES["compact"]


def good() -> Hypothesis:
    return Hypothesis(
        id="H1", title="Low polyglutamate build-up limits methotrexate response",
        statement="Patients who form little methotrexate polyglutamate in their cells respond poorly, because less drug is retained.",
        mechanism="", predictions=[
            "Erythrocyte methotrexate polyglutamate concentration is lower in non-responders than in responders.",
            "Lymphocyte ABCB1 efflux activity is higher in patients carrying ABCB1 variants than in non-carriers.",
        ],
        citations=["PMID:1001", "PMID:1002"],
        chain=[ChainStep(claim="FPGS adds glutamates to methotrexate, forming erythrocyte polyglutamate", key="PMID:1001"),
               ChainStep(claim="ABCB1 variants raise efflux and lower intracellular methotrexate accumulation", key="PMID:1002")],
    ).model_copy(update={"mechanism": "FPGS adds glutamates to methotrexate, forming erythrocyte polyglutamate -> ABCB1 variants "
                                      "raise efflux and lower intracellular methotrexate accumulation."})


def failing(h: Hypothesis, others=()) -> set[str]:
    return {f.check for f in check(h, goal=GOAL, ev=EVIDENCE, others=list(others), profile=P, focus=q.focus_terms(GOAL))}


def test_a_good_hypothesis_passes_every_check():
    assert check(good(), goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)) == []


@pytest.mark.parametrize("text,cap,sentence", [
    ("Adverse events associated with central nervous system, gastrointestinal, and 1", None, True),  # demo #1
    ("Methotrexate Non-Response Combined with", None, False),  # demo #2's title
    ("Rituximab and lack of methot", 28, False),  # demo #3's title, at its cap
    ("x" * 99, 100, False),
])
def test_complete_catches_cut_text(text, cap, sentence):
    assert q.complete("field", text, cap, sentence=sentence)


def test_complete_accepts_whole_text():
    assert q.complete("title", "Polyglutamate build-up limits methotrexate response", 118) == []
    assert q.complete("statement", "Less polyglutamate means less retained drug.", 280, sentence=True) == []


def test_three_identical_predictions_are_not_distinct():
    pred = "DAS28 score is higher in patients with low polyglutamate than in others."
    fails = q.distinct_items("predictions", [pred, pred, pred])
    assert [f.field for f in fails] == ["predictions[2]", "predictions[3]"]
    assert "repeats predictions[1]" in fails[0].detail


def test_predictions_are_distinct_by_what_they_measure():
    same_group = "in patients with ATIC 347GG than in those without"
    two = [f"Erythrocyte MTX polyglutamate level is lower {same_group}.", f"DAS28 improvement at six months is lower {same_group}."]
    assert q.distinct_predictions(two) == []  # one group, two readouts: two predictions
    twice = ["DAS28 improvement at six months is lower in ATIC 347GG carriers.", "DAS28 improvement at 6 months is lower in smokers."]
    fails = q.distinct_predictions(twice)
    assert [f.field for f in fails] == ["predictions[2]"] and "measures what predictions[1] measures" in fails[0].detail
    pred = "DAS28 score is higher in patients with low polyglutamate than in others."
    assert [f.field for f in q.distinct_predictions([pred, pred, pred])] == ["predictions[2]", "predictions[3]"]


def test_a_bare_group_comparison_is_rendered_with_in():
    from hypoforge.agents.models import render_prediction

    class P:
        readout, direction = "Methotrexate side-effect frequency", "higher"
        comparison = "patients with ATIC 347GG than those without"

    assert render_prediction(P()) == "Methotrexate side-effect frequency is higher in patients with ATIC 347GG than those without."
    P.comparison = "than in non-carriers"
    assert render_prediction(P()) == "Methotrexate side-effect frequency is higher than in non-carriers."
    P.readout = "Transaminase levels"
    assert render_prediction(P()) == "Transaminase levels are higher than in non-carriers."
    P.readout = "Grade of liver fibrosis"
    assert render_prediction(P()).startswith("Grade of liver fibrosis is higher")
    P.comparison = "to those not receiving it"  # a real leflunomide goal, 2026-12-01: had read "higher in to those"
    assert render_prediction(P()) == "Grade of liver fibrosis is higher compared to those not receiving it."
    P.comparison = "than in non-carriers"
    P.readout = "esr"  # Qwen's, 2026-11-29: rendered "Esr is lower ..."
    assert render_prediction(P()).startswith("ESR is higher")
    P.readout = "serum crp level"
    assert render_prediction(P()).startswith("Serum crp level is higher"), "only a readout's first word is recased"
    parts = q.prediction_parts("p", "Transaminase levels are higher in C677T carriers.", readout_cap=80, comparison_cap=80)
    assert parts == []


def test_generic_verbs_with_a_biomedical_suffix_are_not_terms():
    assert q.biomedical_terms("ATIC variants correlate with toxicity") == {q.norm("ATIC"), q.norm("variants"), q.norm("toxicity")}
    # a common verb's -s form is no term either ("stimulate" is a vocabulary word, "stimulates" was a term)
    assert q.biomedical_terms("IL-6 stimulates synovial fibroblasts") == {q.norm(w) for w in ("IL-6", "synovial", "fibroblasts")}
    assert q.norm("activates") not in q.biomedical_terms("Methotrexate activates adenosine release")
    assert q.norm("polyglutamates") in q.biomedical_terms("Polyglutamates accumulate"), "a plural term stays a term"


def test_mechanism_that_restates_the_statement_fails():
    h = good()
    copy = h.model_copy(update={"mechanism": h.statement})
    assert "distinct" in failing(copy)
    assert q.adds_to(h.statement, h.mechanism) == []


def test_two_proposals_saying_the_same_thing_fail_distinct():
    h = good()
    twin = h.model_copy(update={"id": "H2", "title": "Other title on polyglutamate"})
    assert "distinct" in failing(twin, others=[h])


def test_two_proposals_under_one_title_fail_distinct_on_the_title():
    # the real goal's run (2026-11-29, seed 7): two statements under one title
    h = good()
    other = h.model_copy(update={"id": "H2", "statement": "Obesity raises hepatic procollagen III synthesis, which methotrexate adds to.",
                                 "chain": []})
    fails = check(h, goal=GOAL, ev=EVIDENCE, others=[other], profile=P, focus=q.focus_terms(GOAL))
    assert [f.field for f in fails if f.check == "distinct"] == ["title"]
    renamed = h.model_copy(update={"title": "Polyglutamate depletion in erythrocytes"})
    assert not [f for f in check(renamed, goal=GOAL, ev=EVIDENCE, others=[other], profile=P, focus=q.focus_terms(GOAL)) if f.check == "distinct"]


def test_off_goal_rituximab_pharmacokinetics_fails():
    off = "Rituximab pharmacokinetics differ between rheumatoid arthritis patients with high and low B-cell counts."
    assert q.on_goal(GOAL, off, q.focus_terms(GOAL))
    assert q.on_goal(GOAL, good().statement + " methotrexate", q.focus_terms(GOAL)) == []
    assert q.focus_terms(GOAL) == {q.norm("methotrexate")}


# Hand-labelled on-goal examples (goal, proposal statement, on goal?). The rule must agree with at
# least 90% of them; docs/quality.md describes it.
LABELLED = [
    (GOAL, "Low erythrocyte MTX polyglutamate levels explain non-response.", True),
    (GOAL, "ABCB1 efflux variants lower intracellular methotrexate in lymphocytes of non-responders.", True),
    (GOAL, "Smoking induces enzymes that shorten methotrexate exposure and blunt its effect.", True),
    (GOAL, "Adenosine release after methotrexate is lower in patients who do not respond.", True),
    (GOAL, "Rituximab pharmacokinetics differ between RA patients with high and low B-cell counts.", False),
    (GOAL, "Certolizumab pegol is as safe as other TNF blockers in rheumatoid arthritis.", False),
    (GOAL, "Prednisone raises remission rates in early rheumatoid arthritis.", False),
    ("Which HLA-DRB1 shared epitope alleles predict erosive disease?", "Shared epitope HLA-DRB1*04:01 carriers show faster erosion.", True),
    ("Which HLA-DRB1 shared epitope alleles predict erosive disease?", "Methotrexate polyglutamate levels predict response.", False),
    ("Could JAK inhibitors help patients who fail TNF inhibitors?", "Interferon signatures predict JAK inhibitor response after TNF failure.", True),
    ("Could JAK inhibitors help patients who fail TNF inhibitors?", "Hydroxychloroquine retinopathy risk rises with dose.", False),
    ("Does TPMT genotype predict azathioprine toxicity in RA?", "TPMT*3A carriers accumulate thioguanine nucleotides and develop myelotoxicity on azathioprine.", True),
    # the demo's ATIC proposal: a real lead, but about side effects, not about response
    (GOAL, "Patients with specific ATIC polymorphisms have a higher risk of side effects from methotrexate.", False),
    # the demo's prevention proposal: methotrexate in the statement, but not the goal's question
    (GOAL, "Early methotrexate treatment reduces the development of definite RA in patients with high ACPA titres.", False),
    ("Does TPMT genotype predict azathioprine toxicity in RA?", "TPMT activity predicts the clinical response to azathioprine.", False),
    ("What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?",
     "Obesity and alcohol add to methotrexate polyglutamate in hepatocytes, driving liver fibrosis.", True),
    ("How does cigarette smoking promote citrullination and the onset of rheumatoid arthritis?",
     "Smoking raises PAD2 in lung macrophages, citrullinating proteins that break tolerance in shared-epitope carriers.", True),
    # bench goal 5 (2026-12-02): another biologic for a goal about losing response to TNF inhibitors
    ("Why do some patients lose their response to TNF inhibitors over the first years of treatment?",
     "Tocilizumab restores response in patients who lose response to TNF inhibitors.", False),
    ("Why do some patients lose their response to TNF inhibitors over the first years of treatment?",
     "Antidrug antibodies to adalimumab lower its trough level, so response is lost.", True),
]


def test_on_goal_rule_agrees_with_hand_labels():
    agree = sum((not q.on_goal(g, s, q.focus_terms(g))) == label for g, s, label in LABELLED)
    assert agree / len(LABELLED) >= 0.9, agree


def test_a_toxicity_answer_to_a_response_goal_is_off_goal():
    fails = q.on_goal(GOAL, "ATIC 347GG carriers have more methotrexate side effects and stop early.", q.focus_terms(GOAL))
    assert fails and "is about toxicity but the goal asks about response" in fails[0].detail
    fails = q.on_goal(GOAL, "Early methotrexate lowers the incidence of definite RA in ACPA-positive arthritis.", q.focus_terms(GOAL))
    assert fails and "does not speak to response, which the goal asks about" in fails[0].detail
    assert q.on_goal(GOAL, "ATIC 347GG lowers AICAR-driven adenosine release, so methotrexate works less well: non-response.",
                     q.focus_terms(GOAL)) == []


def test_copied_passage_or_example_fails():
    copied = "Efflux transporter ABCB1 variants reduced intracellular methotrexate accumulation in lymphocytes from RA patients."
    assert q.not_copied("statement", copied, {"record PMID:1002": ABCB1})[0].check == "not_copied"
    from hypoforge import prompts

    example = "Lakes near salted roads lose Daphnia because spring chloride suppresses their reproduction, so grazing falls and algae bloom."
    assert q.not_copied("statement", example, {"example": prompts.source("example")})
    assert q.not_copied("statement", good().statement, {"record PMID:1002": ABCB1}) == []


def test_methotrexate_receptors_are_not_grounded():
    bad = "Methotrexate binds methotrexate receptors on synoviocytes and blocks interleukin signalling."
    share, missing = q.grounded_share(bad, [POLYGLUTAMATE, GOAL])
    assert share < q.GROUNDED_MIN and missing
    assert q.grounded(good().mechanism, [POLYGLUTAMATE, ABCB1, GOAL]) == []


def test_biomedical_terms_heuristic_on_labelled_words():
    terms = q.biomedical_terms("ABCB1 and IL-6 raise methotrexate efflux in lymphocytes; cytokine signalling via adenosine receptors.")
    for w in ("abcb1", "il-6", "methotrexate", "efflux", "lymphocytes", "cytokine", "adenosine", "receptors"):
        assert q.norm(w) in terms, w
    assert not q.biomedical_terms("We determine and indicate an increase in the candidate outcome.")


@pytest.mark.parametrize("pred,ok", [
    ("Erythrocyte methotrexate polyglutamate concentration is lower in non-responders than in responders.", True),
    ("DAS28 score falls more with folic acid.", True),
    ("Methotrexate is important for patients.", False),
    ("Polyglutamate levels matter.", False),
    ("Methotrexate efficacy is lower in ATIC 347GG carriers than in non-carriers.", True),
    ("Synovial inflammation on ultrasound is higher at six months in non-responders.", True),
    ("Percentage of patients responding to methotrexate is lower with folinic acid.", True),
    ("Liver biopsy specimens are higher in C677T carriers.", False),
    # an imaging measurement (held-out bench goal 11, 2026-11-30: OCT choroidal thickness had failed)
    ("Choroidal thickness at the temporal choroid 1.5 mm from the fovea is lower in patients on hydroxychloroquine for over five years.", True),
    ("Retinal thickness is lower in patients on hydroxychloroquine for over five years than in those on it for less.", True),
])
def test_testable(pred, ok):
    assert (q.testable("p", pred) == []) == ok


def test_misattributed_key_in_free_text_fails_and_is_stripped():
    overview = "Hepatitis B virus infection is a risk, as shown in the study by PMID:9751087. Polyglutamate matters (PMID:1001)."
    fails = q.keys_in_text("overview", overview, RECORDS)
    assert [f.detail.split(" ")[0] for f in fails] == ["PMID:9751087"]
    assert q.keys_in_text("overview", "Infliximab infusions helped incomplete responders (PMID:9751087).", RECORDS) == []
    assert q.keys_in_text("overview", "See PMID:4242 for polyglutamate.", RECORDS)[0].detail.startswith("PMID:4242 is not a record")
    text, removed = q.strip_bad_keys(overview, RECORDS)
    assert removed == ["PMID:9751087"] and "PMID:9751087" not in text and "PMID:1001" in text


def test_an_author_citation_no_record_makes_fails_and_its_sentence_goes():
    """The quality_target overview (2026-11-29) said "The study by Kato et al."; the records Qwen is
    shown carry no author names, and none of the run cites a Kato."""
    records = {**RECORDS, "PMID:7": "Efflux and uptake. As Smith et al. showed, RFC1 uptake sets methotrexate response."}
    why = "ABCB1 variants lower intracellular methotrexate. The study by Kato et al. found the same in Japanese patients."
    fails = q.keys_in_text("overview", why, records)
    assert [f.detail for f in fails] == ["cites Kato et al., the author of no record of this run"]
    text, removed = q.strip_bad_keys(why, records)
    assert text == "ABCB1 variants lower intracellular methotrexate." and removed == ["Kato et al."]
    cited = "Smith et al. showed that RFC1 uptake sets methotrexate response."
    assert q.keys_in_text("overview", cited, records) == [] and q.strip_bad_keys(cited, records) == (cited, [])
    assert q.keys_in_text("overview", "Kato and Sato et al. agree on methotrexate.", records)


def test_unread_evidence_is_named():
    readings = {"PMID:1": "Shows efflux.", "PMID:2": "", "PMID:3": " "}
    assert [f.field for f in q.unread(readings)] == ["PMID:2", "PMID:3"]


def test_longest_shared_run():
    assert q.longest_shared_run("a b c d e", "x b c d y") == 3
    assert q.longest_shared_run("", "a") == 0


def test_trim_to_boundary_never_cuts_mid_word():
    text = "Folinic acid did not lower efficacy; polyglutamated stores of MTX do not contribute to drug efficacy asa"
    assert q.trim_to_boundary(text, len(text)) == text[: -len(" asa")] + "."  # the clause end is too early: drop the cut word
    clause = "Folinic acid did not lower the efficacy of methotrexate in this trial; stores of MTX do not contribute asa"
    assert q.trim_to_boundary(clause, len(clause)) == "Folinic acid did not lower the efficacy of methotrexate in this trial."
    assert q.trim_to_boundary("short.", 100) == "short."
    assert q.trim_to_boundary("one two three four", 18) == "one two three."


def test_bracketed_keys_are_dropped_from_draft_text():
    from hypoforge.agents.models import HypothesisDraft

    step = {"claim": "ABCB1 variants raise efflux [PMID:1002] [PMID:1002]", "key": "PMID:1002"}
    pred = {"readout": "lymphocyte methotrexate level", "direction": "lower", "comparison": "in carriers"}
    draft = HypothesisDraft.model_validate({"title": "Efflux limits methotrexate (PMID:1002)", "statement": "Efflux lowers drug levels [PMID:1002].",
                                            "cause": step, "intermediate": step, "effect": step, "prediction1": pred, "prediction2": pred})
    h = Hypothesis.from_draft(draft, id="H", origin="generated", round=0)
    assert h.title == "Efflux limits methotrexate" and h.statement == "Efflux lowers drug levels."
    assert h.chain[0].claim == "ABCB1 variants raise efflux" and h.chain[0].key == "PMID:1002"


def test_a_prediction_copied_from_the_example_fails():
    h = good()
    h = h.model_copy(update={"predictions": [h.predictions[0], "Daphnia eggs per female is lower in lakes above 200 mg/L chloride than below it."]})
    assert "not_copied" in failing(h)


def test_prediction_parts_catch_a_cut_readout_that_states_a_result():
    # the demo's revision: a readout that ran to its cap and already stated the result
    cut = "Pro-inflammatory cytokine levels in blood is lower in patients receiving low-dose methot is lower in lakes."
    fails = q.prediction_parts("predictions[1]", cut, readout_cap=P.cap(P.readout_words), comparison_cap=P.cap(P.comparison_words))
    assert {f.field for f in fails} == {"predictions[1].readout"}
    ok = "Erythrocyte methotrexate polyglutamate concentration is lower in non-responders than in responders."
    assert q.prediction_parts("p", ok, readout_cap=P.cap(P.readout_words), comparison_cap=P.cap(P.comparison_words)) == []


def test_elliptical_endings_are_complete():
    assert q.complete("comparison", "in carriers compared to those without", 200) == []
    assert q.complete("comparison", "after six months than before", 200) == []
    assert q.complete("comparison", "in carriers compared with", 200)


# Hand-labelled statements (goal, statement, specific?): a statement must propose a cause the goal
# does not name, and propose it rather than report a study. The first two are from bench/quality's
# details on Qwen (2026-11-29), the rest written to probe the rule.
SPECIFIC = [
    (GOAL, "A longitudinal study of methotrexate treatment in rheumatoid arthritis patients found that about one-third "
           "of patients do not respond to the drug.", False),
    ("What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?",
     "Low-dose methotrexate therapy has been shown to be safe and effective, with minimal liver toxicity.", False),
    (GOAL, "Patients with rheumatoid arthritis who receive low-dose weekly methotrexate have sustained clinical improvement "
           "and complete remission.", False),
    (GOAL, "Methotrexate non-response in rheumatoid arthritis has many causes.", False),
    # bench/quality goal 1 on the final code (2026-11-29): a study's description as the statement
    (GOAL, "A double-blind placebo controlled crossover study of methotrexate (MTX) and folinic acid (FA) in rheumatoid arthritis patients.", False),
    ("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
     "TPMT genotype explains why some patients cannot tolerate azathioprine.", False),
    (GOAL, "Concurrent folinic acid blunts the antifolate effect of methotrexate in rheumatoid arthritis.", True),
    # an association alone is what a study reports (relabelled 2026-11-29, with the demo's "associated with"); with how it works it is a hypothesis
    (GOAL, "Patients with the full-length KIR2DS4 gene are less likely to respond to methotrexate.", False),
    (GOAL, "Patients with the full-length KIR2DS4 gene are less likely to respond to methotrexate, as their NK cells sustain synovitis.", True),
    (GOAL, "Low erythrocyte MTX polyglutamate levels explain non-response.", True),
    ("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
     "TPMT-deficient patients accumulate thioguanine nucleotides in marrow and develop myelosuppression.", True),
    ("How does cigarette smoking promote citrullination and the onset of rheumatoid arthritis?",
     "Smoking raises PAD2 in lung macrophages, citrullinating proteins that break tolerance in shared-epitope carriers.", True),
    # the goal names its cause: a specific consequence answers it (Qwen, bench goal 3, 2026-11-29), a generic one does not
    ("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
     "Some patients with rheumatoid arthritis are unable to tolerate azathioprine due to reduced TPMT activity, which increases "
     "the risk of severe myelosuppression.", True),
    ("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
     "Some patients cannot tolerate azathioprine due to TPMT genotype, which increases toxicity.", False),
    # a cause whose only explanation is a vague link (Qwen, bench goal 1, 2026-11-29)
    (GOAL, "Rheumatoid arthritis patients with Folate polymorphisms may not respond to methotrexate due to altered drug metabolism.", False),
    (GOAL, "Patients with SLC19A1 80A respond less to methotrexate due to lower folate carrier uptake into lymphocytes.", True),
    # the vague verb five words into the explanation (bench goal 3, 2026-11-30, a proposal passing every check); a
    # causal verb before it explains
    ("Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
     "Some patients with rheumatoid arthritis cannot tolerate azathioprine because their TPMT or NUDT15 genotype alters their "
     "ability to metabolize thiopurines, leading to increased side effects.", False),
    (GOAL, "Carriers of RFC1 80A respond less to methotrexate because the variant lowers uptake, which alters polyglutamation.", True),
    # "as evidenced by" cites evidence; it explains nothing (Qwen, bench goal 2, 2026-11-29)
    ("What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?",
     "Obesity is a significant risk factor for methotrexate-induced liver injury, as evidenced by the increased incidence of liver fibrosis.", False),
    # unnamed mechanisms "involving" something, in the form Qwen wrote on a real hydroxychloroquine goal (2026-11-30)
    ("Why do some patients on long-term hydroxychloroquine develop retinal toxicity?",
     "Cumulative hydroxychloroquine dose causes retinal toxicity through mechanisms involving oxidative stress and inflammation.", False),
    ("Why do some patients on long-term hydroxychloroquine develop retinal toxicity?",
     "Hydroxychloroquine accumulates in melanin of the retinal pigment epithelium, where it blocks lysosomal degradation of photoreceptor outer segments.", True),
]


@pytest.mark.parametrize("goal,statement,ok", SPECIFIC)
def test_specific_needs_a_proposed_cause_beyond_the_goal(goal, statement, ok):
    fails = q.specific(goal, statement)
    assert (fails == []) == ok, fails


def test_a_study_design_is_no_cause_and_in_the_study_of_is_a_report():
    """A real leflunomide goal (2026-12-01, seventeenth session) ranked first "In the case-control study
    of RA patients, those receiving leflunomide had significantly higher liver enzymes compared to
    those not": the goal's premise as a study's finding, whose only "cause" was the rare word
    case-control."""
    goal = "Why do some rheumatoid arthritis patients develop raised liver enzymes on leflunomide?"
    statement = ("In the case-control study of RA patients, those receiving leflunomide had significantly higher liver enzymes "
                 "compared to those not.")
    assert q.proposed_causes(goal, statement) == set()
    fails = q.specific(goal, statement)
    assert fails and "reports what a study found" in fails[0].detail
    causes = q.proposed_causes(goal, "In double-blind trials, teriflunomide accumulates in slow CYP1A2 metabolisers.")
    assert causes and not any("double" in c for c in causes), "the design word is dropped, the real causes stay"
    assert q.specific(goal, "In the liver, leflunomide's metabolite teriflunomide inhibits DHODH and so raises ALT.") == []


def test_a_trial_acronym_reporting_is_a_study_report():
    # bench goal 5 at e82acc5 (2026-12-01), a top-3 statement whose only "cause" was the trial's name
    goal = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    fails = q.specific(goal, "RADIATE suggests that different doses of infliximab can improve TNF inhibition in patients with "
                             "rheumatoid arthritis, while some patients lose response over time.")
    assert fails and "reports what a study found" in fails[0].detail
    assert q.specific(goal, "Antidrug antibodies bind infliximab and speed its clearance, so TNF is no longer neutralised.") == []
    assert not q._STUDY_REPORT.search("Radiate suggests nothing"), "only an acronym in capitals"


@pytest.mark.parametrize("statement,claim", [
    # bench goal 1 at e82acc5 (2026-12-01), a top-3 statement
    ("A study found that the MTHFR C677T polymorphism is associated with reduced methotrexate efficacy in patients with RA.",
     "The MTHFR C677T polymorphism is associated with reduced methotrexate efficacy in patients with RA."),
    ("The CPIC guideline for thiopurines suggests that patients with reduced TPMT activity develop myelosuppression.",
     "Patients with reduced TPMT activity develop myelosuppression."),
    # no report, a report with no "that" frame, a frame after a claim
    ("MTHFR C677T lowers enzyme activity, which suggests that folate is limiting.", None),
    ("In the case-control study of RA patients, those receiving leflunomide had higher liver enzymes.", None),
    ("A study found that a meta-analysis showed that MTHFR matters.", None),
])
def test_a_reported_finding_becomes_the_claim_it_reports(statement, claim):
    assert q.unreported(statement) == claim


@pytest.mark.parametrize("statement,compares", [
    # ranked first on a real folic-acid goal (2026-12-01), and a top-3 statement of bench goal 5
    ("RA patients on methotrexate with low blood folate levels experience more severe side effects compared to those with normal "
     "folate levels.", True),
    ("Patients who failed one anti-TNF treatment, switching to RTX instead, had better overall results compared to mAb and ETA.", True),
    # a comparison that says what causes it
    ("Patients with low red-cell folate have more mucosal side effects than those with normal folate because methotrexate then "
     "depletes folate in dividing gut cells.", False),
    ("Folic acid restores folate in dividing mucosal cells, so methotrexate ulcers are rarer than without it.", False),
])
def test_a_statement_that_only_compares_groups_is_a_prediction(statement, compares):
    goal = "Why does folic acid supplementation lower the side effects of methotrexate in rheumatoid arthritis?"
    fails = [f for f in q.specific(goal, statement) if "difference between groups" in f.detail]
    assert bool(fails) is compares, q.specific(goal, statement)


def test_a_study_report_is_named_as_such():
    fails = q.specific(GOAL, SPECIFIC[0][1])
    assert fails and "reports what a study found" in fails[0].detail
    assert "specific" in failing(good().model_copy(update={"statement": SPECIFIC[0][1]}))


RESPONSE_GOAL = "Why do some rheumatoid arthritis patients not respond to methotrexate?"
LIVER_GOAL = "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?"
KIR = "Patients with the full-length KIR2DS4 gene are less likely to respond to methotrexate."
MTHFR = "The C677T mutation in the MTHFR gene is a genetic risk factor for methotrexate-related elevation of liver enzymes."
RFC1_REDUCES = "G80A and RFC1 polymorphisms reduce methotrexate response in rheumatoid arthritis."


@pytest.mark.parametrize("goal,statement,prediction,agrees", [
    # Qwen's, 2026-11-29: the statement says carriers respond worse, the prediction gives them lower ESR
    (RESPONSE_GOAL, KIR, "Erosive ESR levels are lower in patients with KIR2DS4 gene compared to those without it.", False),
    (RESPONSE_GOAL, KIR, "ESR levels are higher in patients with KIR2DS4 gene compared to those without it.", True),
    (RESPONSE_GOAL, KIR, "ACR20 response rate is lower in patients with the full-length KIR2DS4 gene than in those without it.", True),
    (RESPONSE_GOAL, KIR, "ACR20 response rate is higher in patients without KIR2DS4 than in carriers.", True),
    (RESPONSE_GOAL, KIR, "ACR20 response rate is lower in patients without KIR2DS4 than in carriers.", False),
    (LIVER_GOAL, MTHFR, "Transaminase levels are higher in patients with the C677T mutation compared to those without it.", True),
    (LIVER_GOAL, MTHFR, "Transaminase levels are lower in patients with the C677T mutation compared to those without it.", False),
    (LIVER_GOAL, "Folic acid supplementation protects the liver from methotrexate injury.",
     "Liver enzyme levels are lower in patients receiving folic acid compared to those without it.", True),
    (LIVER_GOAL, "Folic acid supplementation protects the liver from methotrexate injury.",
     "Liver enzyme levels are higher in patients receiving folic acid compared to those without it.", False),
    # no verdict: a mechanistic readout (its good direction is not plain), groups that are not with/without the cause
    (LIVER_GOAL, MTHFR, "MTHFR activity is lower in patients with the C677T mutation compared to those without it.", True),
    (RESPONSE_GOAL, KIR, "ESR levels are lower in responders than in non-responders.", True),
    (RESPONSE_GOAL, "A biomarker predicts methotrexate response.", "Response rate is lower in patients with the biomarker than without it.", True),
    # one group, set against the rest by the prediction itself (the demo at 503ddc4, 2026-12-02)
    (RESPONSE_GOAL, RFC1_REDUCES, "Methotrexate response rate is lower in those without the G80A variant.", False),
    (RESPONSE_GOAL, RFC1_REDUCES, "Methotrexate response rate is higher in those without the G80A variant.", True),
    (RESPONSE_GOAL, RFC1_REDUCES, "Methotrexate response rate is lower in patients with the G80A variant.", True),
    (RESPONSE_GOAL, RFC1_REDUCES, "Methotrexate response rate is higher in patients with the G80A variant.", False),
    (RESPONSE_GOAL, RFC1_REDUCES, "Methotrexate response rate is higher in patients with early arthritis.", True),
])
def test_a_prediction_must_point_the_way_its_statement_does(goal, statement, prediction, agrees):
    fails = q.direction_agrees("predictions[1]", goal, statement, prediction)
    assert (fails == []) == agrees, fails
    if fails:
        assert fails[0].check == "testable" and "points the wrong way" in fails[0].detail


def test_a_backwards_prediction_fails_the_hypothesis_check():
    h = good().model_copy(update={"statement": "Patients with ABCB1 efflux variants respond poorly to methotrexate, because less drug is retained.",
                                  "predictions": [good().predictions[0],
                                                  "DAS28 score is lower in patients with ABCB1 variants than in those without them."]})
    fails = check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL))
    assert [f.field for f in fails if "points the wrong way" in f.detail] == ["predictions[2]"]


def test_general_biology_needs_no_record_but_entities_do():
    """Qwen's MTHFR chain failed on 'folate, metabolism': metabolism is standard biology the prompt
    allows; folate is an entity its record must name."""
    record = "MTHFR C677T variant and methotrexate liver toxicity. The C677T variant raised transaminases on methotrexate."
    chain = "MTHFR C677T lowers enzyme activity and slows metabolism -> transaminases rise on methotrexate."
    assert q.grounded(chain, [record]) == []
    assert q.grounded_share(chain, [record]) == (1.0, [])
    assert q.grounded_share(chain.replace("metabolism", "folate metabolism"), [record]) == (0.8, ["folate"])


def test_a_second_sentence_cut_at_the_cap_is_dropped_not_kept():
    # Qwen's TPMT statement (bench/quality, 2026-11-29): its second sentence ran to the 248-character cap
    text = ("Some patients with rheumatoid arthritis cannot tolerate azathioprine due to reduced TPMT activity, which increases "
            "the risk of severe myelosuppression. The CPIC guideline for thiopurine dosing based on TPMT and NUDT15 genotypes suggests considering")
    cap = P.cap(P.statement_words)
    text = text[:cap]
    kept = q.whole_sentences(text, cap)
    assert kept.endswith("severe myelosuppression.") and q.complete("statement", kept, cap, sentence=True) == []
    assert q.whole_sentences("A short statement. Another.", cap) == "A short statement. Another.", "under the cap: unchanged"
    one_long = "word " * 60
    assert q.whole_sentences(one_long, cap) == one_long, "no whole sentence: left for complete to fail"


def test_an_invented_snp_id_is_not_grounded():
    # Qwen's, bench/quality 2026-11-29: "The genetic variant rs2038679 is associated with reduced response"; no record names it
    record = "Low-dose methotrexate treatment of rheumatoid arthritis. Long-term observations of 30 patients."
    share, missing = q.grounded_share("The genetic variant rs2038679 lowers methotrexate response in synovial fibroblasts.", [record])
    assert "rs2038679" in missing and share < q.GROUNDED_MIN
    assert q.grounded_share("MTHFR rs1801133 raises transaminases", ["MTHFR rs1801133 carriers had raised transaminases."]) == (1.0, [])


def test_the_readout_part_must_name_the_measurement_and_general_biology_is_no_cause():
    # Qwen's, bench/quality goal 2 (2026-11-29), which passed every check before: a readout that
    # names nothing measured ("toxicity" was only in the group) and a statement whose cause is
    # "changes in liver metabolism and drug interactions"
    fails = q.testable("p", "Liver biopsy findings are lower in patients with liver toxicity compared to those without.")
    assert fails and "'Liver biopsy findings' is not a measurement" in fails[0].detail
    assert q.testable("p", "Transaminase levels are higher in patients receiving long-term methotrexate compared to those not.") == []
    # the real goal's (2026-11-29, seed 7): damage is what a measurement shows, not one
    assert q.testable("p", "Liver damage is higher in patients with obesity than in those without.")
    assert q.testable("p", "Joint damage score is higher in patients with obesity than in those without.") == []
    goal = "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?"
    vague = ("Long-term methotrexate therapy can lead to liver injury in some patients with rheumatoid arthritis, possibly due "
             "to changes in liver metabolism and drug interactions.")
    assert q.specific(goal, vague)
    assert q.specific(goal, "Obesity and alcohol add to methotrexate polyglutamate in hepatocytes, driving liver fibrosis.") == []


def test_a_readout_that_only_adds_qualifiers_measures_the_same_thing():
    # Qwen's, bench/quality goal 3 (2026-11-29): token Jaccard 0.33, yet one measurement
    preds = ["Myelosuppression risk in patients with TPMT or NUDT15 genotype is higher in patients with reduced enzyme activity compared to those without.",
             "Myelosuppression risk is higher in patients with reduced enzyme activity compared to those without."]
    fails = q.distinct_predictions(preds)
    assert [f.field for f in fails] == ["predictions[2]"]
    assert q.distinct_predictions(["Transaminase levels are higher in carriers.", "Liver fibrosis score is higher in carriers."]) == []


def test_readouts_naming_the_same_group_can_measure_different_things():
    # Qwen's, bench goal 3 (2026-11-29): the group written into both readouts made two measurements look like one
    group = "in patients with TPMT or NUDT15 genotypes"
    preds = [f"Azathioprine clearance {group} is lower in patients with reduced TPMT compared to those without.",
             f"Gastrointestinal toxicity {group} is higher in patients with reduced TPMT compared to those without."]
    assert q.distinct_predictions(preds) == []
    assert q.measured(f"Azathioprine clearance {group}") == "Azathioprine clearance"
    assert q.measured("Alanine aminotransferase levels of patients with RA on long-term methotrexate") == "Alanine aminotransferase levels"
    # the same measurement in the same group is still one readout
    same = [f"Azathioprine clearance {group} is lower than in others.", f"Azathioprine clearance rate {group} is lower than in others."]
    assert [f.field for f in q.distinct_predictions(same)] == ["predictions[2]"]
    assert q.measured("Patients with TPMT variants") == "Patients with TPMT variants", "a readout that is all group is kept whole"


def test_a_chain_step_must_rest_on_the_record_it_cites():
    # bench/quality goal 1 (2026-11-29): a folate-pathway step citing the folinic acid trial, whose record says nothing of it
    folinic = "Concurrent use of folinic acid and methotrexate in rheumatoid arthritis. Folinic acid given with methotrexate reduced toxicity."
    claim = "Patients with common polymorphisms in the folate pathway have lower methotrexate response"
    fails = q.step_rests_on("chain[3]", claim, "PMID:3050087", folinic, GOAL)
    assert fails and fails[0].check == "grounded" and "PMID:3050087, whose record does not mention folate" in fails[0].detail
    assert q.step_rests_on("chain[1]", "Folinic acid blunts the antifolate action of methotrexate", "PMID:3050087", folinic, GOAL) == []
    assert q.step_rests_on("chain[2]", "Methotrexate response falls", "PMID:3050087", folinic, GOAL) == [], "nothing beyond the goal: no verdict"
    assert "grounded" in failing(good().model_copy(update={"chain": [ChainStep(claim=claim, key="PMID:9751087"), *good().chain[1:]]}))
    # a symbol the record writes as a symbol is found (TNF is otherwise spelled out when terms are compared)
    acpa = "ACPA and adalimumab response in RA patients with the tumor necrosis factor (TNF) alpha-308 G/G promoter polymorphism."
    assert q.step_rests_on("chain[3]", "The -308 TNF G/G genotype marks good response", "PMID:21234628", acpa,
                           "Why do some patients lose their response to adalimumab?") == []


def test_a_step_naming_a_gene_must_cite_a_record_naming_it():
    """Bench goal 2 (2026-11-30): "The MTHFR C677T polymorphism increases methotrexate toxicity" cited a
    1985 liver-biopsy series, which names toxicity but no gene, in a top-3 proposal passing every check;
    the run held the MTHFR meta-analysis that says it. The step is moved there."""
    goal = "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?"
    texts = {"PMID:4036984": "Low-dose methotrexate treatment of rheumatoid arthritis. Long-term observations. Liver toxicity assessed "
                             "in these 21 patients and four others receiving long-term methotrexate therapy revealed acute toxicity.",
             "PMID:28277784": "Association Between MTHFR C677T Polymorphism and Methotrexate Treatment Outcome. The MTHFR C677T "
                              "polymorphism was associated with increased toxicity, but not efficacy, of MTX in RA patients."}
    claim = "The MTHFR C677T polymorphism increases methotrexate toxicity in the body"
    (f,) = q.step_rests_on("chain[2]", claim, "PMID:4036984", texts["PMID:4036984"], goal)
    assert f.check == "grounded" and "does not mention C677T, MTHFR" in f.detail
    assert q.record_naming(claim, "PMID:4036984", texts, goal) == "PMID:28277784"
    assert q.step_rests_on("chain[2]", claim, "PMID:28277784", texts["PMID:28277784"], goal) == []
    # a symbol the record spells out counts as named
    hla_goal = "How does the HLA-DRB1 shared epitope raise the risk of anti-citrullinated protein antibody positive rheumatoid arthritis?"
    assert q.step_rests_on("chain[1]", "Smoking raises IL-6 in the lung", "PMID:1", "Interleukin-6 rises in smokers' lungs.", hla_goal) == []
    assert q.step_rests_on("chain[1]", "ACPAs rise before onset", "PMID:1", "Anti-citrullinated protein antibodies rise years before.", GOAL) == []
    # a gene of the goal's own needs no record naming it again (the general rule still applies)
    assert q.step_rests_on("chain[1]", "HLA-DRB1 shared epitope alleles raise citrullinated peptide presentation", "PMID:1",
                           "Citrullinated peptides bind shared epitope molecules with high affinity.", hla_goal) == []


def test_a_chain_must_name_the_cause_its_statement_proposes():
    """Held-out bench goal 10 (2026-11-30) passed every other check with an MTHFR statement over a chain
    about adenosine A2A signalling that never names MTHFR."""
    goal = "Could adenosine A2A receptor signalling be enhanced to restore the anti-inflammatory effect of methotrexate?"
    statement = ("Folate metabolism, particularly the MTHFR gene, plays a crucial role in methotrexate's anti-inflammatory effects "
                 "by enhancing adenosine A2A receptor signaling.")
    steps = ["Enhanced adenosine A2A receptor signaling leads to increased methotrexate's anti-inflammatory effects",
             "Adenosine A2A receptor signaling is activated by increased levels of adenosine A2A receptors"]
    (f,) = q.chain_names_cause(goal, statement, steps)
    assert (f.check, f.field) == ("specific", "mechanism") and "never names MTHFR" in f.detail
    assert q.chain_names_cause(goal, statement, ["The MTHFR 677T allele lowers adenosine release", *steps]) == []
    assert q.chain_names_cause(goal, "Methotrexate raises adenosine, which acts on A2A receptors.", steps) == [], "the goal's own symbols"
    # a symbol joined to a word by a hyphen is named ("ACPA-levels", bench goal 4)
    assert q.chain_names_cause(GOAL, "HLA-DRB1*13 lowers ACPA titres.", ["HLA-DRB1*13 alleles lower ACPA-levels"]) == []


def test_a_chain_on_a_drug_goal_names_the_drug_or_what_it_acts_on_or_becomes():
    """A real leflunomide goal (2026-11-30, fifteenth session) answered with a homocysteine chain from
    a methotrexate record that never named leflunomide; it passed every check but a repeated step."""
    goal = "Why does leflunomide fail in some patients with rheumatoid arthritis?"
    homocysteine = ["Elevated homocysteine levels impair endothelial function", "Impaired endothelial function sustains synovial inflammation"]
    (f,) = q.chain_names_drug(goal, homocysteine)
    assert (f.check, f.field) == ("on_goal", "mechanism") and "never names leflunomide" in f.detail
    assert q.chain_names_drug(goal, ["Leflunomide lowers T-cell proliferation", *homocysteine[1:]]) == []
    assert q.chain_names_drug(goal, ["Low DHODH inhibition leaves pyrimidine synthesis in T cells intact", *homocysteine[1:]]) == [], "its target"
    assert q.chain_names_drug(goal, ["Teriflunomide exposure is lower in fast metabolisers", *homocysteine[1:]]) == [], "its active metabolite"
    tpmt = "Could TPMT or NUDT15 genotype explain why some patients cannot tolerate azathioprine?"
    assert q.chain_names_drug(tpmt, ["Reduced TPMT activity raises thiopurine levels in blood", "High thioguanine nucleotides suppress the marrow"]) == []
    assert q.chain_names_drug(tpmt, ["TPMT A1298C reduces folate-dependent enzymes", "Less enzyme activity slows methotrexate metabolism"])
    assert q.chain_names_drug(GOAL, ["MTX polyglutamates are lower in non-responders", "Less AICAR builds up"]) == [], "an abbreviation"
    assert q.chain_names_drug("How does smoking promote citrullination?", homocysteine) == [], "no drug asked about"
    assert q.chain_names_drug(goal, []) == []


def test_a_chain_never_naming_the_goals_drug_is_rewritten_without_the_rest_of_the_draft():
    from hypoforge.agents.drafting import fields_to_rewrite
    from hypoforge.agents.models import hypothesis_draft

    failure = q.Failure(check="on_goal", field="mechanism", detail="never names leflunomide")
    assert fields_to_rewrite([failure], list(hypothesis_draft("compact").model_fields)) == ("cause", "intermediate", "effect")


def test_a_variant_written_without_its_gene_must_be_one_of_the_hypothesis_genes():
    """The demo (2026-11-30, fifteenth session) predicted toxicity "in patients with the G80A variant"
    under an MTHFR statement; its records give G80A to RFC1."""
    records = ["The G80A variant of reduced folate carrier 1 (RFC1) was associated with needing biologic co-therapy.",
               "677C>T and 1298A>C MTHFR polymorphisms affect methotrexate treatment outcome."]
    owners = q.variant_owners(records)
    about = "MTHFR polymorphisms affect methotrexate response. Some patients do not respond because of variants in the MTHFR gene."
    (f,) = q.stray_variants("predictions[1]", "Methotrexate toxicity in RA is higher in patients with the G80A variant.", about, owners)
    assert f.check == "grounded" and "G80A" in f.detail and "RFC1" in f.detail
    assert q.stray_variants("predictions[1]", "ALT is higher in carriers of the 677T allele than in non-carriers.", about, owners) == []
    assert q.stray_variants("predictions[1]", "ALT is higher in patients with the RFC1 G80A variant.", about, owners) == [], (
        "written with its gene: variants_belong judges it")
    assert q.stray_variants("predictions[1]", "ALT is higher with the 80A allele.", "RFC1 80A carriers take up less methotrexate.", owners) == []
    assert q.stray_variants("predictions[1]", "ALT is higher with the -308 G/G genotype.", about, owners) == [], "a variant no record gives a gene"


def test_demo_rfc1_defects_a_wrong_title_and_a_restated_paper_title():
    # the demo, 2026-11-29 (qwen2.5-coder-1.5b, seed 7): an RFC1 hypothesis titled after MTHFR, whose
    # statement is its record's title with "(RFC1)" added (no 12-word run shared)
    title = "A single nucleotide polymorphism of reduced folate carrier 1 predicts methotrexate efficacy in Japanese patients with rheumatoid arthritis"
    statement = ("A single nucleotide polymorphism of reduced folate carrier 1 (RFC1) predicts methotrexate efficacy in Japanese "
                 "patients with rheumatoid arthritis.")
    assert q.longest_shared_run(statement, title) < q.COPY_RUN
    fails = q.restates_title("statement", statement, {"PMID:22971639": title})
    assert fails and fails[0].check == "not_copied" and "PMID:22971639" in fails[0].detail
    assert q.restates_title("statement", "RFC1 80A carriers take up less methotrexate into lymphocytes and respond less.",
                            {"PMID:22971639": title}) == []
    wrong = q.title_names_its_hypothesis("MTHFR polymorphism and methotrexate response in rheumatoid arthritis",
                                         statement + " G80A variant of reduced folate carrier 1 (RFC1)")
    assert wrong and "names MTHFR" in wrong[0].detail
    assert q.title_names_its_hypothesis("RFC1 G80A and methotrexate uptake", statement + " The G80A variant") == []


def test_the_final_demo_statement_copied_a_record_it_never_cited():
    """The demo on the final code (2026-11-29): the statement is the RFC1 record's sentence, a report
    ("was proposed as a predictor"), and the RFC1 record is not among the chain's citations."""
    rfc1 = ("A single nucleotide polymorphism of reduced folate carrier 1 predicts methotrexate efficacy in Japanese patients. "
            "G-allele carriers may take up less methotrexate into cells and respond less, so RFC1 genotype was proposed as a "
            "predictor of methotrexate efficacy in this population.")
    ev = {**EVIDENCE, "PMID:22971639": Evidence(key="PMID:22971639", title=rfc1.split(". ")[0], passage=rfc1)}
    statement = ("G-allele carriers may take up less methotrexate into cells and respond less, so RFC1 genotype was proposed "
                 "as a predictor of methotrexate efficacy in this population.")
    assert q.specific(GOAL, statement) and "reports what a study found" in q.specific(GOAL, statement)[0].detail
    h = good().model_copy(update={"statement": statement})
    fails = check(h, goal=GOAL, ev=ev, others=[], profile=P, focus=q.focus_terms(GOAL))
    assert any(f.check == "not_copied" and f.field == "statement" and f.source == "record PMID:22971639" for f in fails)


def test_a_step_citing_the_wrong_run_record_is_moved_to_the_record_that_names_it():
    """Qwen's ABCB1 step cited the polyglutamate study although the ABCB1 record was retrieved too."""
    texts = {k: f"{e.title}. {e.passage}" for k, e in EVIDENCE.items()}
    claim = "ABCB1 variants raise efflux and lower intracellular methotrexate accumulation"
    assert q.step_rests_on("chain[2]", claim, "PMID:1001", texts["PMID:1001"], GOAL)  # misattributed as written
    assert q.record_naming(claim, "PMID:1001", texts, GOAL) == "PMID:1002"
    assert q.record_naming(claim, "PMID:1002", texts, GOAL) == "PMID:1002"  # a right key stays
    assert q.record_naming("Methotrexate response falls", "PMID:9751087", texts, GOAL) == "PMID:9751087"  # nothing named: no move
    invented = "SLCO1B1 variants slow hepatic methotrexate clearance"
    assert q.record_naming(invented, "PMID:1001", texts, GOAL) == "PMID:1001"  # no record names it: it stays, and fails
    assert q.record_naming(claim, "TOOL:rdkit.descriptors:ab12", texts, GOAL) == "TOOL:rdkit.descriptors:ab12"  # a tool result stays

    from hypoforge.agents.drafting import rekey

    h = good().model_copy(update={"chain": [good().chain[0], ChainStep(claim=claim, key="PMID:1001")], "citations": ["PMID:1001"]})
    moved, did = rekey(h, texts, GOAL)
    assert did and [s.key for s in moved.chain] == ["PMID:1001", "PMID:1002"] and moved.citations == ["PMID:1001", "PMID:1002"]
    assert not [f for f in check(moved, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)) if f.check == "grounded"]
    assert rekey(good(), texts, GOAL) == (good(), False)


def test_a_statement_for_another_drug_is_off_the_goal():
    """bench/quality goal 3 (2026-11-29, after the excerpts): a first-round draft passed every check while it
    blamed TPMT and NUDT15 for methotrexate side effects; the goal asks about azathioprine."""
    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    wrong = ("Patients with TPMT or NUDT15 genotype who cannot tolerate azathioprine have higher levels of methotrexate-related "
             "side effects compared to those without these genotypes.")
    fails = q.on_goal(goal, wrong, q.focus_terms(goal))
    assert fails and "names methotrexate, but the goal asks about azathioprine" in fails[0].detail
    right = "Reduced TPMT activity lets thioguanine nucleotides accumulate on azathioprine, causing myelosuppression."
    assert q.on_goal(goal, right, q.focus_terms(goal)) == []  # metabolites are mechanism, not another drug
    assert q.treatments("MTX with SSZ, then adalimumab or tofacitinib") == {"methotrexate", "sulfasalazine", "adalimumab", "tofacitinib"}
    assert q.treatments("the concept of intercepting TNF with etanercept") == {"etanercept"}  # "concept" is no -cept drug
    # a drug of the class the goal names is the goal's drug, and shares its key term
    assert q.on_goal("Why do some patients lose their response to TNF inhibitors?", "Antibodies to adalimumab lower trough TNF inhibitor levels, so response is lost.",
                     q.focus_terms("Why do some patients lose their response to TNF inhibitors?")) == []


TNF_GOAL = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"


def test_a_goal_naming_a_drug_class_asks_about_its_drugs():
    """Bench goal 5 at 2bb20e8 (2026-12-02): a tocilizumab proposal passed on_goal for a goal about
    losing response to TNF inhibitors, because the goal named its drugs only as a class."""
    fails = q.on_goal(TNF_GOAL, "Tocilizumab restores response in patients who lose response to TNF inhibitors.", q.focus_terms(TNF_GOAL))
    assert fails and "names tocilizumab, but the goal asks about TNF inhibitors" in fails[0].detail
    # methotrexate beside the goal's biologic is its co-therapy; alone, it is another drug
    assert q.on_goal(TNF_GOAL, "Concomitant methotrexate lowers antidrug antibodies to adalimumab, so response lasts.", q.focus_terms(TNF_GOAL)) == []
    jak = "Could a baseline interferon gene signature predict response to JAK inhibitors in rheumatoid arthritis?"
    fails = q.on_goal(jak, "Methotrexate response is lower with a high interferon signature.", q.focus_terms(jak))
    assert fails and "names methotrexate, but the goal asks about JAK inhibitors" in fails[0].detail
    assert q.on_goal(jak, "A high interferon signature predicts lower response to tofacitinib.", q.focus_terms(jak)) == []
    # a goal naming a class and another class's target asks about both
    il6 = "Which IL-6 pathway proteins could be targeted in patients with rheumatoid arthritis who fail TNF inhibitors?"
    assert {"tocilizumab", "sarilumab", "infliximab"} <= q.drugs_asked(il6)
    assert q.on_goal(il6, "Tocilizumab blocks IL-6 receptor signalling in patients failing TNF inhibitors.", q.focus_terms(il6)) == []
    # a class named by a text is a drug it names; a target alone is not a class
    fails = q.on_goal(GOAL, "Anti-TNF therapy works in methotrexate non-responders.", q.focus_terms(GOAL))
    assert fails and "names TNF inhibitors" in fails[0].detail
    assert q.drugs_named("TNF levels rise in synovium") == set()
    assert q.drugs_asked("How does cigarette smoking promote citrullination?") == set()  # no drug asked: no limit
    assert q.drugs_asked("How do T cells drive synovitis?") == set()  # a target alone asks about no drug


def test_alleles_written_as_positions_and_bases_are_named_causes():
    """A bench statement blamed '-308 G/G' for losing response to TNF inhibitors and counted as naming no cause."""
    goal = "Why do some patients lose their response to TNF inhibitors over the first years of treatment?"
    statement = "Patients with the TNF -308 G/G genotype lose response because their cells make more TNF than the drug neutralises."
    assert "308g/g" in q.proposed_causes(goal, statement)
    assert not [f for f in q.specific(goal, statement) if "names no cause" in f.detail]
    assert {"677tt", "gallele", "2756a", "a/a"} <= q.named_entities("MTHFR 677TT and the G-allele; the MTR 2756A allele; the A/A genotype").keys()
    assert not {k for k in q.named_entities("IL-6 levels in 214 RA patients at 12 weeks; CD4 T cells") if k[0].isdigit()}
    # a step naming a genotype rests on a record that writes it
    record = "In 52 RA patients with the -308 G/G genotype, ACPA status did not affect response to adalimumab."
    assert q.step_rests_on("chain[1]", "The -308 G/G genotype marks patients whose response wanes", "PMID:21234628", record, goal) == []


def test_a_readout_carrying_its_own_comparison_is_not_whole():
    """The quality_target run (2026-11-29): 'Methotrexate clearance in responders vs. non-responders is lower in
    responders vs. non-responders.' passed every check; its readout holds the comparison, so the sentence says it twice."""
    pred = "Methotrexate clearance in responders vs. non-responders is lower in responders vs. non-responders."
    fails = q.prediction_parts("predictions[1]", pred, readout_cap=88, comparison_cap=104)
    assert [f.field for f in fails] == ["predictions[1].readout"] and "comparison" in fails[0].detail
    assert q.prediction_parts("predictions[1]", "Methotrexate clearance is lower in non-responders than in responders.",
                              readout_cap=88, comparison_cap=104) == []


# The demo's records (starter pack, 2026-11-29), as the generator showed them.
MTHFR_META = ("Association Between MTHFR C677T Polymorphism and Methotrexate Treatment Outcome in Rheumatoid Arthritis Patients. "
              "This meta-analysis pooled 16 studies on methotrexate efficacy and 25 on methotrexate toxicity in RA to examine the MTHFR "
              "C677T polymorphism. The variant was associated with more toxicity but not with altered efficacy, and the 677TT genotype was "
              "tied to overall toxicity in both East Asian and Caucasian groups.")
MTHFR_YEAR = ("MTHFR functional genetic variation and methotrexate treatment response in rheumatoid arthritis: a meta-analysis. "
              "Two functional MTHFR variants, rs1801131 and rs1801133, were tested for association with response to methotrexate "
              "monotherapy. Neither variant affected response or the chance of low disease activity.")
RFC1 = ("A single nucleotide polymorphism of reduced folate carrier 1 predicts methotrexate efficacy in Japanese patients with rheumatoid "
        "arthritis. G-allele carriers may take up less methotrexate into cells and respond less, so RFC1 genotype was proposed as a predictor.")


def test_a_record_finding_no_effect_of_a_gene_on_the_question_is_read_as_such():
    response = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    toxicity = "Why do some rheumatoid arthritis patients get liver injury on methotrexate?"
    assert q.null_causes(MTHFR_META, response) == {"MTHFR"}
    assert q.null_causes(MTHFR_META, toxicity) == set(), "its clause on toxicity reports an effect"
    assert q.null_causes(MTHFR_YEAR, response) == {"MTHFR"}, "'Neither variant' speaks of the record's gene"
    assert q.null_causes(RFC1, response) == set()
    assert q.null_causes("Response to TNF inhibitors in RA. Sex did not influence outcome.", response) == set(), "about no gene"
    assert q.null_causes("MTHFR C677T was tied to poor response, whereas A1298C was not associated with response.", response) == set(), \
        "one variant cleared, not the gene"
    assert q.null_causes("Patients who did not respond to methotrexate carried ATIC 347GG more often.", response) == set(), \
        "non-response is the outcome, not a null finding"


def test_a_null_finding_written_by_ellipsis_is_read_as_such():
    # the meta-analysis's own abstract (ACR RA abstracts), which bench goal 1 at f8e4623 (2026-12-01)
    # cited under "The MTHFR C677T polymorphism reduces methotrexate efficacy in patients with RA."
    abstract = ("The pooled data analysis indicated that the MTHFR C677T polymorphism was associated with increased toxicity, "
                "but not efficacy, of MTX in RA patients.")
    response = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    assert q.null_causes(abstract, response) == {"MTHFR"}
    assert q.null_causes(abstract, "Why do some rheumatoid arthritis patients get liver injury on methotrexate?") == set()
    f = q.contradicts_record("statement", "The MTHFR C677T polymorphism reduces methotrexate efficacy in patients with RA.",
                             {"PMID:28277784": abstract}, response)
    assert f and "MTHFR" in f[0].detail
    # "not only ... but also" denies nothing
    assert q.null_causes("MTHFR C677T was tied to toxicity, but not only efficacy: response also fell.", response) == set()


def test_a_statement_blaming_a_gene_its_record_cleared_fails_grounded():
    goal = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    bad = "Patients with MTHFR 677TT genotypes are less likely to respond to methotrexate, as this variant reduces its uptake."
    f = q.contradicts_record("statement", bad, {"PMID:24624914": MTHFR_YEAR}, goal)
    assert f and f[0].check == "grounded" and "MTHFR" in f[0].detail and "PMID:24624914" in f[0].detail
    assert q.contradicts_record("statement", bad, {"PMID:22971639": RFC1}, goal) == [], "a record that reports an effect backs it"
    assert q.contradicts_record("statement", "RFC1 80GG carriers take up less methotrexate and respond less.",
                                {"PMID:24624914": MTHFR_YEAR, "PMID:22971639": RFC1}, goal) == []
    assert q.contradicts_record("statement", "MTHFR variants do not affect response; RFC1 80GG carriers respond less.",
                                {"PMID:24624914": MTHFR_YEAR}, goal) == [], "saying the record's null finding is no contradiction"
    # wired into the hypothesis check: the demo's MTHFR statement citing the meta-analysis that found no effect
    ev = {**EVIDENCE, "PMID:24624914": Evidence(key="PMID:24624914", title=MTHFR_YEAR.split(". ")[0], passage=MTHFR_YEAR)}
    h = good().model_copy(update={"statement": bad, "citations": [*good().citations, "PMID:24624914"],
                                  "chain": [*good().chain, ChainStep(claim="MTHFR 677TT carriers respond less to methotrexate", key="PMID:24624914")]})
    fails = [str(f) for f in check(h, goal=GOAL, ev=ev, others=[], profile=P, focus=q.focus_terms(GOAL)) if f.check == "grounded"]
    assert any(f.startswith("grounded (statement): blames MTHFR") for f in fails)
    assert any(f.startswith("grounded (chain[3]): blames MTHFR") for f in fails)


def test_a_statement_of_association_alone_is_not_specific():
    """The demo (2026-11-29): 'The MTHFR 677T allele is associated with higher methotrexate response'
    reports what its study found; a hypothesis says how the cause works."""
    for association in ("The MTHFR 677T allele is associated with higher methotrexate response in RA patients.",
                        "ATIC polymorphisms predict methotrexate response in rheumatoid arthritis."):
        f = q.specific(GOAL, association)
        assert f and "without saying how it comes about" in f[0].detail
    revised = "The MTHFR 677T allele is associated with higher methotrexate response, which results in more frequent remission."
    assert q.specific(GOAL, revised), "a consequence appended is no explanation (the demo's revision)"
    assert q.specific(GOAL, "MTHFR polymorphisms influence methotrexate response in rheumatoid arthritis."), "a vague link (quality_target)"
    # the next quality_target revision answered with a vague link after "by": no explanation either
    for vague in ("MTHFR polymorphisms influence methotrexate response and remission rates by affecting methotrexate levels.",
                  "Patients with MTHFR 677TT respond less to methotrexate, as this variant affects uptake.",
                  "ATIC variants are associated with response, as they play a key role in folate metabolism."):
        assert q.specific(GOAL, vague) and not q.explains(vague), vague
    for explained in ("Patients with MTHFR 677TT genotypes respond less to methotrexate, as this variant lowers folate in cells.",
                      "ATIC 347GG carriers respond less to methotrexate because AICAR builds up less and adenosine release falls.",
                      "ABCB1 variants blunt methotrexate response by pumping the drug out of lymphocytes."):
        assert q.specific(GOAL, explained) == [], explained
    assert "because" in good().statement and q.specific(GOAL, good().statement) == []


def test_a_statement_of_two_sentences_makes_two_claims_and_is_not_specific():
    """The quality_target run (2026-11-30) added a second cause in a second sentence; bench goal 5 a hedge."""
    two = ("Some patients with rheumatoid arthritis do not respond to methotrexate due to genetic variations in the MTHFR gene, "
           "which lowers folate in their lymphocytes. Smoking also plays a role by reducing the effectiveness of methotrexate.")
    (f,) = q.specific(GOAL, two)
    assert f.check == "specific" and "2 claims in 2 sentences" in f.detail
    assert q.specific(GOAL, q.sentences(two)[0]) == []
    hedge = ("Smoking increases citrullination, which raises ACPA titres. However, the mechanism by which this occurs remains unclear.")
    assert q.one_claim(hedge) and q.sentences(hedge) == ["Smoking increases citrullination, which raises ACPA titres.",
                                                         "However, the mechanism by which this occurs remains unclear."]
    # abbreviations that end in a stop end no sentence
    for one in ("As Kato et al. found, ABCB1 variants pump methotrexate out of lymphocytes.",
                "Carriers of ATIC 347GG (vs. CC) release less adenosine because AICAR builds up less.",
                "Folate pathway variants (e.g. MTHFR C677T) lower folate in red cells and so blunt methotrexate."):
        assert q.one_claim(one) == [] and len(q.sentences(one)) == 1, one


def test_a_statement_the_model_ended_without_a_stop_gets_one_but_a_cut_one_does_not():
    assert q.closed("ATIC polymorphisms predict methotrexate response in rheumatoid arthritis", 200) == (
        "ATIC polymorphisms predict methotrexate response in rheumatoid arthritis.")
    assert q.closed("Methotrexate response falls in carriers combined with", 200) == "Methotrexate response falls in carriers combined with"
    cut = "x" * 50 + " methot"
    assert q.closed(cut, len(cut) + 1) == cut, "at its cap: cut, and left for complete to fail"
    assert q.closed("Carriers respond less.", 200) == "Carriers respond less."


def test_a_variant_given_to_another_gene_fails_grounded():
    """Bench goal 3 (2026-11-29): 'TPMT A1298C or NUDT15 C677T genotypes', the MTHFR variants of the run's records."""
    records = {"PMID:11710708": "The C677T mutation in the MTHFR gene. MTHFR C677T and A1298C carriers had raised liver enzymes.",
               "PMID:2": "TPMT deficiency and azathioprine myelosuppression: TPMT *3A carriers."}
    assert q.variant_pairs("TPMT A1298C or NUDT15 C677T; RFC1 G80A; TPMT *3A; MTHFR 677TT") == [
        ("TPMT", "A1298C"), ("NUDT15", "C677T"), ("RFC1", "G80A"), ("TPMT", "*3A"), ("MTHFR", "677TT")]
    fails = q.variants_belong("predictions[1]", "Severe side effects are higher in patients with TPMT A1298C or NUDT15 C677T genotypes.", records)
    assert [f.detail.split(",")[0] for f in fails] == ["gives TPMT the variant A1298C", "gives NUDT15 the variant C677T"]
    assert all(f.check == "grounded" and "which the records give MTHFR" in f.detail for f in fails)
    # the demo (2026-11-29): one record names MTHFR 677TT and ATIC 347GG; 677T stays MTHFR's, whatever the spelling
    folate = {"PMID:16447238": "Specific folate-pathway genotypes (MTHFR 677TT, SHMT1 1420CC, ATIC 347GG and TSER*2/*2) were associated."}
    assert q.variant_owners(folate.values()) == {"677": {"MTHFR"}, "1420": {"SHMT1"}, "347": {"ATIC"}}
    assert q.variant_owners(["The MTHFR C677 T allele and C677T."]) == {"677": {"MTHFR"}}, "half a variant is no gene (bench, 2026-11-29)"
    assert q.variants_belong("p", "Remission rate is higher in patients with the ATIC 677T allele.", folate)
    assert q.variants_belong("p", "Remission rate is higher with the MTHFR C677T allele and ATIC 347GG.", folate) == []
    assert q.variant_key("677C>T") == q.variant_key("C677T") == q.variant_key("677TT") == "677" and q.variant_key("rs1801133") == "rs1801133"
    assert q.variants_belong("statement", "MTHFR C677T carriers and TPMT *3A carriers differ.", records) == []
    assert q.variants_belong("statement", "SLCO1B1 rs4149056 carriers clear less drug.", records) == [], "named by no record: grounded's job"
    # wired into the hypothesis check
    ev = {**EVIDENCE, "PMID:11710708": Evidence(key="PMID:11710708", title="MTHFR C677T", passage=records["PMID:11710708"])}
    h = good().model_copy(update={"predictions": [good().predictions[0], "Neutrophil count is lower in TPMT A1298C carriers than in non-carriers."]})
    assert any(f.field == "predictions[2]" and "TPMT the variant A1298C" in f.detail for f in check(h, goal=GOAL, ev=ev, others=[], profile=P, focus=q.focus_terms(GOAL)))


def test_a_step_saying_the_cause_works_the_other_way_fails():
    """The quality_target run (2026-11-29) passed every check with a statement its own first step contradicts."""
    goal = "Why do some rheumatoid arthritis patients not respond to methotrexate?"
    statement = "Patients with the MTHFR 677T allele are less responsive to methotrexate monotherapy compared to those without it."
    steps = ["The MTHFR 677T allele is associated with more frequent remission and a similar trend in response to methotrexate",
             "Methotrexate levels are lower in patients with the MTHFR 677T allele",
             "Remission rates are higher in patients without the MTHFR 677T allele"]
    fails = q.steps_agree(goal, statement, steps)
    # the statement is the field to rewrite: told to fix the step, Qwen flipped the step to match the statement
    assert [f.field for f in fails] == ["statement"] and fails[0].check == "grounded" and "chain[1] says it improves" in fails[0].detail
    assert q.steps_agree(goal, statement, steps[1:]) == [], "no direction, or those without the cause: no verdict"
    agreeing = "MTHFR 677T carriers have lower response to methotrexate as folate stores fall"
    assert q.steps_agree(goal, statement, [agreeing]) == []
    assert q.steps_agree(goal, "Methotrexate response varies between patients.", steps) == [], "no plain direction in the statement"
    # said of those without the cause, the statement reads the other way round: it follows step 1 (its record)
    lacking = "Patients without the MTHFR 677T allele are less likely to respond to methotrexate, as they keep less folate."
    assert q.steps_agree(goal, lacking, steps[:1]) == []
    assert "chain[1] says it improves" in q.steps_agree(goal, statement, steps[:1])[0].detail
    assert q.steps_agree(goal, lacking, steps[2:]), "a step giving those without it more remission points against it"
    fits = "Remission rate is higher in patients with the MTHFR 677T allele compared to those without it."
    assert q.direction_agrees("predictions[1]", goal, lacking, fits) == []
    assert q.direction_agrees("predictions[1]", goal, lacking, fits.replace("higher", "lower"))
    h = good().model_copy(update={"statement": "Patients who form little methotrexate polyglutamate respond less because less drug is retained.",
                                  "chain": [*good().chain, ChainStep(claim="Little polyglutamate gives more frequent remission", key="PMID:1001")]})
    assert any(f.field == "statement" and "chain[3] says it improves" in f.detail for f in check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)))


MTHFR_REMISSION = ("677C>T and 1298A>C MTHFR polymorphisms affect methotrexate treatment outcome in rheumatoid arthritis. In 174 RA "
                   "patients treated with methotrexate, the MTHFR 677T allele was associated with more frequent remission, and the "
                   "1298C allele showed a similar trend. Carrying both variant alleles was linked to higher remission rates.")
BAFF = ("An ancillary study genotyped 115 RA patients who had failed TNF blockers for the BAFF promoter polymorphism -871C>T. "
        "The CC genotype was associated with a higher EULAR response rate than TT.")
HLA13 = ("Protective effect of HLA-DRB1*13 alleles during specific phases in the development of ACPA-positive RA. "
         "HLA-DRB1*13 alleles protect against ACPA-positive RA.")


def test_alleles_are_read_in_their_spellings():
    assert q.alleles("MTHFR C677T") == q.alleles("677C>T") == q.alleles("the 677T allele") == q.alleles("677TT") == {"T"}
    assert q.alleles("G-allele carriers") == q.alleles("-308 G/G") == {"G"} and q.alleles("HLA-DRB1*13 alleles") == {"*13"}
    assert q.alleles("MTHFR polymorphisms") == set()


@pytest.mark.parametrize("claim,record,misreports", [
    # the quality_target run (2026-11-29): its step gave 677T poorer response, citing the study that found more remission
    ("Patients with the MTHFR 677T allele are less responsive to methotrexate.", MTHFR_REMISSION, True),
    # the same run's revised statement: compared with those without it, still about the carriers
    ("Patients with the MTHFR 677T allele are less responsive to methotrexate compared to those without it.", MTHFR_REMISSION, True),
    ("MTHFR polymorphisms give lower remission rates on methotrexate.", MTHFR_REMISSION, True),
    ("The MTHFR 677T allele is associated with more frequent remission.", MTHFR_REMISSION, False),
    ("Remission rates are higher in patients with the MTHFR 677T allele.", MTHFR_REMISSION, False),
    # the wild-type allele: the record says nothing of it (the "variant alleles" sentence names none)
    ("MTHFR 677CC carriers are less likely to respond to methotrexate.", MTHFR_REMISSION, False),
    # said of those without the cause, a claim reads the other way round (the same run's third step)
    ("Remission rates are higher in patients without the MTHFR 677T allele.", MTHFR_REMISSION, True),
    ("Patients without the MTHFR 677T allele are less likely to respond to methotrexate.", MTHFR_REMISSION, False),
    # no direction, no variant: no verdict
    ("MTHFR 677T lowers folate in lymphocytes.", MTHFR_REMISSION, False),
    ("Patients with low MTHFR activity respond less to methotrexate.", MTHFR_REMISSION, False),
    # two alleles compared, a cohort described ("who had failed TNF blockers"), another allele (HLA *13 vs the shared epitope)
    ("BAFF -871T carriers are more likely to respond to rituximab.", BAFF, False),
    ("BAFF promoter variants make patients more likely to respond to rituximab.", BAFF, False),
    ("HLA-DRB1*04 alleles raise the risk of poor response.", HLA13, False),
    ("HLA-DRB1 shared epitope alleles are a risk factor for poor response.", HLA13, False),
])
def test_a_claim_must_give_its_record_direction(claim, record, misreports):
    fails = q.misreports_record("chain[1]", claim, {"PMID:18034620": record}, GOAL)
    assert bool(fails) == misreports, fails
    if fails:
        assert fails[0].check == "grounded" and "PMID:18034620 reports that it improves it" in fails[0].detail


def test_a_step_or_statement_misreporting_its_record_fails_the_hypothesis_check():
    ev = {**EVIDENCE, "PMID:18034620": Evidence(key="PMID:18034620", title=MTHFR_REMISSION.split(". ")[0], passage=MTHFR_REMISSION)}
    statement = "Patients with the MTHFR 677T allele are less likely to respond to methotrexate because folate stores fall."
    h = good().model_copy(update={"statement": statement, "citations": [*good().citations, "PMID:18034620"],
                                  "chain": [*good().chain, ChainStep(claim="MTHFR 677T carriers have lower remission rates", key="PMID:18034620")]})
    fails = [f for f in check(h, goal=GOAL, ev=ev, others=[], profile=P, focus=q.focus_terms(GOAL)) if "reports that it improves" in f.detail]
    assert sorted(f.field for f in fails) == ["chain[3]", "statement"]


def test_a_prediction_takes_the_chain_direction_under_a_statement_without_one():
    """The quality_target run (2026-11-29): 'MTHFR polymorphisms influence methotrexate response' over
    a step giving 677T more remission, predicting less response with it."""
    goal = "Why do some rheumatoid arthritis patients not respond to methotrexate?"
    statement = "MTHFR polymorphisms influence methotrexate response in rheumatoid arthritis."
    steps = ["The MTHFR 677T allele is associated with more frequent remission", "Methotrexate levels are lower with the MTHFR 677T allele"]
    against = "Methotrexate response rate is lower in patients with the MTHFR 677T allele compared to those without it."
    fails = q.direction_agrees("predictions[1]", goal, statement, against, steps)
    assert fails and "the chain says its cause improves" in fails[0].detail
    assert q.direction_agrees("predictions[1]", goal, statement, against) == [], "no steps: no verdict"
    assert q.direction_agrees("predictions[1]", goal, statement, against.replace("lower", "higher"), steps) == []
    mixed = [*steps, "MTHFR 677T carriers are less likely to respond"]
    assert q.direction_agrees("predictions[1]", goal, statement, against, mixed) == [], "steps disagree: no verdict"


def test_a_step_restating_the_statement_is_named():
    """Bench goal 1 (2026-11-29): the first step was the statement word for word, and the whole
    mechanism was rewritten for it; the step is named so only it is rewritten."""
    statement = "Polymorphisms in the folate pathway genes GGH, SHMT1 and MTHFR are associated with methotrexate response in Indian RA patients."
    steps = [statement, "These polymorphisms lower folate in cells", "Less folate changes methotrexate response"]
    fails = q.steps_restate(statement, steps)
    assert [(f.check, f.field) for f in fails] == [("distinct", "chain[1]")]
    assert q.steps_restate(good().statement, [s.claim for s in good().chain]) == []
    from hypoforge.agents.drafting import fields_to_rewrite, revision_text
    assert revision_text(fails[0], P.steps).startswith("distinct (chain[1]): says what the statement says; as the cause step")
    h = good().model_copy(update={"chain": [ChainStep(claim=good().statement, key="PMID:1001"), *good().chain[1:]]})
    named = [f for f in check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)) if f.check == "distinct"]
    assert any(f.field == "chain[1]" for f in named)
    assert fields_to_rewrite([f for f in named if f.field == "chain[1]"], ["title", "statement", *P.steps, "prediction1"]) == (P.steps[0],)


def test_bench_goal_1_statements_that_claim_nothing_are_not_specific():
    """Bench goal 1 at c2f3c65 (2026-11-29): a statement that is its title, and one whose 'by' names
    who built a model rather than how the cause works."""
    title = "Folate polymorphisms and methotrexate response in rheumatoid arthritis"
    fails = q.states_a_claim(title, title + ".")
    assert fails and fails[0].check == "specific" and "repeats the title" in fails[0].detail
    assert q.states_a_claim(title, good().statement) == []
    h = good().model_copy(update={"title": "Polyglutamate build-up and methotrexate response",
                                  "statement": "Polyglutamate build-up and methotrexate response."})
    assert "specific" in failing(h)
    model = ("The pharmacogenetic model established by A suggests that variations in the folate pathway genes MTHFD1 and GGH "
             "may influence methotrexate response in patients with RA.")
    assert q.specific(GOAL, model), "a model that suggests is what a study found"
    assert not q.explains("MTHFD1 variants influence methotrexate response, as established by A.")
    assert q.explains("MTHFD1 variants influence methotrexate response, as shown by A, because they lower folate.")
    assert q.explains("Response falls in carriers, caused by lower adenosine release.")
    # an adjective between "better" and "response" still gives the direction
    assert q.direction("The MTHFR C677T polymorphism gives a better clinical response to methotrexate.") == 1
    assert q.direction("KIR2DS4 carriers have a poorer clinical response to methotrexate.") == -1


def test_a_prediction_restating_the_statement_is_named():
    """Bench goal 1 at 17ab6f2 (2026-11-29): the statement was its first prediction word for word."""
    said = "The level of methotrexate response in rheumatoid arthritis patients is lower in patients with Folate polymorphisms vs. patients without."
    other = "Erythrocyte folate concentration is lower in patients with folate pathway polymorphisms than in those without."
    fails = q.predictions_restate(said, [said, other])
    assert [(f.check, f.field) for f in fails] == [("distinct", "predictions[1]")] and "restates the statement" in fails[0].detail
    assert q.predictions_restate(good().statement, good().predictions) == []
    h = good().model_copy(update={"predictions": [good().statement, good().predictions[1]]})
    assert any(f.field == "predictions[1]" and f.check == "distinct"
               for f in check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)))


def test_a_prediction_compares_the_groups_its_own_cause_defines():
    # the demo's ATIC proposal (2026-11-29) predicted response in MTHFR 677T carriers
    claim = "ATIC 347C>G lowers methotrexate response. Carriers of ATIC 347GG accumulate less AICAR, so adenosine release falls."
    off = "DAS28 improvement is lower in patients with the MTHFR 677T allele than in non-carriers."
    fails = q.tests_its_cause("predictions[2]", off, claim, GOAL)
    assert [f.check for f in fails] == ["testable"] and "MTHFR" in fails[0].detail
    assert q.tests_its_cause("predictions[1]", "Erythrocyte AICAR level is higher in ATIC 347GG carriers than in non-carriers.", claim, GOAL) == []
    # the readout may name a new marker; only the groups are held to the claim
    assert q.tests_its_cause("predictions[1]", "Plasma CRP is higher in ATIC 347GG carriers than in non-carriers.", claim, GOAL) == []
    # a group the goal names is the goal's own ("who fail TNF inhibitors")
    goal = "Which IL-6 pathway proteins could be targeted in patients with rheumatoid arthritis who fail TNF inhibitors?"
    il6 = "IL6R blockade helps TNF-inhibitor failures because IL-6 drives synovitis in them."
    assert q.tests_its_cause("predictions[1]", "Serum IL-6 is higher in patients who failed TNF inhibitors than in responders.", il6, goal) == []
    # a statement naming no gene sets no rule for its groups
    assert q.tests_its_cause("predictions[1]", off, "Smoking raises citrullination in the lung.", GOAL) == []


def test_a_comparison_must_name_groups_beyond_the_setting():
    # Qwen's, bench goal 2 (2026-11-29): higher than in whom?
    fails = q.testable("predictions[1]", "ALT level is higher in patients with RA.")
    assert [f.check for f in fails] == ["testable"] and "compares no groups" in fails[0].detail
    assert q.testable("predictions[1]", "ALT level is higher in RA patients than in others.")
    for ok in ("ALT level is higher in patients with the C677T polymorphism compared to those without it.",
               "ALT level is higher in obese patients than in lean ones.", "DAS28 score is lower in carriers after six months."):
        assert q.testable("predictions[1]", ok) == [], ok


def test_a_chain_step_is_a_whole_claim_not_a_fragment():
    # Qwen's, bench goal 3 (2026-11-29): one sentence split over two steps
    fails = q.fragment("chain[2]", "increases the risk of severe myelosuppression")
    assert [f.check for f in fails] == ["complete"] and "no subject" in fails[0].detail
    for whole in ("Reduced TPMT activity increases the risk of severe myelosuppression", "methotrexate inhibits ATIC in lymphocytes",
                  "rs1801133 lowers MTHFR activity"):
        assert q.fragment("chain[1]", whole) == [], whole
    assert "complete" in failing(good().model_copy(update={"chain": [good().chain[0], ChainStep(claim="and then lowers adenosine release in synovium",
                                                                                                   key=good().chain[1].key), *good().chain[2:]]}))


def test_a_statement_on_the_other_question_is_off_goal_whatever_its_title():
    # the demo's ATIC proposal (2026-11-29): a response title over a side-effect statement
    statement = "The ATIC polymorphisms in rheumatoid arthritis patients are associated with a higher risk of methotrexate-related side effects."
    title = "ATIC polymorphisms predict methotrexate response in rheumatoid arthritis"
    assert q.on_goal(GOAL, f"{title}. {statement}", q.focus_terms(GOAL)) == [], "the title answers for it"
    fails = q.answers_other_question(GOAL, statement)
    assert [f.check for f in fails] == ["on_goal"] and "toxicity" in fails[0].detail
    assert "on_goal" in failing(good().model_copy(update={"title": title, "statement": statement}))
    # a statement naming no question word is left to on_goal (its title may carry the question)
    assert q.answers_other_question(GOAL, "ATIC 347GG carriers accumulate less AICAR, so adenosine release falls.") == []


def test_a_chain_ending_on_the_other_question_fails_on_its_last_step():
    # bench goal 3 (2026-11-30): a toxicity goal whose top chain ended on efficacy
    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    steps = ["Reduced TPMT activity leads to increased levels of thioguanine in the body.",
             "Increased levels of thioguanine lead to reduced efficacy of azathioprine in RA patients."]
    fails = q.ends_off_question(goal, steps)
    assert [(f.check, f.field) for f in fails] == [("on_goal", "chain[2]")] and "toxicity" in fails[0].detail
    right = [steps[0], "Increased levels of thioguanine nucleotides cause severe myelosuppression."]
    assert q.ends_off_question(goal, right) == []
    assert q.ends_off_question(goal, [steps[0], "Thioguanine nucleotides accumulate in red cells."]) == [], "no outcome named: left to the other checks"
    assert q.ends_off_question(goal, steps[1:]) == [], "a one-step chain is the statement's business"
    # and the reverse: a response goal whose chain ends on side effects
    assert [f.field for f in q.ends_off_question(GOAL, ["ATIC 347GG lowers AICAR.", "Lower AICAR raises the risk of methotrexate side effects."])] == ["chain[2]"]
    assert "on_goal" in failing(good().model_copy(update={"chain": [*good().chain[:-1], ChainStep(
        claim="Less adenosine signalling raises the risk of methotrexate side effects", key=good().chain[-1].key)]}))


def test_two_steps_moving_the_cause_opposite_ways_fail_on_the_later_step():
    # the demo of 2026-11-30 (eleventh session): the statement's own direction is not plain
    statement = ("About a third of rheumatoid arthritis patients do not respond to methotrexate because the MTHFR 677T allele is "
                 "associated with more frequent remission, and the 1298C allele shows a similar trend.")
    up = "Methotrexate response rate increases with the frequency of the MTHFR 677T allele."
    down = "Patients with a higher frequency of the MTHFR 677T allele have a lower methotrexate response rate compared to those without."
    assert q.steps_agree(GOAL, statement, [up, down]) == [], "no verdict from the statement"
    fails = q.steps_contradict(GOAL, statement, [up, down])
    assert [(f.check, f.field) for f in fails] == [("grounded", "chain[2]")] and "chain[1]" in fails[0].detail
    assert q.steps_contradict(GOAL, statement, [up, "Patients without the MTHFR 677T allele have a lower methotrexate response rate."]) == [], (
        "those lacking the cause read the other way round")
    assert q.steps_contradict(GOAL, statement, [up, "Lower plasma methotrexate leads to reduced efficacy."]) == [], "not the cause"
    assert "grounded" in failing(good().model_copy(update={"statement": statement, "chain": [
        ChainStep(claim=up, key=good().chain[0].key), ChainStep(claim=down, key=good().chain[1].key)]}))


# Steps Qwen wrote on bench goals 1-3 (2026-11-29/30): a chain step says what changes and which way.
CAUSAL_STEPS = [
    "Reduced TPMT activity raises the risk of severe myelosuppression from thiopurines",
    "Lower plasma levels of MTX lead to reduced efficacy of methotrexate in patients with rheumatoid arthritis",
    "The presence of HLA-DRB1 shared epitopes leads to increased citrullinated epitope recognition in the joint tissues.",
    "Folinic acid competes with methotrexate for binding sites in the body, reducing its effectiveness",
    "Less adenosine is released at inflamed synovium",
    # changes that say which way (bench goal 5, 2026-11-30; a constructed one)
    "TNF inhibitors reduce disease activity by inhibiting TNF receptor signaling, leading to changes in the body that include reduced inflammation",
    "Changes in methotrexate metabolism lead to increased toxicity in the body",
    "Methylprednisolone inhibits JAK and other kinases involved in inflammation",  # wrong biology, but a causal step
    # a class named by its action, and a definition with a causal verb, say what the thing does
    "Tofacitinib is a pan Janus kinase inhibitor",
    "Rituximab is a biologic that targets the CD20 antigen on B cells",
    "MTHFR C677T is a variant that reduces the activity of the MTHFR enzyme",
]
NOT_CAUSAL_STEPS = [
    ("Folate levels are lower in patients with the MTHFR C677T polymorphism compared to those without it", "compares groups"),
    ("Reduction in platelet count is lower in patients with reduced TPMT compared to those without it.", "compares groups"),
    ("Methotrexate response is higher in patients with MTHFD1 polymorphisms", "compares groups"),
    ("MTHFD1 polymorphisms are associated with methotrexate response in rheumatoid arthritis", "association"),
    ("Polymorphisms in GGH, SHMT1, and TS5 affect methotrexate metabolism", "association"),
    ("Patients with the MTHFR C677T polymorphism have better response to methotrexate", "association"),
    # "increased" is part of the association, not a causal verb (a real TNF-inhibitor goal and bench goal 4, 2026-11-30)
    ("HLA-DRB1 haplotypes are associated with increased risk of RA", "association"),
    ("ACPA positivity is associated with increased risk of RA", "association"),
    # the participle describes what is associated (bench goal 5, 2026-11-30)
    ("The TNFRSF1B rs3397 C/C genotype is associated with reduced response to anti-TNF inhibitors", "association"),
    ("The MTHFR C677T polymorphism is associated with reduced methotrexate efficacy in rheumatoid arthritis patients", "association"),
    ("HLA-DRB1*13 alleles are associated with lower ACPA-levels", "association"),
    ("Obesity and methotrexate liver toxicity are causally linked", "association"),  # bench goal 2 (2026-11-30), a top-3 step
    # a definition (bench goal 3, 2026-11-30, a step of a proposal passing every check; bench goal 5)
    ("TPMT and NUDT15 are enzymes involved in the metabolism of thiopurines", "association"),
    ("IFIT1B and CMPK2 are known to be involved in immune responses", "association"),
    # a cause of "changes" says no way (a top-3 proposal of bench goal 2, 2026-11-30)
    ("MTHFR C677T polymorphism causes changes in methotrexate metabolism", "which way"),
    ("SLC19A1 variants lead to alterations in methotrexate transport", "which way"),
    # definitions: what a thing is, not what it changes (a real leflunomide goal, 2026-11-30; bench goals 5 and 6)
    ("Leflunomide is an immunosuppressive drug used to treat rheumatoid arthritis", "defines"),
    ("DAS28 is a measure of disease activity in RA", "defines"),
    ("IL-6 is a key cytokine in the pathogenesis of rheumatoid arthritis", "defines"),
    ("The -308 G/G genotype is a marker of good response to anti-TNF treatment", "defines"),
    ("Tocilizumab is a newer and safer alternative to etanercept", "defines"),
    # noun phrases with no verb (bench goal 2, 2026-11-30)
    ("Obesity and liver fibrosis", "no change"),
    ("Procollagen III serum procollagen aminopeptide", "no change"),
]


@pytest.mark.parametrize("claim", CAUSAL_STEPS)
def test_a_causal_step_passes(claim):
    assert q.causal_step("chain[2]", claim) == []


@pytest.mark.parametrize("claim,why", NOT_CAUSAL_STEPS)
def test_a_step_comparing_groups_or_stating_an_association_is_no_causal_step(claim, why):
    (f,) = q.causal_step("chain[2]", claim)
    assert f.check == "specific" and f.field == "chain[2]" and why in f.detail and "which way" in f.detail


# Statements Qwen wrote on the bench (2026-11-29/30): a directed association stated as its cause.
@pytest.mark.parametrize("statement,stated", [
    ("The MTHFR C677T polymorphism is associated with reduced methotrexate efficacy in rheumatoid arthritis patients.",
     "The MTHFR C677T polymorphism reduces methotrexate efficacy in rheumatoid arthritis patients."),
    ("The presence of liver fibrosis and obesity is associated with increased methotrexate liver toxicity in rheumatoid arthritis.",
     "The presence of liver fibrosis and obesity increases methotrexate liver toxicity in rheumatoid arthritis."),
    ("The HLA-DRB1 shared epitope is associated with a higher risk of anti-citrullinated protein antibody positive rheumatoid arthritis.",
     "The HLA-DRB1 shared epitope increases the risk of anti-citrullinated protein antibody positive rheumatoid arthritis."),
    ("A1298C and C677T polymorphisms in the MTHFR gene are associated with increased liver toxicity in RA patients.",
     "A1298C and C677T polymorphisms in the MTHFR gene increase liver toxicity in RA patients."),
    ("The RFC1 80A allele may be linked to lower methotrexate uptake into lymphocytes.",
     "The RFC1 80A allele may reduce methotrexate uptake into lymphocytes."),
])
def test_a_directed_association_is_stated_as_its_cause(statement, stated):
    assert q.as_cause(statement) == stated
    assert q.specific("Why do a third of rheumatoid arthritis patients not respond to methotrexate?", statement)
    assert q.specific("Why do a third of rheumatoid arthritis patients not respond to methotrexate?", stated) == []


@pytest.mark.parametrize("statement", [
    "ATIC polymorphisms predict methotrexate response.",  # no direction to state
    "Patients with the MTHFR 677T allele are associated with poorer response.",  # patients are no cause
    "The presence of certain synovial tissue markers, such as CD40L and IL-6, is associated with improved response to rituximab.",  # a marker
    "Serum IL-6 levels are associated with poorer response to methotrexate.",
    "A study found that MTHFR C677T is associated with better clinical response.",  # the study's finding
    # a second participle would be left without its verb (bench goal 4, 2026-11-30)
    "The HLA-DRB1 shared epitope, which is associated with increased ACPA levels and reduced epitope recognition, raises the risk of RA.",
])
def test_an_association_that_is_no_directed_cause_is_left_as_written(statement):
    assert q.as_cause(statement) is None


@pytest.mark.parametrize("claim,verb", [
    ("Obesity and liver fibrosis", False), ("Less adenosine at the synovium", False), ("TPMT deficiency and myelosuppression", False),
    ("G80A variant of RFC1", False),  # the demo's first step (2026-11-30)
    # any word that can be a verb passes: irregular pasts, plural subjects with base forms, -ed, -ing
    ("Methotrexate uptake fell in lymphocytes", True), ("T cells expand in the synovium", True), ("TPMT activity stays low", True),
    ("Less adenosine released at inflamed synovium", True), ("Thioguanine nucleotides accumulating in marrow", True),
    ("Oxidative stress is high in the retina", True),
    # the rule's known leniency: an -ed adjective counts as a verb
    ("Less adenosine at inflamed synovium", True),
])
def test_a_step_with_no_verb_names_no_change(claim, verb):
    assert q.names_a_change(claim) is verb


def test_a_title_at_its_cap_keeps_its_whole_leading_phrase():
    cap = 104
    goal3 = "Reduced TPMT activity increases myelosuppression risk in patients with rheumatoid arthritis due to thiog"
    assert len(goal3) >= cap - 1 and q.complete("title", goal3, cap)
    kept = q.whole_phrase(goal3, cap)
    assert kept == "Reduced TPMT activity increases myelosuppression risk in patients with rheumatoid arthritis"
    assert q.complete("title", kept, cap) == []
    colon = "Methotrexate and liver injury in rheumatoid arthritis: a mechanism linking methotrexate dose to liver is"
    assert q.whole_phrase(colon, cap) == "Methotrexate and liver injury in rheumatoid arthritis"
    assert q.whole_phrase("Short title", cap) == "Short title", "under the cap: unchanged"
    no_phrase = "A" * 30 + " " + "b" * 80
    assert q.whole_phrase(no_phrase, cap) == no_phrase, "no phrase to keep: left for complete() to fail"
    # no clause opened: the last joined phrase goes (bench goal 4 at baaa773, 2026-12-02), not below half the title
    joined = "The HLA-DRB1 shared epitope enhances citrullinated epitope recognition and subsequently leads to ACPA in"
    assert q.whole_phrase(joined, cap) == "The HLA-DRB1 shared epitope enhances citrullinated epitope recognition"
    early = "Smoking and " + "x" * 95
    assert q.whole_phrase(early, cap) == early, "a join in the first half is no phrase to keep"


# Drug biology from the model's memory (issue 10; bench goal 5, 2026-11-30, whose rituximab proposal
# said it "targets the B-cell receptor" and "reduces the production of TNF"), and correct claims.
WRONG_TARGETS = [
    ("Rituximab targets the B-cell receptor and reduces the production of TNF.", {"the B-cell receptor", "TNF"}),
    ("Rituximab works by cutting TNF production.", {"TNF"}),
    ("Azathioprine is a TPMT inhibitor.", {"TPMT"}),  # TPMT inactivates its metabolites; the drug does not block it
    ("Tocilizumab blocks TNF signalling in the synovium.", {"TNF"}),
    ("Adalimumab inhibits JAK1 in synovial fibroblasts.", {"JAK1"}),
    # a depleting drug said to raise the cells it removes (bench goal 5, 2026-11-30)
    ("Rituximab treatment leads to an increase in the number of CD20-positive B cells in the blood.", {"CD20-positive B cells"}),
    # a drug put in another drug's class (bench goal 5, 2026-11-30, eleventh session)
    ("Rituximab and etanercept are both anti-TNF agents, which means they target the same receptor.", {"TNF"}),
    ("Tofacitinib is an IL-6 receptor antagonist.", {"IL-6"}),
    ("RTX is an anti-TNF antibody used after methotrexate.", {"TNF"}),  # the records' abbreviation
    # bench goal 9 (2026-11-30): fostamatinib is a SYK inhibitor (through R406)
    ("Fostamatinib is a selective p38 MAP kinase inhibitor.", {"selective p38 MAP kinase"}),
    ("Baricitinib is a BTK inhibitor.", {"BTK"}),
    # bench goal 9 (2026-11-30): a glucocorticoid put in the JAK class, in apposition
    ("Methylprednisolone, an oral small-molecule Janus kinase (JAK) inhibitor, is effective in rheumatoid arthritis.", {"Janus kinase"}),
    ("Rituximab, an anti-TNF antibody, lowers disease activity.", {"TNF"}),
    # drugs joined as one subject (bench goal 6, 2026-11-30): the verb is each one's
    ("Rituximab and tocilizumab both target B cells.", {"B cells"}),
    ("Adalimumab, infliximab and rituximab neutralise TNF.", {"TNF"}),
    # conventional DMARDs are judged on their class only (a real leflunomide goal and bench goal 1, 2026-11-30)
    ("Sulfasalazine is a non-steroidal anti-inflammatory drug used to treat rheumatoid arthritis", {"non-steroidal anti-inflammatory"}),
    ("SSZ is an NSAID.", {"NSAID"}),
    ("Methotrexate is a p38 MAP kinase inhibitor", {"p38 MAP kinase"}),
    ("MTX is a TNF inhibitor.", {"TNF"}),
    ("Hydroxychloroquine is a JAK inhibitor.", {"JAK"}),
    ("Prednisolone is a non-steroidal anti-inflammatory drug.", {"non-steroidal anti-inflammatory"}),
]
RIGHT_TARGETS = [
    "Rituximab depletes CD20-positive B cells, which lowers autoantibody production.",
    "Rituximab targets CD20 on B cells.",
    "Azathioprine is a thiopurine prodrug.",
    "Patients who failed TNF inhibitors respond to rituximab because it depletes B cells.",
    "Adalimumab neutralizes TNF and lowers IL-6.",  # a downstream effect after the drug's own action
    "Tofacitinib inhibits JAK1 and JAK3, reducing IL-6 signalling.",
    "Infliximab binds soluble and membrane TNF-alpha.",
    "Anti-drug antibodies against adalimumab reduce its trough levels.",  # the drug is no subject
    "Rituximab reduces disease activity in patients with an inadequate response to TNF inhibitors.",
    "Rituximab lowers IL-6 by depleting B cells.",  # a downstream effect of its own action
    "Methotrexate inhibits ATIC and raises adenosine.",  # its mechanism in RA is debated: only its class is judged
    "Methotrexate lowers TNF and IL-6 production by T cells.",
    "MTX is a folate antagonist.",
    "Methotrexate is a dihydrofolate reductase inhibitor.",
    "Methotrexate is an immunosuppressive drug.",  # a class shared by several: no one's target
    "Leflunomide is a DMARD.",
    "Sulfasalazine, methotrexate and hydroxychloroquine are conventional synthetic DMARDs.",
    "Sulfasalazine is an anti-inflammatory drug.",
    "Hydroxychloroquine is an antimalarial drug.",
    "Celecoxib is a selective COX-2 inhibitor.",
    "Tocilizumab is a steroid-sparing agent.",
    "Rituximab raises the risk of infection by depleting B cells.",  # what it raises is the risk, not the cells
    "After rituximab, B cells return and their numbers increase.",  # the drug is no subject
    "Rituximab is a biologic that targets the CD20 antigen on B cells.",
    "Infliximab and adalimumab are anti-TNF antibodies.",
    "Tocilizumab is an IL-6 receptor antagonist used after TNF inhibitors fail.",
    "Rituximab is effective in patients who failed anti-TNF agents.",  # no class claimed
    "IFX and ETN are anti-TNF agents.",
    # a comparison, not a class (bench goal 5, 2026-11-30: flagged as giving tocilizumab a TNF target)
    "The interleukin-6 inhibitor tocilizumab is more effective than anti-TNF therapy in patients who fail to respond.",
    "Rituximab is better compared with anti-TNF agents after a first TNF inhibitor fails.",
    "Fostamatinib is a spleen tyrosine kinase (SYK) inhibitor.",
    "Fostamatinib is an oral tyrosine kinase inhibitor whose metabolite R406 blocks SYK.",
    "Tofacitinib is an oral small-molecule inhibitor.",  # names nothing it inhibits
    "Tofacitinib is a JAK1/JAK3 inhibitor.",
    "Adalimumab is a fully human IgG1 antibody.",  # an isotype, no class by target
    "Prednisolone lowers IL-6 and TNF production in synovium.",  # glucocorticoids: only their class is judged
    "Methylprednisolone, a glucocorticoid, suppresses cytokine production.",
    "Rituximab, a chimeric anti-CD20 (MS4A1) antibody, depletes B cells.",
    "Compared with tofacitinib, an oral JAK inhibitor, adalimumab lowered DAS28 less.",  # after a preposition: no subject
    "Tocilizumab and sarilumab block the IL-6 receptor.",
    "Patients switched from etanercept and rituximab reduce TNF less.",  # joined to a drug that is no subject
]


@pytest.mark.parametrize("text,said", WRONG_TARGETS)
def test_a_drug_said_to_act_on_another_target_fails_grounded(text, said):
    fails = q.known_targets("chain[1]", text)
    assert fails and {f.check for f in fails} == {"grounded"} and all(f.field == "chain[1]" for f in fails)
    assert {f.detail.split(" '")[1].split("'")[0] for f in fails} == said
    assert "prescribing information" in fails[0].detail
    if " is " in text or ", an" in text:  # a class claim says so
        assert "in a class that acts on" in fails[0].detail


@pytest.mark.parametrize("text", RIGHT_TARGETS)
def test_a_drug_acting_on_its_own_target_passes(text):
    assert q.known_targets("statement", text) == []


def test_a_chain_step_giving_a_drug_another_target_fails_the_hypothesis_check():
    step = ChainStep(claim="Infliximab blocks the IL-6 receptor on synovial cells", key="PMID:9751087")
    h = good().model_copy(update={"chain": [*good().chain, step], "citations": [*good().citations, "PMID:9751087"]})
    fails = [f for f in check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)) if "acts on" in f.detail]
    assert [(f.check, f.field) for f in fails] == [("grounded", "chain[3]")]
    assert "TNF" in fails[0].detail


def test_a_drugs_curated_target_grounds_its_terms():
    """Told what rituximab acts on, Qwen wrote "Rituximab is a biologic that targets the CD20 antigen on
    B cells", which its trial records never say (bench goal 5, 2026-11-30): the table is the source."""
    from hypoforge.agents.drafting import grounding_sources, record_texts

    step = ChainStep(claim="Rituximab targets the CD20 antigen on B cells", key="PMID:9751087")
    h = good().model_copy(update={"chain": [step], "citations": ["PMID:9751087"], "mechanism": step.claim})
    assert q.grounded(h.mechanism, [RECORDS["PMID:9751087"], GOAL]), "the infliximab record names neither CD20 nor antigen"
    sources = grounding_sources(h, record_texts(EVIDENCE), GOAL)
    assert any("Rituxan" in s for s in sources) and q.grounded(h.mechanism, sources) == []
    other = h.model_copy(update={"mechanism": "Some biologic targets the CD20 antigen on B cells"})
    assert q.grounded(other.mechanism, grounding_sources(other, record_texts(EVIDENCE), GOAL)), "no table drug named: no curated source"


@pytest.mark.parametrize("readout,comparison,expected", [
    # bench goal 4 (2026-11-30): the group in the readout, only the setting in the comparison
    ("ACPA levels in HLA-DRB1 shared epitope patients", "in RA compared to those without it",
     ("ACPA levels", "in HLA-DRB1 shared epitope patients compared to those without it")),
    ("Transaminase levels in patients taking methotrexate", "in patients with RA", ("Transaminase levels", "in patients taking methotrexate")),
    # the demo goal at 58d7b8f (2026-12-01): the comparison names the readout's group again, which is dropped from the readout
    ("Methotrexate response rate among G80A variant carriers", "among G80A variant carriers compared to those without",
     ("Methotrexate response rate", "among G80A variant carriers compared to those without")),
    # left alone: a comparison that names other groups, a readout group that is only the setting
    ("Erythrocyte methotrexate polyglutamate concentration in patients", "in non-responders than in responders",
     ("Erythrocyte methotrexate polyglutamate concentration in patients", "in non-responders than in responders")),
    ("Methotrexate plasma levels in patients", "in RA compared to those without", ("Methotrexate plasma levels in patients", "in RA compared to those without")),
])
def test_a_group_written_in_the_readout_moves_to_a_comparison_naming_none(readout, comparison, expected):
    assert q.regroup(readout, comparison) == expected


def test_a_regrouped_prediction_renders_as_a_testable_comparison():
    from hypoforge.agents.drafting import regrouped
    from hypoforge.agents.models import HypothesisDraft, render_prediction

    draft = HypothesisDraft.model_validate({
        "title": "Shared epitope presents citrullinated peptides",
        "statement": "The shared epitope presents citrullinated peptides to T cells, which drives ACPA production.",
        "cause": {"claim": "The shared epitope binds citrullinated peptides", "key": "PMID:1001"},
        "intermediate": {"claim": "T cells help B cells make ACPA", "key": "PMID:1001"},
        "effect": {"claim": "ACPA-positive RA develops", "key": "PMID:1001"},
        "prediction1": {"readout": "ACPA levels in HLA-DRB1 shared epitope patients", "direction": "higher", "comparison": "in RA compared to those without it"},
        "prediction2": {"readout": "DAS28 score", "direction": "higher", "comparison": "in carriers after six months"}})
    before = render_prediction(draft.prediction1)
    assert q.testable("predictions[1]", before), before
    after = regrouped(draft, P)
    text = render_prediction(after.prediction1)
    assert text == "ACPA levels are higher in HLA-DRB1 shared epitope patients compared to those without it."
    assert q.testable("predictions[1]", text) == [] and after.prediction2 == draft.prediction2
    # a readout repeating its direction loses it (the demo at 102129c, 2026-12-02)
    said = draft.model_copy(update={"prediction2": draft.prediction2.model_copy(update={"readout": "DAS28 score is higher"})})
    assert render_prediction(regrouped(said, P).prediction2) == "DAS28 score is higher in carriers after six months."


CIRCULAR, LEVELLED, EVERY, CHANGE, VAGUE = ("defines its groups", "a genotype is no level", "every patient has a genotype", "measures a change",
                                            "names no gene or allele")


@pytest.mark.parametrize("prediction,why,fails", [
    # the quality_target run (2026-11-30): groups defined by the readout itself
    ("MTHFR genotype frequency is higher in patients with MTHFR genotype frequency < 2%.", CIRCULAR, True),
    ("Smoking status frequency is lower in patients with smoking status > 50%.", CIRCULAR, True),
    # bench goal 5 (2026-11-30): response measured in responders
    ("TNF inhibitor response in patients with higher CMPK2 and IFIT1B levels is higher in patients who respond well to TNF inhibitors than those who do not.", CIRCULAR, True),
    ("TPMT activity is lower in carriers of TPMT*3A than in non-carriers.", CIRCULAR, False),
    ("Thioguanine levels are higher in patients with reduced TPMT activity than in those without.", CIRCULAR, False),
    ("Methotrexate response rate is lower in patients with the MTHFR 677T allele than in those without.", CIRCULAR, False),
    # bench goal 3 with two drafts (2026-11-30): a genotype given a level sets no group apart
    ("Enzyme activity is higher in patients with a higher TPMT genotype than in those without.", LEVELLED, True),
    ("Side effects are lower in those with a reduced TPMT genotype compared to those with higher TPMT genotype.", LEVELLED, True),
    ("Myelosuppression rate is higher in carriers of a reduced-function TPMT genotype than in non-carriers.", LEVELLED, False),
    ("Thioguanine levels are higher in patients with a low-activity genotype than in those with a normal genotype.", LEVELLED, False),
    ("TPMT activity is lower in carriers of TPMT*3A than in non-carriers.", LEVELLED, False),
    # bench goal 3 (2026-11-30): every patient has a TPMT and a NUDT15 genotype
    ("Thiopurine levels in blood are higher in patients with TPMT or NUDT15 genotypes compared to those without them.", EVERY, True),
    ("ALT level is higher in patients with the TPMT genotype than in those without.", EVERY, True),
    ("Neutrophil count is lower in patients with the TPMT *3A genotype than in those without it.", EVERY, False),
    ("ALT level is higher in patients with the MTHFR 677TT genotype than in others.", EVERY, False),
    ("ALT level is higher in patients with the CC genotype than in those with the TT genotype.", EVERY, False),
    ("Thiopurine nucleotide level in blood is higher in carriers of TPMT or NUDT15 variants than in non-carriers.", EVERY, False),
    # variants that name no gene (bench goal 3, 2026-11-30; a 2026-11-29 goal-1 draft); "the polymorphism" points back
    ("Red blood cell count is lower in patients with specific genotypes than in those without.", VAGUE, True),
    ("Response to methotrexate is higher in patients with polymorphisms compared to those without.", VAGUE, True),
    ("Folic acid levels in blood are lower in patients with the polymorphism compared to those without it.", VAGUE, False),
    ("IL-6 level is higher in patients with genetic variants within TNFRSF1B compared to those without.", VAGUE, False),
    # bench goal 3 (2026-11-30), in a proposal passing every other check: less reduction means more activity
    ("Reduction in enzyme activity is lower in carriers of TPMT variants than in non-carriers.", CHANGE, True),
    ("The increase in antibody levels is higher in patients with anti-drug antibodies than in those without.", CHANGE, True),
    ("TPMT activity in red cells is lower in carriers of TPMT variants than in non-carriers.", CHANGE, False),
    ("Change in DAS28 score is lower in carriers of the 80A allele than in non-carriers.", CHANGE, False),
])
def test_a_prediction_whose_groups_are_its_readout_or_a_levelled_genotype_is_not_testable(prediction, why, fails):
    named = [f for f in q.testable("predictions[1]", prediction) if why in f.detail]
    assert bool(named) is fails, q.testable("predictions[1]", prediction)


TPMT_GOAL = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
TPMT_STATEMENT = ("Some patients with rheumatoid arthritis cannot tolerate azathioprine because their TPMT or NUDT15 genotype alters "
                  "their ability to metabolize thiopurines, leading to increased side effects.")
TPMT_STEPS = ["TPMT and NUDT15 are enzymes involved in the metabolism of thiopurines",
              "Reduced TPMT activity increases the risk of severe myelosuppression from azathioprine",
              "Some patients with rheumatoid arthritis develop side effects from azathioprine due to their reduced TPMT activity"]


@pytest.mark.parametrize("prediction,wrong", [
    # bench goal 3 with two drafts (2026-11-30), which passed every check: less harm with less TPMT
    ("Side effects from azathioprine in some patients with rheumatoid arthritis is lower in those with a reduced TPMT "
     "genotype compared to those with higher TPMT genotype.", True),
    ("Myelosuppression rate is higher in patients with reduced TPMT activity compared to those with normal TPMT activity.", False),
    ("Myelosuppression rate is lower in patients with normal TPMT activity compared to those with reduced activity.", False),
    ("Myelosuppression rate is higher in patients with normal TPMT activity compared to those with reduced activity.", True),
    ("Myelosuppression rate is lower in patients with reduced TPMT activity compared to those with normal TPMT activity.", True),
    # a level of a factor the texts give no direction to: no verdict
    ("Myelosuppression rate is lower in patients with reduced NUDT15 activity compared to those with normal NUDT15 activity.", False),
])
def test_a_prediction_comparing_low_and_high_levels_follows_what_the_chain_says_a_low_level_does(prediction, wrong):
    fails = q.direction_agrees("predictions[2]", TPMT_GOAL, TPMT_STATEMENT, prediction, TPMT_STEPS)
    assert bool(fails) is wrong, fails
    if wrong:
        assert re.search(r"(?:reduced TPMT worsens|normal TPMT improves) the outcome", fails[0].detail), fails[0].detail
    # a "higher" in the groups is not the prediction's direction
    assert q.direction_agrees("p", TPMT_GOAL, TPMT_STATEMENT, prediction, [TPMT_STEPS[0]]) == [], "no direction said: no verdict"


RFC1_RESISTANCE = ("The G80A variant of reduced folate carrier 1 (RFC1) is associated with methotrexate resistance in Japanese RA patients, "
                   "suggesting that this genetic variation plays a role in determining the efficacy of methotrexate treatment.")


@pytest.mark.parametrize("prediction,wrong", [
    # the demo goal at 58d7b8f (2026-12-01): more response in the carriers of a "resistance" variant, unread
    ("Methotrexate response rate is higher among G80A variant carriers compared to those without.", True),
    ("Methotrexate response rate is lower among G80A variant carriers compared to those without.", False),
    # the form cause_group itself writes
    ("Methotrexate response rate is higher in carriers of the G80A variant than in non-carriers.", True),
    ("DAS28 score is higher in carriers of the G80A variant than in non-carriers.", False),
    ("Methotrexate response rate is higher in non-carriers of the G80A variant than in carriers.", False),
    ("Methotrexate response rate is lower in non-carriers of the G80A variant than in carriers.", True),
])
def test_carriers_named_before_or_with_of_are_the_group_with_the_cause(prediction, wrong):
    fails = q.direction_agrees("predictions[2]", RESPONSE_GOAL, RFC1_RESISTANCE, prediction)
    assert bool(fails) is wrong, fails
    assert q.cause_group("among G80A variant carriers compared to those without", RESPONSE_GOAL) == ("patients with G80A variant", "those without")


@pytest.mark.parametrize("prediction,group", [
    # the demo goal at 58d7b8f (2026-12-01), rendered with its group twice
    ("Methotrexate response rate among G80A variant carriers are higher among G80A variant carriers compared to those without.",
     "among G80A variant carriers"),
    # bench goal 3 at e82acc5 (2026-12-01), a top-3 prediction
    ("Severity of myelosuppression in patients with reduced TPMT who receive azathioprine is higher in patients with reduced TPMT "
     "compared to those without.", "in patients with reduced TPMT who receive azathioprine"),
    # bench goal 4 at e82acc5 (2026-12-01), a top-3 prediction: a group of six words
    ("ACPA levels in anti-citrullinated protein antibody positive RA patients are higher in patients with ACPA compared to those "
     "without ACPA.", "in anti-citrullinated protein antibody positive RA patients"),
    # where it is measured and the setting are no group
    ("TPMT activity in red cells is lower in carriers of TPMT variants than in non-carriers.", None),
    ("DAS28 in patients with RA is lower in carriers of TPMT variants than in non-carriers.", None),
    ("MTHFR genotype frequency in Japanese RA patients is lower in patients with the G80A variant compared to those without.", None),
])
def test_a_readout_does_not_name_the_group_its_comparison_names(prediction, group):
    fails = [f for f in q.testable("predictions[1]", prediction) if "in the readout" in f.detail]
    assert (fails[0].detail.split("('")[1].split("')")[0] if fails else None) == group, fails


def test_a_group_word_needs_a_group_after_it():
    # bench goal 4 at e82acc5 (2026-12-01), a top-3 prediction
    fails = q.testable("predictions[1]", "ACPA levels are higher in those with compared to those without ACPA.")
    assert fails and "names no group after 'with'" in fails[0].detail
    assert q.testable("predictions[1]", "ACPA levels are higher in those with HLA-DRB1*04 compared to those without.") == []
    assert q.testable("predictions[1]", "ACPA levels are higher in carriers of HLA-DRB1*04 compared to those without it.") == []


HLA13_STEPS = ["HLA-DRB1*13 alleles are protective against ACPA-positive RA",
               "HLA-DRB1*13 haplotypes are associated with lower ACPA levels and decreased citrullinated epitope recognition"]


@pytest.mark.parametrize("prediction,against", [
    # bench goal 4 at d514c3e (2026-12-01), its only top-3 proposal
    ("ACPA levels in ACPA-positive patients are higher in patients with HLA-DRB1*13 alleles compared to those without.", 2),
    ("ACPA levels are lower in patients with HLA-DRB1*13 alleles compared to those without.", None),
    ("Citrullinated epitope recognition score is higher in carriers of HLA-DRB1*13 than in non-carriers.", 2),
    # another factor, another quantity, those without it first: no verdict
    ("ACPA levels are higher in patients with HLA-DRB1*04 alleles compared to those without.", None),
    ("DAS28 score is higher in patients with HLA-DRB1*13 alleles compared to those without.", None),
    ("ACPA levels are lower in patients without HLA-DRB1*13 than in carriers.", None),
    # a group sharing only a general word ("alleles") with the step names another factor
    ("ACPA levels are higher in patients with PTPN22 alleles compared to those without.", None),
])
def test_a_prediction_does_not_move_its_readout_against_the_chain(prediction, against):
    fails = q.follows_chain("predictions[1]", prediction, HLA13_STEPS)
    assert (int(fails[0].detail.split("chain[")[1][0]) if fails else None) == against, fails
    if fails:
        assert fails[0].check == "testable" and "points against chain[2], which says lower ACPA levels" in fails[0].detail or \
            "decreased citrullinated epitope recognition" in fails[0].detail


@pytest.mark.parametrize("step,points_back", [
    # top-3 chains of the d514c3e bench (2026-12-01), goals 1 and 5
    ("This reduces their response to methotrexate, leading to a higher proportion not responding", True),
    ("This may interfere with the activation of TNF receptors and downstream signaling pathways", True),
    ("It lowers folate in red cells", True),
    # a demonstrative that names its noun
    ("These polymorphisms lower MTHFR activity in lymphocytes", False),
    ("This variant lowers MTHFR activity", False),
    ("Reduced TPMT activity raises thioguanine nucleotides in marrow", False),
])
def test_a_step_whose_subject_points_back_is_a_fragment(step, points_back):
    fails = q.fragment("chain[2]", step)
    assert bool(fails) is points_back, fails
    if fails:
        assert fails[0].check == "complete" and "points back to another step" in fails[0].detail


def test_response_measured_in_groups_defined_by_response_is_circular():
    # bench goal 5 at d514c3e (2026-12-01), in the one top-3 proposal passing every check
    fails = q.testable("predictions[2]", "Long-term response rate is higher among patients who respond well to higher doses than "
                                         "those who respond poorly.")
    assert fails and "defines its groups by what it measures" in fails[0].detail
    assert q.testable("p", "Remission rate is higher in responders than in non-responders.")
    # a readout that is no response may be compared between responders
    assert q.testable("p", "ESR levels are lower in responders than in non-responders.") == []


def test_prevalence_is_a_readout_but_not_in_the_group_it_defines():
    # bench goal 4's single call (sixteenth to eighteenth sessions): prevalence of ACPA among the
    # ACPA-positive is all of them; it had failed as "no measurable readout", which it is not
    circular = "ACPA prevalence in ACPA-positive RA patients is higher in patients with HLA-DRB1*13 alleles compared to those without."
    fails = q.testable("predictions[1]", circular)
    assert fails and "defines its groups by what it measures" in fails[0].detail
    assert "defines its groups" in q.testable("p", circular.replace("ACPA-positive", "ACPA-negative"))[0].detail
    assert q.testable("p", "ACPA prevalence is higher in smokers than in non-smokers.") == []
    assert q.testable("p", "Rheumatoid factor positivity is higher in carriers of PTPN22 R620W than in non-carriers.") == []
    # a level among the positive differs between them: not circular
    assert q.testable("p", "ACPA levels in ACPA-positive patients are higher in patients with HLA-DRB1*13 alleles compared to those without.") == []
    assert "no measurable readout" in q.testable("p", "ACPA presence is higher in patients with HLA-DRB1*04 than in others.")[0].detail


def test_a_step_going_on_from_a_quantity_moved_the_other_way_fails():
    # a real leflunomide goal (2026-12-01): inhibited, then raised, then going on from raised
    steps = ["Leflunomide inhibits the enzyme cytochrome P450 3A2, which is involved in the metabolism of many drugs and other substances",
             "Cytochrome P450 3A2 levels increase in leflunomide-treated patients",
             "Increased cytochrome P450 3A2 levels lead to increased liver enzyme production"]
    fails = q.steps_reverse(steps)
    assert [f.field for f in fails] == ["chain[2]"] and fails[0].check == "grounded" and "chain[1]" in fails[0].detail
    assert q.steps_reverse([steps[0], steps[2]])[0].field == "chain[2]"
    assert q.steps_reverse(["Methotrexate raises adenosine release", "Reduced adenosine levels weaken its effect"])
    # a chain moving each quantity one way passes; so does another agent acting on a quantity
    assert q.steps_reverse(["Reduced TPMT activity raises thioguanine nucleotide levels",
                            "Increased thioguanine nucleotide levels suppress the bone marrow"]) == []
    assert q.steps_reverse(["Methotrexate lowers folate levels in red cells", "Folic acid raises folate levels, which reduces toxicity"]) == []
    assert q.steps_reverse(["Methotrexate inhibits ATIC", "AICAR accumulates and raises adenosine release"]) == []


def test_a_genotype_measured_in_groups_a_variant_or_treatment_sets_apart_fails():
    # the demo at 8a04927 and f8e4623 (2026-12-01), under an RFC1 G80A hypothesis
    p = "MTHFR genotype frequency in Japanese RA patients is lower in patients with G80A variant compared to those without."
    fails = q.measures_genotype("predictions[1]", p)
    assert fails and fails[0].check == "testable" and "'MTHFR genotype frequency'" in fails[0].detail
    # bench goal 2's cached draft: an allele compared between treated and placebo patients
    assert q.measures_genotype("p", "MTHFR C677T allele frequency is higher in patients taking methotrexate compared to those on placebo.")
    # a case-control test: groups set apart by the outcome
    assert q.measures_genotype("p", "MTHFR 677T allele frequency is higher in non-responders than in responders.") == []
    assert q.measures_genotype("p", "TPMT and NUDT15 genotypes in RA patients are higher in those who cannot tolerate azathioprine "
                                    "compared to those who can.") == []
    # a score named before the genotype is what is measured (bench goal 1 at 8ac1864)
    assert q.measures_genotype("p", "Methotrexate efficacy score based on genetic polymorphisms is higher in patients who carry the "
                                    "risk alleles of GGH compared to those without them.") == []
    assert q.measures_genotype("p", "Levels of the MTHFR C677T allele in liver are higher in patients taking methotrexate than in others.")
    # what a variant changes, in its carriers, is what a prediction measures
    assert q.measures_genotype("p", "Red-cell methotrexate polyglutamate levels are lower in carriers of RFC1 80A than in non-carriers.") == []
    # the groups named in the readout as groups (the demo at f1b1140, 2026-12-02)
    fails = q.measures_genotype("p", "MTHFR genotype frequency in G80A variant and non-G80A variant groups is lower in Japanese "
                                     "patients with rheumatoid arthritis.")
    assert fails and "'MTHFR genotype frequency'" in fails[0].detail
    assert q.measures_genotype("p", "MTHFR 677T allele frequency in the responder and non-responder groups is higher in Japanese patients.") == []


def test_a_statement_making_the_goals_outcome_a_cause_fails_specific():
    # bench goal 1 at 8ac1864 (2026-12-01): drafted as an association, stated as a cause by as_cause
    goal = "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?"
    drafted = ("The lack of methotrexate response in rheumatoid arthritis is associated with reduced expression of genes "
               "involved in folate metabolism.")
    stated = q.as_cause(drafted)
    assert stated == "The lack of methotrexate response in rheumatoid arthritis reduces expression of genes involved in folate metabolism."
    fails = q.specific(goal, stated)
    assert fails and "the outcome the goal asks about" in fails[0].detail
    # so the restatement fails as many checks as the draft, and the draft's wording is kept
    assert len(q.specific(goal, drafted)) == len(fails)
    # a cause as the subject passes; so does the outcome of another question
    assert q.outcome_as_cause(goal, "The MTHFR C677T polymorphism reduces methotrexate efficacy in patients with RA.") == []
    assert q.outcome_as_cause(goal, "Methotrexate-induced liver injury lowers adherence, so patients stop the drug.") == []


def test_a_prediction_about_untreated_patients_follows_what_the_chain_says_the_drug_does():
    # bench goal 2 at d514c3e and f8e4623 (2026-12-01), a top-3 proposal with one other failure
    steps = ["Methotrexate reduces synovitis in rheumatoid arthritis patients over time",
             "Fibrosis develops in the liver of methotrexate-treated patients",
             "Transaminase levels increase in the liver of methotrexate-treated patients"]
    wrong = "Transaminase levels are higher in untreated patients."
    fails = q.untreated_against_chain("predictions[1]", wrong, steps)
    assert fails and fails[0].field == "predictions[1]" and "chain[3]" in fails[0].detail
    assert fails[0].detail.startswith(q.WRONG_WAY), "turned without a call, as a prediction against its chain is"
    assert q.untreated_against_chain("p", q.turned(wrong), steps) == []
    # treated against untreated, and a quantity no step moves, get no verdict here
    assert q.untreated_against_chain("p", "Transaminase levels are higher in methotrexate-treated patients compared to untreated "
                                          "patients.", steps) == []
    assert q.untreated_against_chain("p", "Liver stiffness is higher in untreated patients.", steps) == []


def test_a_chain_step_that_is_its_records_title_is_copied():
    # bench goal 5 at d514c3e (2026-12-01): the passing proposal's first step
    h = good()
    title = EVIDENCE[h.chain[0].key].title
    step = h.chain[0].model_copy(update={"claim": title})
    fails = check(h.model_copy(update={"chain": [step, *h.chain[1:]]}), goal=GOAL, ev=EVIDENCE, others=[], profile=P,
                  focus=q.focus_terms(GOAL))
    assert [f.check for f in fails if f.field == "chain[1]" and "restates the title" in f.detail] == ["not_copied"]
    assert q.restates_title("chain[1]", "Dose optimization trial of infliximab in RA patients",
                            {"PMID:24472261": "Dose optimization of infliximab in patients with rheumatoid arthritis"})


def test_the_low_level_direction_reads_a_high_level_the_other_way_round():
    assert q.low_level_direction({"TPMT"}, ["Normal TPMT activity lowers the risk of myelosuppression"]) == -1
    assert q.low_level_direction({"TPMT"}, TPMT_STEPS) == -1
    assert q.low_level_direction({"TPMT"}, [*TPMT_STEPS, "Reduced TPMT activity protects against flares"]) == 0, "texts disagree"


def test_a_guideline_cited_as_the_source_is_a_report():
    # the demo-goal runs (2026-11-30) stated what the CPIC guideline suggests instead of a claim
    fails = q.specific(TPMT_GOAL, "The CPIC guideline for thiopurines suggests that patients with reduced TPMT activity "
                                  "develop myelosuppression.")
    assert fails and "reports what a study found" in fails[0].detail
    assert q._STUDY_REPORT.search("The ACR guideline recommends testing TPMT before azathioprine")
    assert not q._STUDY_REPORT.search("Reduced TPMT activity raises thioguanine nucleotides in marrow")


def test_a_symbol_in_the_plural_or_another_case_is_the_symbol():
    assert q.factors("ACPAs and KIRs bind") == {"ACPA", "KIR"}
    assert q.factors("DMARDs and NSAIDs") == set(), "plural abbreviations of drug classes stay no factors"
    # goal 5 (2026-11-30): titled "ACPA", written "ACPa" in the statement
    assert q.title_names_its_hypothesis("ACPA and loss of response to TNF inhibitors", "ACPa antibodies bind to TNF receptors") == []
    assert q.title_names_its_hypothesis("ACPA and loss of response", "Antidrug antibodies clear adalimumab")


@pytest.mark.parametrize("step,record,fails", [
    # the real folic-acid goal (2026-12-01): a genotype study cited for pharmacokinetics it never measured
    ("MTHFR 1298AA carriers have higher methotrexate clearance and lower plasma methotrexate levels",
     "In 205 early RA patients starting methotrexate with folic acid, folate pathway SNPs were genotyped. MTHFR 1298AA carriers "
     "improved more than 1298C carriers, whereas 1298C carriers had more adverse drug events.", True),
    # bench goal 5 at e82acc5 (2026-12-01), a top-3 step
    ("Patients with ACPA have higher serum levels of specific IgG4 antibodies against TNF inhibitors",
     "ACPA status did not affect the response to TNF blockade in -308 G/G patients.", True),
    # bench goal 3 at d514c3e (2026-12-01), the top proposal's second step: the level named after what it measures
    ("Increased myelosuppression from thiopurines leads to reduced levels of thiamine in the blood",
     "The 2013 update of the CPIC guideline for thiopurine dosing according to TPMT genotype ties each TPMT phenotype to a "
     "starting-dose strategy.", True),
    # a record that measured an amount, and a step that names none
    ("Folic acid raises blood folate levels in patients on methotrexate",
     "Low blood folate and raised red cell volume accompanied serious methotrexate toxicity.", False),
    ("MTHFR 1298C carriers have more adverse drug events on methotrexate",
     "MTHFR 1298AA carriers improved more than 1298C carriers, whereas 1298C carriers had more adverse drug events.", False),
])
def test_a_step_giving_a_body_level_cites_a_record_that_measured_one(step, record, fails):
    out = q.levels_named("chain[2]", step, "PMID:1", record, GOAL)
    assert bool(out) is fails, out
    if fails:
        assert out[0].check == "grounded" and "which PMID:1's record does not measure" in out[0].detail
    assert q.levels_named("chain[2]", step, "PMID:1", None, GOAL) == [], "no record: no verdict"


@pytest.mark.parametrize("text,invented", [
    # a real folic-acid goal (2026-12-01): a trial of 5 or 27.5 mg weekly, cited for a dose it never gave
    ("Folic acid increases blood folate levels by 5-10 mg/day", "5-10 mg"),
    ("Folic acid at 7.5 to 15 mg weekly lowers toxicity", "7.5 to 15 mg"),
    ("A 30% fall in toxicity scores", "30%"),
    ("MTHFR 677TT raises homocysteine 2-fold", "2-fold"),
    # amounts the record gives, and alleles, star alleles and positions, which are no amounts
    ("Folic acid at 27.5 mg weekly lowers toxicity scores", None),
    ("Patients on 5 mg folic acid had fewer side effects", None),
    ("The -308 G/G genotype marks good response to anti-TNF treatment", None),
    ("HLA-DRB1*04:01 carriers make more ACPA", None),
])
def test_an_amount_is_one_a_cited_record_gives(text, invented):
    record = "In a double-blind trial, 79 RA patients on low-dose methotrexate received placebo or folic acid at 5 mg or 27.5 mg weekly."
    fails = q.invented_amounts("chain[2]", text, [record, GOAL])
    assert (fails[0].detail.split("gives ")[1].split(", which")[0] if fails else None) == invented, fails
    if fails:
        assert fails[0].check == "grounded"


def test_an_invented_dose_fails_the_hypothesis_check():
    h = good()
    step = h.chain[1].model_copy(update={"claim": f"{h.chain[1].claim.rstrip('.')} at 12.5 mg daily"})
    fails = check(h.model_copy(update={"chain": [h.chain[0], step, *h.chain[2:]]}), goal=GOAL, ev=EVIDENCE, others=[], profile=P,
                  focus=q.focus_terms(GOAL))
    assert [f.field for f in fails if "12.5 mg" in f.detail] == ["chain[2]"]
    assert not [f for f in check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL)) if "which its cited records do not" in f.detail]


def test_what_a_step_says_a_quantity_changes_with_is_in_its_record():
    # bench goal 3 at e82acc5 (2026-12-01), a top-3 step citing the CPIC thiopurine guideline (its card, abridged)
    record = ("Clinical Pharmacogenetics Implementation Consortium (CPIC) guideline for thiopurine dosing based on TPMT and NUDT15 "
              "genotypes: 2018 update. For people poor in either enzyme with non-malignant conditions such as rheumatic disease, "
              "the recommendations suggest considering a non-thiopurine immunosuppressant; intermediate metabolizers start on reduced "
              "doses and are adjusted by degree of myelosuppression.")
    step = "TPMT activity decreases with age and increases with disease severity"
    assert q.step_rests_on("chain[2]", step, "PMID:30447069", record, TPMT_GOAL) == [], "TPMT is named: the old rule passed it"
    fails = q.covariates_named("chain[2]", step, "PMID:30447069", record, TPMT_GOAL)
    assert fails and fails[0].check == "grounded" and "changes with age and disease severity" in fails[0].detail
    assert q.covariates_named("chain[2]", "Myelosuppression risk rises with the degree of TPMT deficiency", "PMID:30447069",
                              record + " Risk rises with the degree of deficiency.", TPMT_GOAL) == []
    assert q.covariates_named("chain[2]", step, "PMID:30447069", None, TPMT_GOAL) == [], "no record: no verdict"


def test_a_step_citing_a_computed_profile_names_its_molecule():
    # bench goal 9 (2026-11-30): tofacitinib's values given to pamapimod
    record = ("chem.describe v1.0: tofacitinib (C16H20N6O; RDKit, computed from its structure). tofacitinib (C16H20N6O; RDKit, "
              "computed from its structure): molecular weight 312.4 Da, lipophilicity (cLogP) 1.54")
    key = "TOOL:chem.describe:2f278ee2"
    wrong = q.names_computed_subject("chain[1]", "Pamapimod is lipophilic, with a molecular weight of 312.4 Da", key, record)
    assert wrong and wrong[0].check == "grounded" and "computed for tofacitinib" in wrong[0].detail
    assert q.names_computed_subject("chain[1]", "Tofacitinib's low molecular weight (312 Da) favours absorption", key, record) == []
    assert q.names_computed_subject("chain[1]", "Pamapimod is lipophilic", "PMID:1", record) == [], "a paper: step_rests_on judges it"
    assert q.names_computed_subject("chain[1]", "Pamapimod is lipophilic", key, 'text.length v0.1 on {"text":"x"}. {"length":1}') == []


@pytest.mark.parametrize("text,gene", [
    # bench goal 5 (2026-11-30)
    ("TNF antibodies, especially those against the TNFRSF1B gene, may affect response to anti-TNF inhibitors.", "TNFRSF1B"),
    ("TNF antibodies bind to the TNFRSF1B gene, potentially disrupting its normal function", "TNFRSF1B"),
    ("Antidrug antibodies target the TNF gene.", "TNF"),
    ("Antidrug antibodies bind adalimumab and speed its clearance.", None),
    ("Antibodies against TNFR2, the protein the TNFRSF1B gene encodes, block signalling.", None),
    ("The HLA-DRB1 gene shapes which antibodies are made.", None),
])
def test_an_antibody_binds_a_protein_not_a_gene(text, gene):
    fails = q.antibody_binds_gene("chain[2]", text)
    assert (fails[0].detail.split("the ")[1].split(" gene")[0] if fails else None) == gene, fails


@pytest.mark.parametrize("text,wrong", [
    # bench goal 2 (2026-12-01, seventeenth session), a top-3 chain step
    ("Methotrexate treatment increases blood levels of the MTHFR C677T allele", True),
    ("Methotrexate lowers the frequency of the HLA-DRB1 shared epitope allele", True),
    ("Smoking raises the HLA-DRB1*04:01 allele", True),
    # what a variant changes, or who carries it, is not the variant changing
    ("The MTHFR C677T polymorphism reduces enzyme activity", False),
    ("Smoking lowers the MTHFR allele's expression", False),
    ("Folate lowers homocysteine in 677TT genotype carriers", False),
    ("The variant changes the genotype-dependent response", False),
    ("It raises the risk in carriers of the allele", False),
    ("Smoking induces mutations in TP53", False),  # somatic mutations can be induced
])
def test_an_inherited_variant_is_never_raised_or_lowered(text, wrong):
    fails = q.changes_genotype("chain[1]", text)
    assert bool(fails) is wrong, fails
    if wrong:
        assert fails[0].check == "grounded" and "an inherited variant is raised or lowered" in fails[0].detail


def test_a_raised_variant_fails_the_hypothesis_check():
    h = good().model_copy(update={"chain": [good().chain[0], good().chain[1].model_copy(
        update={"claim": "Methotrexate treatment increases blood levels of the ABCB1 allele"})]})
    fails = check(h, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL))
    assert "chain[2]" in [f.field for f in fails if "inherited variant" in f.detail]


def test_a_prediction_against_a_low_level_of_the_goals_own_factor_follows_the_statement():
    """Bench goal 3 (2026-12-01): under "Patients with reduced TPMT activity are more susceptible to
    severe myelosuppression", a prediction gave those with reduced TPMT a lower risk of azathioprine
    failure. TPMT is the goal's own candidate, so it is no cause the statement proposes beyond the
    goal; the level ("reduced TPMT") is the cause."""
    statement = "Patients with reduced TPMT activity are more susceptible to severe myelosuppression when treated with azathioprine."
    wrong = "Risk of azathioprine failure is lower in patients with reduced TPMT compared to those without."
    (f,) = q.direction_agrees("predictions[2]", TPMT_GOAL, statement, wrong)
    assert f.check == "testable" and "reduced TPMT worsens" in f.detail
    assert q.direction_agrees("predictions[2]", TPMT_GOAL, statement, wrong.replace("lower", "higher")) == []
    assert q.direction_agrees("predictions[2]", TPMT_GOAL, statement, wrong.replace("reduced", "normal").replace("lower", "higher"))
    assert q.direction_agrees("predictions[2]", TPMT_GOAL, "TPMT genotype shapes azathioprine tolerance.", wrong) == [], "no direction said"


@pytest.mark.parametrize("text,way", [
    # bench goal 1 (2026-12-01): neither was read as a direction, so a prediction of more response with
    # C677T under "associated with reduced methotrexate efficacy" passed
    ("The MTHFR C677T polymorphism is associated with reduced methotrexate efficacy.", -1),
    ("The MTHFR C677T polymorphism affects methotrexate metabolism and reduces its effectiveness.", -1),
    ("Folic acid improves the clinical response.", 1),
    ("Adenosine release increases its therapeutic efficacy.", 1),
])
def test_efficacy_and_effectiveness_are_directions(text, way):
    assert q.direction(text) == way


@pytest.mark.parametrize("text,wrong", [
    # the demo (2026-11-30), twelfth and thirteenth sessions: MTHFR and SHMT1 variants called ATIC's
    ("Patients with ATIC polymorphisms (specifically, MTHFR 677TT and SHMT1 1420CC) are less likely to respond to methotrexate.",
     "MTHFR, SHMT1"),
    ("Folate pathway variants such as MTHFR 677T and ATIC 347G lower response.", None),  # no gene claims them
    ("ATIC polymorphisms, such as ATIC 347C>G, lower intracellular adenosine.", None),
    ("MTHFR polymorphisms (e.g., 677TT and 1298CC) change folate levels.", None),  # examples naming no gene
])
def test_a_genes_variants_named_by_example_are_that_genes(text, wrong):
    fails = q.examples_belong("statement", text)
    assert (fails[0].detail.split("variants of ")[1].split(" ATIC")[0] if fails else None) == wrong, fails


def test_a_steps_result_is_what_it_leads_to():
    assert q.step_result("Increased thiopurine levels can cause side effects such as severe myelosuppression") == (
        "side effects such as severe myelosuppression")
    assert q.step_result("Lower plasma levels of MTX lead to reduced efficacy of methotrexate.") == "reduced efficacy of methotrexate"
    assert q.step_result("Reduced TPMT activity raises the risk of severe myelosuppression") == "the risk of severe myelosuppression"
    assert q.step_result("Obesity and liver fibrosis") is None and q.step_result("This shapes the clinical response") is None
    assert q.repeated_readout("Thiopurine levels", ["Thiopurine levels in blood"])
    assert not q.repeated_readout("Platelet count in blood", ["Thiopurine levels in blood"])


def test_a_prediction_measuring_another_drug_than_the_goals_is_off_the_goal():
    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    (f,) = q.measures_another_drug("predictions[2]", "Methotrexate toxicity is higher in carriers of TPMT or NUDT15 variants than in non-carriers.", goal)
    assert f.check == "testable" and "methotrexate" in f.detail and "azathioprine" in f.detail
    assert q.measures_another_drug("predictions[1]", "Neutrophil count is lower in carriers of TPMT variants than in non-carriers.", goal) == []
    assert q.measures_another_drug("predictions[1]", "Azathioprine dose is lower in carriers of TPMT variants than in non-carriers.", goal) == []
    # a goal naming no drug gives no verdict
    assert q.measures_another_drug("predictions[1]", "Methotrexate level is lower in carriers.", "Why do some patients lose their response to TNF inhibitors?") == []


@pytest.mark.parametrize("title,goal,fails", [
    # bench goal 5 (2026-11-30): the goal's own question as the title
    ("Why do some patients lose their response to TNF inhibitors over the first years of treatment?",
     "Why do some patients lose their response to TNF inhibitors over the first years of treatment?", True),
    # goal 7 (2026-11-30): the goal as a claim
    ("Cigarette smoking promotes citrullination and the onset of rheumatoid arthritis",
     "How does cigarette smoking promote citrullination and the onset of rheumatoid arthritis?", True),
    ("Methotrexate liver toxicity in rheumatoid arthritis: a link between fibrosis and obesity",
     "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?", False),
    ("G6PD deficiency increases risk of haemolysis on sulfasalazine or dapsone",
     "Why does G6PD deficiency raise the risk of haemolysis on sulfasalazine or dapsone?", False),
])
def test_a_title_restating_the_goal_names_no_hypothesis(title, goal, fails):
    assert bool(q.title_restates_goal(title, goal)) is fails


def test_chain_claim_joins_the_first_cause_to_the_last_result_in_the_chains_own_words():
    """Bench goal 3 (2026-12-02): the chain's claim is its first cause and its last result; what lies
    between is the mechanism's to add, so the mechanism does not restate it."""
    steps = ["Reduced TPMT activity leads to increased thiopurine levels in the blood",
             "Increased thiopurine levels can cause side effects such as severe myelosuppression"]
    claim = q.chain_claim(steps)
    assert claim == "Reduced TPMT activity leads to severe myelosuppression."
    goal = "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?"
    assert q.specific(goal, claim) == [] and q.adds_to(claim, " -> ".join(steps) + ".") == []
    # the last step naming a result gives it: "Liver injury develops ..." names none
    assert q.chain_claim(["Chronic administration of methotrexate leads to increased liver toxicity and fibrosis",
                          "Methotrexate increases liver enzyme levels, leading to liver damage",
                          "Liver injury develops in some patients with long-term methotrexate therapy"]) == \
        "Chronic administration of methotrexate leads to liver damage."
    # no short subject before the first change, no result, or one step: no claim
    assert q.chain_claim(["AMPD1 variation affects the rate at which methotrexate is converted to a metabolite that inhibits protein synthesis",
                          "Less protein synthesis leads to reduced methotrexate efficacy"]) is None
    assert q.chain_claim(["Smoking raises PAD2 in lung macrophages", "PAD2 is an enzyme"]) is None
    assert q.chain_claim(["Smoking raises PAD2 in lung macrophages"]) is None


def test_a_treatment_outcome_compared_with_healthy_people_is_no_test():
    """Bench goal 1 at 556b4f8 (2026-12-02): a top-3 proposal predicted "MTX response is lower in
    rheumatoid arthritis patients compared to healthy control subjects"; healthy people take no drug."""
    fails = q.testable("predictions[2]", "MTX response is lower in rheumatoid arthritis patients compared to healthy control subjects.")
    assert [f.check for f in fails] == ["testable"] and "'healthy control subjects', who take no treatment" in fails[0].detail
    assert q.testable("p", "Hepatotoxicity rate is higher in RA patients than in healthy volunteers.")
    # a marker of the disease may be compared with healthy people; a treated group with untreated patients is a test too
    assert q.testable("p", "Serum IL-6 level is higher in RA patients than in healthy controls.") == []
    assert q.testable("p", "Methotrexate response rate is lower in carriers of RFC1 80A than in non-carriers.") == []


def test_a_chain_step_starting_from_the_goals_outcome_is_no_link():
    """The demo at 99559a6 (2026-12-02) ended its RFC1 chain on the outcome causing itself; the
    check that fails such a statement fails the step too, on its own field."""
    step = "The reduced methotrexate response leads to a higher proportion of patients not responding to methotrexate."
    fails = q.outcome_as_cause(GOAL, step, field="chain[3]")
    assert [(f.check, f.field) for f in fails] == [("specific", "chain[3]")] and "the cause of something else" in fails[0].detail
    assert q.outcome_as_cause(GOAL, "The increased methotrexate metabolism leads to reduced methotrexate response.", field="chain[2]") == []
    h = good()
    tautology = h.model_copy(update={"chain": [*h.chain, ChainStep(claim=step, key=h.chain[-1].key)]})
    assert ("specific", f"chain[{len(tautology.chain)}]") in {(f.check, f.field) for f in check(
        tautology, goal=GOAL, ev=EVIDENCE, others=[], profile=P, focus=q.focus_terms(GOAL))}


@pytest.mark.parametrize("step,record,fails", [
    # the demo at 424015f (2026-12-02): metabolism, citing the record of an uptake carrier
    ("The G80A variant increases the rate of methotrexate metabolism in cells.", RFC1, True),
    ("The increased methotrexate metabolism leads to reduced methotrexate response.", RFC1, True),
    # the process its record reports, in its record's words ("take up less methotrexate")
    ("The RFC1 G80A variant reduces methotrexate uptake into cells.", RFC1, False),
    # a record that speaks of the process, and steps naming no drug or no process
    ("MTHFR C677T slows methotrexate metabolism", "MTHFR variants alter folate metabolism and methotrexate toxicity.", False),
    ("MTHFR C677T lowers folate metabolism", RFC1, False),
    ("Less RFC1 activity lowers methotrexate response", RFC1, False),
    # the clearance the kidneys perform, over a record on a carrier
    ("Reduced renal clearance of methotrexate raises its toxicity", RFC1, True),
])
def test_a_step_naming_what_the_body_does_to_a_drug_cites_a_record_reporting_that_process(step, record, fails):
    out = q.processes_named("chain[1]", step, "PMID:1", record, GOAL)
    assert bool(out) is fails, out
    if fails:
        assert out[0].check == "grounded" and "PMID:1's record does not report" in out[0].detail
    assert q.processes_named("chain[1]", step, "PMID:1", None, GOAL) == [], "no record: no verdict"


def test_the_goal_naming_a_process_lets_a_step_name_it():
    goal = "Does reduced methotrexate clearance explain its toxicity in rheumatoid arthritis?"
    assert q.processes_named("chain[1]", "Reduced methotrexate clearance raises its toxicity", "PMID:1", RFC1, goal) == []


def test_the_record_of_an_uptake_carrier_measured_uptake():
    """RFC1's record says its carriers "take up less methotrexate into cells": a step saying the
    variant lowers methotrexate uptake names what that record measured (it failed before, while the
    demo's step on metabolism passed)."""
    assert q.levels_named("chain[1]", "The RFC1 G80A variant reduces methotrexate uptake into cells.", "PMID:1", RFC1, GOAL) == []


def test_two_statements_naming_different_causes_are_not_the_same_claim():
    """The demo at 424015f (2026-12-02): the goal's own words made an RFC1 statement the ATIC one."""
    atic = "ATIC polymorphisms predict methotrexate response in rheumatoid arthritis."
    rfc1 = "G80A and RFC1 polymorphisms reduce methotrexate response in rheumatoid arthritis."
    assert q.jaccard(atic, rfc1) >= q.JACCARD_MAX
    assert not q.same_claim(atic, rfc1)
    # one cause in both, or none named: the token rule decides
    assert q.same_claim(rfc1, "RFC1 G80A polymorphisms lower methotrexate response in rheumatoid arthritis.")
    assert q.same_claim("Folate depletion lowers methotrexate response in rheumatoid arthritis.",
                        "Folate depletion reduces methotrexate response in rheumatoid arthritis.")
    assert not q.same_claim(atic, "Smoking raises anti-CCP titres.")


def test_a_statement_whose_cause_acts_under_a_topic_title_states_a_claim():
    title = "G80A and RFC1 polymorphisms and methotrexate response in rheumatoid arthritis"
    assert q.states_a_claim(title, "G80A and RFC1 polymorphisms reduce methotrexate response in rheumatoid arthritis.") == []
    # a claim title and its claim again: the statement still claims something
    claim = "RFC1 G80A reduces methotrexate response in rheumatoid arthritis"
    assert q.states_a_claim(claim, claim + ".") == []
    assert q.states_a_claim(title, title + ".")


def test_a_readout_repeating_its_own_direction_is_stripped_of_it():
    """The demo at 102129c (2026-12-02) rendered "Methotrexate response rate is lower is lower in those
    without the G80A variant": readout "Methotrexate response rate is lower", direction "lower"."""
    assert q.bare_readout("Methotrexate response rate is lower", "lower") == "Methotrexate response rate"
    assert q.bare_readout("ACPA levels are significantly higher", "higher") == "ACPA levels"
    # the other direction is a contradiction the readout check names; a readout with nothing else stays
    assert q.bare_readout("Methotrexate response rate is lower", "higher") == "Methotrexate response rate is lower"
    assert q.bare_readout("It is lower", "lower") == "It is lower"
    assert q.bare_readout("Serum folate", "lower") == "Serum folate"
    from types import SimpleNamespace

    from hypoforge.agents.models import render_prediction
    p = SimpleNamespace(readout=q.bare_readout("Methotrexate response rate is lower", "lower"), direction="lower",
                        comparison="in those without the G80A variant")
    assert render_prediction(p) == "Methotrexate response rate is lower in those without the G80A variant."


def test_text_trimmed_at_its_cap_is_never_cut_inside_a_list():
    """Bench goal 1's overview at 2f386c9 (2026-12-02) proposed "a study that measures the genetic
    variations of the AMPD1, ATIC, ITPA.": trimmed at a list's comma, it reads as cut."""
    ran = ("To test this hypothesis, we would need to conduct a study that measures the genetic variations of the "
           "AMPD1, ATIC, ITPA, and MTHFD1 genes in responders and non")
    assert q.trim_to_boundary(ran, len(ran), last_word=False) == ""
    clause = "Low folate raises homocysteine in carriers of the variant, which lowers the response, and a second clause ran on into"
    assert q.trim_to_boundary(clause, len(clause)) == "Low folate raises homocysteine in carriers of the variant, which lowers the response."


@pytest.mark.parametrize("step,fails", [
    # bench goal 1 at 2f386c9 (2026-12-02): a top-3 first step, and a third step reporting a list
    ("Several studies have investigated the relationship between genetic polymorphisms and response to methotrexate", True),
    ("A study found that polymorphisms in the folate pathway genes, including SLC19A1, MTR, and TYMS", True),
    ("Researchers compared methotrexate polyglutamate levels in responders", True),
    # a causal step a study is said to report is still a causal step
    ("A study found that reduced TPMT activity raises thioguanine levels", False),
    ("Thioguanine accumulation has been shown to cause myelosuppression", False),
    ("Reduced TPMT activity raises thioguanine levels", False),
])
def test_a_step_reporting_what_a_study_did_is_no_causal_step(step, fails):
    out = q.causal_step("chain[1]", step)
    assert bool(out) is fails, out
    if fails:
        assert out[0].check == "specific" and out[0].detail.startswith("reports what a study did or found")
