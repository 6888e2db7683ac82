"""Campaign progress: live Rich bars while running, and the ``campaign status DIR`` table.

The bars are driven by the runner (goal started / step events / finished); the table reads only
``DIR/campaign.json``, so it works from another terminal while a campaign runs, after a kill, and
on a copy of the folder.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

STYLE = {"complete": "green", "failed": "red", "running": "yellow", "pending": "dim"}


class ProgressBars:
    """One bar for the campaign (goals done of total) and one line per running goal (its steps).

    A goal's total is an estimate (six steps per round): the bar is a sense of progress, the step
    name and round beside it are exact.
    """

    def __init__(self, state: Any, *, enabled: bool = True, console: Console | None = None) -> None:
        self.state = state
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBars:
        if self.enabled:
            self.progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=self.console, transient=False,
            )
            self.progress.start()
            done = sum(1 for g in self.state.goals.values() if g.status == "complete")
            self.overall = self.progress.add_task(f"campaign {self.state.id}", total=len(self.state.goals), completed=done)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _rounds(self, goal_id: str) -> int:
        spec = self.state.spec_model()
        g = next(x for x in spec.goals if x.id == goal_id)
        return int(spec.settings_for(g)["loop"]["rounds"])

    def start(self, goal_id: str) -> None:
        if self.progress is None:
            return
        self.tasks[goal_id] = self.progress.add_task(f"  {goal_id}: starting", total=6 * self._rounds(goal_id))

    def step(self, goal_id: str, g: Any) -> None:
        if self.progress is None or goal_id not in self.tasks:
            return
        self.progress.update(self.tasks[goal_id], completed=g.steps, description=f"  {goal_id}: {g.step} (round {g.round + 1})")

    def finish(self, goal_id: str, g: Any) -> None:
        if self.progress is None:
            return
        task = self.tasks.pop(goal_id, None)
        if task is not None:
            self.progress.update(task, completed=self.progress.tasks[task].total if g.status == "complete" else g.steps,
                                 description=f"  {goal_id}: [{STYLE[g.status]}]{g.status}[/]")
        self.progress.advance(self.overall)


def status_table(state: Any) -> Table:
    done = sum(1 for g in state.goals.values() if g.status == "complete")
    table = Table(title=f"campaign {state.id}: {state.status}, {done}/{len(state.goals)} goals complete ({state.backend})")
    for col in ("goal", "status", "step", "round", "steps", "proposals", "top proposal", "Elo", "time"):
        table.add_column(col, justify="right" if col in ("round", "steps", "proposals", "Elo", "time") else "left",
                         no_wrap=col in ("goal", "status", "step"))
    now = time.time()
    for g in state.goals.values():
        if g.seconds is not None:
            t = f"{g.seconds:.1f}s"
        elif g.started is not None and g.status == "running":
            t = f"{now - g.started:.0f}s"
        else:
            t = ""
        detail = g.error if g.status == "failed" else (g.top_title or "")
        table.add_row(
            g.id, f"[{STYLE[g.status]}]{g.status}[/]", g.step or "", str(g.round + 1) if g.steps else "", str(g.steps),
            str(g.proposals) if g.status == "complete" else "", detail, "" if g.top_elo is None else f"{g.top_elo:.0f}", t,
        )
    return table
