"""Start and resume runs: validation, checkpointing, and the report at the end.

Layout under the data dir::

    runs/checkpoints.sqlite      LangGraph SQLite checkpoints, thread id = run id
    runs/<run_id>/run.json       what is needed to resume: goal, settings, out dir, status
    <out_dir>/report.{json,md}   written atomically when the run finishes (default: runs/<run_id>)

Everything the user can get wrong is checked before any work starts (goal text, harmful goals,
model, out dir), so a bad invocation writes nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from hypoforge.agents.deps import Deps
from hypoforge.agents.patient import PatientInput, patient_state
from hypoforge.agents.report import Report, build_report, write_report
from hypoforge.files import write_atomic
from hypoforge.agents.settings import Settings
from hypoforge.agents.supervisor import REFUSAL, harmful
from hypoforge.errors import UserError

MAX_GOAL_CHARS = 4000


def validate_goal(goal: str) -> str:
    text = " ".join((goal or "").split())
    if not text:
        raise UserError("the research goal is empty; pass a goal such as: hypoforge run \"Why do some RA patients not respond to methotrexate?\"")
    if len(goal) > MAX_GOAL_CHARS:
        raise UserError(f"the research goal is {len(goal)} characters; the limit is {MAX_GOAL_CHARS}: shorten it to the question itself")
    if harmful(text):
        raise UserError(f"goal refused: {REFUSAL}")
    return text


def check_writable(out_dir: Path) -> Path:
    out_dir = Path(out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"output directory {out_dir} is not writable ({exc.strerror or exc}); pass --out with a writable directory") from exc
    return out_dir


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@contextmanager
def checkpointer(runs_dir: Path) -> Iterator[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    runs_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(runs_dir / "checkpoints.sqlite", check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@dataclass
class RunResult:
    report: Report
    report_json: Path
    report_md: Path
    state: dict[str, Any]  # the final graph state the report was built from


def run_meta_path(settings: Settings, run_id: str) -> Path:
    return settings.runs_dir() / run_id / "run.json"


def execute(run_id: str, inputs: dict[str, Any] | None, settings: Settings, deps: Deps, out_dir: Path) -> RunResult:
    """Run the graph for ``run_id`` until it ends, then write the report.

    ``inputs=None`` continues from the last checkpoint; a dict starts the thread (or, on a finished
    thread, restarts the supervisor with that state update, which is how chat adds rounds).
    """
    from hypoforge.agents.graph import build_graph

    meta_path = run_meta_path(settings, run_id)
    config = {"configurable": {"thread_id": run_id}, "recursion_limit": 1000}
    with checkpointer(settings.runs_dir()) as saver:
        graph = build_graph(saver)
        graph.invoke(inputs, config, context=deps)
        state = graph.get_state(config).values
    report = build_report(state, retriever=deps.retriever, model=deps.llm.name, llm_stats=deps.llm.stats.as_dict())
    js, md = write_report(report, out_dir)
    meta = json.loads(meta_path.read_text("utf-8"))
    meta.update(status="complete", finished=time.time())
    write_atomic(meta_path, json.dumps(meta, indent=2))
    return RunResult(report, js, md, dict(state))


def start_run(
    goal: str,
    settings: Settings,
    deps: Deps,
    *,
    out_dir: Path | None = None,
    run_id: str | None = None,
    patient: PatientInput | None = None,
) -> RunResult:
    """Validate, record the run, and execute it to the end (checkpointing after every step)."""
    goal = validate_goal(goal)
    run_id = run_id or new_run_id()
    out = check_writable(out_dir or settings.runs_dir() / run_id)
    inputs: dict[str, Any] = {"goal": goal, "run_id": run_id, "round": 0}
    if patient is not None:  # fails with a one-line error before anything is recorded
        extra = patient_state(patient, deps)
        constraints = extra.pop("constraints", [])
        inputs.update(extra)
        if constraints:
            settings = settings.model_copy(deep=True)
            settings.loop.constraints = [*settings.loop.constraints, *constraints]
            deps.settings = settings
    meta = {
        "run_id": run_id,
        "goal": goal,
        "settings": settings.model_dump(mode="json"),
        "out_dir": str(out.resolve()),
        "model": deps.llm.name,
        "status": "running",
        "started": time.time(),
    }
    write_atomic(run_meta_path(settings, run_id), json.dumps(meta, indent=2))
    return execute(run_id, inputs, settings, deps, out)


def load_run(settings: Settings, run_id: str) -> dict[str, Any]:
    path = run_meta_path(settings, run_id)
    if not path.is_file():
        raise UserError(f"unknown run id {run_id!r} under {settings.runs_dir()}; list runs with 'hypoforge runs'")
    return json.loads(path.read_text("utf-8"))


def resume_run(run_id: str, settings: Settings, deps: Deps) -> RunResult:
    """Continue a killed or interrupted run from its last checkpoint (completed runs just re-report)."""
    meta = load_run(settings, run_id)
    return execute(run_id, None, settings, deps, Path(meta["out_dir"]))


def list_runs(settings: Settings) -> list[dict[str, Any]]:
    runs = []
    root = settings.runs_dir()
    if root.is_dir():
        for meta in sorted(root.glob("*/run.json")):
            try:
                runs.append(json.loads(meta.read_text("utf-8")))
            except (OSError, json.JSONDecodeError):
                continue
    return runs
