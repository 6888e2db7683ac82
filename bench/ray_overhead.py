"""Ray vs local process pool: wall time of the same fake-LLM campaign. Target: Ray <= 1.10x local.

The workload is the scripted LLM (``hypoforge.campaign.scripted``) with a fixed sleep per call
standing in for model latency, so both backends do identical, CPU-light work and the difference is
the backend's own cost: task submission, worker start, progress events, result transfer. The Ray
cluster is started once (``ray start --head`` on 127.0.0.1, like an existing cluster) and its start-up
is not timed; connecting to it is. Needs Ray (``pip install 'hypoforge[ray]'``).

    python bench/ray_overhead.py [--goals 6] [--delay 1.5] [--workers 2]

The default 1.5 s per call is about what one structured call costs on the embedded model with one
thread; with much shorter calls the backend's fixed start-up cost (joining the cluster, starting
workers for the runtime env, about 15 s on a loaded 2-core machine) dominates a short campaign.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, result

FACTORY = "hypoforge.campaign.scripted:scripted_deps"


def spec_text(n: int) -> str:
    goals = "".join(f"  - id: g{i}\n    goal: Why do some rheumatoid arthritis patients not respond to treatment number {i}\n" for i in range(n))
    return f"id: overhead\nsettings:\n  loop: {{rounds: 2, hypotheses: 3, evolve_per_round: 1}}\ngoals:\n{goals}"


def run(spec: Path, out: Path, extra: list[str], delay: float, env: dict[str, str]) -> float:
    cmd = [sys.executable, str(ROOT / "cli.py"), "campaign", "run", str(spec), "--out", str(out), "--quiet",
           "--deps-factory", FACTORY, "--deps-options", json.dumps({"delay": delay}), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"campaign {' '.join(extra)} failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return seconds


@contextlib.contextmanager
def ray_head(env: dict[str, str], cpus: int, tmp: Path):
    ray_bin = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray_bin is None:
        raise SystemExit("the 'ray' command is not installed: pip install 'hypoforge[ray]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([ray_bin, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cpus}",
                             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={tmp}", "--block"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the local Ray head did not start")
                time.sleep(0.5)
        time.sleep(3)  # let the raylet register before the first driver connects
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--goals", type=int, default=6)
    ap.add_argument("--delay", type=float, default=1.5, help="seconds per fake LLM call")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16), "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    with tempfile.TemporaryDirectory(prefix="hf-bench-ray-") as tmp:
        tmp_path = Path(tmp)
        spec = tmp_path / "spec.yaml"
        spec.write_text(spec_text(args.goals))
        local = run(spec, tmp_path / "local", ["--workers", str(args.workers)], args.delay, env)
        with ray_head(env, args.workers, tmp_path / "ray-tmp") as address:
            ray = run(spec, tmp_path / "ray", ["--ray", address], args.delay, env)
        for name in ("local", "ray"):  # the same answers from both backends
            a = json.loads((tmp_path / "local" / "goals" / "g0" / "report.json").read_text())["proposals"]
            b = json.loads((tmp_path / name / "goals" / "g0" / "report.json").read_text())["proposals"]
            assert [p["id"] for p in a] == [p["id"] for p in b], "backends disagree"
    print(f"{args.goals} goals, {args.workers} workers, {args.delay * 1000:.0f} ms per fake LLM call: local pool {local:.1f} s, Ray {ray:.1f} s "
          f"({(ray / local - 1) * 100:+.1f}%) on {machine()}")
    result("campaign_ray_vs_local_wall", ray, local, "s", "<= 1.10x", ray / local <= 1.10, goals=args.goals, workers=args.workers, delay=args.delay)


if __name__ == "__main__":
    main()
