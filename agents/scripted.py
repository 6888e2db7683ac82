"""Deterministic drafts for scripted LLMs: the test fakes and the scripted campaign factory share these.

They build answers from the prompt alone (so a resumed run replays exactly) and from the records
named in it, so that a scripted hypothesis is complete, grounded in what it cites, distinct from its
neighbours and testable: it passes :mod:`hypoforge.agents.quality` like a good real draft would. The
revision path is exercised by tests that script a bad draft on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

_EVIDENCE_LINE = re.compile(r"^- (\S+): (.+?)(?:; .*)?$", re.MULTILINE)
_ANCHOR = re.compile(r"^A \[(\S+)\] (.+)$", re.MULTILINE)


def record_titles(messages: Sequence[dict[str, str]]) -> dict[str, str]:
    """Key -> title for the evidence listed in the shared system prompt."""
    return {m.group(1): m.group(2) for m in _EVIDENCE_LINE.finditer(messages[0]["content"])} if messages else {}


def _phrase(title: str, n: int = 7) -> str:
    words = [w.strip(",.;:") for w in title.split()]
    while words and words[-1].lower() in {"and", "of", "in", "the", "a", "with", "to", "for", "on", "by"}:
        words.pop()
    return " ".join(words[:n]).strip() or "the cited finding"


def readings(schema: type[BaseModel]) -> dict[str, Any]:
    """One answer per field ``p1``..``pN`` of an EvidenceReadings schema, all relevant (a label, or a reading and a label)."""
    def one(name: str, field: Any) -> Any:
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            return {"reading": f"Passage {name[1:]} reports a finding on methotrexate response.", "relevance": "relevant"}
        return "relevant"

    return {name: one(name, f) for name, f in schema.model_fields.items()}


def hypothesis(messages: Sequence[dict[str, str]], keys: Sequence[str] | None, *, title: str, salt: int,
               schema: type[BaseModel] | None = None) -> dict[str, Any]:
    """A HypothesisDraft built from the anchor record (or the keys) named in the prompt.

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
    second = rest[salt % len(rest)] if rest else first
    t1, t2 = _phrase(titles.get(first, first)), _phrase(titles.get(second, second))
    chain = [
        {"claim": f"{t1} lowers the drug's effect", "key": first},
        {"claim": f"{t2} follows in treated patients", "key": second},
        {"claim": "This shapes the clinical response to methotrexate", "key": second},
    ]
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
    return {
        "title": title,
        "statement": f"{t1} explains some methotrexate failures (case {salt % 1000}).",
        **dict(zip(roles, chain)),
        **{f"prediction{i}": p for i, p in enumerate(preds, start=1)},
    }
