"""A scripted deps factory for campaigns: deterministic fake LLM and in-memory index, no model.

Campaign goals run in worker processes (a local pool or Ray tasks) that import the deps factory by
its dotted path, and those processes cannot import the test suite's ``tests/fakes.py``; so the fakes
a campaign needs live here, inside the package. The answers come from
:func:`hypoforge.agents.scripted.responder`, the same scripted LLM the tests use, a function of the
prompt alone (so a resumed goal replays exactly); used by the campaign tests and
``bench/ray_overhead.py``:

    hypoforge campaign run spec.yaml --deps-factory hypoforge.campaign.scripted:scripted_deps

``options`` (``--deps-options JSON``) tune the fake workload per goal:
``delay`` (seconds slept per LLM call, to stand in for model latency), ``fail`` (``{goal_id: n}``:
the n-th LLM call of that goal raises, to exercise failure handling) and ``delay_for``
(``{goal_id: seconds}``, a per-goal delay overriding ``delay``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from hypoforge.agents import models as m
from hypoforge.agents.deps import Deps, Event
from hypoforge.agents.llm import ScriptedLLM
from hypoforge.agents.proximity import LexicalEmbedder
from hypoforge.agents.scripted import responder
from hypoforge.agents.settings import Settings
from hypoforge.knowledge.memory import MemoryRetriever
from hypoforge.knowledge.records import Record

RECORDS = [
    Record(key="PMID:2001", pmid="2001", title="Red-cell methotrexate polyglutamates track response in rheumatoid arthritis", year=2018,
           abstract="Higher erythrocyte methotrexate polyglutamate levels went with lower disease activity scores in RA."),
    Record(key="PMID:2002", pmid="2002", title="Efflux transporter polymorphisms lower intracellular methotrexate", year=2016,
           abstract="ABC transporter variants increased methotrexate efflux from lymphocytes of patients with RA."),
    Record(key="PMID:2003", pmid="2003", title="Adenosine release explains part of methotrexate's anti-inflammatory action", year=2014,
           abstract="Methotrexate raised extracellular adenosine, damping neutrophil and macrophage activation."),
    Record(key="PMID:2004", pmid="2004", title="Synovial tissue pathotypes and biologic response", year=2020,
           abstract="Lymphoid, myeloid and fibroid synovium responded differently to rituximab and tocilizumab."),
    Record(key="PMID:2005", pmid="2005", title="Cigarette smoking and poor methotrexate response", year=2011,
           abstract="Smokers with early rheumatoid arthritis responded less often to methotrexate."),
    Record(key="PMID:2006", pmid="2006", title="JAK inhibitor response and interferon signatures", year=2022,
           abstract="A baseline interferon gene signature was associated with response to JAK inhibition in RA."),
    Record(key="PMID:2007", pmid="2007", title="Anti-drug antibodies and secondary loss of response to TNF inhibitors", year=2013,
           abstract="Antibodies against adalimumab lowered trough drug levels and went with loss of response to TNF inhibition."),
    Record(key="PMID:2008", pmid="2008", title="Concomitant methotrexate and durable response to TNF inhibitors", year=2015,
           abstract="Patients on TNF inhibitors with concomitant methotrexate formed fewer anti-drug antibodies and kept their response longer."),
]


def requested_schema(fmt: dict[str, Any]) -> type:
    """The draft model an OpenAI-style ``response_format.json_schema`` asks for (what the scripted
    responders dispatch on). Schemas built per call (readings, hypotheses on an endpoint's rich
    profile) are rebuilt from the request."""
    name = fmt["name"]
    if name == "EvidenceReadings":
        return m.readings_schema(len(fmt["schema"]["properties"]), "rich")
    if name == "HypothesisDraft":
        return m.hypothesis_draft("rich")
    if name == "HypothesisFix":  # a targeted revision: the fields the request names
        return m.hypothesis_fix("rich", tuple(fmt["schema"]["properties"]))
    if name == "MetaReviewDraft":  # the candidates offered as the lead
        lead = fmt["schema"]["properties"]["lead"]
        return m.metareview_schema(len(lead.get("enum") or [lead["const"]]), "rich")
    return getattr(m, name, None) or type(name, (), {})  # ToolRequests is built per run


def offered_keys(schema: dict[str, Any]) -> list[str]:
    """The citation keys a request's JSON schema allows (the ``enum`` of its citation-key fields):
    what a fake OpenAI-compatible endpoint needs to answer as the scripted LLM would."""
    from hypoforge.agents.llm.grammar import CITATION_KEY_MARK

    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get(CITATION_KEY_MARK) and "enum" in node:
                found.extend(k for k in node["enum"] if k)
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(schema)
    return sorted(set(found))


class _Responder:
    """Picklable responder with the per-goal workload options."""

    def __init__(self, delay: float, fail_at: int | None) -> None:
        self.delay = delay
        self.fail_at = fail_at
        self.calls = 0

    def __call__(self, messages: Sequence[dict[str, str]], schema: type, keys: Sequence[str] | None) -> Any:
        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError(f"scripted failure at LLM call {self.calls}")
        if self.delay:
            time.sleep(self.delay)
        return responder(messages, schema, keys)


def scripted_deps(settings: Settings, goal: Any, on_event: Event | None, options: dict[str, Any]) -> Deps:
    """Deps factory (see :mod:`hypoforge.campaign`): scripted LLM, in-memory index."""
    delay = float((options.get("delay_for") or {}).get(goal.id, options.get("delay", 0.0)))
    fail_at = (options.get("fail") or {}).get(goal.id)
    llm = ScriptedLLM(responder=_Responder(delay, fail_at))
    return Deps(llm=llm, retriever=MemoryRetriever(RECORDS), settings=settings, embedder=LexicalEmbedder(), on_event=on_event)
