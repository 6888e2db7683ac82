"""The ``hypoforge`` command line.

Thin by design: parse options, build settings, call one function, render the result. Command
groups live beside the code they drive, each in a light ``commands.py`` exposing
``register(subparsers)``; heavy modules are imported only inside the handlers, so ``--help`` stays
fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

if __name__ == "__main__" and __package__ in (None, ""):  # `python cli.py` from a checkout
    import importlib.util as _ilu
    from pathlib import Path as _Path

    _spec = _ilu.spec_from_file_location("_hypoforge_bootstrap", _Path(__file__).resolve().parent / "_bootstrap.py")
    assert _spec is not None and _spec.loader is not None
    _boot = _ilu.module_from_spec(_spec)
    _spec.loader.exec_module(_boot)
    _boot.ensure_checkout_package()

# Modules that each add one or more sub-commands. Order is the order shown in --help.
COMMAND_MODULES: list[str] = [
    "hypoforge.agents.commands",
    "hypoforge.chat.commands",
    "hypoforge.tools.commands",
    "hypoforge.tools.genomics.commands",
    "hypoforge.campaign.commands",
    "hypoforge.knowledge.commands",
    "hypoforge.agents.config_commands",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hypoforge",
        description=(
            "Hypoforge: an offline AI co-scientist for biomedicine. State a research goal; generator, "
            "critic, ranker, evolver and meta-reviewer agents propose, review and rank hypotheses "
            "grounded in an on-disk literature index. Runs on an embedded GGUF model by default."
        ),
        epilog="Run 'hypoforge COMMAND --help' for a command's options. Research use only.",
    )
    from hypoforge import __version__

    parser.add_argument("--version", action="version", version=f"hypoforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from hypoforge.errors import UserError

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except UserError as exc:
        print(f"hypoforge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hypoforge: interrupted; progress so far is checkpointed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
