"""The co-scientist graph: wiring only.

Every worker returns to the supervisor, which picks the next step from state statistics
(:func:`hypoforge.agents.supervisor.decide`) or ends the run. Dependencies arrive through the
runtime context (``context_schema=Deps``); checkpoints go to the injected checkpointer.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from hypoforge.agents.critic import review
from hypoforge.agents.deps import Deps
from hypoforge.agents.evolver import evolve
from hypoforge.agents.generator import generate
from hypoforge.agents.metareview import metareview
from hypoforge.agents.proximity import proximity
from hypoforge.agents.ranker import rank_step
from hypoforge.agents.state import State
from hypoforge.agents.supervisor import supervisor


def build_graph(checkpointer: Any = None) -> Any:
    g = StateGraph(State, context_schema=Deps)
    g.add_node("supervisor", supervisor)  # plan, safety screen, route (Command goto) or end
    g.add_node("generate", generate)  # retrieve, read evidence, propose hypotheses
    g.add_node("review", review)  # per-criterion review and citation check of new hypotheses
    g.add_node("proximity", proximity)  # merge near-duplicates, similarity for pairing
    g.add_node("rank", rank_step)  # judged pairwise matches and debates
    g.add_node("evolve", evolve)  # refine / combine / simplify / bolder from the best
    g.add_node("metareview", metareview)  # recurring critiques -> lessons, overview
    g.add_node("finalize", lambda state: {})  # stop marker: the report is built from the final state
    g.add_edge(START, "supervisor")  # every run starts with the supervisor
    for worker in ("generate", "review", "proximity", "rank", "evolve", "metareview"):
        g.add_edge(worker, "supervisor")  # workers hand control back to the supervisor
    g.add_edge("finalize", END)  # the run ends after finalize
    return g.compile(checkpointer=checkpointer)
