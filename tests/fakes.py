"""Deterministic fakes: an in-memory retriever and a scripted-LLM responder for every draft schema."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from hypoforge.agents import models as m
from hypoforge.agents import scripted
from hypoforge.agents.proximity import LexicalEmbedder
from hypoforge.knowledge.memory import MemoryRetriever
from hypoforge.knowledge.records import Record

RECORDS = [
    Record(key="PMID:1001", pmid="1001", title="Methotrexate polyglutamate levels and response in RA", year=2019,
           abstract="Erythrocyte methotrexate polyglutamate concentrations were associated with lower disease activity in rheumatoid arthritis."),
    Record(key="PMID:1002", pmid="1002", title="ABCB1 transporter variants and methotrexate efflux", year=2017,
           abstract="Efflux transporter variants reduced intracellular methotrexate accumulation in lymphocytes from RA patients."),
    Record(key="PMID:1003", pmid="1003", title="Adenosine signalling mediates anti-inflammatory effects of methotrexate", year=2015,
           abstract="Methotrexate increases extracellular adenosine, which suppresses neutrophil and macrophage activation."),
    Record(key="PMID:1004", pmid="1004", title="Synovial pathotypes predict response to biologic therapy", year=2021,
           abstract="Lymphoid, myeloid and fibroid synovial pathotypes differed in response to rituximab and tocilizumab."),
    Record(key="PMID:1005", pmid="1005", title="Smoking and methotrexate non-response", year=2012,
           abstract="Current smoking was associated with reduced response to methotrexate in early rheumatoid arthritis."),
]


class FakeRetriever(MemoryRetriever):
    """The in-memory retriever over the records above."""

    def __init__(self, records: Sequence[Record] = RECORDS) -> None:
        super().__init__(records)


FakeEmbedder = LexicalEmbedder
"""Bag-of-words hashing embedder (deterministic, no model)."""


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def responder(messages: Sequence[dict[str, str]], schema: type, keys: Sequence[str] | None) -> Any:
    """A deterministic answer for each draft schema, a function of the prompt only.

    Because it depends only on the prompt, a resumed run that replays a step gets the same answer
    as the original run did, which is what the kill-then-resume test relies on.
    """
    user = messages[-1]["content"]
    h = _h(user)
    ks = sorted(keys or [])
    if schema is m.PlanDraft:
        return {"focus": ["drug transport", "adenosine signalling"]}
    if schema.__name__ == "EvidenceReadings":
        return scripted.readings(schema)
    if schema is m.EvidenceNotes:
        return {"notes": [{"key": k, "bearing": f"reading of {k}"} for k in ks[:8]]}
    if schema.__name__ == "HypothesisDraft":
        n = user.count("\n- ") + 1
        return scripted.hypothesis(messages, keys, title=f"Idea {n} q{h % 97:02d}", salt=h, schema=schema)
    if schema is m.ReviewDraft:
        return {"alignment": 4, "plausibility": 3, "novelty": 3, "testability": 4, "safety": 5,
                "strengths": "clear", "weaknesses": "needs data", "unsupported": [], "verdict": "revise"}
    if schema is m.ArgumentDraft:
        return {"argument": f"argument {h % 50}"}
    if schema is m.JudgementDraft:
        qa, qb = (int(x) for x in re.findall(r"Title: Idea \d+ q(\d+)", user)[:2])
        return {"reason": "stronger evidence", "winner": "A" if qa >= qb else "B"}
    if schema is m.MetaReviewDraft:
        return {"recurring": ["needs data"], "overview": "Transport and adenosine ideas lead."}
    if schema.__name__ == "ToolRequests":
        return {"calls": []}
    raise AssertionError(f"no fake response for {schema.__name__}")


def with_tool_request(calls: list[dict[str, Any]]):
    """A responder that asks for ``calls`` at the first tool request and none afterwards."""
    state = {"asked": False}

    def respond(messages, schema, keys):
        if schema.__name__ == "ToolRequests":
            if state["asked"]:
                return {"calls": []}
            state["asked"] = True
            return {"calls": calls}
        return responder(messages, schema, keys)

    return respond


def cite_tools_responder(messages, schema, keys):
    """Like :func:`responder`, but hypotheses rest their first step on computed (TOOL:) evidence when there is some."""
    out = responder(messages, schema, keys)
    if schema.__name__ == "HypothesisDraft":
        tool_keys = [k for k in keys or [] if k.startswith("TOOL:")]
        if tool_keys:
            out["cause"]["key"] = tool_keys[0]
    return out


def endpoint_answer(body: dict[str, Any]) -> str:
    """:func:`responder`'s answer to an OpenAI-style request body sent with a JSON-schema format."""
    from hypoforge.agents.campaign.testing import offered_keys, requested_schema

    fmt = body["response_format"]["json_schema"]
    return json.dumps(responder(body["messages"], requested_schema(fmt), offered_keys(fmt["schema"])))
