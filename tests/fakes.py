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
    if schema.__name__ == "HypothesisDraft":
        tool_keys = [k for k in keys or [] if k.startswith("TOOL:")]
        if tool_keys:
            out["cause"]["key"] = tool_keys[0]
    return out


def schema_keys(schema: dict[str, Any]) -> list[str]:
    """The citation keys an endpoint request's JSON schema allows (its ``x-citation-key`` enums)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("x-citation-key") and "enum" in node:
                found.extend(node["enum"])
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(schema)
    return sorted(set(k for k in found if k))


def endpoint_answer(body: dict[str, Any]) -> str:
    """:func:`responder`'s answer to an OpenAI-style request body sent with a JSON-schema format."""
    fmt = body["response_format"]["json_schema"]
    if fmt["name"] == "EvidenceReadings":  # built per call: one field per passage
        schema = m.readings_schema(len(fmt["schema"]["properties"]), "rich")
    elif fmt["name"] == "HypothesisDraft":  # an endpoint gets the rich profile
        schema = m.hypothesis_draft("rich")
    else:
        schema = getattr(m, fmt["name"], None) or type(fmt["name"], (), {})  # ToolRequests is built per run
    return json.dumps(responder(body["messages"], schema, schema_keys(fmt["schema"])))
