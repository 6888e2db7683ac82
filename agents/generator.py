"""The generator: retrieve literature, read every passage, then propose hypotheses that cite it.

Evidence first (as PaperQA2 does with per-chunk summaries): one call writes exactly one reading per
retrieved passage, in order (the grammar fixes the count: fields ``p1``..``pN``), and labels it
``relevant`` or ``background``; a record naming the goal's drug, a candidate cause and the goal's
question is relevant whatever the label (:func:`bears_on`). Only relevant passages that share a key term with the goal may
anchor a hypothesis; with fewer of them than hypotheses requested, fewer are written and the
report says why.

Each hypothesis starts from a different anchor. Where another relevant record shares a biomedical
entity with the anchor, it is offered as a bridge (Swanson's ABC model of literature-based
discovery): a causal chain resting one step on each record links two papers that do not make the
link themselves, and the report names that step. Drafts go through
:func:`hypoforge.agents.drafting.write_hypothesis` (check, revise). Citation keys are
constrained to the retrieved records, so an unretrieved citation cannot be generated.
"""

from __future__ import annotations

import re

import numpy as np
from langgraph.runtime import Runtime

from hypoforge import prompts
from hypoforge.agents import quality as q
from hypoforge.agents.calls import Tally, new_id
from hypoforge.agents.deps import Deps
from hypoforge.agents.drafting import form, profile_for, semantic_embed, write_hypothesis
from hypoforge.agents.models import Evidence, Hypothesis, readings_schema
from hypoforge.agents.state import State, dump, hypotheses, plan
from hypoforge.agents.tooluse import request_and_run
from hypoforge.knowledge.records import Passage, Retriever

PASSAGE_CHARS = 700
ANCHOR_CHARS = 450  # passage text shown with an anchor or bridge record in the generation prompt
#: A record longer than this (a local document, not an abstract) is excerpted from its retrieved chunk only.
WHOLE_RECORD_CHARS = 4000

# An abstract's section label ("OBJECTIVE:", "PATIENTS & METHODS:") where a sentence starts.
_SECTION = re.compile(r"(?:^|(?<=[.!?])\s+)([A-Z][A-Z&/ ]{2,40}):\s+")
#: A publisher's or registry's notice, not a finding: "Copyright (c) 2013 Asia Pacific League ...",
#: "Current Controlled Trials ISRCTN2486111." (a registration only when the sentence is short).
_BOILERPLATE = re.compile(r"^\s*(?:Copyright\b|\(c\)|©)|\bAll rights reserved\b|©", re.IGNORECASE)
_REGISTRATION = re.compile(r"\b(?:ISRCTN\d+|NCT\d{8}|ClinicalTrials\.gov|Current Controlled Trials|Trial registration)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
#: Sections that report what a study found, whose sentences an excerpt prefers to its aims and methods.
FINDINGS = frozenset({"RESULTS", "RESULT", "FINDINGS", "CONCLUSION", "CONCLUSIONS", "INTERPRETATION"})
METHODS = frozenset({"METHODS", "METHOD", "PATIENTS AND METHODS", "PATIENTS & METHODS", "MATERIALS AND METHODS", "DESIGN", "SETTING"})


def _notice(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence) or (_REGISTRATION.search(sentence) and len(sentence.split()) < 12))


# What a sentence of an abstract without section labels does: reports a finding or a conclusion, or
# gives the aim and the methods (a third of the ACR RA abstracts over 700 characters have no labels).
_FINDING_CUE = re.compile(r"\b(?:suggest\w*|conclu\w*|indicat\w*|show(?:s|ed|n)?|found|associat\w*|correlat\w*|predict\w*|might|may)\b"
                          r"|\bP\s*[<=>]", re.IGNORECASE)
_METHOD_CUE = re.compile(r"\b(?:aims?|objectives?|purpose|involved|enrolled|recruited|randomi[sz]ed|received"
                         r"|were (?:classified|tested|treated|included|assigned|studied|followed))\b", re.IGNORECASE)
