"""Run progress on stderr: one line per step off a terminal, a live display on one."""

from __future__ import annotations

import io
import re

from fakes import FakeEmbedder, FakeRetriever, responder

from hypoforge.agents.deps import Deps
from hypoforge.agents.llm import ScriptedLLM
from hypoforge.agents.progress import LineProgress, LiveProgress, run_progress
from hypoforge.agents.run import start_run
from hypoforge.agents.settings import LoopSettings, Settings

GOAL = "Why do a third of rheumatoid arthritis patients not respond to methotrexate?"
LINE = re.compile(r"^hypoforge: \[ *[\d.]+s\] round (\d+) · (\w+) · (\d+) LLM calls in [\d.]+ s \((\d+) calls so far\)$")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(tmp_path, on_event):
    settings = Settings(data_dir=tmp_path / "data", loop=LoopSettings(rounds=2, hypotheses=2, evolve_per_round=1))
    deps = Deps(llm=ScriptedLLM(responder=responder), retriever=FakeRetriever(), settings=settings,
                embedder=FakeEmbedder(), on_event=on_event)
    result = start_run(GOAL, settings, deps, out_dir=tmp_path / "out", run_id="p1")
    return deps, result


def test_one_line_per_step_when_not_a_terminal(tmp_path):
    stream = io.StringIO()
    with run_progress(quiet=False, stream=stream) as on_event:
        deps, result = _run(tmp_path, on_event)
    lines = stream.getvalue().splitlines()
    history = result.state["history"]
    assert len(lines) == len(history) > 0
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(int(p[1]), p[2], int(p[3])) for p in parsed] == [(h["round"], h["node"], h["calls"]) for h in history]
    so_far = [int(p[4]) for p in parsed]
    assert so_far == sorted(so_far) and so_far[-1] == deps.llm.stats.calls
    assert {"generate", "review", "rank"} <= {p[2] for p in parsed}


def test_quiet_prints_nothing():
    with run_progress(quiet=True, stream=io.StringIO()) as on_event:
        assert on_event is None


def test_elapsed_time_comes_from_the_clock():
    ticks = iter([100.0, 112.5])
    out = io.StringIO()
    p = LineProgress(out, clock=lambda: next(ticks))
    p.event("node_start", {"node": "generate", "round": 1})
    p.event("llm_call", {"node": "generate"})
    p.event("node_end", {"node": "generate", "round": 1, "calls": 1, "seconds": 4.0})
    assert out.getvalue() == "hypoforge: [  12.5s] round 1 · generate · 1 LLM calls in 4.0 s (1 calls so far)\n"


def test_live_display_on_a_terminal(tmp_path):
    from rich.console import Console

    stream = _Tty()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None)
    live = LiveProgress(console)
    live.status.start()
    try:
        deps, result = _run(tmp_path, live.event)
        status = live.__rich__().plain
    finally:
        live.status.stop()
    text = stream.getvalue()
    assert f"{deps.llm.stats.calls} LLM calls" in status and "hypotheses" in status
    assert "new hypothesis: " in text
    titles = [p.title for p in result.report.proposals]
    assert any(t in text for t in titles)
    assert text.count(" calls so far)") == len(result.state["history"])


def test_run_progress_picks_the_live_display_on_a_terminal():
    stream = _Tty()
    with run_progress(quiet=False, stream=stream) as on_event:
        assert isinstance(on_event.__self__, LiveProgress)
    with run_progress(quiet=False, stream=io.StringIO()) as on_event:
        assert isinstance(on_event.__self__, LineProgress)
