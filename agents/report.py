"""The output contract: ``report.json`` and ``report.md`` from a finished run's state.

Citations are resolved through the retriever's ``get``: a key that does not resolve to an indexed
record is dropped from the proposal and counted in ``stats.unresolved_citations`` (which the tests
require to be zero), so no output ever cites something that is not in the index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypoforge.agents.models import Evidence, Hypothesis, Review
from hypoforge.agents.quality import checks_failed, genes, null_causes, question_kinds
from hypoforge.agents.state import State, evidence, hypotheses, matches_among
from hypoforge.agents.tournament import fit_ratings, order_by_rating
from hypoforge.files import write_atomic
from hypoforge.knowledge.records import Retriever
from hypoforge.tools.base import ToolResult
from pydantic import BaseModel, Field

RESEARCH_USE = "Research use only: machine-generated hypotheses for expert review, not medical advice."


class ReportCitation(BaseModel):
    key: str
    pmid: str | None
    title: str
    year: int | None
    passage: str


class ReportStep(BaseModel):
    """One step of the mechanism's causal chain and the record it rests on."""

    claim: str
    key: str


class ReportCounter(BaseModel):
    """A record of the run reporting that a gene the proposal blames has no effect on the goal's question."""

    key: str
    pmid: str | None
    title: str
    year: int | None
    genes: list[str]
    question: str = Field(description="The goal's question the record found no effect on (response, toxicity).")


class ReportProposal(BaseModel):
    rank: int
    elo: float
    id: str
    title: str
    statement: str
    mechanism: str
    chain: list[ReportStep] = Field(default_factory=list, description="The mechanism as causal steps, each with its citation key.")
    bridge: str | None = Field(None, description="The step that links two records no retrieved record links (literature-based discovery).")
    against: list[ReportCounter] = Field(default_factory=list, description="Records of the run reporting no effect of a gene the proposal blames.")
    flags: list[str] = Field(default_factory=list, description="Quality checks still failing; a flagged proposal ranks after every proposal that passes.")
    revised: list[str] = Field(default_factory=list, description="Checks that failed on the first draft, which was then revised.")
    predictions: list[str]
    citations: list[ReportCitation]
    reviews: list[Review]
    parents: list[str]
    origin: str
    wins: int
    losses: int
    merged: list[str] = Field(default_factory=list, description="Near-duplicates merged into this proposal.")


class Report(BaseModel):
    goal: str
    run_id: str
    model: str
    overview: str
    notes: list[str] = Field(default_factory=list, description="What the reader should know about the run (e.g. fewer hypotheses, and why).")
    proposals: list[ReportProposal]
    tool_evidence: list[ToolResult] = Field(default_factory=list, description="Every tool call with its provenance.")
    stats: dict[str, Any]
    notice: str = RESEARCH_USE


def build_report(state: State, *, retriever: Retriever, model: str, llm_stats: dict[str, Any] | None = None) -> Report:
    all_h = hypotheses(state)
    active = {k: h for k, h in all_h.items() if h.active}
    ids = sorted(active)
    matches = matches_among(state, active)
    ratings = fit_ratings(ids, matches)
    # A proposal that still fails a quality check is marked, and ranked after every one that passes;
    # flagged ones come in order of how many checks they fail (off the goal and cut off is worse than
    # one restated step), then by rating.
    order = sorted(order_by_rating(ids, ratings), key=lambda i: checks_failed(active[i].flags))
    ev = evidence(state)
    tools_used = [ToolResult.model_validate(v) for v in (state.get("tool_results") or {}).values()]
    tool_results = {t.id: t for t in tools_used if t.error is None}
    unresolved = 0
    proposals = []
    for pos, hid in enumerate(order, start=1):
        h = active[hid]
        cites = []
        for key in h.citations:
            if key in tool_results:  # computed evidence: resolves to the stored tool result
                t = tool_results[key]
                cites.append(ReportCitation(key=key, pmid=None, title=ev[key].title if key in ev else t.tool, year=None,
                                            passage=json.dumps(t.output, separators=(",", ":"))[:700]))
                continue
            record = retriever.get(key)
            if record is None:
                unresolved += 1
                continue
            passage = ev[key].passage if key in ev else record.abstract[:700]
            cites.append(ReportCitation(key=key, pmid=record.pmid, title=record.title, year=record.year, passage=passage))
        proposals.append(
            ReportProposal(
                rank=pos,
                elo=round(ratings.get(hid, 1200.0), 1),
                id=hid,
                title=h.title,
                statement=h.statement,
                mechanism=h.mechanism,
                chain=[ReportStep(claim=c.claim, key=c.key) for c in h.chain],
                bridge=h.bridge,
                against=counter_evidence(h, state["goal"], ev, retriever),
                flags=h.flags,
                revised=h.revised,
                predictions=h.predictions,
                citations=cites,
                reviews=h.reviews,
                parents=h.parents,
                origin=h.origin,
                wins=sum(1 for m in matches if m.winner == hid),
                losses=sum(1 for m in matches if hid in (m.a, m.b) and m.winner != hid),
                merged=sorted(k for k, x in all_h.items() if x.merged_into == hid),
            )
        )
    counts = state.get("counts") or {}
    stats: dict[str, Any] = {
        "rounds": state.get("round", 0) + 1,
        "stop_reason": state.get("stop_reason"),
        "llm_calls": int(counts.get("llm_calls", 0)),
        "matches": len(state.get("matches") or []),
        "debates": sum(1 for m in state.get("matches") or [] if m.get("debate")),
        "hypotheses": len(all_h),
        "merged": sum(1 for h in all_h.values() if not h.active),
        "evidence_records": len(ev),
        "unresolved_citations": unresolved,
        "text_keys_dropped": int(counts.get("text_keys_dropped", 0)),
        "flagged": sum(1 for h in active.values() if h.flags),
        "seconds": round(float(counts.get("seconds", 0.0)), 2),
        "llm_seconds": round(float(counts.get("llm_seconds", 0.0)), 2),
        "lessons": state.get("lessons") or [],
    }
    if llm_stats:
        stats["llm"] = llm_stats
    overview = state.get("overview") or ("No overview: " + str(state.get("stop_reason") or "the run produced no meta-review."))
    stats["tool_calls"] = len(tools_used)
    stats["tool_errors"] = sum(1 for t in tools_used if t.error)
    return Report(goal=state["goal"], run_id=state["run_id"], model=model, overview=overview, notes=list(state.get("notes") or []), proposals=proposals,
                  tool_evidence=tools_used, stats=stats)


