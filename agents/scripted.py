"""Deterministic drafts for scripted LLMs: :func:`responder`, the one scripted answer to every draft
schema, used by the test fakes (``tests/fakes.py``) and the scripted campaign factory
(:mod:`hypoforge.campaign.scripted`, whose spawned workers cannot import ``tests/``).

They build answers from the prompt alone (so a resumed run replays exactly) and from the records
named in it, so that a scripted hypothesis is complete, grounded in what it cites, distinct from its
neighbours and testable: it passes :mod:`hypoforge.agents.quality` like a good real draft would. The
revision path is exercised by tests that script a bad draft on purpose.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from hypoforge.agents import models as m

_EVIDENCE_LINE = re.compile(r"^- (\S+): (.+?)(?:; .*)?$", re.MULTILINE)
_ANCHOR = re.compile(r"^A \[(\S+)\] (.+)$", re.MULTILINE)


def record_titles(messages: Sequence[dict[str, str]]) -> dict[str, str]:
    """Key -> title for the evidence listed in the shared system prompt."""
    return {m.group(1): m.group(2) for m in _EVIDENCE_LINE.finditer(messages[0]["content"])} if messages else {}


_JOINERS = {"and", "of", "in", "the", "a", "with", "to", "for", "on", "by"}


def _unjoined(words: list[str], keep: int = 0) -> list[str]:
    """``words`` without joining words at the end, keeping at least ``keep``."""
    while len(words) > keep and words[-1].lower() in _JOINERS:
        words.pop()
    return words


def _phrase(title: str, n: int = 7) -> str:
    words = _unjoined([w.strip(",.;:") for w in title.split()])
    return " ".join(words[:n]).strip() or "the cited finding"


def _short(title: str) -> str:
    """The first three words of ``title`` without a joining word at the end ("Cigarette smoking")."""
    return " ".join(_unjoined(_phrase(title, 3).split(), keep=1))


def readings(schema: type[BaseModel]) -> dict[str, Any]:
    """One answer per field ``p1``..``pN`` of an EvidenceReadings schema, all relevant (a label, or a reading and a label)."""
    def one(name: str, field: Any) -> Any:
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            return {"reading": f"Passage {name[1:]} reports a finding on methotrexate response.", "relevance": "relevant"}
        return "relevant"

    return {name: one(name, f) for name, f in schema.model_fields.items()}


def hypothesis(messages: Sequence[dict[str, str]], keys: Sequence[str] | None, *, title: str, salt: int,
               schema: type[BaseModel] | None = None, nth: int = 0) -> dict[str, Any]:
    """A HypothesisDraft built from the anchor record (or the keys) named in the prompt.

    ``nth`` (the hypothesis's number in its prompt's list) moves the record of the second step, so
    consecutive drafts on one anchor argue different chains (proximity merges two that argue one).

    With the ``rich`` profile's schema, each prediction also carries an experiment.
    """
    user = messages[-1]["content"]
    ks = sorted(keys or [])
    titles = record_titles(messages)
    m = _ANCHOR.search(user)
    first = m.group(1) if m and m.group(1) in ks else (ks[salt % len(ks)] if ks else "")
    if m:
        titles.setdefault(first, m.group(2))
    rest = [k for k in ks if k != first]
    second = rest[(salt + 3 * nth) % len(rest)] if rest else first
    evolved = "Create an improved hypothesis" in user
    t1, t2 = _phrase(titles.get(first, first)), _phrase(titles.get(second, second))
    chain = [
        {"claim": f"{t1} lowers the drug's effect", "key": first},
        {"claim": f"{t2} follows in treated patients", "key": second},
        {"claim": "This shapes the clinical response to methotrexate", "key": second},
    ]
    if evolved:
        # an evolved hypothesis argues a chain of its own; one arguing another's would merge into it (proximity)
        chain[1:] = [{"claim": f"{_short(titles.get(second, second))} build up over months", "key": second},
                     {"claim": "Treatment response to methotrexate falls as a result", "key": second}]
    w1 = (t1.split() or ["drug"])[0].lower()
    w2 = (t2.split() or ["marker"])[-1].lower()
    preds = [
        {"readout": f"{w1} level in blood", "direction": "higher", "comparison": "in non-responders than in responders"},
        {"readout": f"{w2} expression in synovium", "direction": "lower", "comparison": "after treatment than at baseline"},
    ]
    rich = schema is not None and "consequence" in schema.model_fields
    if rich:
        preds = [*preds, {"readout": "joint erosion score", "direction": "higher", "comparison": "at two years in such patients"}]
        preds = [{**p, "experiment": f"Measure {p['readout']} in a prospective cohort of treated patients."} for p in preds]
        chain.insert(2, {"claim": "Synovial inflammation persists despite treatment", "key": second})
    roles = ("cause", "intermediate", "consequence", "effect") if rich else ("cause", "intermediate", "effect")
    statement = f"{t1} explains some methotrexate failures because of it (case {salt % 1000})."
    if evolved:
        # an evolved hypothesis says something new; one restating its parent would merge into it (proximity)
        statement = f"A refined account: {t2.lower()} and {w1} act together through a second pathway (variant {salt % 1000})."
    return {
        "title": title,
        "statement": statement,
        **dict(zip(roles, chain)),
        **{f"prediction{i}": p for i, p in enumerate(preds, start=1)},
    }


#: What the scripted per-link prediction call measures, one picked per prompt.
READOUTS = ("Erythrocyte methotrexate polyglutamate concentration", "Synovial fluid adenosine level", "Neutrophil count in blood",
            "Thymidylate synthase activity in lymphocytes", "Serum interleukin-6 level", "Regulatory T cell count in blood")


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def responder(messages: Sequence[dict[str, str]], schema: type, keys: Sequence[str] | None) -> Any:
    """A deterministic answer for each draft schema, a function of the prompt only.

    Because it depends only on the prompt, a resumed run that replays a step gets the same answer
    as the original run did, which is what the kill-then-resume tests rely on. Hypothesis titles
    read ``Idea N qNN``; the judge picks the higher ``qNN``, so rankings are deterministic too.
    """
    user = messages[-1]["content"]
    h = _hash(user)
    ks = sorted(keys or [])
    if schema is m.PlanDraft:
        return {"focus": ["drug transport", "adenosine signalling"]}
    if schema.__name__ == "EvidenceReadings":
        return readings(schema)
    if schema is m.EvidenceNotes:
        return {"notes": [{"key": k, "bearing": f"reading of {k}"} for k in ks[:8]]}
    if schema.__name__ == "HypothesisDraft":
        n = user.count("\n- ") + 1
        return hypothesis(messages, keys, title=f"Idea {n} q{h % 97:02d}", salt=h, schema=schema, nth=n)
    if schema.__name__ == "HypothesisFix":  # a targeted revision: the named fields only
        rich = any(n == "consequence" or "experiment" in getattr(f.annotation, "model_fields", {}) for n, f in schema.model_fields.items())
        full = hypothesis(messages, keys, title=f"Idea 0 q{h % 97:02d}", salt=h, schema=m.hypothesis_draft("rich" if rich else "compact"))
        return {f: full[f] for f in schema.model_fields}
    if schema.__name__ == "ChainStepDraft":  # one chain step from the step before it
        claims = ("Lower polyglutamate stores blunt thymidylate synthase inhibition in lymphocytes",
                  "Less adenosine is released at inflamed synovium", "Synovial T cells keep proliferating despite treatment",
                  "Erythrocyte folate pools rise and compete with the drug", "Interleukin-6 output from fibroblasts stays high",
                  "Fewer regulatory T cells expand in the joint", "Drug efflux from monocytes speeds up")
        return {"claim": claims[h % len(claims)], "key": ks[h % len(ks)] if ks else ""}
    if schema.__name__ == "PredictionReadout":  # one prediction from its link of the chain
        out = {"readout": READOUTS[h % len(READOUTS)], "direction": "higher" if h % 2 else "lower"}
        return {**out, "experiment": "measure it in a cohort"} if "experiment" in schema.model_fields else out
    if schema is m.ReviewDraft:
        return {"alignment": 4, "plausibility": 3, "novelty": 3, "testability": 4, "safety": 5,
                "strengths": "clear", "weaknesses": "needs data", "unsupported": [], "verdict": "revise"}
    if schema is m.ArgumentDraft:
        return {"argument": f"argument {h % 50}"}
    if schema is m.JudgementDraft:
        qa, qb = (int(x) for x in re.findall(r"Title: Idea \d+ q(\d+)", user)[:2])
        return {"reason": "stronger evidence", "winner": "A" if qa >= qb else "B"}
    if schema.__name__ == "MetaReviewDraft":
        return {"recurring": ["vague"], "lead": "1", "why": "Transport and adenosine ideas lead",
                "next_step": "measure intracellular methotrexate in non-responders"}
    if schema.__name__ == "ToolRequests":
        return {"calls": []}
    raise ValueError(f"the scripted LLM has no answer for {schema.__name__}")
