"""Start and resume runs: validation, checkpointing, and the report at the end.

Layout under the data dir (folders 0700, files 0600: checkpoints and run records can hold patient data)::

    runs/<run_id>/checkpoints.sqlite   the run's LangGraph SQLite checkpoints (WAL), thread id = run id
    runs/<run_id>/run.json       what is needed to resume: goal, settings, out dir, patient files, status
    runs/checkpoints.sqlite      the shared database of older versions (still read for their runs)
    <out_dir>/report.{json,md}   written atomically when the run finishes (default: runs/<run_id>)

Everything the user can get wrong is checked before any work starts (goal text, harmful goals,
model, out dir), so a bad invocation writes nothing; a run that fails before any step finished
removes its record again. A run that fails later is marked ``failed`` (``interrupted`` on Ctrl-C)
and stays resumable from its last checkpoint. A full or read-only disk is one line, never a
traceback, and the last checkpoint stays intact (SQLite commits are atomic).

This module is the one owner of a run's stored state; the front ends (``hypoforge chat``,
campaigns) go through it and never open a checkpoint database or write ``run.json`` themselves:
:func:`load_run`/:func:`save_run` and :func:`is_recorded` (the record), :func:`has_checkpoint`,
:func:`read_state`/:func:`write_state` (the checkpointed graph state) and :func:`continue_run`
(more rounds on a finished run).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from hypoforge.agents.deps import Deps
from hypoforge.agents.patient import PatientInput, patient_state
from hypoforge.agents.report import Report, build_report, write_report
from hypoforge.agents.settings import Settings
from hypoforge.agents.supervisor import REFUSAL, harmful
from hypoforge.errors import UserError
from hypoforge.files import check_name, make_private, private_dir, storage_fault, strip_controls, write_atomic

MAX_GOAL_CHARS = 4000
BUSY_TIMEOUT_S = 60.0  # a run's database may be read while it writes (chat, status): wait for a writer, never fail


def validate_goal(goal: str) -> str:
    text = " ".join(strip_controls(goal or "").split())
    if not text:
        raise UserError("the research goal is empty; pass a goal such as: hypoforge run \"Why do some RA patients not respond to methotrexate?\"")
    if len(goal) > MAX_GOAL_CHARS:
        raise UserError(f"the research goal is {len(goal)} characters; the limit is {MAX_GOAL_CHARS}: shorten it to the question itself")
    if harmful(text):
        raise UserError(f"goal refused: {REFUSAL}")
    return text


def check_run_id(run_id: str) -> str:
    return check_name(run_id, "run id", "see 'hypoforge runs'")


def check_writable(out_dir: Path) -> Path:
    """Refuse an out dir that cannot be created or written, without creating anything."""
    out_dir = Path(out_dir).expanduser()
    probe = out_dir
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    problem = None
    if not probe.is_dir():
        problem = f"{probe} is not a directory"
    elif not os.access(probe, os.W_OK | os.X_OK):
        problem = f"no write permission on {probe}"
    if problem:
        raise UserError(f"output directory {out_dir} is not writable ({problem}); pass --out with a writable directory")
    return out_dir


def prepare_out(out_dir: Path) -> Path:
    """Create the (validated) out dir, private when it is new, and prove it takes a file."""
    try:
        private_dir(out_dir)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"output directory {out_dir} is not writable ({exc.strerror or exc}); pass --out with a writable directory") from exc
    return out_dir


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


LEGACY_DB = "checkpoints.sqlite"


def checkpoint_db(runs_dir: Path, run_id: str) -> Path:
    """Where ``run_id``'s checkpoints live: ``runs/<run_id>/checkpoints.sqlite``.

    One database per run, inside the run's own folder, so a run's state (a patient's genotype
    included) never sits in a file that other runs write to. A run recorded before this layout,
    whose thread is in the old shared ``runs/checkpoints.sqlite``, keeps using that file.
    """
    own = runs_dir / run_id / "checkpoints.sqlite"
    legacy = runs_dir / LEGACY_DB
    if not own.exists() and legacy.is_file():
        try:
            with closing(sqlite3.connect(f"file:{legacy}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)) as conn:
                if conn.execute("select 1 from checkpoints where thread_id = ? limit 1", (run_id,)).fetchone():
                    return legacy
        except sqlite3.Error:
            pass
    return own


def thread_config(run_id: str) -> dict[str, Any]:
    """The LangGraph config of ``run_id``'s thread (one thread per run, in its checkpoint database)."""
    return {"configurable": {"thread_id": run_id}, "recursion_limit": 1000}


