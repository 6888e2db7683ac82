"""CLI: ``hypoforge chat [--resume ID] [--list] [--model ...]``.

Testing hook: the environment variable ``HYPOFORGE_CHAT_DEPS_FACTORY="module:function"`` names a
function ``f(settings) -> Deps`` used instead of :meth:`Deps.from_settings`. The pseudo-terminal
test points it at a scripted fake LLM and an in-memory retriever (``tests/chat_fake_deps.py``).
It is documented in docs/chat.md; when unset, chat always uses the real model and index.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

DEPS_FACTORY_ENV = "HYPOFORGE_CHAT_DEPS_FACTORY"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from hypoforge.agents.commands import add_loop_args

    p = sub.add_parser(
        "chat",
        help="a terminal conversation with the co-scientist (Rich, live)",
        description=(
            "Type a research goal, /run the loop and watch it live, then question, critique, evolve and "
            "debate the proposals. The session is saved after every command; continue it later with "
            "--resume ID. Type /help inside for the commands."
        ),
    )
    p.add_argument("--resume", metavar="ID", help="continue a saved session (see --list)")
    p.add_argument("--list", action="store_true", help="list saved sessions and exit")
    add_loop_args(p)
    p.set_defaults(func=cmd_chat)


def deps_factory() -> Any:
    """The real dependencies, or the factory named by $HYPOFORGE_CHAT_DEPS_FACTORY (testing hook)."""
    spec = os.environ.get(DEPS_FACTORY_ENV, "").strip()
    if not spec:
        from hypoforge.agents.deps import Deps

        return lambda settings: Deps.from_settings(settings)
    from hypoforge.agents.deps import load_factory

    return load_factory(spec, DEPS_FACTORY_ENV)


def cmd_chat(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hypoforge.chat.app import history_path, live_progress, repl
    from hypoforge.chat.session import ChatSession
    from hypoforge.chat.slash import Chat
    from hypoforge.agents.commands import loop_overrides, settings_from_args, valid_settings
    from hypoforge.agents.settings import Settings, merge_settings

    settings = settings_from_args(args)
    if args.list:
        t_rows = ChatSession.all(settings)
        console = Console()
        for s in t_rows:
            console.print(f"{s.id}  {s.run_id or '-':<24}  {(s.goal or '(no goal)')[:70]}", markup=False, highlight=False)
        if not t_rows:
            console.print(f"no chat sessions under {ChatSession.directory(settings)}")
        return 0
    if args.resume:
        session = ChatSession.load(settings, args.resume)
        data = session.settings or {}
        merge_settings(data, loop_overrides(args))  # flags given now win over the saved settings
        settings = valid_settings(lambda: Settings.model_validate(data))
        session.settings = settings.model_dump(mode="json")
    else:
        session = ChatSession.new(settings)
    console = Console()
    chat = Chat(session, settings, deps_factory(), console, progress=live_progress(console))
    session.save(settings)
    return repl(chat, history=history_path(chat))
