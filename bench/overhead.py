"""Share of an end-to-end run's wall time spent outside LLM and tool calls. Target <= 5%.

Runs the co-scientist on the embedded model against a starter-pack index (built in a temporary
folder unless --index is given) and splits the wall time of ``start_run`` into LLM time (measured
inside the LLM backend), tool time (from the tool results) and everything else: retrieval,
embedding for proximity, prompt rendering, LangGraph and checkpointing, reports.

    python bench/overhead.py [--model smollm2-135m] [--rounds 1] [--hypotheses 2] [--index DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import bootstrap, result

bootstrap()

from hypoforge.agents.deps import Deps  # noqa: E402
from hypoforge.agents.run import start_run  # noqa: E402
from hypoforge.agents.settings import Settings  # noqa: E402
from hypoforge.tools.registry import ToolRegistry  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--hypotheses", type=int, default=2)
    ap.add_argument("--index", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index
        if index is None:
            from hypoforge.knowledge.embeddings import load_embedder
            from hypoforge.knowledge.store import KnowledgeIndex

            index = Path(tmp) / "index"
            KnowledgeIndex(index, embedder=load_embedder(None)).add_starter()
        settings = Settings.layered(None, {"llm": {"model": args.model}, "index": {"dir": str(index)}, "data_dir": tmp,
                                           "loop": {"rounds": args.rounds, "hypotheses": args.hypotheses}})
        deps = Deps.from_settings(settings)
        assert isinstance(deps.tools, ToolRegistry)
        t0 = time.perf_counter()
        res = start_run("Why do a third of rheumatoid arthritis patients not respond to methotrexate?", settings, deps,
                        out_dir=Path(tmp) / "out")
        wall = time.perf_counter() - t0
    llm = deps.llm.stats.seconds
    tools = sum(t.seconds for t in res.report.tool_evidence)
    other = wall - llm - tools
    share = other / wall
    print(f"wall {wall:.1f} s: LLM {llm:.1f} s in {deps.llm.stats.calls} calls, tools {tools:.2f} s, "
          f"everything else {other:.2f} s ({100 * share:.1f}%)")
    result("run_overhead_share", share, (llm + tools) / wall, f"share of wall time outside LLM and tools ({deps.llm.name})",
           "<= 0.05", share <= 0.05, wall_s=round(wall, 1), llm_s=round(llm, 1), other_s=round(other, 2))


if __name__ == "__main__":
    main()