#: A sentence's gene, allele and marker symbols count up to this many: a methods sentence listing
#: drug abbreviations ("infliximab [IFX], etanercept [ETN], adalimumab [ADA]") is no finding.
FACTORS_COUNTED = 2


def sentence_role(section: str, sentence: str) -> float:
    """How much a sentence reports rather than describes: by its section label (results and
    conclusions up, aims and methods down), or, without labels, by its words."""
    if section:
        return 3.0 * (section in FINDINGS) - 2.0 * (section in METHODS)
    return 2.0 * bool(_FINDING_CUE.search(sentence)) - 2.0 * bool(_METHOD_CUE.search(sentence))


def record_excerpt(text: str, query: str, limit: int = PASSAGE_CHARS) -> str:
    """What a record says that bears on ``query``, within ``limit`` characters: its whole sentences,
    in their order, without section labels.

    A record that fits is kept whole. Otherwise sentences are chosen by what they report: those of
    its results and conclusions first, then those naming genes, alleles or markers and sharing the
    query's words; aims and methods last (:func:`sentence_role`; in an abstract without section
    labels, by its words: "suggest", "associated", "P<"... against "aim", "enrolled", "received").
    The unlabelled antidrug-antibody study (PMID:25733803) had been excerpted to its methods
    sentence, which names three drug abbreviations, and never to its finding on IgG4 antibodies.
    The retrieved chunk of the folate-pathway study (PMID:18322994) was its objective and methods,
    so the generator never saw the genes it found (SLC19A1, MTR, TYMS) and wrote "polymorphisms in
    the folate pathway"; step checks then judged chains against that first chunk only.
    """
    tagged: list[tuple[str, str]] = []  # (section, sentence)
    section = ""
    pieces = _SECTION.split(" ".join(text.split()))
    # split with one group: [before, label, body, label, body, ...]
    chunks = [("", pieces[0])] + [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)]
    for label, body in chunks:
        section = label.strip() or section
        tagged += [(section, s.strip()) for s in _SENTENCE.split(body) if s.strip() and not _notice(s)]
    whole = " ".join(s for _, s in tagged)
    if len(whole) <= limit:
        return whole
    want = q.content_terms(query)

    def score(item: tuple[int, tuple[str, str]]) -> tuple[float, int]:
        i, (sec, s) = item
        value = sentence_role(sec, s) + min(len(q.factors(s)), FACTORS_COUNTED) + 0.5 * len(q.content_terms(s) & want)
        return (-value, i)

    ranked = sorted(enumerate(tagged), key=score)
    chosen: set[int] = set()
    used = 0
    for i, (_, s) in ranked:
        if used + len(s) + 1 <= limit:
            chosen.add(i)
            used += len(s) + 1
    if not chosen:  # the best sentence alone is longer than the limit: its first whole clauses
        return q.trim_to_boundary(ranked[0][1][1], limit)
    return " ".join(s for i, (_, s) in enumerate(tagged) if i in chosen)


#: At most this many records beyond the index's k that bear on the goal, from further down the cause query's results.
CAUSE_EXTRA = 2

#: Words that turn a goal's entities into a query for studies of causes, per question it asks.
CAUSE_WORDS = {"response": "response predictors polymorphism mechanism", "toxicity": "toxicity risk polymorphism mechanism"}
#: A cause of a response lost over time that biologic drugs have and small molecules do not:
#: antibodies against the drug (the Immunogenicity sections of the biologics' US prescribing information).
BIOLOGIC_CAUSE_WORDS = "antidrug antibodies immunogenicity"
# A response that was there and went: secondary failure, not the primary kind a predictor explains.
_LOST_RESPONSE = re.compile(r"\b(?:los[et]s?|losing|loss|wan(?:e|es|ing)|escape|secondary (?:non-?response|failure))\b", re.IGNORECASE)
_BIOLOGICS = re.compile(r"\bbiologics?\b", re.IGNORECASE)
# The drug-target table's classes of biologics (:func:`~hypoforge.knowledge.drug_targets.classes_named`).
_BIOLOGIC_CLASSES = frozenset({"TNF inhibitors", "IL-6 inhibitors"})