@contextmanager
def checkpointer(runs_dir: Path, run_id: str) -> Iterator[Any]:
    """The SQLite checkpointer of one run (:func:`checkpoint_db`): private files, WAL, and a busy timeout."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    db = checkpoint_db(runs_dir, run_id)
    private_dir(db.parent)
    os.close(os.open(db, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite gives -wal and -shm the database's mode
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        make_private(path)  # also tightens a database made by an older version (0644)
    conn = sqlite3.connect(db, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
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
    return settings.runs_dir() / check_run_id(run_id) / "run.json"


def is_recorded(settings: Settings, run_id: str) -> bool:
    """Whether ``run_id`` has a run record (it was started, whether or not it checkpointed)."""
    return run_meta_path(settings, run_id).is_file()


def save_run(settings: Settings, run_id: str, meta: dict[str, Any]) -> None:
    """Write ``run_id``'s run record atomically."""
    write_atomic(run_meta_path(settings, run_id), json.dumps(meta, indent=2))


def _set_status(meta_path: Path, status: str, error: str | None = None) -> None:
    """Best effort: a full disk must not hide the original error behind a second one."""
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        meta.update(status=status, finished=time.time(), error=error)
        write_atomic(meta_path, json.dumps(meta, indent=2))
    except (OSError, ValueError):
        pass


def _fault_line(exc: BaseException, run_id: str) -> str | None:
    cause = storage_fault(exc)
    if cause is None:
        return None
    return (f"run {run_id} stopped: {cause}; the last checkpoint is intact: free space (or make the data dir "
            f"writable) and continue with 'hypoforge resume {run_id}'")


def execute(run_id: str, inputs: dict[str, Any] | None, settings: Settings, deps: Deps, out_dir: Path) -> RunResult:
    """Run the graph for ``run_id`` until it ends, then write the report.

    ``inputs=None`` continues from the last checkpoint; a dict starts the thread (or, on a finished
    thread, restarts the supervisor with that state update, which is how chat adds rounds).
    A failure marks the run ``failed`` (``interrupted`` on Ctrl-C) and is raised again; a full or
    read-only disk is raised as a one-line :class:`UserError`.
    """
    from hypoforge.agents.graph import build_graph

    meta_path = run_meta_path(settings, run_id)
    config = thread_config(run_id)
    try:
        with checkpointer(settings.runs_dir(), run_id) as saver:
            graph = build_graph(saver)
            graph.invoke(inputs, config, context=deps)
            state = graph.get_state(config).values
        report = build_report(state, retriever=deps.retriever, model=deps.llm.name, llm_stats=deps.llm.stats.as_dict())
        prepare_out(out_dir)
        js, md = write_report(report, out_dir)
        meta = json.loads(meta_path.read_text("utf-8"))
        meta.update(status="complete", finished=time.time(), error=None)
        save_run(settings, run_id, meta)
    except KeyboardInterrupt:
        _set_status(meta_path, "interrupted")
        raise
    except BaseException as exc:
        line = _fault_line(exc, run_id)
        _set_status(meta_path, "failed", line or f"{type(exc).__name__}: {exc}"[:500])
        if line:
            raise UserError(line) from None
        raise
    return RunResult(report, js, md, dict(state))


def _patient_inputs(patient: PatientInput, deps: Deps) -> tuple[dict[str, Any], list[str]]:
    extra = patient_state(patient, deps)  # fails with a one-line error before anything is recorded
    constraints = extra.pop("constraints", [])
    return extra, constraints


