"""Write a hypothesis well: draft, check deterministically, revise with the failing checks named.

The generator, the evolver and chat's /evolve all write hypotheses through :func:`write_hypothesis`.
Small models handle a targeted revision ("the mechanism restates the statement") far better than
open-ended critique, so every draft is checked with :mod:`hypoforge.agents.quality` and, if a check
fails, asked for again with the failures listed: only the fields they name are rewritten, and a
second revision is asked for only when the first changed what fails (it fixed a prediction by
copying another, say). What still fails after that is recorded on the
hypothesis as ``flags``: the critic may not accept it, the judge sees it, and the report ranks it
after every hypothesis that passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from hypoforge import prompts
from hypoforge.agents import quality as q
from hypoforge.agents.calls import Tally
from hypoforge.agents.deps import Deps
from hypoforge.agents.models import (PROFILES, STEP_ROLES, Evidence, Hypothesis, Profile, draft_predictions, draft_steps, hypothesis_draft,
                                     hypothesis_fix, mechanism_text, prediction_readout)
from hypoforge.agents.state import State, evidence
from hypoforge.knowledge.drug_targets import target_facts


def profile_for(deps: Deps) -> Profile:
    """The budget profile: the setting if given, else ``rich`` for endpoints and ``compact`` for embedded models."""
    name = deps.settings.llm.profile
    if name == "auto":
        name = "rich" if deps.llm.remote else "compact"
    return PROFILES[name]


def semantic_embed(deps: Deps) -> Callable[[list[str]], Any] | None:
    """The embedder for the on-goal similarity, when it is a semantic one (MiniLM), else None."""
    emb = deps.embedder
    return emb.embed if emb is not None and getattr(emb, "semantic", False) else None


def form(profile: Profile, *, example: bool = True) -> str:
    """The field-by-field instructions for a hypothesis of ``profile``, with the worked example unless a
    revision (where the draft shows the form and a small model copied the example into it)."""
    roles = [{"name": r, "text": STEP_ROLES[r]} for r in profile.steps]
    return prompts.render("hypothesis_form", profile=profile, roles=roles,
                          example=prompts.source("example").strip() if example else "")


def record_texts(ev: dict[str, Evidence]) -> dict[str, str]:
    """What each run key's record says (title and passage), for grounding and key checks."""
    return {k: f"{e.title}. {e.passage}" for k, e in ev.items()}


def grounding_sources(h: Hypothesis, texts: dict[str, str], goal: str) -> list[str]:
    """What a hypothesis's terms may come from: its cited records, the goal, and the curated drug
    targets of the drugs it names (:func:`~hypoforge.knowledge.drug_targets.target_facts`)."""
    return [*(texts[k] for k in h.citations if k in texts), goal, *target_facts(" ".join([h.title, h.statement, h.mechanism]))]