def names_biologic(text: str) -> bool:
    """``text`` names a biologic: as "biologics", by class (TNF or IL-6 inhibitors) or by name (an
    antibody or a fusion protein among :func:`~hypoforge.agents.quality.drugs_named`)."""
    return bool(_BIOLOGICS.search(text)) or any(t.endswith(("mab", "cept")) or t in _BIOLOGIC_CLASSES for t in q.drugs_named(text))


def goal_entities(goal: str) -> list[str]:
    """The goal's entities as written (methotrexate; TPMT, NUDT15, azathioprine), without the
    setting (rheumatoid arthritis, patients) or the outcome asked about (response, injury)."""
    context, _ = q.setting_terms()
    return [raw for stem, raw in q.named_entities(goal).items() if stem not in context and not q.question_kinds(raw)]


def cause_query(goal: str) -> str:
    """A query for studies of what causes the goal's outcome, from its entities and its question.

    The goal as written ("Why do about a third of RA patients not respond to methotrexate?")
    matched surveys of prescribing habits and demographics in the bench index (starter pack and
    ACR abstracts); "methotrexate response predictors polymorphism mechanism" matched the
    pharmacogenetic studies of response (ATIC, folate pathway, RFC1, MTHFR), which the index held.

    A goal asking why a biologic's response is lost also asks for antibodies against the drug
    (:data:`BIOLOGIC_CAUSE_WORDS`): for "Why do some patients lose their response to TNF inhibitors
    over the first years of treatment?" the pharmacogenetic words alone matched genetic studies and
    switching cohorts, and the index's study of antidrug antibodies against TNF blockers (PMID:25733803)
    was in neither the goal's nor the cause query's first twelve; with these words it comes first.
    """
    kinds = sorted(q.question_kinds(goal))
    words = [*goal_entities(goal), *(CAUSE_WORDS[k] for k in kinds)]
    if "response" in kinds and names_biologic(goal) and _LOST_RESPONSE.search(goal):
        words.append(BIOLOGIC_CAUSE_WORDS)
    return " ".join(words or [goal]) + ("" if kinds else " mechanism")


def passage_text(retriever: Retriever, passage: Passage, query: str, limit: int = PASSAGE_CHARS) -> str:
    """What a retrieved record says about ``query`` (:func:`record_excerpt`): from the whole record
    when it is an abstract-sized one, else from the retrieved chunk."""
    record = retriever.get(passage.key)
    text = record.abstract if record is not None and 0 < len(record.abstract) <= WHOLE_RECORD_CHARS else passage.text
    return record_excerpt(text, query, limit)


