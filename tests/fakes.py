"""Deterministic fakes: an in-memory retriever, and variations on the package's scripted-LLM responder
(:func:`hypoforge.agents.scripted.responder`, re-exported here) for tool requests and endpoints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypoforge.agents import models as m
from hypoforge.agents.proximity import LexicalEmbedder
from hypoforge.agents.scripted import responder
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
    if schema.__name__ in ("HypothesisDraft", "HypothesisFix") and "cause" in out:
        tool_keys = [k for k in keys or [] if k.startswith("TOOL:")]
        if tool_keys:
            out["cause"]["key"] = tool_keys[0]
    return out


def endpoint_answer(body: dict[str, Any]) -> str:
    """:func:`responder`'s answer to an OpenAI-style request body sent with a JSON-schema format."""
    from hypoforge.campaign.scripted import offered_keys, requested_schema

    fmt = body["response_format"]["json_schema"]
    return json.dumps(responder(body["messages"], requested_schema(fmt), offered_keys(fmt["schema"])))
