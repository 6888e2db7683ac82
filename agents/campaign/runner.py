"""Run a campaign: every goal is one co-scientist run, in parallel, each with its own checkpoint.

Design:

* **One writer.** Only the driver (the ``hypoforge campaign`` process) writes ``DIR/campaign.json``
  and the campaign outputs, always atomically. Workers run one goal each and *return* the result
  (report JSON and Markdown, Elo history); they never touch campaign files. That is what lets the
  same worker function run in a local process pool or as a Ray task on another machine.
* **One checkpoint per goal.** A goal's run id is ``<campaign id>-<goal id>`` and its data dir is
  ``DIR/goals/<id>/data`` (so its LangGraph SQLite checkpoint is its own file: parallel goals never
  contend for one database). ``campaign resume DIR`` skips goals whose status is ``complete`` and
  calls :func:`~hypoforge.agents.run.resume_run` for goals that have a checkpoint, ``start_run``
  for the rest.
* **Failures are data.** A goal that raises is returned as ``failed`` with its error; the campaign
  goes on, and the summary lists it. A worker process that dies (segfault, OOM kill) breaks the
  pool: the goals it was running are marked failed and a fresh pool takes the rest.
* **Injectable dependencies.** Workers build their LLM and index with a *deps factory* named by a
  dotted path ``"module:function"`` called as ``factory(settings, goal, on_event, options)``.
  The default builds the real ones (:meth:`Deps.from_settings`); tests and the overhead benchmark
  use :func:`hypoforge.agents.campaign.testing.scripted_deps`. A path (not a callable) is stored in
  ``campaign.json``, so ``resume`` uses the same factory.
* **Progress.** Workers forward ``node_start``/``node_end`` events (a multiprocessing queue locally,
  a Ray queue actor on a cluster); the driver updates the Rich progress bars and ``campaign.json``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from hypoforge.agents.campaign.spec import CampaignSpec, GoalSpec
from hypoforge.agents.deps import load_factory
from hypoforge.files import write_atomic
from hypoforge.errors import UserError

DEFAULT_FACTORY = "hypoforge.agents.campaign.runner:settings_deps"
FORWARDED_EVENTS = frozenset({"node_start", "node_end"})
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

    def spec_model(self) -> CampaignSpec:
        return CampaignSpec.model_validate(self.spec)


# ------------------------------------------------------------------ the worker side


def settings_deps(settings: Any, goal: GoalSpec, on_event: Any, options: dict[str, Any]) -> Any:
    """Default deps factory: the real LLM (embedded or endpoint) and index from the settings."""
    from hypoforge.agents.deps import Deps

    deps = Deps.from_settings(settings, on_event=on_event)
    if goal.tools:
        deps.tools = deps.tools.subset(goal.tools)
    return deps


def run_goal(task: dict[str, Any], sink: Any = None) -> dict[str, Any]:
    """Run (or resume) one goal to the end and return its results; never raises.

    ``task`` is JSON-clean (see :meth:`CampaignRunner._task`); ``sink`` has ``put(item)`` (a queue)
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


def _init_local_worker(queue: Any) -> None:
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


# ------------------------------------------------------------------ the driver side


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
        from hypoforge.agents.campaign.outputs import write_goal_outputs

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
        from hypoforge.agents.campaign.outputs import write_summary

        todo = [g for g in self.spec.goals if self.state.goals[g.id].status != "complete"]
        for g in todo:  # a goal left "running" by a killed campaign is pending again
            st = self.state.goals[g.id]
            st.status, st.step = "pending", None
        self.state.status = "running"
        self.save()
        from hypoforge.agents.campaign.status import ProgressBars

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


# ------------------------------------------------------------------ executors


def checkout_path_shim() -> str | None:
    """A sys.path entry that makes ``hypoforge`` importable in fresh worker processes.

    When hypoforge is installed, workers import it normally (None). When it runs from a source
    checkout (registered under the name ``hypoforge`` by ``_bootstrap.py``), a fresh interpreter
    could not import it: we add a folder holding a ``hypoforge`` symlink to the checkout.
    """
    import hypoforge

    import hashlib
    import tempfile

    root = Path(hypoforge.__file__).resolve().parent
    tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    shim = Path(tempfile.gettempdir()) / f"hypoforge-path-{tag}"
    for entry in sys.path:
        if Path(entry or ".").resolve() == shim.resolve():
            continue  # our own shim (added by an earlier pool in this process) does not count
        candidate = Path(entry or ".") / "hypoforge" / "__init__.py"
        if candidate.is_file() and candidate.resolve().parent == root:
            return None
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "hypoforge"
    if not (link.is_symlink() and link.resolve() == root):
        tmp = shim / f".hypoforge-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(root, target_is_directory=True)
        os.replace(tmp, link)
    return str(shim)