def retrieve(state: State, deps: Deps) -> list[Evidence]:
    """Passages for the goal, a query for studies of its causes (:func:`cause_query`) and each of the
    plan's focus areas, one per record, taken in turn.

    Results are interleaved rank by rank (the goal's best, the cause query's best, the first focus
    area's best, ...), so studies of causes and the focus areas (specific mechanisms, genes, cells)
    reach the evidence even when the goal's own wording matches many general records. A focus area
    is searched with the goal's entities ("drug transport methotrexate"), not the whole goal, whose
    general words drowned it. Each record's passage is its excerpt for the queries
    (:func:`passage_text`), not the chunk that matched.

    Up to :data:`CAUSE_EXTRA` more records come from further down the cause query's results when
    they bear on the goal (:func:`bears_on`): on the demo goal the six interleaved records held one
    study reporting a cause of non-response, while the index held four more (ATIC, MTHFR, DHFR).
    """
    k = deps.settings.index.k
    p = plan(state)
    goal = state["goal"]
    entities = " ".join(goal_entities(goal)) or goal
    cause = cause_query(goal)
    queries = list(dict.fromkeys([goal, cause, *(f"{f} {entities}" for f in (p.focus if p else [])[:2])]))
    # The cause query is searched deeper, once: its first k interleave, the rest may add studies of a cause.
    deep = {query: per_record(deps.retriever, query, 3 * k if query == cause else k) for query in queries}
    results = [found[:k] for found in deep.values()]
    about = " ".join(queries)

    def as_evidence(passage: Passage) -> Evidence:
        return Evidence(key=passage.key, pmid=passage.pmid, title=passage.title, year=passage.year,
                        passage=passage_text(deps.retriever, passage, about))

    seen: dict[str, Evidence] = {}
    for rank in range(k):
        for found in results:
            if rank < len(found) and found[rank].key not in seen and len(seen) < k:
                seen[found[rank].key] = as_evidence(found[rank])
    # Studies of a cause further down the cause query's list, when the interleaving left them out.
    extra = 0
    for passage in deep.get(cause, []):
        if extra == CAUSE_EXTRA:
            break
        if passage.key not in seen and bears_on(goal, e := as_evidence(passage)):
            seen[passage.key] = e
            extra += 1
    return list(seen.values())


def per_record(retriever: Retriever, query: str, k: int) -> list[Passage]:
    """The first ``k`` records a query finds, one passage each. The hybrid retriever returns up to two
    chunks of one record; taken as they came, the JAK-inhibitor goal's six hits were two records and
    the smoking goal's three (bench index, 2026-11-30), so each query offered the interleaving half
    the records it asked for."""
    found: dict[str, Passage] = {}
    for passage in retriever.search(query, k=2 * k):
        found.setdefault(passage.key, passage)
    return list(found.values())[:k]


def read_evidence(tally: Tally, state: State, deps: Deps, found: list[Evidence]) -> list[Evidence]:
    """One reading per passage, in order, each labelled relevant or background (a record that
    :func:`bears_on` the goal is relevant whatever the model says).

    On the compact profile the reading is the passage's sentence that bears most on the goal
    (:func:`key_sentence`) and the model labels relevance only. On the rich profile the model writes
    each reading; one that reaches its character cap was cut off, so the call is made once more
    with those readings named, and one still at the cap is trimmed back to its last clause boundary.
    """
    profile = profile_for(deps)
    schema = readings_schema(len(found), profile.name)
    cap = profile.cap(profile.reading_words)
    passages = [{"key": e.key, "title": e.title, "text": e.passage} for e in found]
    too_long: list[str] = []
    for _attempt in range(2):
        out = tally.ask(state, prompts.render("evidence", words=profile.reading_words, passages=passages, too_long=too_long,
                                              write=profile.abstractive_readings),
                        schema, keys=None, max_tokens=(80 if profile.abstractive_readings else 8) * len(found))
        answers = [getattr(out, f"p{i}") for i in range(1, len(found) + 1)]
        if not profile.abstractive_readings:
            embed = semantic_embed(deps)
            return [e.model_copy(update={"bearing": key_sentence(state["goal"], e.passage, embed),
                                         "relevant": a == "relevant" or bears_on(state["goal"], e)})
                    for e, a in zip(found, answers)]
        too_long = [f"p{i}" for i, r in enumerate(answers, start=1) if len(r.reading) >= cap - 1]
        if not too_long:
            break
    return [
        e.model_copy(update={"bearing": q.trim_to_boundary(" ".join(r.reading.split()), cap),
                             "relevant": r.relevance == "relevant" or bears_on(state["goal"], e)})
        for e, r in zip(found, answers)
    ]


