"""Progress of a run on stderr, fed by the loop's events (``Deps.on_event``).

Two renderers of the same events: on a terminal a live Rich display (spinner, round, the agent at
work, LLM calls, elapsed time; each finished step stays printed above it), elsewhere (a log file,
CI, a pipe) one plain line per finished step. ``hypoforge run`` and ``resume`` pick one with
:func:`run_progress`.

Events read: ``node_start`` (node, round), ``llm_call`` (node), ``node_end`` (node, round, calls,
seconds), ``hypothesis`` (id, title).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from hypoforge.agents.deps import Event


class StepCounter:
    """What both renderers show: round, current step, LLM calls, elapsed seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.t0 = clock()
        self.calls = 0
        self.steps = 0
        self.hypotheses = 0
        self.node = "starting"
        self.round: Any = ""

    def update(self, name: str, payload: dict[str, Any]) -> None:
        if name == "node_start":
            self.node, self.round = payload.get("node", self.node), payload.get("round", self.round)
        elif name == "llm_call":
            self.calls += 1
        elif name == "node_end":
            self.steps += 1
        elif name == "hypothesis":
            self.hypotheses += 1

    def elapsed(self) -> float:
        return self.clock() - self.t0

    def step_line(self, payload: dict[str, Any]) -> str:
        """One finished step: ``[ 12.3s] round 1 · generate · 3 LLM calls in 4.1 s (5 calls so far)``."""
        return (
            f"[{self.elapsed():6.1f}s] round {payload.get('round', self.round)} · {payload.get('node', self.node)} · "
            f"{payload.get('calls', 0)} LLM calls in {float(payload.get('seconds', 0.0)):.1f} s "
            f"({self.calls} calls so far)"
        )


class LineProgress:
    """One line per finished step, for a stderr that is not a terminal."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.counter = StepCounter(clock)

    def event(self, name: str, payload: dict[str, Any]) -> None:
        self.counter.update(name, payload)
        if name == "node_end":
            print(f"hypoforge: {self.counter.step_line(payload)}", file=self.stream, flush=True)


class LiveProgress:
    """A live status line on a terminal (re-rendered by Rich, so the clock runs between events);
    finished steps and new hypotheses print above it."""

    def __init__(self, console: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.counter = StepCounter(clock)
        self.status = console.status(self)

    def __rich__(self) -> Any:
        from rich.text import Text

        c = self.counter
        return Text.from_markup(
            f"round {c.round} · [bold]{c.node}[/bold] · {c.calls} LLM calls · {c.hypotheses} hypotheses · {c.elapsed():.0f} s"
        )

    def event(self, name: str, payload: dict[str, Any]) -> None:
        from rich.text import Text

        self.counter.update(name, payload)
        if name == "node_end":
            self.console.print(Text(self.counter.step_line(payload), style="dim"))
        elif name == "hypothesis":
            self.console.print(Text.assemble(("  new hypothesis: ", "dim"), str(payload.get("title", ""))))


@contextmanager
def run_progress(quiet: bool, stream: IO[str] | None = None) -> Iterator[Event | None]:
    """The event callback for a run (None when ``quiet``): live on a terminal, else one line per step."""
    if quiet:
        yield None
        return
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield LineProgress(stream).event
        return
    from rich.console import Console

    live = LiveProgress(Console(file=stream))
    live.status.start()
    try:
        yield live.event
    finally:
        live.status.stop()