class LocalPool:
    """Goals in a process pool (spawned processes: safe with threads, same on every OS)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))

    def run(self, tasks: list[tuple[str, dict[str, Any]]], runner: CampaignRunner) -> None:
        import multiprocessing as mp
        import queue as queue_mod
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        shim = checkout_path_shim()
        if shim and shim not in sys.path:
            sys.path.append(shim)  # spawned children inherit the parent's sys.path
        ctx = mp.get_context("spawn")
        events = ctx.Queue()
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    goal_id, name, payload = events.get(timeout=0.1)
                except queue_mod.Empty:
                    continue
                except (EOFError, OSError):
                    return
                runner.on_event(goal_id, name, payload)

        thread = threading.Thread(target=pump, name="campaign-events", daemon=True)
        thread.start()
        pending = list(tasks)
        try:
            while pending:
                with ProcessPoolExecutor(max_workers=min(self.workers, len(pending)), mp_context=ctx,
                                         initializer=_init_local_worker, initargs=(events,)) as pool:
                    futures = {}
                    for goal_id, task in pending:
                        futures[pool.submit(run_goal, task)] = goal_id
                    pending = []
                    live = set(futures)
                    broken: list[str] = []
                    while live:
                        done, live = wait(live, return_when=FIRST_COMPLETED)
                        for fut in done:
                            gid = futures[fut]
                            try:
                                runner.finished(gid, fut.result())
                            except BrokenProcessPool:
                                broken.append(gid)
                    for gid in broken:
                        # we cannot tell which goal killed the process; the ones that had not
                        # begun get another pool, the ones that had are failed
                        g = runner.state.goals[gid]
                        if g.steps == 0 and g.step is None:
                            pending.append((gid, next(t for i, t in tasks if i == gid)))
                        else:
                            runner.finished(gid, {"status": "failed", "error": "the worker process died (killed or crashed); see the system log"})
                    if broken and len(pending) == len(broken):
                        # nobody had begun: the pool itself cannot start, so stop retrying
                        for gid, _ in pending:
                            runner.finished(gid, {"status": "failed", "error": "worker processes could not start"})
                        pending = []
        finally:
            stop.set()
            thread.join(timeout=2)
            events.close()


def check_ray_address(address: str, timeout: float = 3.0) -> None:
    """Fail fast, in one line, when ``address`` cannot be reached (ray.init would wait much longer)."""
    import socket

    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"Ray address {address!r} is not HOST:PORT (e.g. 10.0.0.5:6379 or ray://10.0.0.5:10001)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with 'ray start --head' or fix --ray") from None


class RayPool:
    """Goals as Ray tasks on an existing cluster (one CPU each, no retries: failures are reported)."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers
        self._ray: Any = None

    def connect(self) -> Any:
        """Join the cluster (once); every failure is a one-line :class:`UserError`."""
        if self._ray is not None:
            return self._ray
        import importlib.util

        # Both checks before importing Ray (slow, and it reads its settings at import): one-line errors.
        if importlib.util.find_spec("ray") is None:
            raise UserError("--ray needs Ray, which is not installed; install it with: pip install 'hypoforge[ray]'")
        check_ray_address(self.address)
        import ray

        shim = checkout_path_shim()
        runtime_env = {"env_vars": {"PYTHONPATH": shim}} if shim else None
        try:
            if self.address == "local":
                ray.init(num_cpus=self.workers, runtime_env=runtime_env, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            else:
                ray.init(address=self.address, runtime_env=runtime_env, logging_level="ERROR", log_to_driver=False)
        except Exception as exc:  # ConnectionError, RuntimeError, version mismatch ...
            raise UserError(f"cannot join the Ray cluster at {self.address}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        self._ray = ray
        return ray

    def run(self, tasks: list[tuple[str, dict[str, Any]]], runner: CampaignRunner) -> None:
        ray = self.connect()
        from ray.util.queue import Empty, Queue

        refs: dict[Any, str] = {}
        try:
            events = Queue(actor_options={"num_cpus": 0})
            remote = ray.remote(num_cpus=1, max_retries=0)(run_goal)
            for goal_id, task in tasks:
                refs[remote.remote(task, events)] = goal_id

            def drain() -> None:
                try:
                    for goal_id, name, payload in events.get_nowait_batch(events.qsize()):
                        runner.on_event(goal_id, name, payload)
                except Empty:
                    pass

            while refs:
                done, _ = ray.wait(list(refs), num_returns=1, timeout=0.2)
                drain()
                for ref in done:
                    gid = refs.pop(ref)
                    try:
                        result = ray.get(ref)
                    except Exception as exc:  # worker died, task cancelled, the task could not import, ...
                        cause = getattr(exc, "cause", None) or exc
                        result = {"status": "failed", "error": f"Ray task failed: {type(cause).__name__}: {cause}".strip()[:500],
                                  "traceback": str(exc)[-4000:]}
                    runner.finished(gid, result)
            drain()
        except KeyboardInterrupt:
            for ref in refs:  # do not leave goals running on the cluster for nobody
                ray.cancel(ref, force=True)
            raise
        finally:
            ray.shutdown()
