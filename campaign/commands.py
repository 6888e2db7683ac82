"""CLI: ``hypoforge campaign run SPEC.yaml | status DIR | resume DIR``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "campaign",
        help="run many research goals from a YAML spec (local pool or Ray)",
        description=(
            "Batch campaigns: every goal of a YAML spec runs as its own checkpointed co-scientist run, in "
            "parallel. Outputs per-goal reports, summary.md, summary.html (with Elo plots), proposals.jsonl and "
            "top.csv in the campaign directory. See docs/campaigns.md."
        ),
    )
    csub = c.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)

    r = csub.add_parser("run", help="validate a spec and run its goals", description="Validate SPEC (nothing runs if it is invalid), then run every goal.")
    r.add_argument("spec", type=Path, help="campaign spec (YAML; see examples/campaign.yaml)")
    r.add_argument("--out", type=Path, help="campaign directory (default: ./campaign-<id>); must be new or empty")
    r.add_argument("--workers", type=int, default=None, help="parallel goals in the local process pool (default: 2, at most the CPU count)")
    r.add_argument("--ray", metavar="ADDRESS", help="run goals as tasks on an existing Ray cluster (HOST:PORT, ray://HOST:PORT or auto)")
    _shared(r)
    r.set_defaults(func=cmd_run)

    s = csub.add_parser("status", help="show the progress table of a campaign directory")
    s.add_argument("dir", type=Path, help="the campaign directory")
    s.add_argument("--json", action="store_true", help="print campaign.json's goal statuses as JSON")
    s.set_defaults(func=cmd_status)

    z = csub.add_parser("resume", help="rerun nothing finished; resume the rest from their checkpoints")
    z.add_argument("dir", type=Path, help="the campaign directory")
    z.add_argument("--workers", type=int, default=None, help="parallel goals (default: as the original run)")
    z.add_argument("--ray", metavar="ADDRESS", help="resume on a Ray cluster (default: as the original run)")
    _shared(z)
    z.set_defaults(func=cmd_resume)


def _shared(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chroma-url", help="shared 'chroma run' server for the index (overrides the spec's index.chroma_url)")
    p.add_argument("--llm-url", help="OpenAI-compatible endpoint (llama.cpp server, vLLM) instead of the embedded model")
    p.add_argument("--deps-factory", metavar="MODULE:FUNC", help="advanced: build each goal's LLM and index with this function (default: from settings)")
    p.add_argument("--deps-options", metavar="JSON", help="advanced: JSON object passed to the deps factory")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--threads", type=int, metavar="N",
                   help="CPU threads per goal's embedded model (default: the spec's llm.n_threads, else cores // workers; $HYPOFORGE_THREADS)")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from hypoforge.errors import UserError

    out: dict[str, Any] = {}
    if args.chroma_url:
        out["index"] = {"chroma_url": args.chroma_url}
    if args.llm_url:
        out["llm"] = {"url": args.llm_url}
    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        out.setdefault("llm", {})["n_threads"] = args.threads
    return out


def _options(args: argparse.Namespace) -> dict[str, Any] | None:
    from hypoforge.errors import UserError

    if not args.deps_options:
        return None
    try:
        value = json.loads(args.deps_options)
    except json.JSONDecodeError as exc:
        raise UserError(f"--deps-options is not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise UserError("--deps-options must be a JSON object")
    return value


def _workers(n: int | None) -> int:
    import os

    from hypoforge.errors import UserError

    if n is None:
        return max(1, min(2, os.cpu_count() or 1))
    if n < 1:
        raise UserError(f"--workers must be at least 1, got {n}")
    return n


def cmd_run(args: argparse.Namespace) -> int:
    from hypoforge.campaign.driver import DEFAULT_FACTORY, CampaignRunner, new_state, preflight
    from hypoforge.campaign.spec import load_spec
    from hypoforge.agents.run import check_writable
    from hypoforge.errors import UserError

    spec = load_spec(args.spec)  # every spec mistake is reported before anything is written
    workers = _workers(args.workers)
    options = _options(args)
    overrides = _overrides(args)
    factory = args.deps_factory or DEFAULT_FACTORY
    preflight(spec, factory)
    for g in spec.goals:  # layered settings must validate too (e.g. an environment override)
        spec.settings_for(g)
    out = args.out or Path(f"campaign-{spec.id}")
    if out.exists() and any(out.iterdir()):
        hint = f"resume it with 'hypoforge campaign resume {out}'" if (out / "campaign.json").is_file() else "choose a new --out"
        raise UserError(f"campaign directory {out} is not empty; {hint}")
    executor = _executor(args.ray, workers)
    check_writable(out)
    state = new_state(spec, args.spec, workers=workers, ray_address=args.ray, deps_factory=factory, deps_options=options)
    runner = CampaignRunner(state, out, progress=not args.quiet and sys.stderr.isatty(), overrides=overrides)
    runner.save()
    _save_overrides(out, runner.overrides)
    final = runner.run(executor)
    return _report(final, out)


def cmd_resume(args: argparse.Namespace) -> int:
    from hypoforge.campaign.driver import CampaignRunner, load_state, preflight

    state = load_state(args.dir)
    if args.workers is not None:
        state.workers = _workers(args.workers)
    if args.ray:
        state.ray_address, state.backend = args.ray, "ray"
    if args.deps_factory:
        state.deps_factory = args.deps_factory
    if args.deps_options:
        state.deps_options = _options(args) or {}
    spec = state.spec_model()
    preflight(spec, state.deps_factory)
    overrides = _load_overrides(args.dir)
    from hypoforge.agents.settings import merge_settings

    merge_settings(overrides, _overrides(args))
    todo = [g for g in state.goals.values() if g.status != "complete"]
    if not todo:
        print(f"campaign {state.id}: all {len(state.goals)} goals already complete; nothing to resume")
    executor = _executor(state.ray_address if state.backend == "ray" else None, state.workers)
    runner = CampaignRunner(state, args.dir, progress=not args.quiet and sys.stderr.isatty(), overrides=overrides)
    final = runner.run(executor)
    return _report(final, args.dir)


def _executor(ray: str | None, workers: int) -> Any:
    """The pool for the goals; a Ray pool joins its cluster now, so failures come before anything is written."""
    from hypoforge.campaign.pools import LocalPool, RayPool

    if ray:
        pool = RayPool(ray, workers)
        pool.connect()
        return pool
    return LocalPool(workers)


def _save_overrides(out: Path, overrides: dict[str, Any]) -> None:
    from hypoforge.files import write_atomic

    write_atomic(out / "overrides.json", json.dumps(overrides, indent=2))


def _load_overrides(out: Path) -> dict[str, Any]:
    p = Path(out) / "overrides.json"
    return json.loads(p.read_text("utf-8")) if p.is_file() else {}


def _report(state: Any, out: Path) -> int:
    done = [g for g in state.goals.values() if g.status == "complete"]
    failed = [g for g in state.goals.values() if g.status == "failed"]
    print(f"campaign {state.id}: {len(done)}/{len(state.goals)} goals complete, {len(failed)} failed; summary: {out / 'summary.md'}")
    for g in failed:
        print(f"  failed: {g.id}: {g.error}")
    return 0 if not failed else 1


def cmd_status(args: argparse.Namespace) -> int:
    from hypoforge.campaign.driver import load_state

    state = load_state(args.dir)
    if args.json:
        print(json.dumps({"id": state.id, "status": state.status, "goals": [g.model_dump(mode="json") for g in state.goals.values()]}, indent=2))
        return 0
    from rich.console import Console

    from hypoforge.campaign.status import status_table

    Console(width=max(100, Console().width)).print(status_table(state))
    return 0
