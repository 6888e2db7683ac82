"""The driver side of a campaign: ``DIR/campaign.json`` and the one process that writes it.

:class:`CampaignState` is everything ``campaign status`` and ``campaign resume`` read;
:class:`CampaignRunner` submits the unfinished goals to a pool (:mod:`hypoforge.campaign.pools`),
collects their results and writes every campaign file, always atomically.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from hypoforge.agents.deps import load_factory
from hypoforge.campaign.spec import CampaignSpec, GoalSpec
from hypoforge.errors import UserError
from hypoforge.files import write_atomic

DEFAULT_FACTORY = "hypoforge.campaign.worker:settings_deps"
# Deps factories as campaigns written before chat/ and campaign/ left agents/ stored them.
MOVED_FACTORIES = {
    "hypoforge.agents.campaign.runner:settings_deps": DEFAULT_FACTORY,
    "hypoforge.agents.campaign.testing:scripted_deps": "hypoforge.campaign.scripted:scripted_deps",
}
STATE_FILE = "campaign.json"

GoalState = Literal["pending", "running", "complete", "failed"]


class GoalStatus(BaseModel):
    id: str
    run_id: str
    status: GoalState = "pending"
    step: str | None = None
    round: int = 0
    steps: int = 0
    attempts: int = 0
    resumed: bool = False
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    seconds: float | None = None
    proposals: int = 0
    top_title: str | None = None
    top_elo: float | None = None


class CampaignState(BaseModel):
    """Everything ``campaign status`` and ``campaign resume`` need, in ``DIR/campaign.json``."""

    version: int = 1
    id: str
    spec: dict[str, Any] = Field(description="The validated spec (patient files resolved).")
    spec_path: str
    backend: Literal["local", "ray"] = "local"
    workers: int = 1
    ray_address: str | None = None
    deps_factory: str = DEFAULT_FACTORY
    deps_options: dict[str, Any] = Field(default_factory=dict)
    status: Literal["running", "complete", "partial", "interrupted"] = "running"
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    goals: dict[str, GoalStatus]

    @field_validator("deps_factory")
    @classmethod
    def _moved(cls, path: str) -> str:
        """A campaign written by an older version names the factory at its old module path."""
        return MOVED_FACTORIES.get(path, path)

    def spec_model(self) -> CampaignSpec:
        return CampaignSpec.model_validate(self.spec)


def goal_dir(out: Path, goal_id: str) -> Path:
    return out / "goals" / goal_id


def load_state(out: Path) -> CampaignState:
    path = Path(out) / STATE_FILE
    if not path.is_file():
        raise UserError(f"{out} is not a campaign directory (no {STATE_FILE}); pass the --out directory of 'hypoforge campaign run'")
    try:
        return CampaignState.model_validate_json(path.read_text("utf-8"))
    except ValueError as exc:
        raise UserError(f"{path} is damaged ({str(exc).splitlines()[0]}); rerun the campaign into a new directory") from None


def new_state(spec: CampaignSpec, spec_path: Path, *, workers: int, ray_address: str | None, deps_factory: str | None,
              deps_options: dict[str, Any] | None) -> CampaignState:
    assert spec.id is not None
    return CampaignState(
        id=spec.id,
        spec=spec.model_dump(mode="json"),
        spec_path=str(Path(spec_path).resolve()),
        backend="ray" if ray_address else "local",
        workers=workers,
        ray_address=ray_address,
        deps_factory=deps_factory or DEFAULT_FACTORY,
        deps_options=deps_options or {},
        goals={g.id: GoalStatus(id=g.id, run_id=f"{spec.id}-{g.id}") for g in spec.goals},
    )


def preflight(spec: CampaignSpec, deps_factory: str) -> None:
    """Capabilities the spec asks for must be installed: say so now, not halfway through."""
    load_factory(deps_factory)
    import importlib.util

    tool_goals = [g for g in spec.goals if g.tools]
    if tool_goals and importlib.util.find_spec("hypoforge.tools.registry") is None:
        raise UserError(f"goals {', '.join(g.id for g in tool_goals)} list tools but the tool registry is not installed in this build; remove 'tools' from those goals")
    if tool_goals:
        from hypoforge.tools.registry import ToolRegistry  # type: ignore[import-not-found]

        registry = ToolRegistry.from_entry_points()
        for g in tool_goals:
            for name in g.tools:
                try:
                    registry.get(name)
                except UserError as exc:  # unknown tool: the registry's message suggests the nearest names
                    raise UserError(f"goal {g.id!r}: {exc}") from None
    patient_goals = [g.id for g in spec.goals if g.patient_files]
    if patient_goals and importlib.util.find_spec("hypoforge.tools.genomics") is None:
        raise UserError(f"goals {', '.join(patient_goals)} list patient files but genotype reading (hypoforge.tools.genomics) is not installed in this build; remove 'patient_files' from those goals")


class CampaignRunner:
    """Drives one campaign directory: submits unfinished goals, collects results, writes outputs."""

    def __init__(self, state: CampaignState, out: Path, *, progress: bool = True, overrides: dict[str, Any] | None = None) -> None:
        self.state = state
        self.out = Path(out)
        self.spec = state.spec_model()
        self.progress_enabled = progress
        self.overrides = overrides or {}
        self._lock = threading.Lock()
        self._last_save = 0.0
        self._bars: Any = None

    # -- state
    def save(self, *, force: bool = True) -> None:
        now = time.time()
        if not force and now - self._last_save < 0.5:
            return
        with self._lock:
            self.state.updated = now
            text = self.state.model_dump_json(indent=2)
        write_atomic(self.out / STATE_FILE, text)
        self._last_save = now

    def _task(self, goal: GoalSpec) -> dict[str, Any]:
        from hypoforge.agents.settings import Settings, merge_settings

        data = self.spec.settings_for(goal)
        if self.overrides:
            merge_settings(data, self.overrides)
        s = Settings.model_validate(data)
        if s.index.dir is None and s.index.chroma_url is None:
            s.index.dir = s.index_dir().resolve()  # the shared index, before data_dir moves per goal
        if s.llm.n_threads is None and s.llm.url is None and self.state.backend == "local":
            # parallel goals share the cores: split them instead of each llama.cpp taking all
            s.llm.n_threads = max(1, (os.cpu_count() or 1) // max(1, self.state.workers))
        work = goal_dir(self.out, goal.id).resolve()
        s.data_dir = work / "data"
        return {
            "campaign_id": self.state.id,
            "goal": goal.model_dump(mode="json"),
            "settings": s.model_dump(mode="json"),
            "work_dir": str(work),
            "run_id": self.state.goals[goal.id].run_id,
            "deps_factory": self.state.deps_factory,
            "deps_options": self.state.deps_options,
        }

    # -- events and results
    def on_event(self, goal_id: str, name: str, payload: dict[str, Any]) -> None:
        if self.state.goals[goal_id].status == "pending":
            self.started(goal_id)  # a queued goal becomes running when its worker reports
        with self._lock:
            g = self.state.goals[goal_id]
            if name == "node_start":
                g.step, g.round = payload.get("node"), int(payload.get("round") or 0)
            elif name == "node_end":
                g.steps += 1
        if self._bars is not None:
            self._bars.step(goal_id, g)
        self.save(force=False)

    def started(self, goal_id: str) -> None:
        with self._lock:
            g = self.state.goals[goal_id]
            g.status, g.started, g.error, g.attempts = "running", time.time(), None, g.attempts + 1
        if self._bars is not None:
            self._bars.start(goal_id)
        self.save()

    def finished(self, goal_id: str, result: dict[str, Any]) -> None:
        from hypoforge.campaign.outputs import write_goal_outputs

        with self._lock:
            g = self.state.goals[goal_id]
            if g.status == "pending":
                g.attempts += 1
            g.finished = time.time()
            g.seconds = round(float(result.get("seconds") or 0.0), 2)
            g.resumed = bool(result.get("resumed"))
        if result.get("status") == "complete":
            try:
                write_goal_outputs(goal_dir(self.out, goal_id), result)
            except Exception as exc:  # an output we cannot write is this goal's failure, not the campaign's
                result = {"status": "failed", "error": f"writing outputs: {type(exc).__name__}: {exc}"}
        with self._lock:
            if result.get("status") == "complete":
                props = result["report"]["proposals"]
                g.status, g.step, g.error = "complete", "done", None
                g.proposals = len(props)
                g.top_title = props[0]["title"] if props else None
                g.top_elo = props[0]["elo"] if props else None
            else:
                g.status, g.error = "failed", result.get("error") or "unknown error"
                tb = result.get("traceback")
                if tb:
                    write_atomic(goal_dir(self.out, goal_id) / "error.txt", tb)
        if self._bars is not None:
            self._bars.finish(goal_id, g)
        self.save()

    # -- the run
    def run(self, executor: Any) -> CampaignState:
        """Run every goal that is not complete; write the summary outputs; return the final state."""
        from hypoforge.campaign.outputs import write_summary

        todo = [g for g in self.spec.goals if self.state.goals[g.id].status != "complete"]
        for g in todo:  # a goal left "running" by a killed campaign is pending again
            st = self.state.goals[g.id]
            st.status, st.step = "pending", None
        self.state.status = "running"
        self.save()
        from hypoforge.campaign.status import ProgressBars

        with ProgressBars(self.state, enabled=self.progress_enabled) as bars:
            self._bars = bars
            try:
                executor.run([(g.id, self._task(g)) for g in todo], self)
            except KeyboardInterrupt:
                self.state.status = "interrupted"
                self.save()
                raise
            finally:
                self._bars = None
        statuses = {g.status for g in self.state.goals.values()}
        self.state.status = "complete" if statuses == {"complete"} else "partial"
        self.save()
        write_summary(self.out, self.state)
        return self.state