def check(h: Hypothesis, *, goal: str, ev: dict[str, Evidence], others: Sequence[Hypothesis], profile: Profile,
          focus: set[str], embed: Callable[[list[str]], Any] | None = None) -> list[q.Failure]:
    """Every deterministic check on one hypothesis (the ``read`` check is on the evidence instead)."""
    out: list[q.Failure] = []
    out += q.complete("title", h.title, profile.cap(profile.title_words))
    out += q.complete("statement", h.statement, profile.cap(profile.statement_words), sentence=True)
    for i, s in enumerate(h.chain, start=1):
        out += (q.complete(f"chain[{i}]", s.claim, profile.cap(profile.step_words)) or q.fragment(f"chain[{i}]", s.claim)
                or q.causal_step(f"chain[{i}]", s.claim) or q.outcome_as_cause(goal, s.claim, field=f"chain[{i}]"))
    for i, p in enumerate(h.predictions, start=1):
        out += q.prediction_parts(f"predictions[{i}]", p, readout_cap=profile.cap(profile.readout_words),
                                  comparison_cap=profile.cap(profile.comparison_words))
    out += q.specific(goal, h.statement) or q.states_a_claim(h.title, h.statement)
    out += q.title_names_its_hypothesis(h.title, " ".join([h.statement, *(s.claim for s in h.chain)])) or q.title_restates_goal(h.title, goal)
    out += q.distinct_predictions(h.predictions)
    out += q.distinct_items("chain", [s.claim for s in h.chain])
    out += q.steps_restate(h.statement, [s.claim for s in h.chain])
    out += q.chain_names_cause(goal, h.statement, [s.claim for s in h.chain])
    out += q.chain_names_drug(goal, [s.claim for s in h.chain])
    out += q.predictions_restate(h.statement, h.predictions)
    out += q.adds_to(h.statement, h.mechanism)
    for o in others:
        if o.id != h.id and q.same_claim(o.statement, h.statement):
            out.append(q.Failure(check="distinct", field="statement", detail=f"says the same as the existing hypothesis {o.title!r}"))
            break
        if o.id != h.id and q.same_chain([s.claim for s in h.chain], [s.claim for s in o.chain]):
            out.append(q.Failure(check="distinct", field="mechanism",
                                 detail=f"argues the chain of the existing hypothesis {o.title!r}; propose another mechanism"))
            break
    else:
        # Two proposals of the real goal's run (2026-11-29) shared one title over two statements.
        if twin := next((o for o in others if o.id != h.id and q.jaccard(o.title, h.title) >= q.TITLE_JACCARD), None):
            out.append(q.Failure(check="distinct", field="title",
                                 detail=f"is the title of the existing hypothesis {twin.title!r}; name what this one proposes"))
    claims = [s.claim for s in h.chain]
    out += q.on_goal(goal, f"{h.title}. {h.statement}", focus, embed=embed) or q.answers_other_question(goal, h.statement)
    out += q.ends_off_question(goal, claims)
    texts = record_texts(ev)
    cited = {k: texts[k] for k in h.citations if k in texts}
    grounding = grounding_sources(h, texts, goal)
    out += q.grounded(h.mechanism, grounding)
    # A drug said to act on another's target (records rarely state a drug's target, so the terms pass),
    # an antibody said to bind a gene, an inherited variant said to be raised or lowered, a dose no record gives.
    for name, text in (("title", h.title), ("statement", h.statement), *((f"chain[{i}]", s.claim) for i, s in enumerate(h.chain, start=1))):
        out += (q.known_targets(name, text) or q.antibody_binds_gene(name, text) or q.changes_genotype(name, text)
                or q.invented_amounts(name, text, grounding))
    for i, s in enumerate(h.chain, start=1):
        field, record = f"chain[{i}]", texts.get(s.key)
        out += (q.step_rests_on(field, s.claim, s.key, record, goal) or q.names_computed_subject(field, s.claim, s.key, record)
                or q.covariates_named(field, s.claim, s.key, record, goal) or q.levels_named(field, s.claim, s.key, record, goal)
                or q.processes_named(field, s.claim, s.key, record, goal))
    # A cause its own record found no effect of: the demo blamed MTHFR 677TT for non-response citing
    # the meta-analysis that found none.
    out += q.contradicts_record("statement", h.statement, cited, goal)
    for i, s in enumerate(h.chain, start=1):
        if s.key in texts and q.question_kinds(s.claim) & q.question_kinds(goal):
            out += q.contradicts_record(f"chain[{i}]", s.claim, {s.key: texts[s.key]}, goal)
    out += q.steps_agree(goal, h.statement, claims) or q.steps_contradict(goal, h.statement, claims)
    out += q.steps_reverse(claims)
    # A direction its record does not report: the quality_target run's step gave the MTHFR 677T
    # allele poorer response, citing the study that found it gave more remission.
    for i, s in enumerate(h.chain, start=1):
        if s.key in texts:
            out += q.misreports_record(f"chain[{i}]", s.claim, {s.key: texts[s.key]}, goal)
    out += q.misreports_record("statement", h.statement, cited, goal)
    # A variant moved to another gene ("TPMT A1298C": an MTHFR variant in the records).
    owners = q.variant_owners(texts.values())
    for name, text in (("title", h.title), ("statement", h.statement), *((f"chain[{i}]", s.claim) for i, s in enumerate(h.chain, start=1)),
                       *((f"predictions[{i}]", p) for i, p in enumerate(h.predictions, start=1))):
        out += (q.variants_belong(name, text, texts, owners=owners) or q.examples_belong(name, text)
                or (q.stray_variants(name, text, f"{goal} {h.title}. {h.statement}", owners) if name not in ("title", "statement") else []))
    # Any record of the run, cited or not: the demo's statement copied a retrieved record it never cited.
    sources = {f"record {k}": texts[k] for k in texts}
    sources["the prompt's example"] = prompts.source("example")
    titles = {k: e.title for k, e in ev.items()}
    out += q.not_copied("statement", h.statement, sources) or q.restates_title("statement", h.statement, titles)
    out += q.not_copied("mechanism", h.mechanism, sources)
    # A step that is its record's title is no step: bench goal 5 at d514c3e (2026-12-01) passed every
    # check with the chain "Dose optimization trial of infliximab in RA patients -> ...".
    for i, s in enumerate(h.chain, start=1):
        out += q.restates_title(f"chain[{i}]", s.claim, titles)
    for i, p in enumerate(h.predictions, start=1):
        out += q.not_copied(f"predictions[{i}]", p, {"the prompt's example": prompts.source("example")}, limit=q.EXAMPLE_RUN)
    for i, p in enumerate(h.predictions, start=1):
        field = f"predictions[{i}]"
        out += (q.testable(field, p) or q.measures_genotype(field, p) or q.measures_another_drug(field, p, goal)
                or q.tests_its_cause(field, p, f"{h.title}. {h.statement}", goal) or q.direction_agrees(field, goal, h.statement, p, claims)
                or q.follows_chain(field, p, claims) or q.untreated_against_chain(field, p, claims))
    for name, text in (("title", h.title), ("statement", h.statement), ("mechanism", h.mechanism)):
        out += q.keys_in_text(name, text, texts)
    return out


