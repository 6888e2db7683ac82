"""The terminal REPL: line editing and history (Python ``readline``), and the live run display.

While ``/run`` (or a single-proposal action) works, a ``rich.live.Live`` display shows which agent
is working, in which round, how many LLM calls were made, the latest event, and a live Elo table of
every hypothesis seen so far. It is fed by the loop's progress events (``Deps.on_event``); ratings
are the same Bradley-Terry fit the report uses, recomputed after each judged match.

Keys: Ctrl-C during a command stops it (a run keeps every checkpointed step; ``/run`` resumes);
Ctrl-C at the prompt only clears the line; Ctrl-D or ``/quit`` leaves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from hypoforge.chat.session import ChatSession
from hypoforge.chat.slash import Chat

PROMPT = "hypoforge> "
HISTORY_LINES = 2000


class LiveRun:
    """Progress state of the current command, rendered as a status line plus a live Elo table."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        from hypoforge.agents.state import matches_among

        hs = (state or {}).get("hypotheses") or {}
        self.titles: dict[str, str] = {k: v["title"] for k, v in hs.items() if not v.get("merged_into")}
        self.matches = matches_among(state or {}, self.titles)  # type: ignore[arg-type]
        self.node, self.round, self.calls, self.last = "starting", int((state or {}).get("round", 0)), 0, ""
        self.t0 = time.monotonic()

    def on_event(self, event: str, payload: dict[str, Any]) -> None:
        from hypoforge.agents.tournament import Match

        if event == "node_start":
            self.node, self.round = payload.get("node", "?"), int(payload.get("round", self.round))
        elif event == "llm_call":
            self.calls += 1
            self.last = f"{payload.get('node')}: asking for {payload.get('schema')}"
        elif event == "hypothesis":
            self.titles[payload["id"]] = payload["title"]
            self.last = f"new hypothesis: {payload['title']}"
        elif event == "match" and payload.get("a") in self.titles and payload.get("b") in self.titles:
            self.matches.append(Match(a=payload["a"], b=payload["b"], winner=payload["winner"], debate=bool(payload.get("debate"))))
            kind = "debate" if payload.get("debate") else "match"
            self.last = f"{kind}: {self.titles[payload['winner']]} wins"
        elif event == "merge":
            kept, merged = payload.get("kept"), payload.get("merged")
            self.titles.pop(merged, None)
            self.matches = [m for m in self.matches if merged not in (m.a, m.b)]
            self.last = f"merged {merged} into {kept}"
        elif event == "route":
            self.last = f"supervisor: next step {payload.get('step')}"

    def __rich__(self) -> RenderableType:
        from hypoforge.agents.tournament import fit_ratings, rank

        status = Text.assemble(
            ("● ", "green"), (f"{self.node}", "bold"), f" · round {self.round + 1} · {self.calls} LLM calls · "
            f"{time.monotonic() - self.t0:.1f} s", ("  " + self.last, "dim"),
        )
        if not self.titles:
            return status
        ids = sorted(self.titles)
        ratings = fit_ratings(ids, self.matches)
        t = Table("#", "Elo", "W-L", "hypothesis", title="Live Elo", title_justify="left")
        for i, h in enumerate(rank(ids, self.matches)[:10], 1):
            w = sum(1 for m in self.matches if m.winner == h)
            n = sum(1 for m in self.matches if h in (m.a, m.b))
            t.add_row(str(i), f"{ratings[h]:.0f}", f"{w}-{n - w}", self.titles[h])
        return Group(status, t)


def live_progress(console: Console) -> Any:
    """A ``Chat.progress`` hook that shows :class:`LiveRun` while a command works."""

    @contextlib.contextmanager
    def progress(chat: Chat, state: dict[str, Any] | None) -> Iterator[None]:
        view = LiveRun(state)
        with Live(view, console=console, refresh_per_second=4, transient=True) as live:

            def listener(event: str, payload: dict[str, Any]) -> None:
                view.on_event(event, payload)
                if event in ("node_start", "hypothesis", "match", "merge"):
                    live.refresh()

            chat.listeners.append(listener)
            try:
                yield
            finally:
                chat.listeners.remove(listener)

    return progress


def _setup_readline(history: Path) -> Any:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    from hypoforge.files import make_private, private_dir

    private_dir(history.parent)  # what was typed may name a patient: private, like the sessions
    with contextlib.suppress(OSError):
        os.close(os.open(history, os.O_CREAT | os.O_RDWR, 0o600))
        make_private(history)
        readline.read_history_file(history)
    readline.set_history_length(HISTORY_LINES)
    return readline


def repl(chat: Chat, *, history: Path, input_fn: Any = input) -> int:
    """Read-eval-print until /quit or Ctrl-D; history is written after every line."""
    console = chat.console
    # Ctrl-C at the prompt must reach the loop even when chat was started from a process that
    # ignores SIGINT (a background job of a non-interactive shell; the ignore survives exec).
    if input_fn is input and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    rl = _setup_readline(history)
    s = chat.session
    console.print(f"[bold]Hypoforge chat[/bold] · session [cyan]{s.id}[/cyan] · /help for commands · Ctrl-D or /quit to leave", highlight=False)
    if s.goal:
        console.print(f"Goal: {s.goal}" + (f" · run {s.run_id}" if s.run_id else ""), markup=False)
    else:
        console.print("Type a research goal to begin.")
    while True:
        try:
            line = input_fn(PROMPT)
        except KeyboardInterrupt:
            console.print("\n(Ctrl-C: type /quit or press Ctrl-D to leave)")
            continue
        except EOFError:
            console.print()
            chat.handle("/quit")
            break
        if rl is not None:
            with contextlib.suppress(OSError):
                rl.write_history_file(history)
        if not chat.handle(line):
            break
    return 0


def history_path(chat: Chat) -> Path:
    return ChatSession.directory(chat.settings) / "history"