def start_run(
    goal: str,
    settings: Settings,
    deps: Deps,
    *,
    out_dir: Path | None = None,
    run_id: str | None = None,
    patient: PatientInput | None = None,
) -> RunResult:
    """Validate, record the run, and execute it to the end (checkpointing after every step).

    A run that fails before any step finished leaves nothing behind (record, checkpoints, a new
    out dir): there is nothing to resume.
    """
    goal = validate_goal(goal)
    run_id = check_run_id(run_id or new_run_id())
    out = check_writable(out_dir or settings.runs_dir() / run_id)
    inputs: dict[str, Any] = {"goal": goal, "run_id": run_id, "round": 0}
    if patient is not None:
        without_shared_cache(deps)
        extra, constraints = _patient_inputs(patient, deps)
        inputs.update(extra)
        if constraints:
            settings = settings.model_copy(deep=True)
            settings.loop.constraints = [*settings.loop.constraints, *constraints]
            deps.settings = settings
    out_existed = out.exists()
    meta = {
        "run_id": run_id,
        "goal": goal,
        "settings": settings.model_dump(mode="json"),
        "out_dir": str(out.resolve()),
        "model": deps.llm.name,
        "patient": patient.model_dump(mode="json") if patient is not None else None,
        "status": "running",
        "pid": os.getpid(),
        "started": time.time(),
    }
    try:
        prepare_out(out)  # inputs are valid: the out dir may exist from now on
        save_run(settings, run_id, meta)
    except OSError as exc:
        line = _fault_line(exc, run_id)
        raise (UserError(line) if line else exc) from None
    progressed = _Progress(deps.on_event)
    try:
        return execute(run_id, inputs, settings, dataclasses.replace(deps, on_event=progressed), out)
    except Exception:
        if not progressed.any:
            _forget(settings, run_id, None if out_existed else out)
        raise