def bears_on(goal: str, e: Evidence) -> bool:
    """Whether a record bears on ``goal`` whatever the model labelled it: it names the goal's focus
    (its drug or topic) and a candidate cause (a gene, allele or marker: :func:`~hypoforge.agents.quality.factors`),
    its title asks the goal's question when the goal asks whether a drug works or harms (a
    prevention trial that mentions "benefit" is not a study of response), and it does not report
    that its causes have no effect (:func:`reports_no_cause`).

    Qwen labelled the two MTHFR studies of methotrexate response "background" on the demo goal
    (2026-11-29), so the demo wrote one hypothesis from six passages.
    """
    text = f"{e.title} {e.passage}"
    focus = q.focus_terms(goal)
    asked = q.question_kinds(goal)
    return bool(q.factors(text) and (not focus or q.content_terms(text) & focus) and (not asked or asked & q.question_kinds(e.title))
                and not q.about_another_drug(goal, text) and not reports_no_cause(goal, e))


def reports_no_cause(goal: str, e: Evidence) -> bool:
    """Whether every gene a record names is one it reports has no bearing on the goal's question
    (:func:`~hypoforge.agents.quality.null_causes`): evidence against a cause, not an anchor for one.
    Both MTHFR records the demo retrieved found no effect on methotrexate response."""
    text = f"{e.title}. {e.passage}"
    named = q.genes(text)
    return bool(named) and named <= q.null_causes(text, goal)


def key_sentence(goal: str, passage: str, embed=None) -> str:
    """The whole sentence of ``passage`` that bears most on ``goal`` (an extractive reading).

    Only complete sentences count (a passage cut at its length limit loses its tail). Similarity
    is MiniLM cosine with a semantic embedder, else the share of the goal's content terms.
    """
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", passage) if s.strip()]
    whole = [s for s in sentences if s[-1] in ".!?"] or sentences
    if not whole:
        return ""
    if embed is not None and len(whole) > 1:
        best = whole[int(np.argmax(q.cosines(embed, goal, whole)))]
    else:
        terms = q.content_terms(goal)
        best = max(whole, key=lambda s: len(q.content_terms(s) & terms))
    return q.trim_to_boundary(best, 320)


def anchors_for(goal: str, read: list[Evidence]) -> tuple[list[Evidence], set[str]]:
    """Relevant passages (by the reading) that share a focus term with the goal, do not report that
    their causes have no effect (:func:`reports_no_cause`) and, when the goal asks whether a drug
    works or harms, do not report only on the other question, and do not speak only of another drug
    than the goal's (:func:`~hypoforge.agents.quality.about_another_drug`); and the focus terms.

    For "why do patients not respond to methotrexate?" a methotrexate study that reports only side
    effects is context, not an anchor (a study of drug efflux that names neither question may anchor): a small model writes about whatever its anchor reports. The
    anchors come in order of the goal's focus terms they name (for the TPMT/NUDT15 goal, the CPIC
    thiopurine guideline before a folate-pathway study naming only "genotype"), then of the candidate
    causes they name (genes, alleles, markers: ATIC, KIR2DS4), then in retrieval order: a trial that
    reports an outcome explains less than a study that ties the outcome to a factor.
    """
    focus = q.focus_terms(goal)
    asked = q.question_kinds(goal)

    def anchors(e: Evidence) -> bool:
        text = f"{e.title} {e.passage}"
        reports = q.question_kinds(text)
        other_question = bool(asked and reports and not asked & reports)
        return bool(e.relevant and (not focus or q.content_terms(text) & focus) and not other_question
                    and not q.about_another_drug(goal, text) and not reports_no_cause(goal, e))

    def rank(e: Evidence) -> tuple[int, int]:
        text = f"{e.title} {e.passage}"
        return -len((q.content_terms(text) | q.biomedical_terms(text)) & focus), -len(q.factors(text))

    ranked = sorted((e for e in read if anchors(e)), key=rank)
    return diverse(ranked), focus


