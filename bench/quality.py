"""Quality of what the loop writes, scored by the deterministic checks of docs/quality.md.

For each research goal (a fixed set of 14, below) the whole loop runs on the embedded model at the
default budget, on an index of the starter pack plus the ACR 2021 RA abstracts. Every proposal of
three sets is checked:

* ``loop top-3``: the report's first three proposals;
* ``first-round drafts``: the generator's round-0 hypotheses (after its own check-and-revise,
  before review, tournament and evolution);
* ``single call``: one call on the same retrieved passages that asks for up to three hypotheses in
  the same schema, with no readings, anchors, revision or loop.

It also asks the grounded-answer path (chat's ``/ask``) questions whose answer a retrieved passage
holds, and counts "no evidence" replies. The closing JSON line's value is the share of top-3
proposals that pass every check; its baseline is the same share for the single call.

    python bench/quality.py                 # all goals (over an hour on 2 cores)
    python bench/quality.py --goals 2       # the first two goals, for quick iteration
    python bench/quality.py --only 3,9      # goals 3 and 9 only
    python bench/quality.py --details out.json   # every proposal with its failures, to read
    python bench/quality.py --goals 3 --drafts 1  # one draft per hypothesis (the A/B of docs/quality.md, "Drafts")

Responses are cached on disk (``--cache``), so a rerun of unchanged steps costs nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Annotated, Any

from _common import bootstrap, result, shared_data

bootstrap()

from pydantic import Field, create_model  # noqa: E402

from hypoforge import prompts  # noqa: E402
from hypoforge.agents import quality as q  # noqa: E402
from hypoforge.agents.calls import system_prompt  # noqa: E402
from hypoforge.agents.deps import Deps, build_llm  # noqa: E402
from hypoforge.agents.drafting import check, form, grounding_sources, profile_for, record_texts, semantic_embed  # noqa: E402
from hypoforge.agents.models import Evidence, Hypothesis, hypothesis_draft  # noqa: E402
from hypoforge.agents.run import start_run  # noqa: E402
from hypoforge.agents.settings import Settings  # noqa: E402
from hypoforge.agents.state import evidence, hypotheses  # noqa: E402

GOALS = [
    "Why do about a third of rheumatoid arthritis patients not respond to methotrexate?",
    "What makes some rheumatoid arthritis patients develop liver injury on long-term methotrexate?",
    "Could TPMT or NUDT15 genotype explain why some patients with rheumatoid arthritis cannot tolerate azathioprine?",
    "How does the HLA-DRB1 shared epitope raise the risk of anti-citrullinated protein antibody positive rheumatoid arthritis?",
    "Why do some patients lose their response to TNF inhibitors over the first years of treatment?",
    "Which features of synovial tissue predict whether a patient responds to rituximab or to tocilizumab?",
    "How does cigarette smoking promote citrullination and the onset of rheumatoid arthritis?",
    "Could a baseline interferon gene signature predict response to JAK inhibitors in rheumatoid arthritis?",
    "Which physicochemical properties let an oral small-molecule JAK inhibitor reach effective exposure in rheumatoid arthritis?",
    "Could adenosine A2A receptor signalling be enhanced to restore the anti-inflammatory effect of methotrexate?",
    "Why does long-term hydroxychloroquine damage the retina in some patients with rheumatoid arthritis?",
    "Why does G6PD deficiency raise the risk of haemolysis on sulfasalazine or dapsone?",
    "Which IL-6 pathway proteins could be targeted in patients with rheumatoid arthritis who fail TNF inhibitors?",
    "Why does CYP2C9 genotype change the risk of gastrointestinal bleeding on NSAIDs such as celecoxib?",
]

# (question, a key whose passage answers it): the /ask path must answer, not say "no evidence".
QUESTIONS = [
    ("what is the hepatotoxicity of methotrexate in RA?", "PMID:4036984"),
    ("does adding low-dose prednisone to methotrexate raise remission rates in early RA?", "PMID:22584017"),
    ("is certolizumab pegol effective with and without methotrexate?", "PMID:20230188"),
]

SETS = ("loop top-3", "first-round drafts", "single call")


def single_call_schema() -> Any:
    return create_model("SingleCallDrafts", hypotheses=(Annotated[list[hypothesis_draft("compact")], Field(min_length=1, max_length=3)], ...))


def build_index(path: Path) -> None:
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.ingest.files import parse_path
    from hypoforge.knowledge.store import KnowledgeIndex

    if path.exists():
        return
    index = KnowledgeIndex(path, embedder=load_embedder(None))
    index.add_starter()
    index.add(parse_path(shared_data() / "ra_abstracts_acr2021" / "abstracts.jsonl"))


def score(h: Hypothesis, *, goal: str, ev: dict[str, Evidence], others: list[Hypothesis], deps: Deps, free_text: list[str],
          readings: dict[str, str] | None) -> dict[str, Any]:
    """Pass/fail per check for one proposal, the grounded share, and the failures (for reading)."""
    profile = profile_for(deps)
    fails = check(h, goal=goal, ev=ev, others=others, profile=profile, focus=q.focus_terms(goal), embed=semantic_embed(deps))
    texts = record_texts(ev)
    for i, t in enumerate(free_text):
        fails += q.keys_in_text(f"text[{i}]", t, texts)
    if readings is not None:
        fails += q.unread(readings)
    share, _ = q.grounded_share(h.mechanism, grounding_sources(h, texts, goal))
    failed = {f.check for f in fails}
    checks = {c: (c not in failed) for c in q.CHECKS}
    if readings is None:
        checks["read"] = None  # the single call reads nothing: not applicable
    return {"id": h.id, "title": h.title, "statement": h.statement, "chain": [s.model_dump() for s in h.chain],
            "predictions": h.predictions, "checks": checks, "grounded_share": round(share, 3),
            "all": all(v for v in checks.values() if v is not None), "failures": [str(f) for f in fails]}


def single_call(deps: Deps, state: dict[str, Any], ev: dict[str, Evidence]) -> list[Hypothesis]:
    """The no-loop baseline: one call, the same passages, the same schema, up to three hypotheses."""
    base = {"goal": state["goal"], "run_id": "single", "evidence": {k: {**e.model_dump(), "bearing": ""} for k, e in ev.items()}}
    passages = "\n\n".join(f"[{e.key}] {e.title}\n{e.passage}" for e in ev.values())
    user = ("Propose up to three different hypotheses that answer the research goal, from these passages:\n\n" + passages
            + "\n\n" + form(profile_for(deps)))
    messages = [{"role": "system", "content": system_prompt(base)}, {"role": "user", "content": user}]
    out = deps.llm.structured(messages, single_call_schema(), keys=sorted(ev), max_tokens=1400)
    return [Hypothesis.from_draft(d, id=f"S{i}", origin="single", round=0) for i, d in enumerate(out.hypotheses)]


def rate(rows: dict[str, list[dict[str, Any]]], s: str, c: str) -> float | None:
    """The share of set ``s``'s proposals passing check ``c`` ("all": every check); None when the
    check does not apply to the set (readings of the single call)."""
    vals = [r["all"] if c == "all" else r["checks"][c] for r in rows[s]]
    vals = [v for v in vals if v is not None]
    return sum(vals) / len(vals) if vals else None


def beats_baselines(rows: dict[str, list[dict[str, Any]]]) -> bool:
    """The target: the loop's top-3 passes every check at least as often as each baseline (a tie at
    100% cannot be beaten) and passes all of them more often than either. Until 2026-11-30 only the
    second half was tested, and the 5-goal run reported ``met`` while the top-3 trailed the
    first-round drafts on complete, not-copied and testable."""
    top = {c: rate(rows, "loop top-3", c) for c in (*q.CHECKS, "all")}
    for s in SETS[1:]:
        for c, t in top.items():
            b = rate(rows, s, c)
            if b is not None and (t is None or t < b or (c == "all" and t <= b)):
                return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--goals", type=int, default=len(GOALS), help="run the first N goals (default: all)")
    ap.add_argument("--only", default=None, help="run these goals by number instead, e.g. 3,9 (a rerun of the goals a change touches)")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--work", type=Path, default=Path("/tmp/hypoforge-bench-quality"), help="index, runs and cache folder")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--details", type=Path, default=None, help="write every scored proposal here (JSON)")
    ap.add_argument("--drafts", type=int, default=None, help="drafts sampled per hypothesis (default: the loop's, 2); 1 for the A/B")
    args = ap.parse_args()
    try:
        chosen = [int(x) for x in args.only.split(",")] if args.only else list(range(1, args.goals + 1))
    except ValueError:
        ap.error(f"--only {args.only!r}: give goal numbers separated by commas, e.g. 3,9")
    if not chosen or not all(1 <= n <= len(GOALS) for n in chosen):
        ap.error(f"goals are numbered 1 to {len(GOALS)}; got {chosen}")

    index_dir = args.work / "index"
    build_index(index_dir)
    settings = Settings.layered(overrides={
        "data_dir": str(args.work / "data"),
        "llm": {"model": args.model, "cache_dir": str(args.work / "cache"), "n_threads": args.threads},
        "index": {"dir": str(index_dir)},
        "loop": {"drafts": args.drafts},
    })
    deps = Deps.from_settings(settings)
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SETS}
    details: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for n in chosen:
        goal = GOALS[n - 1]
        res = start_run(goal, settings, deps, out_dir=args.work / "reports" / f"goal{n:02d}")
        state = res.state
        ev_all = evidence(state)
        retrieved = {k: e for k, e in ev_all.items() if not k.startswith("TOOL:")}
        readings = {k: e.bearing for k, e in retrieved.items()}
        hs = hypotheses(state)
        top = [hs[p.id] for p in res.report.proposals[:3]]
        reviews = [t for h in top for r in h.reviews for t in (r.strengths, r.weaknesses)]
        free = [res.report.overview, *reviews]
        drafts = [h for h in hs.values() if h.round == 0 and h.origin == "generated"]
        sets = {
            # A twin is the later of two proposals: each is compared with those ranked (or drafted) before it.
            "loop top-3": [score(h, goal=goal, ev=ev_all, others=top[:i], deps=deps, free_text=free, readings=readings) for i, h in enumerate(top)],
            "first-round drafts": [score(h, goal=goal, ev=ev_all, others=drafts[:i], deps=deps, free_text=[], readings=readings)
                                   for i, h in enumerate(drafts)],
        }
        single = single_call(deps, state, retrieved)
        sets["single call"] = [score(h, goal=goal, ev=retrieved, others=single[:i], deps=deps, free_text=[], readings=None) for i, h in enumerate(single)]
        for s, r in sets.items():
            rows[s] += r
        details.append({"goal": goal, "notes": res.report.notes, "overview": res.report.overview, **sets})
        print(f"[goal {n}, {chosen.index(n) + 1}/{len(chosen)}] {goal[:70]}: top-3 pass {sum(r['all'] for r in sets['loop top-3'])}/{len(sets['loop top-3'])}, "
              f"single {sum(r['all'] for r in sets['single call'])}/{len(sets['single call'])} ({time.perf_counter() - t0:.0f} s)", flush=True)

    from hypoforge.agents.generator import passage_text
    from hypoforge.chat.actions import answer

    answered = []
    for question, key in QUESTIONS:
        a = answer(deps, question, goal=GOALS[0])
        records = {c.key: f"{c.title}. {passage_text(deps.retriever, c, question)}" for c in a.citations}  # as the answer path shows them
        answered.append({"question": question, "grounded": a.grounded, "cites_expected": key in [c.key for c in a.citations], "text": a.text,
                         "faithful": not q.denies_unreported("answer", a.text, records)})

    print(f"\n{'check':<14}" + "".join(f"{s:>20}" for s in SETS))
    for c in (*q.CHECKS, "all"):
        cells = [f"{r:>19.0%} " if (r := rate(rows, s, c)) is not None else f"{'n/a':>20}" for s in SETS]
        print(f"{c:<14}" + "".join(cells))
    means = {s: (sum(r["grounded_share"] for r in rows[s]) / len(rows[s]) if rows[s] else 0.0) for s in SETS}
    print(f"{'grounded mean':<14}" + "".join(f"{means[s]:>19.2f} " for s in SETS))
    print(f"{'proposals':<14}" + "".join(f"{len(rows[s]):>20}" for s in SETS))
    print(f"/ask: {sum(a['grounded'] for a in answered)}/{len(answered)} answered from the index "
          f"({sum(a['cites_expected'] for a in answered)} citing the expected record, "
          f"{sum(not a['faithful'] for a in answered)} denying what their records report)")
    if args.details:
        args.details.write_text(json.dumps({"goals": details, "ask": answered}, indent=2, ensure_ascii=False))
    share = {s: rate(rows, s, "all") or 0.0 for s in SETS}
    result("quality: top-3 proposals passing every check", share["loop top-3"], share["single call"], "share of proposals",
           "top-3 beats both baselines on every check", beats_baselines(rows),
           goals=args.only or args.goals, first_round=round(share["first-round drafts"], 4), model=args.model, drafts=settings.loop.drafts,
           ask_answered=sum(a["grounded"] for a in answered), seconds=round(time.perf_counter() - t0, 1),
           llm_calls=deps.llm.stats.calls)


if __name__ == "__main__":
    main()