def counter_evidence(h: Hypothesis, goal: str, ev: dict[str, Evidence], retriever: Retriever) -> list[ReportCounter]:
    """The run's records that report no effect on the goal's question of a gene ``h`` blames
    (:func:`~hypoforge.agents.quality.null_causes`), cited or not, that resolve in the index.

    The demo's MTHFR proposal rested on the one positive MTHFR study while two meta-analyses retrieved
    in the same run found no effect on methotrexate response; a reader must see both.
    """
    blamed = genes(" ".join([h.statement, *(s.claim for s in h.chain)]))
    question = " or ".join(sorted(question_kinds(goal)))
    out = []
    for key, e in ev.items():
        against = blamed & null_causes(f"{e.title}. {e.passage}", goal) if blamed else set()
        record = retriever.get(key) if against else None
        if record is not None:
            out.append(ReportCounter(key=key, pmid=record.pmid, title=record.title, year=record.year, genes=sorted(against), question=question))
    return out


def review_line(r: Review) -> str:
    scores = ", ".join(f"{k} {v}" for k, v in r.scores.items())
    line = f"**Review (round {r.round}, {r.verdict}).** {scores}. Strength: {r.strengths} Weakness: {r.weaknesses}"
    if r.unsupported:
        line += f" Unsupported citations flagged: {', '.join(r.unsupported)}."
    return line


def proposal_lines(p: ReportProposal, numbering: dict[str, int], *, heading: str = "###") -> list[str]:
    """One proposal as Markdown: statement, the cited causal chain, the new link, predictions, checks, reviews.

    ``numbering`` maps citation keys to reference numbers (report-wide in report.md, per proposal in chat).
    """
    def ref(key: str) -> str:
        return f" [{numbering[key]}]" if key in numbering else ""

    refs = " ".join(f"[{numbering[c.key]}]" for c in p.citations if c.key in numbering)
    lines = [f"{heading} {p.rank}. {p.title}", "", f"Elo {p.elo:.0f} ({p.wins} wins, {p.losses} losses) · `{p.id}` · {p.origin}"]
    if p.parents:
        lines += ["", f"Parents: {', '.join(p.parents)}"]
    lines += ["", f"**Hypothesis.** {p.statement} {refs}".rstrip(), "", "**Mechanism.**", ""]
    if p.chain:
        lines += [f"{i}. {s.claim}{ref(s.key)}" for i, s in enumerate(p.chain, start=1)]
    else:
        lines.append(p.mechanism)
    if p.bridge:
        lines += ["", f"*New link:* {p.bridge}."]
    if p.against:
        lines += ["", "**Evidence against.** Records of this run that found no effect of a gene it blames:", ""]
        lines += [f"- {c.key} ({c.year or 'n.d.'}), *{c.title}*: no effect of {', '.join(c.genes)} on {c.question}." for c in p.against]
    lines += ["", "**Testable predictions.**", ""]
    lines += [f"- {x}" for x in p.predictions]
    if p.flags:
        lines += ["", "**Failed checks (ranked after every proposal that passes).** " + "; ".join(p.flags)]
    for r in p.reviews:
        lines += ["", review_line(r)]
    return lines


def render_markdown(report: Report) -> str:
    lines = [f"# Hypoforge report: {report.goal}", "", f"> {report.notice}", ""]
    lines += [f"Run `{report.run_id}` with model `{report.model}`; {report.stats.get('stop_reason')}.", ""]
    lines += ["## Overview", "", report.overview, ""]
    if report.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in report.notes], ""]
    lines += ["## Ranked proposals", ""]
    numbering: dict[str, int] = {}
    for p in report.proposals:
        for c in p.citations:
            numbering.setdefault(c.key, len(numbering) + 1)
    for p in report.proposals:
        lines += [*proposal_lines(p, numbering, heading="###"), ""]
    lines += ["## References", ""]
    seen: dict[str, ReportCitation] = {}
    for p in report.proposals:
        for c in p.citations:
            seen.setdefault(c.key, c)
    for key, n in numbering.items():
        c = seen[key]
        year = f" ({c.year})" if c.year else ""
        lines.append(f"{n}. {c.title}{year}. {key}")
    if report.tool_evidence:
        lines += ["", "## Computed evidence", ""]
        for t in report.tool_evidence:
            outcome = f"error: {t.error}" if t.error else json.dumps(t.output, separators=(",", ":"))[:300]
            src = f", plugin {t.plugin}" if t.plugin else ""
            lines.append(f"- `{t.id}`: {t.tool} v{t.version}{src}; inputs {json.dumps(t.inputs, separators=(',', ':'))[:200]}; {outcome}")
    return "\n".join(lines).rstrip() + "\n"


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    js, md = out_dir / "report.json", out_dir / "report.md"
    write_atomic(js, json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    write_atomic(md, render_markdown(report))
    return js, md
