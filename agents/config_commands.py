"""CLI: ``hypoforge config show``: the effective settings and where each value came from."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "config",
        help="show the effective settings and where each value came from",
        description=(
            "Settings are layered: defaults < settings files (the user's hypoforge.toml in the user config "
            "directory, then hypoforge.toml in the working directory) < --preset < HYPOFORGE_* environment "
            "variables < command-line flags. See README.md, 'Settings'."
        ),
    )
    csub = c.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    s = csub.add_parser(
        "show",
        help="print every setting with its value and source",
        description="Print the effective settings of 'hypoforge run' with these flags, and the layer each value came from.",
    )
    from hypoforge.agents.commands import add_loop_args

    add_loop_args(s)
    s.add_argument("--json", action="store_true", help="print {settings, sources, files} as JSON")
    s.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    from hypoforge.agents.commands import loop_overrides, valid_settings
    from hypoforge.agents.settings import config_files, explain, flatten, user_config_file
    from hypoforge.tools.commands import apply_esm_model

    apply_esm_model(args)
    settings, sources = valid_settings(lambda: explain(args.preset, loop_overrides(args)))
    values = flatten(settings.model_dump(mode="json"))
    files = [str(path) for _, path in config_files()]
    if args.json:
        print(json.dumps({"settings": settings.model_dump(mode="json"), "sources": sources, "files": files}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table("setting", "value", "source", title="Effective settings")
    for key, value in values.items():
        shown = "(none)" if value is None else json.dumps(value) if isinstance(value, list) else str(value)
        t.add_row(key, shown, sources[key], style=None if sources[key] == "default" else "bold")
    console = Console()
    console.print(t)
    for line in (f"settings files read: {', '.join(files) if files else 'none'} (user file: {user_config_file()})",
                 f"data dir: {settings.resolved_data_dir()}  ·  index: {settings.index_dir()}"):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0

