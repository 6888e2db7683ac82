"""CLI: ``hypoforge tools list|show|run``.

Light at import time (argparse only); the registry and the tools load inside the handlers. ``run``
goes through :meth:`ToolRegistry.call`, the same path the agents use, and maps the result's
``error_kind`` to exit codes: caller mistakes (unknown tool, arguments failing the schema, unusable
input such as an invalid SMILES) are a one-line message with exit 2; a tool failure or timeout is
exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tools", help="list, inspect and run the registered tools (built-ins and plugins)")
    tsub = p.add_subparsers(dest="tools_command", metavar="ACTION")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    ls = tsub.add_parser("list", help="list registered tools and the plugin that supplied each")
    ls.add_argument("--json", action="store_true", help="print a JSON list of {name, description, plugin}")
    ls.set_defaults(func=_list)

    show = tsub.add_parser("show", help="show a tool's description and input/output JSON schemas")
    show.add_argument("name")
    show.set_defaults(func=_show)

    run = tsub.add_parser("run", help="run one tool with JSON arguments")
    run.add_argument("name")
    run.add_argument("--args", default="{}", metavar="JSON", help='arguments as a JSON object, e.g. \'{"molecule": "CCO"}\'')
    run.add_argument("--json", action="store_true", help="print only the tool's output model as JSON (machine-readable)")
    add_esm_model_arg(run)
    run.set_defaults(func=_run)


def add_esm_model_arg(p: argparse.ArgumentParser) -> None:
    """``--esm-model``: which ESM C model the protein tools load (weights from $HYPOFORGE_ESM_WEIGHTS)."""
    p.add_argument("--esm-model", choices=["esmc_300m", "esmc_600m"],
                   help="ESM C model for the esm.* tools (default: $HYPOFORGE_ESM_MODEL or esmc_300m); "
                        "weights are read from $HYPOFORGE_ESM_WEIGHTS or the Hugging Face cache, never downloaded")


def apply_esm_model(args: argparse.Namespace) -> None:
    """Make ``--esm-model`` the model the registry's ESM tools are built with."""
    import os

    if getattr(args, "esm_model", None):
        os.environ["HYPOFORGE_ESM_MODEL"] = args.esm_model


def _registry(wanted: str | None = None):  # type: ignore[no-untyped-def]
    """The registry, with each skipped plugin as one warning line; asking for a skipped tool by
    name (``wanted``) is instead the one error line saying why it was not loaded."""
    from hypoforge.errors import UserError
    from hypoforge.tools.registry import ToolRegistry

    reg = ToolRegistry.from_entry_points(quiet=True)
    for prob in reg.problems:
        if wanted is not None and prob.entry_point == wanted and wanted not in reg:
            raise UserError(f"tool {wanted!r} was not loaded: plugin {prob.plugin} skipped it ({prob.reason}); fix or uninstall the plugin")
    for prob in reg.problems:
        print(f"hypoforge: warning: plugin {prob.plugin} ({prob.entry_point}) skipped: {prob.reason}", file=sys.stderr)
    return reg


def _list(args: argparse.Namespace) -> int:
    reg = _registry()
    rows = [{"name": s.name, "description": s.description, "plugin": s.plugin} for s in reg.specs()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "plugin", "description", box=None, show_edge=False)
    for r in rows:
        table.add_row(r["name"], r["plugin"], r["description"])
    Console().print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    spec = _registry(args.name).spec(args.name)
    print(json.dumps(spec.model_dump(), indent=2))
    return 0


def _run(args: argparse.Namespace) -> int:
    from hypoforge.errors import UserError

    apply_esm_model(args)
    try:
        payload = json.loads(args.args)
    except json.JSONDecodeError as exc:
        raise UserError(f"--args is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); pass a JSON object such as '{{\"molecule\": \"CCO\"}}'") from None
    if not isinstance(payload, dict):
        raise UserError(f"--args must be a JSON object, got {type(payload).__name__}; e.g. '{{\"molecule\": \"CCO\"}}'")
    reg = _registry(args.name)
    reg.get(args.name)  # unknown name -> UserError with the nearest names
    result = reg.call(args.name, payload)
    if result.error is not None:
        if result.error_kind in {"unknown_tool", "invalid_args", "bad_input"}:
            raise UserError(result.error)
        print(f"hypoforge: error: {result.error}", file=sys.stderr)
        return 1
    if not args.json:
        print(f"# {result.id}  ({result.tool} {result.version}, plugin {result.plugin}, {result.seconds:.3f} s)")
    print(json.dumps(result.output, indent=2))
    return 0