def diverse(anchors: list[Evidence]) -> list[Evidence]:
    """``anchors`` without those naming only genes an earlier anchor names
    (:func:`~hypoforge.agents.quality.genes`), whichever variant each reports (C677T, rs1801131).

    Two MTHFR studies as anchors gave two MTHFR hypotheses, the second rewritten as a twin and
    flagged (2026-11-29); such a record stays evidence and may be a bridge. Anchors that name no
    factor are kept.
    """
    seen: set[str] = set()
    kept = []
    for e in anchors:
        names = q.genes(f"{e.title} {e.passage}")
        if not names or not names <= seen:
            kept.append(e)
        seen |= names
    return kept


def computed_partner(anchor: Evidence, computed: list[Evidence]) -> tuple[Evidence | None, str]:
    """The computed result (a tool's evidence) about the molecule ``anchor`` names most often, and
    that molecule: a record on tofacitinib exposure is bridged to tofacitinib's computed properties, the
    link a chemistry goal asks for (bench goal 9's proposals named no property). A result's subject is
    what its passage starts with, before the first " (" (:func:`~hypoforge.tools.chemistry.core.describe_profile`)."""
    text = f"{anchor.title} {anchor.passage}".lower()
    best: tuple[int, Evidence | None, str] = (0, None, "")
    for e in computed:
        subject = e.passage.split(" (", 1)[0].strip()
        if e.key == anchor.key or not subject:
            continue
        # The molecule the anchor names most often: a record on "tofacitinib monotherapy, tofacitinib
        # with methotrexate" is about tofacitinib (bench goal 9 had bridged it to methotrexate's profile).
        n = len(re.findall(rf"(?<![\w-]){re.escape(subject.lower())}(?![\w-])", text))
        if n > best[0]:
            best = (n, e, subject)
    return best[1], best[2]


def bridge_partner(anchor: Evidence, candidates: list[Evidence], goal: str) -> tuple[Evidence | None, str]:
    """The candidate sharing the most biomedical entities with ``anchor`` (beyond the goal's own, the
    setting's and general biology's: two records sharing only "rheumatoid arthritis" or "genotype"
    share no link), and what they share."""
    general = {q.norm(w) for w in q.GENERAL_BIOLOGY}
    mine = q.biomedical_terms(f"{anchor.title} {anchor.passage}") - q.biomedical_terms(goal) - q.setting_terms()[0] - general
    best: tuple[int, Evidence | None, set[str]] = (0, None, set())
    for c in candidates:
        if c.key == anchor.key:
            continue
        shared = mine & q.biomedical_terms(f"{c.title} {c.passage}")
        if len(shared) > best[0]:
            best = (len(shared), c, shared)
    if best[1] is None:
        return None, ""
    # Name the shared entities as they are written in the anchor's text.
    words = [w for w in dict.fromkeys(anchor.passage.replace(",", " ").split()) if q.biomedical_terms(w) & best[2]]
    return best[1], ", ".join(words[:3]) or ", ".join(sorted(best[2])[:3])