def rekey(h: Hypothesis, texts: dict[str, str], goal: str) -> tuple[Hypothesis, bool]:
    """``h`` with each chain step citing the run record that names what it says
    (:func:`~hypoforge.agents.quality.record_naming`), and whether any step's key moved."""
    chain = [s.model_copy(update={"key": q.record_naming(s.claim, s.key, texts, goal)}) for s in h.chain]
    if all(a.key == b.key for a, b in zip(chain, h.chain)):
        return h, False
    return h.model_copy(update={"chain": chain, "citations": list(dict.fromkeys(s.key for s in chain))}), True


def fewest_failures(h: Hypothesis, failures: list[q.Failure], candidates: Sequence[Hypothesis],
                    recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """The candidate failing the fewest checks, when that is fewer than ``failures`` (a tie keeps the
    earlier); else ``h`` and ``failures``."""
    best = (h, failures)
    for candidate in candidates:
        if len(still := recheck(candidate)) < len(best[1]):
            best = (candidate, still)
    return best


def restated(h: Hypothesis, failures: list[q.Failure],
              recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` with its statement restated without a call, when it fails ``specific`` and a restatement
    fails fewer checks (the fewest of them; a tie keeps the earlier); else ``h`` and ``failures``:

    * a directed association stated as the cause its chain argues, when a chain step is causal
      (:func:`~hypoforge.agents.quality.as_cause`: "X is associated with reduced methotrexate
      efficacy" -> "X reduces methotrexate efficacy"): seven of the ten top-3 statements of the
      5-goal bench (2026-11-30) still stated an association after the revisions had named it;
    * the first of several sentences (:func:`~hypoforge.agents.quality.one_claim`), which was the
      hypothesis where the second added a cause, a hedge or a study's finding, unless the chain
      names what only the later sentences name (it argues them); and that first sentence stated as
      its cause;
    * a study's reported finding as the hypothesis's own claim, without the report's frame
      (:func:`~hypoforge.agents.quality.unreported`: "A study found that X is associated with
      reduced efficacy" -> "X is associated with reduced efficacy"), and that stated as its cause:
      two of the four top-3 statements of bench goal 1 at e82acc5 (2026-12-01) reported a study.
    """
    if not any(f.check == "specific" and f.field == "statement" for f in failures):
        return h, failures
    parts = q.sentences(h.statement)
    first = parts[0] if len(parts) > 1 else None
    # Not when the chain argues what only a later sentence names: the quality_target run (2026-11-30)
    # stated an MTHFR cause and then "Smoking also plays a role ...", over a chain about smoking.
    if first and set(q.named_entities(" ".join(parts[1:]))) - set(q.named_entities(first)) & set(
            q.named_entities(" ".join(s.claim for s in h.chain))):
        first = None
    causal = not all(q.causal_step("", s.claim) for s in h.chain)
    own = q.unreported(first or h.statement)
    options = [x for x in (q.as_cause(h.statement) if causal else None, first,
                           q.as_cause(first) if first and causal else None,
                           own, q.as_cause(own) if own and causal else None) if x]
    return fewest_failures(h, failures, [h.model_copy(update={"statement": x}) for x in options], recheck)


def turned(h: Hypothesis, failures: list[q.Failure],
           recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` with each prediction that points against its statement or its chain
    (:data:`~hypoforge.agents.quality.WRONG_WAY`) turned the other way, without a call, when fewer
    checks then fail; else ``h`` and ``failures``.

    The direction is the one part of a prediction the hypothesis decides: the readout and the groups
    are the model's, and which way the readout moves follows from what the statement or the chain
    says the cause does. Six of the 74 distinct predictions of the stored runs (sixteenth to
    eighteenth sessions) pointed the wrong way and kept it through both revisions, among them
    "Methotrexate response rate is higher in patients with the C677T polymorphism" under a statement
    that the polymorphism reduces efficacy (bench goal 1 at d514c3e, 2026-12-01)."""
    which = {i for f in failures if f.check == "testable" and f.detail.startswith(q.WRONG_WAY)
             for name, i in [field_index(f.field)] if name == "predictions" and i is not None}
    predictions = [(q.turned(p) or p) if i in which else p for i, p in enumerate(h.predictions, start=1)]
    if predictions == h.predictions:
        return h, failures
    return fewest_failures(h, failures, [h.model_copy(update={"predictions": predictions})], recheck)


def retitled(h: Hypothesis, failures: list[q.Failure],
             recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` with a title naming what its statement proposes, without a call, when the title names
    symbols its statement and chain never mention and fewer checks then fail
    (:func:`~hypoforge.agents.quality.retitle`); else ``h`` and ``failures``.

    The demo titled its RFC1 G80A proposal "MTHFR C677T Polymorphism and Methotrexate Response in
    Rheumatoid Arthritis" in five sessions running, the last at 556b4f8 (2026-12-02) after both
    revisions had named the failure: the title is the one field the chain does not argue, and its
    symbols are the statement's to give."""
    if not any(f.check == "specific" and f.field == "title" for f in failures):
        return h, failures
    foreign = q.foreign_title_terms(h.title, " ".join([h.statement, *(s.claim for s in h.chain)]))
    title = q.retitle(h.title, h.statement, foreign) if foreign else None
    if title is None:
        return h, failures
    return fewest_failures(h, failures, [h.model_copy(update={"title": title})], recheck)


HIDDEN = "(to rewrite)"


def draft_text(h: Hypothesis, hide: Sequence[str] = (), fields: Sequence[str] = ()) -> str:
    """The draft as the revision prompt shows it, with the fields in ``hide`` replaced by
    :data:`HIDDEN`. A small model shown its failing text writes it again: Qwen, shown a statement
    that copied its record, copied it again three times in three; with the statement hidden, it
    wrote a new one three times (2026-11-29, seeds 7-9). ``fields`` are the draft schema's fields."""
    roles = [f for f in fields if f in STEP_ROLES]
    preds = [f for f in fields if f.startswith("prediction")]
    return h.model_copy(update={
        "title": HIDDEN if "title" in hide else h.title,
        "statement": HIDDEN if "statement" in hide else h.statement,
        "chain": [s.model_copy(update={"claim": HIDDEN}) if i < len(roles) and roles[i] in hide else s for i, s in enumerate(h.chain)],
        "predictions": [HIDDEN if i < len(preds) and preds[i] in hide else p for i, p in enumerate(h.predictions)],
    }).brief()


def field_index(field: str) -> tuple[str, int | None]:
    """A failure's field as its name and 1-based index: "predictions[2].readout" -> ("predictions", 2),
    "mechanism" -> ("mechanism", None)."""
    name, _, index = field.partition("[")
    return name, int(index.split("]")[0]) if index else None


def revision_text(f: q.Failure, steps: Sequence[str] = ()) -> str:
    """A failure as the revision prompt names it: as stored, except that a copy and a repeated chain
    step are not quoted (the quote was written back). A repeated step is told instead what its role
    in the chain (``steps``, the profile's step names) asks for."""
    name, i = field_index(f.field)
    if f.check == "distinct" and name == "chain" and i is not None:
        role = steps[i - 1] if 0 < i <= len(steps) else None
        ask = f"; as the {role} step it must give {STEP_ROLES[role]}" if role else "; give a new step"
        what = "the statement" if f.detail.startswith("restates the statement") else "another step"
        return f"distinct ({f.field}): says what {what} says{ask}"
    if f.check == "not_copied":
        return f"not_copied ({f.field}): copied the words of {f.source or 'a record'}; write it anew from your own chain, not from the record"
    return str(f)


#: At most this many revisions per draft; the second only when the first changed what fails.
REVISIONS = 2

#: Checks whose failure means the idea itself is wrong (off the goal, a twin of another): rewrite it
#: all. A chain step ending on the other question (:func:`~hypoforge.agents.quality.ends_off_question`)
#: is that step's failure only, and a chain never naming the goal's drug
#: (:func:`~hypoforge.agents.quality.chain_names_drug`) the chain's.
WHOLE_DRAFT_CHECKS = frozenset({"on_goal"})


def fields_to_rewrite(failures: Sequence[q.Failure], fields: Sequence[str]) -> tuple[str, ...]:
    """The draft fields a revision rewrites: those the failures name, in schema order; all of them
    when the idea itself failed (off the goal, or saying what another hypothesis says).

    ``chain[i]`` is the i-th step's slot, ``mechanism`` every step, ``predictions[i]`` (or one of
    its parts) the i-th prediction.
    """
    roles = [f for f in fields if f in STEP_ROLES]
    preds = [f for f in fields if f.startswith("prediction")]
    wanted: set[str] = set()
    for f in failures:
        name, n = field_index(f.field)
        i = n - 1 if n is not None else None
        if (f.check in WHOLE_DRAFT_CHECKS and name not in ("chain", "mechanism")) or (f.check == "distinct" and name == "statement"):
            return tuple(fields)
        if name in ("title", "statement"):
            wanted.add(name)
        elif name in ("mechanism", "chain"):
            wanted.update(roles if i is None or i >= len(roles) else [roles[i]])
        elif name == "predictions":
            wanted.update(preds if i is None or i >= len(preds) else [preds[i]])
        else:
            return tuple(fields)
    return tuple(f for f in fields if f in wanted)


#: Prediction failures a prediction derived from its link can fix: one repeating another or
#: restating the statement, no measurable readout or no groups compared, cut off, copied.
DERIVED_CHECKS = frozenset({"distinct", "testable", "complete", "not_copied"})


def failing_predictions(failures: Sequence[q.Failure], n: int) -> list[int]:
    """The 1-based predictions (of ``n``) that a failure of :data:`DERIVED_CHECKS` names."""
    out: set[int] = set()
    for f in failures:
        name, i = field_index(f.field)
        if name == "predictions" and i is not None and f.check in DERIVED_CHECKS and 1 <= i <= n:
            out.add(i)
    return sorted(out)


def derive_predictions(tally: Tally, state: State, draft: Any, failures: Sequence[q.Failure], *, goal: str,
                       profile: Profile, keys: Sequence[str] = ()) -> Any | None:
    """The draft with each failing prediction written again from its own link of the chain, or None
    when no prediction fails or the draft names no groups to compare (:func:`quality.cause_group`,
    else the carriers of the one variant its statement names, :func:`quality.variant_group`).

    Prediction *i* tests the link from step *i* to step *i+1*, so the call shows step *i+1* alone
    and asks what to measure to see it happen; the comparison ("in patients with <cause> than in
    those without", "in obese patients than in non-obese patients") is written here, from the
    draft's own groups. Shown the whole draft, Qwen copied
    its other prediction back (three of three revisions on bench goals 1-3, 2026-11-30); shown the
    step alone, its readout came from that step (plasma methotrexate, then methotrexate response).
    """
    preds = draft_predictions(draft)
    # A prediction is derived only from a step that passes: from a step copied from the prompt's
    # example, Qwen derived "Egg production is lower in carriers of C677T" (bench goal 2,
    # 2026-11-30), which would outlive the revision that rewrites the step.
    if any(f.field == "mechanism" and f.check in ("grounded", "not_copied") for f in failures):
        return None
    unsound = {f.field for f in failures if f.field.startswith("chain[")}
    which = [i for i in failing_predictions(failures, len(preds)) if f"chain[{i + 1}]" not in unsound]
    if not which:
        return None
    # The group is usually in the comparison; Qwen sometimes put it in the readout instead
    # ("Methotrexate response rate in patients with GGH polymorphism", bench goal 1).
    pair = next((c for p in preds for text in (p.comparison, p.readout) if (c := q.cause_group(str(text), goal))), None)
    # A draft that compared no one ("in patients with RA") still names its variant in the statement.
    pair = pair or q.variant_group(str(draft.statement)) or q.gene_group(str(draft.statement))
    if pair is None:
        return None
    group, others = pair
    comparison = f"in {group} than in {others}"
    if len(comparison) > profile.cap(profile.comparison_words):
        return None
    steps = draft_steps(draft)
    names = [f for f in type(draft).model_fields if f.startswith("prediction")]
    schema = prediction_readout(profile.name)
    update = {}
    for i in which:  # prediction i of n tests step i + 1 of n + 1
        out = tally.ask(state, prompts.render("predict", target=steps[i].claim, result=None, group=group, others=others, profile=profile),
                        schema, keys=None, max_tokens=160)
        # Step i + 1 starts from what step i leads to, which the prediction before may measure already:
        # Qwen measured "Thiopurine levels" for "Increased thiopurine levels can cause side effects such
        # as severe myelosuppression" as for the step before (bench goal 3, 2026-11-30). Shown only
        # what the step leads to, it measured "platelet count".
        taken = [str(getattr(update.get(n), "readout", None) or getattr(draft, n).readout) for n in names if n != names[i - 1]]
        if q.repeated_readout(str(out.readout), taken) and (result := q.step_result(steps[i].claim)):
            out = tally.ask(state, prompts.render("predict", target=steps[i].claim, result=result, group=group, others=others,
                                                  profile=profile), schema, keys=None, max_tokens=160)
        update[names[i - 1]] = type(preds[i - 1]).model_validate({**out.model_dump(), "comparison": comparison})
    return draft.model_copy(update=update)


#: Step failures a step written again from the step before can fix: one repeating another step or
#: restating the statement, and one that is no causal step (groups compared, an association). A
#: last step ending on the other question (``on_goal``) is written again too.
STEP_CHECKS = frozenset({"distinct", "specific"})


def failing_steps(failures: Sequence[q.Failure], n: int) -> list[int]:
    """The 1-based chain steps after the first (of ``n``) that repeat another step, restate the
    statement or are no causal step (:data:`STEP_CHECKS`); the last step when it ends on another
    question than the goal's, or when only the mechanism as a whole restates the statement.

    A step is written again only from a step before it that fails nothing but ``distinct`` (it may
    say the statement again: that is a sound place to go on from) or is itself written again: a
    step goes on from what the step before says, errors included. Shown an unsound step ("The MTHFR
    C677T polymorphism changes first in the body by altering the methionine synthase gene"), Qwen
    carried its wrong biology into the next two steps (bench goal 1, 2026-11-30).
    """
    out: set[int] = set()
    whole = False
    unsound: set[int] = set()
    for f in failures:
        name, i = field_index(f.field)
        if name == "chain" and i is not None and f.check != "distinct":
            unsound.add(i)
        if name == "chain" and i is not None and 2 <= i <= n and (f.check in STEP_CHECKS or (f.check == "on_goal" and i == n)):
            out.add(i)
        whole = whole or (name == "mechanism" and f.check == "distinct")
    keep: list[int] = []
    for i in sorted(out) or ([n] if whole and n > 1 else []):
        if i - 1 not in unsound or i - 1 in keep:
            keep.append(i)
    return keep


def derive_steps(tally: Tally, state: State, draft: Any, failures: Sequence[q.Failure], *, goal: str, profile: Profile,
                 keys: Sequence[str]) -> Any | None:
    """The draft with each chain step that repeats another, restates the statement or is no causal
    step written again from the step before it, or None when no such step fails (:func:`failing_steps`).

    The call shows only the step before and asks what it leads to next: the last step, to the
    outcome the goal asks about. Qwen's commonest failure was a last step that said the statement
    again ("Methotrexate efficacy is lower in patients with the C677T polymorphism"); shown the step
    before alone, it wrote "Lower plasma levels of MTX lead to reduced efficacy of methotrexate",
    three rewrites of three no longer restating (bench goals 1-3, 2026-11-30). The first step is
    the cause the draft proposes and is left to the revision.
    """
    roles = [f for f in type(draft).model_fields if f in STEP_ROLES]
    which = failing_steps(failures, len(roles))
    if not which:
        return None
    steps = list(draft_steps(draft))
    for i in which:
        last = i == len(roles)
        nxt = (f"what this change leads to in the outcome the research goal asks about ({goal})" if last
               else f"what this change leads to next in the body ({STEP_ROLES[roles[i - 1]]})")
        out = tally.ask(state, prompts.render("next_step", previous=steps[i - 2].claim, next=nxt,
                                              moves="the outcome" if last else "it", profile=profile),
                        type(steps[i - 1]), keys=keys, max_tokens=160)
        steps[i - 1] = out
    return draft.model_copy(update={roles[i - 1]: steps[i - 1] for i in which})


_REPEATS_STEP = re.compile(r"^repeats chain\[\d+\]")
_REPEATS_PREDICTION = re.compile(r"^measures what predictions\[\d+\]")


def _unsound_steps(failures: Sequence[q.Failure]) -> set[int]:
    """The 1-based chain steps that fail ``specific`` (no causal step)."""
    return {i for f in failures for name, i in [field_index(f.field)] if f.check == "specific" and name == "chain" and i is not None}


def _step_cuts(h: Hypothesis, failures: Sequence[q.Failure]) -> list[Hypothesis]:
    """``h`` without each chain step that :func:`shortened` may drop, one candidate per step."""
    if len(h.chain) < 3:
        return []
    later_unsound = _unsound_steps(failures) - {1}
    drop: set[int] = set()
    for f in failures:
        name, i = field_index(f.field)
        if name != "chain" or i is None:
            continue
        if f.check == "distinct" and (_REPEATS_STEP.match(f.detail) or (i == 1 and f.detail.startswith("restates the statement"))):
            drop.add(i)
        # A first step that only states an association, over steps that each say what changes: the
        # chain starts from the cause the next step names. Bench goal 3 (2026-12-02) kept "TPMT and
        # NUDT15 genotypes influence thiopurine metabolism" above "Reduced TPMT activity leads to
        # increased thiopurine levels" and "Increased thiopurine levels can cause ... myelosuppression".
        if f.check == "specific" and i == 1 and f.detail.startswith("states an association") and not later_unsound:
            drop.add(i)
    # A last step that alone is unsound, after steps that each say what changes: the chain already
    # reaches its outcome. Bench goal 4 at 924a293 (2026-12-02) ended "the shared epitope raises
    # citrullinated epitope recognition" -> "which raises ACPA formation" on "ACPAs are more
    # frequent in patients with HLA-DRB1 shared epitope compared to those without", its record's finding.
    if _unsound_steps(failures) == {len(h.chain)}:
        drop.add(len(h.chain))
    out = []
    for i in sorted(drop):
        rest = [s for n, s in enumerate(h.chain, start=1) if n != i]
        out.append(h.model_copy(update={"chain": rest, "mechanism": mechanism_text(rest),
                                        "citations": list(dict.fromkeys(s.key for s in rest))}))
    return out


def _prediction_cuts(h: Hypothesis, failures: Sequence[q.Failure]) -> list[Hypothesis]:
    """``h`` without the predictions that measure what an earlier one measures, and ``h`` with only
    the predictions that fail nothing; each when a prediction stays."""
    failing = {i for f in failures for name, i in [field_index(f.field)] if name == "predictions" and i is not None}
    repeats = {i for f in failures for name, i in [field_index(f.field)]
               if f.check == "distinct" and name == "predictions" and i is not None and _REPEATS_PREDICTION.match(f.detail)}
    # A hypothesis-wide prediction failure ("predictions", no index) leaves no prediction known sound.
    unsound = failing if not any(f.field == "predictions" for f in failures) else set()
    out = []
    for drop in dict.fromkeys(frozenset(x) for x in (repeats, unsound) if x):
        if len(drop) < len(h.predictions):
            out.append(h.model_copy(update={"predictions": [p for n, p in enumerate(h.predictions, start=1) if n not in drop]}))
    return out


def shortened(h: Hypothesis, failures: list[q.Failure],
              recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` without what the revisions left repeated or unsound, when fewer checks then fail (the
    fewest; a tie keeps the earlier); else ``h`` and ``failures``. No call: the revisions have had
    their turn. A chain keeps at least two steps, and a hypothesis at least one prediction.

    * A cause step that still says the statement again: the statement already says it. The
      quality_target run (2026-11-30) failed on this step, after both revisions had kept it.
    * A step that repeats another (the later of the two goes): bench goals 4 and 5 (2026-11-30,
      fifteenth session) ended chains on "Lower ACPA levels correlate with ..." twice and "ACPA
      antibodies can bind to TNF receptors ..." twice, after the step had been written again.
    * A first step that only states an association, when every later step says what changes; and
      a last step that is no causal step (it compares groups, defines, states an association),
      when every earlier step says what changes.
    * A prediction measuring what an earlier one measures: one test, not two. Bench goal 2
      (2026-12-02) predicted higher procollagen III on high doses twice, after both revisions; its
      proposal failed nothing else.
    * Each prediction still failing a check, beside one that fails nothing: a test that measures
      nothing, or something that cannot change, is struck rather than reported (none when the
      predictions fail as a whole). The demo at 556b4f8 (2026-12-02) kept "MTHFR genotype
      frequency in G80A variant and non-G80A variant groups is lower ..." beside a sound response
      prediction, after both revisions.
    """
    h, failures = fewest_failures(h, failures, _step_cuts(h, failures), recheck)
    return fewest_failures(h, failures, _prediction_cuts(h, failures), recheck)


def stated(tally: Tally, state: State, h: Hypothesis, failures: list[q.Failure], *, goal: str, profile: Profile,
           recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` with its statement (and title) written again from its chain, when the statement fails
    ``specific`` while every step says what changes; else ``h`` and ``failures``.

    The candidates: the chain's own claim (:func:`~hypoforge.agents.quality.chain_claim`: its first
    cause "leads to" its last result), and the statement one call writes when shown the steps alone
    and asked what the first step's cause does to the goal's outcome (and it stated as its cause,
    :func:`~hypoforge.agents.quality.as_cause`); each under the old title and under the title the
    call writes with it. The one failing fewest checks is kept when that is fewer than ``h`` fails;
    the call is not made when the chain's own claim under the old title leaves the statement and the
    title failing nothing.
    A sound chain under a statement that only says "X may influence Y" was the commonest way a
    proposal failed at the end: bench goal 3 (2026-12-02) argued reduced TPMT activity -> more
    thiopurine -> myelosuppression under "TPMT or NUDT15 gene variants can affect the metabolism of
    thiopurines", after both revisions had named the statement's failure. Shown the chain, Qwen
    wrote "Reduced TPMT activity leads to increased thiopurine levels in the blood, which can cause
    severe myelosuppression.", the two steps again, which the mechanism then only restates.
    """
    if len(h.chain) < 2 or not any(f.check == "specific" and f.field == "statement" for f in failures):
        return h, failures
    if _unsound_steps(failures):
        return h, failures
    steps = [s.claim for s in h.chain]
    claim = q.chain_claim(steps)
    # The chain's own claim under the old title needs no call when it leaves the statement and the
    # title failing nothing.
    if claim:
        own, still = fewest_failures(h, failures, [h.model_copy(update={"statement": claim})], recheck)
        if own is not h and not any(f.field in ("statement", "title") for f in still):
            return own, still
    out = tally.ask(state, prompts.render("state", goal=goal, steps=steps, profile=profile),
                    hypothesis_fix(profile.name, ("statement", "title")), keys=None, max_tokens=200)
    cap = profile.cap(profile.statement_words)
    text = q.closed(q.whole_sentences(str(out.statement), cap), cap)
    title = q.whole_phrase(str(out.title), profile.cap(profile.title_words))
    statements = [x for x in dict.fromkeys((claim, text, q.as_cause(text))) if x]
    return fewest_failures(h, failures, [h.model_copy(update={"statement": x, **t}) for x in statements
                                         for t in ({}, {"title": title})], recheck)


def settled(tally: Tally, state: State, h: Hypothesis, failures: list[q.Failure], *, goal: str, profile: Profile,
            recheck: Callable[[Hypothesis], list[q.Failure]]) -> tuple[Hypothesis, list[q.Failure]]:
    """``h`` with its statement written from its chain (:func:`stated`) and then its title fitted to
    that statement (:func:`retitled`): the call that writes the statement writes a title too, and it
    may name what the statement no longer says. The demo at 102129c (2026-12-02) ended on "MTHFR
    polymorphisms and methotrexate response in rheumatoid arthritis" over "G80A and RFC1
    polymorphisms reduce methotrexate response in rheumatoid arthritis"."""
    h, failures = stated(tally, state, h, failures, goal=goal, profile=profile, recheck=recheck)
    return retitled(h, failures, recheck)


def regrouped(draft: Any, profile: Profile) -> Any:
    """The draft with each prediction's readout stripped of the direction it repeats
    (:func:`~hypoforge.agents.quality.bare_readout`) and its group moved from its readout to a
    comparison that names only the setting (:func:`~hypoforge.agents.quality.regroup`), where the
    comparison still fits its cap."""
    update = {}
    for name in (f for f in type(draft).model_fields if f.startswith("prediction")):
        p = getattr(draft, name)
        readout, comparison = q.regroup(str(p.readout), str(p.comparison))
        readout = q.bare_readout(readout, str(p.direction))
        if (readout, comparison) != (p.readout, p.comparison) and len(comparison) < profile.cap(profile.comparison_words) - 1:
            update[name] = type(p).model_validate({**p.model_dump(), "readout": readout, "comparison": comparison})
    return draft.model_copy(update=update) if update else draft


def write_hypothesis(tally: Tally, state: State, deps: Deps, user_prompt: str, *, keys: Sequence[str], id: str, origin: str,
                     round: int, others: Sequence[Hypothesis], parents: list[str] | None = None,
                     focus: set[str] | None = None) -> Hypothesis:
    """Draft, check, and revise if a check fails (see :data:`REVISIONS`); the result carries ``revised`` and ``flags``."""
    profile = profile_for(deps)
    schema = hypothesis_draft(profile.name)
    ev = evidence(state)
    goal = state["goal"]
    focus = focus if focus is not None else q.focus_terms(goal)
    embed = semantic_embed(deps)

    texts = record_texts(ev)

    def checked(h: Hypothesis) -> list[q.Failure]:
        return check(h, goal=goal, ev=ev, others=others, profile=profile, focus=focus, embed=embed)

    def make(draft: Any) -> tuple[Hypothesis, list[q.Failure], bool]:
        h = Hypothesis.from_draft(regrouped(draft, profile), id=id, origin=origin, round=round, parents=parents)
        # A statement whose second sentence ran to the cap keeps its whole first sentence; one the
        # model ended on a whole word without a stop gets its stop; a title or a chain step that ran
        # to its cap keeps its whole leading phrase (the demo of 2026-11-30 ended a revised chain on
        # "... associated with more frequent remission, and the 1298C allele shows a sim").
        cap = profile.cap(profile.statement_words)
        step_cap = profile.cap(profile.step_words)
        chain = [s.model_copy(update={"claim": q.whole_phrase(s.claim, step_cap)}) for s in h.chain]
        h = h.model_copy(update={"statement": q.closed(q.whole_sentences(h.statement, cap), cap),
                                 "title": q.whole_phrase(h.title, profile.cap(profile.title_words)),
                                 "chain": chain, "mechanism": mechanism_text(chain)})
        h, moved = rekey(h, texts, goal)
        return (*retitled(*turned(*restated(h, checked(h), checked), checked), checked), moved)

    draft = tally.ask(state, user_prompt, schema, keys=keys, max_tokens=480)
    h, failures, moved = make(draft)
    # Another sample of the same prompt while the draft fails a check; the one failing fewest is
    # revised (a tie keeps the earlier). Revisions fix named failures; a draft with fewer of them
    # leaves less to fix (see docs/quality.md, "Drafts").
    for sample in range(1, deps.settings.loop.drafts):
        if not failures:
            break
        other = tally.ask(state, user_prompt, schema, keys=keys, max_tokens=480, sample=sample)
        h2, failures2, moved2 = make(other)
        if len(failures2) < len(failures):
            draft, h, failures, moved = other, h2, failures2, moved2
    # A draft whose steps cited the wrong records failed "grounded" as written, even once rekeyed.
    first = sorted({f.check for f in failures} | ({"grounded"} if moved else set()))
    # A repeated step and a failing prediction are first written again from their own link of the
    # chain (the step before; the step tested), each kept only if fewer checks fail; the revisions
    # then see what still fails.
    for derive in (derive_steps, derive_predictions):
        if (derived := derive(tally, state, draft, failures, goal=goal, profile=profile, keys=keys)) is not None:
            deps.emit("revision", id=id, failures=[str(f) for f in failures])
            revised, still, _ = make(derived)
            if len(still) < len(failures):
                draft, h, failures = derived, revised, still
    tried: set[tuple[str, str]] = set()
    for _ in range(REVISIONS):
        # A revision is asked for again only when the last one changed what fails (fixed one
        # thing and broke or left another): the same failure named twice is rarely fixed.
        what = {(f.check, f.field) for f in failures}
        if not failures or what <= tried:
            break
        tried |= what
        deps.emit("revision", id=id, failures=[str(f) for f in failures])
        fields = fields_to_rewrite(failures, list(schema.model_fields))
        partial = len(fields) < len(schema.model_fields)
        fix = tally.ask(
            state,
            prompts.render("revise", goal=goal, failures=[revision_text(f, profile.steps) for f in failures],
                           draft=draft_text(h, hide=fields if partial else (), fields=list(schema.model_fields)),
                           form=form(profile, example=False), fields=list(fields) if partial else []),
            hypothesis_fix(profile.name, fields) if partial else schema, keys=keys, max_tokens=480,
        )
        candidate = draft.model_copy(update={f: getattr(fix, f) for f in fields}) if partial else fix
        revised, still, _ = make(candidate)
        if len(still) <= len(failures):
            draft, h, failures = candidate, revised, still
    shorter, still = shortened(h, failures, checked)
    if shorter is not h:
        deps.emit("revision", id=id, failures=[str(f) for f in failures])
        h, failures = shorter, still
    h, failures = settled(tally, state, h, failures, goal=goal, profile=profile, recheck=checked)
    if first:
        h = h.model_copy(update={"revised": first})
    return h.model_copy(update={"flags": [str(f) for f in failures]})
