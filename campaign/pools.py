"""Where a campaign's goals run: a local process pool or Ray tasks on an existing cluster.

Both call :func:`hypoforge.campaign.worker.run_goal` per goal and hand each result and progress
event to the driver (:class:`hypoforge.campaign.driver.CampaignRunner`), which alone writes files.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypoforge.campaign.worker import init_local_worker, run_goal
from hypoforge.errors import UserError

if TYPE_CHECKING:
    from hypoforge.campaign.driver import CampaignRunner


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
                                         initializer=init_local_worker, initargs=(events,)) as pool:
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
