"""The worker side of a campaign: run one goal to the end and return its results.

:func:`run_goal` runs in a local worker process or as a Ray task. It never touches campaign files
(only the driver writes them, see :mod:`hypoforge.campaign.driver`): it returns the report, its
Markdown and the Elo history, or the goal's failure, and forwards progress events to a sink.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from hypoforge.agents.deps import load_factory
from hypoforge.campaign.spec import GoalSpec

FORWARDED_EVENTS = frozenset({"node_start", "node_end"})


def settings_deps(settings: Any, goal: GoalSpec, on_event: Any, options: dict[str, Any]) -> Any:
    """Default deps factory: the real LLM (embedded or endpoint) and index from the settings."""
    from hypoforge.agents.deps import Deps

    deps = Deps.from_settings(settings, on_event=on_event)
    if goal.tools:
        deps.tools = deps.tools.subset(goal.tools)
    return deps


def run_goal(task: dict[str, Any], sink: Any = None) -> dict[str, Any]:
    """Run (or resume) one goal to the end and return its results; never raises.

    ``task`` is JSON-clean (see :meth:`hypoforge.campaign.driver.CampaignRunner._task`); ``sink`` has ``put(item)`` (a queue)
    or is None. Runs in a worker process or a Ray task.
    """
    from hypoforge.agents.run import has_checkpoint, is_recorded, resume_run, start_run
    from hypoforge.agents.settings import Settings

    t0 = time.time()
    sink = sink if sink is not None else _LOCAL_SINK
    goal = GoalSpec.model_validate(task["goal"])

    def on_event(name: str, payload: dict[str, Any]) -> None:
        if sink is not None and name in FORWARDED_EVENTS:
            try:
                sink.put((goal.id, name, {k: v for k, v in payload.items() if k in ("node", "round")}))
            except Exception:  # progress is best effort; never fail a goal over it
                pass

    try:
        settings = Settings.model_validate(task["settings"])
        run_id = task["run_id"]
        deps = load_factory(task["deps_factory"])(settings, goal, on_event, task.get("deps_options") or {})
        recorded = is_recorded(settings, run_id)
        resumed = recorded and has_checkpoint(settings, run_id)
        if recorded:  # resume_run starts again from the goal when the goal was killed before its first checkpoint
            result = resume_run(run_id, settings, deps)
        else:
            result = start_run(goal.goal, settings, deps, out_dir=Path(task["work_dir"]) / "data" / "report", run_id=run_id)
        return {
            "status": "complete",
            "report": result.report.model_dump(mode="json"),
            "report_md": result.report_md.read_text("utf-8"),
            "elo": _elo(result.state, [p.id for p in result.report.proposals]),
            "resumed": resumed,
            "seconds": time.time() - t0,
        }
    except BaseException as exc:  # noqa: BLE001 - a goal's failure is reported, not raised
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}".strip()[:500],
            "traceback": traceback.format_exc()[-4000:],
            "seconds": time.time() - t0,
        }


def _elo(state: dict[str, Any], ranked_ids: list[str]) -> dict[str, Any]:
    """Online Elo after each round for the goal's proposals (for the plot), from the final state."""
    from hypoforge.agents.tournament import Match, elo_history

    matches = [Match.model_validate(m) for m in state.get("matches") or []]
    ids = sorted({x for m in matches for x in (m.a, m.b)} | set(ranked_ids))
    history = elo_history(ids, matches)
    return {
        "rounds": sorted({m.round for m in matches}),
        "ratings": {i: [round(h[i], 1) for h in history] for i in ranked_ids},
    }


_LOCAL_SINK: Any = None


def init_local_worker(queue: Any) -> None:
    """Pool initializer: keep the progress queue for :func:`run_goal` in this worker process, and
    end this worker when the driver dies (a driver killed with -9 must not leave workers running)."""
    global _LOCAL_SINK
    _LOCAL_SINK = queue
    watch_parent()


def watch_parent(interval: float = 0.5) -> None:
    """Die with the parent process: PR_SET_PDEATHSIG on Linux (works even while this process is
    busy in C code), and everywhere a daemon thread that exits when the parent id changes."""
    import signal

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def poll() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=poll, name="watch-parent", daemon=True).start()