class _Progress:
    """Forwards events and notes whether any step of the run finished."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.any = False

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        if name == "node_end":
            self.any = True
        if self.inner is not None:
            self.inner(name, payload)


def _forget(settings: Settings, run_id: str, new_out: Path | None) -> None:
    """Remove what a run that did nothing left: its checkpoints, its record, an out dir it made."""
    import shutil

    runs = settings.runs_dir()
    if checkpoint_db(runs, run_id).parent != runs / run_id:  # a legacy shared database: remove the thread only
        try:
            with checkpointer(runs, run_id) as saver:
                saver.delete_thread(run_id)
        except Exception:  # noqa: BLE001 - best effort; the original error is what the user needs
            pass
    shutil.rmtree(runs / run_id, ignore_errors=True)  # the run's record and its own checkpoint database
    if new_out is not None and new_out.is_dir() and not any(new_out.iterdir()):
        new_out.rmdir()
    try:
        runs.rmdir()  # only when nothing else is there
    except OSError:
        pass


def load_run(settings: Settings, run_id: str) -> dict[str, Any]:
    """The run record of ``run_id``, checked: a damaged or foreign record is a one-line error."""
    path = run_meta_path(settings, run_id)
    if not path.is_file():
        raise UserError(f"unknown run id {run_id!r} under {settings.runs_dir()}; list runs with 'hypoforge runs'")
    try:
        meta = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"run record {path} is damaged ({exc}); start the run again") from None
    out = meta.get("out_dir") if isinstance(meta, dict) else None
    if (not isinstance(meta, dict) or meta.get("run_id") != run_id or not isinstance(meta.get("settings"), dict)
            or not isinstance(meta.get("goal"), str) or not isinstance(out, str) or "\x00" in out
            or not Path(out).is_absolute()):
        raise UserError(f"run record {path} is damaged or not this run's (run_id, goal, settings, absolute out_dir); start the run again")
    meta["goal"] = validate_goal(meta["goal"])
    return meta


def run_out_dir(settings: Settings, run_id: str, meta: dict[str, Any]) -> Path:
    """Where a resumed run writes its report: the recorded out dir, which must be the run's own
    folder or an existing directory (a record never makes a folder appear elsewhere)."""
    out = Path(meta["out_dir"])
    own = (settings.runs_dir() / run_id).resolve()
    if out.resolve() != own and not out.is_dir():
        raise UserError(f"the out dir of run {run_id}, {out}, no longer exists; create it, or pass --out with a writable directory")
    return check_writable(out)


def resume_run(run_id: str, settings: Settings, deps: Deps, *, out_dir: Path | None = None) -> RunResult:
    """Continue a killed or interrupted run from its last checkpoint (completed runs just re-report).

    A run killed before its first checkpoint starts again from its recorded goal (and patient files).
    """
    meta = load_run(settings, run_id)
    out = check_writable(out_dir) if out_dir is not None else run_out_dir(settings, run_id, meta)
    if out_dir is not None:
        meta["out_dir"] = str(out.resolve())
        save_run(settings, run_id, meta)
    if meta.get("patient"):
        without_shared_cache(deps)
    inputs: dict[str, Any] | None = None
    if not has_checkpoint(settings, run_id):
        inputs = {"goal": meta["goal"], "run_id": run_id, "round": 0}
        if meta.get("patient"):
            extra, _ = _patient_inputs(PatientInput.model_validate(meta["patient"]), deps)  # constraints are in the settings
            inputs.update(extra)
    return execute(run_id, inputs, settings, deps, out)


def without_shared_cache(deps: Deps) -> None:
    """A run with a patient does not use the on-disk response cache (``--cache``): the cache is shared
    by every run, and a model's answer may repeat the patient's genotype, which must stay in the run's
    own folder."""
    if getattr(deps.llm, "cache", None) is not None:
        deps.llm.cache = None  # type: ignore[attr-defined]


def continue_run(run_id: str, settings: Settings, deps: Deps) -> RunResult:
    """Continue a finished run for more rounds: record ``settings`` (the raised ``loop.rounds`` and
    budgets) as the run's own, then re-enter its checkpointed thread with ``stop_reason`` cleared,
    so the supervisor goes on with the same tournament. The report goes to the recorded out dir."""
    meta = load_run(settings, run_id)
    meta.update(settings=settings.model_dump(mode="json"), status="running")
    save_run(settings, run_id, meta)
    return execute(run_id, {"stop_reason": None}, settings, deps, Path(meta["out_dir"]))


def run_is_complete(settings: Settings, run_id: str) -> bool:
    return load_run(settings, run_id).get("status") == "complete"


def has_checkpoint(settings: Settings, run_id: str) -> bool:
    with checkpointer(settings.runs_dir(), run_id) as saver:
        return saver.get_tuple(thread_config(run_id)) is not None


def read_state(settings: Settings, run_id: str) -> dict[str, Any] | None:
    """The run's latest checkpointed state (None when nothing was checkpointed yet)."""
    from hypoforge.agents.graph import build_graph

    with checkpointer(settings.runs_dir(), run_id) as saver:
        values = build_graph(saver).get_state(thread_config(run_id)).values
    return dict(values) if values else None


def write_state(settings: Settings, run_id: str, update: dict[str, Any]) -> None:
    """Apply an update to a finished run's state through the graph's reducers (a new checkpoint)."""
    from hypoforge.agents.graph import build_graph

    with checkpointer(settings.runs_dir(), run_id) as saver:
        build_graph(saver).update_state(thread_config(run_id), update)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def list_runs(settings: Settings) -> list[dict[str, Any]]:
    """Run records, oldest first; a ``running`` run whose process is gone is shown as ``interrupted``."""
    runs = []
    root = settings.runs_dir()
    if root.is_dir():
        for meta in sorted(root.glob("*/run.json")):
            try:
                run = json.loads(meta.read_text("utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if not isinstance(run, dict):
                continue
            if run.get("status") == "running" and "pid" in run and not _alive(run.get("pid")):
                run["status"] = "interrupted"
            runs.append(run)
    return runs