def generate(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    rnd = state.get("round", 0)
    tally = Tally(deps, "generate", rnd)
    found = retrieve(state, deps)
    if not found:
        return tally.update(done={f"generate:{rnd}": True}, stop_reason="no evidence: the index returned nothing for this goal")
    read = read_evidence(tally, state, deps, found)
    ev = {e.key: e.model_dump(mode="json") for e in read}
    state = {**state, "evidence": {**(state.get("evidence") or {}), **ev}}
    # Tools compute on the passages that bear on the goal (all, when none does): the JAK goal's
    # standard calls had profiled the steroid and methotrexate its other records named.
    bearing = [e for e in read if e.relevant] or read
    context = "\n".join([state["goal"], *deps.settings.loop.constraints, *(f"{e.title}. {e.passage}" for e in bearing)])
    tool_ev, tool_results = request_and_run(tally, state, deps, "to ground new hypotheses", context=context)
    ev.update(tool_ev)
    state = {**state, "evidence": {**state["evidence"], **tool_ev}}
    keys = sorted(state["evidence"])

    anchors, focus = anchors_for(state["goal"], read)
    computed = [Evidence.model_validate(v) for v in tool_ev.values()]
    computed_keys = {e.key for e in computed}
    # A computed result is no anchor: it bears on no goal by itself. On the JAK goal (2026-11-30) the
    # profile of a steroid the model had asked for anchored "Methylprednisolone as a JAK inhibitor".
    # It is a bridge instead (computed_partner).
    wanted = deps.settings.loop.hypotheses
    notes: list[str] = []
    if len(anchors) < wanted:
        notes.append(
            f"{len(anchors)} of {len(read)} retrieved passages can anchor a hypothesis, so {len(anchors)} of the {wanted} requested "
            "hypotheses were written (each needs its own anchor: a relevant record that does not report its causes to have "
            "no effect and names a gene no earlier anchor names); index more literature on the goal for more."
        )
    others = list(hypotheses(state, active_only=True).values())
    profile = profile_for(deps)
    new: dict[str, dict] = {}
    for i, anchor in enumerate(anchors[:wanted]):
        # Any passage read as relevant may be the bridge, even one that never names the goal's focus:
        # that is what makes the link new.
        # ... but not one about another drug than the goal's: the azathioprine goal's bridge, a
        # methotrexate review, turned its TPMT hypothesis into one about methotrexate side effects.
        partner, shared = computed_partner(anchor, computed)
        if partner is None:
            partner, shared = bridge_partner(
                anchor, [e for e in read if e.relevant and not q.about_another_drug(state["goal"], f"{e.title} {e.passage}")], state["goal"])
        user = prompts.render(
            "generate",
            goal=state["goal"],
            anchor={"key": anchor.key, "title": anchor.title, "passage": record_excerpt(anchor.passage, state["goal"], ANCHOR_CHARS)},
            partner={"key": partner.key, "title": partner.title, "passage": record_excerpt(partner.passage, state["goal"], ANCHOR_CHARS),
                     "computed": partner.key in computed_keys}
            if partner else None,
            shared=shared,
            entities=record_entities([anchor, partner] if partner else [anchor]),
            form=form(profile),
            existing=[o.title for o in others],
            lessons=state.get("lessons") or [],
        )
        h = write_hypothesis(tally, state, deps, user, keys=keys, id=new_id(state["run_id"], "gen", rnd, i), origin="generated",
                             round=rnd, others=others, focus=focus)
        h = h.model_copy(update={"bridge": describe_bridge(h, anchor, partner, shared)})
        new[h.id] = dump(h)
        others.append(h)
        deps.emit("hypothesis", id=h.id, title=h.title)
    return tally.update(evidence=ev, tool_results=tool_results, hypotheses=new, notes=notes, done={f"generate:{rnd}": True})


def record_entities(records: list[Evidence], limit: int = 14) -> list[str]:
    """The biomedical entities the records name, as written, beyond the goal's setting: the words a
    grounded chain is built from (a small model told them uses them instead of inventing others)."""
    context, _ = q.setting_terms()
    words: dict[str, str] = {}
    for e in records:
        for stem, raw in q.biomedical_words(f"{e.title}. {e.passage}").items():
            if stem not in context:
                words.setdefault(stem, raw)
    return list(words.values())[:limit]


def describe_bridge(h: Hypothesis, anchor: Evidence, partner: Evidence | None, shared: str) -> str | None:
    """Name the step where the chain moves from the anchor's record to the bridge record, if it does."""
    if partner is None:
        return None
    for i in range(1, len(h.chain)):
        a, b = h.chain[i - 1].key, h.chain[i].key
        if {a, b} == {anchor.key, partner.key}:
            return f"step {i + 1} links {a} to {b} (shared: {shared}); no retrieved record makes this link itself"
    return None
