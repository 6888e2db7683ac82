"""Slash commands: parsing, dispatch, and what each command does.

:class:`Chat` is the conversation without the terminal: it takes a line, runs it, prints to an
injected Rich console and saves the session after every command. The REPL in :mod:`.app` adds line
editing, history and the live display; tests drive :class:`Chat` directly with fakes.

Proposals are addressed by their rank ``N`` in the latest ranking (``/ranking``). Free text (a line
not starting with ``/``) is the research goal while the session has none, and afterwards a question
about the current proposals.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from hypoforge.chat import capabilities as cap
from hypoforge.chat import render
from hypoforge.chat.session import ChatSession, Critique
from hypoforge.agents.deps import Deps
from hypoforge.agents.settings import Settings
from hypoforge.errors import UserError

DepsFactory = Callable[[Settings], Deps]
Progress = Callable[["Chat", dict[str, Any] | None], contextlib.AbstractContextManager[Any]]


@dataclass(frozen=True)
class Spec:
    usage: str
    help: str


COMMANDS: dict[str, Spec] = {
    "goal": Spec("/goal TEXT", "set the research goal (a new goal starts a new run at the next /run)"),
    "run": Spec("/run [ROUNDS]", "run the loop live; again: resume an interrupted run, or continue with ROUNDS more rounds"),
    "ranking": Spec("/ranking", "the current ranking: Elo, wins-losses, title"),
    "show": Spec("/show N", "proposal N in full, with numbered citations"),
    "critique": Spec("/critique N", "a fresh critic review of proposal N (kept in the session)"),
    "evolve": Spec("/evolve N [refine|simplify|bolder] | /evolve N M", "evolve proposal N (or combine N and M); joins the tournament at the next /run"),
    "debate": Spec("/debate N M", "a judged debate between proposals N and M, recorded as a tournament match"),
    "cite": Spec("/cite N", "the passages cited by proposal N"),
    "ask": Spec("/ask QUESTION", "an answer grounded in the index with citations, or 'the index has no evidence for this'"),
    "molecule": Spec("/molecule SMILES [--json]", "profile a small molecule (RDKit tool): descriptors, rules, alerts, scaffold"),
    "protein": Spec("/protein SEQUENCE [MUTATIONS] [--json]", "protein properties; mutation effects when a scoring tool is installed"),
    "patient": Spec("/patient VCF [--json]", "pharmacogenomic RA treatment plan from a genotype file"),
    "tools": Spec("/tools", "the installed tools"),
    "model": Spec("/model [NAME]", "the model in use; with NAME, switch to another model"),
    "export": Spec("/export md|json [PATH]", "write the session (report and transcript) to a file"),
    "help": Spec("/help", "this list"),
    "quit": Spec("/quit", "leave (Ctrl-D too); the session is saved and resumes with --resume ID"),
}


@dataclass(frozen=True)
class Parsed:
    name: str  # a key of COMMANDS, or "text" for free text
    arg: str  # everything after the command word, stripped

    @property
    def words(self) -> list[str]:
        try:
            return shlex.split(self.arg)
        except ValueError:
            return self.arg.split()


def _json_flag(parsed: Parsed) -> tuple[bool, Parsed]:
    """Whether ``--json`` was given (raw tool output instead of tables), and the rest of the command."""
    words = parsed.words
    if "--json" not in words:
        return False, parsed
    return True, Parsed(parsed.name, shlex.join(w for w in words if w != "--json"))


def parse(line: str) -> Parsed | None:
    """``None`` for a blank line; ``UserError`` for an unknown command (with the nearest match)."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("/"):
        return Parsed("text", text)
    word, _, rest = text[1:].partition(" ")
    name = word.lower()
    if name not in COMMANDS:
        near = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f"; did you mean /{near[0]}?" if near else ""
        raise UserError(f"unknown command /{word}{hint} (type /help for the list)")
    return Parsed(name, rest.strip())


class Chat:
    """The conversation: session, settings, lazily built dependencies, and one handler per command."""

    def __init__(self, session: ChatSession, settings: Settings, deps_factory: DepsFactory, console: Console,
                 *, progress: Progress | None = None) -> None:
        self.session = session
        self.settings = settings
        self.deps_factory = deps_factory
        self.console = console
        self.progress = progress
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._deps: Deps | None = None
        self._tools: Any = None

    # ------------------------------------------------------------------ dependencies

    @property
    def deps(self) -> Deps:
        """Built on first use, so /help, /tools or /molecule work without loading a model or index."""
        if self._deps is None:
            self._install(self.deps_factory(self.settings))
        assert self._deps is not None
        return self._deps

    def _install(self, deps: Deps) -> None:
        """Adopt ``deps``, routing its progress events to the listeners (the live display)."""
        upstream = deps.on_event

        def fan_out(event: str, payload: dict[str, Any]) -> None:
            if upstream is not None:
                upstream(event, payload)
            for listener in list(self.listeners):
                listener(event, payload)

        deps.on_event = fan_out
        self._deps = deps

    # ------------------------------------------------------------------ dispatch

    def handle(self, line: str) -> bool:
        """Run one line; False when the user asked to quit. The session is saved after every command."""
        try:
            parsed = parse(line)
        except UserError as exc:
            self.console.print(f"error: {exc}", style="red", markup=False)
            return True
        if parsed is None:
            return True
        self.session.say("user", line.strip())
        keep_going = True
        try:
            keep_going = getattr(self, f"cmd_{parsed.name}")(parsed) is not False
        except UserError as exc:
            self._reply(f"error: {exc}", style="red")
        except cap.Unavailable as exc:
            self._reply(f"not available: {exc}", style="yellow")
        except KeyboardInterrupt:
            self._reply("stopped (Ctrl-C); nothing was lost", style="yellow")
        except Exception as exc:  # noqa: BLE001 - one failed command must not end the conversation
            self._reply(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", style="red")
        finally:
            self.session.save(self.settings)
        return keep_going

    def _reply(self, text: str, *, style: str | None = None, record: bool = True) -> None:
        self.console.print(text, style=style, markup=False, highlight=False)
        if record:
            self.session.say("assistant", text)

    # ------------------------------------------------------------------ helpers

    def _proposals(self) -> list[dict[str, Any]]:
        return list((self.session.report or {}).get("proposals") or [])

    def _number(self, word: str, cmd: str) -> dict[str, Any]:
        props = self._proposals()
        if not props:
            raise UserError(f"/{cmd}: there are no proposals yet; set a goal and /run first")
        try:
            n = int(word)
        except ValueError:
            raise UserError(f"/{cmd} {word}: expected a proposal number from /ranking (1 to {len(props)})") from None
        if not 1 <= n <= len(props):
            raise UserError(f"/{cmd} {n}: there are {len(props)} proposals; pick 1 to {len(props)} (see /ranking)")
        return props[n - 1]

    def _args(self, parsed: Parsed, lo: int, hi: int) -> list[str]:
        words = parsed.words
        if not lo <= len(words) <= hi:
            raise UserError(f"usage: {COMMANDS[parsed.name].usage}")
        return words

    def _state(self, cmd: str, *, writable: bool = False) -> dict[str, Any]:
        from hypoforge.agents.run import read_state, run_is_complete

        if not self.session.run_id:
            raise UserError(f"/{cmd}: no run yet; set a goal and /run first")
        if writable and not run_is_complete(self.settings, self.session.run_id):
            raise UserError(f"/{cmd}: the run was interrupted mid-step; finish it with /run first (it resumes from its checkpoint)")
        state = read_state(self.settings, self.session.run_id)
        if not state:
            raise UserError(f"/{cmd}: run {self.session.run_id} has no checkpoint yet; /run it first")
        return state

    def _refresh_report(self) -> None:
        from hypoforge.chat.driving import snapshot

        if self.session.run_id:
            report = snapshot(self.settings, self.session.run_id, self.deps)
            if report is not None:
                self.session.report = report.model_dump(mode="json")

    @contextlib.contextmanager
    def _live(self, state: dict[str, Any] | None) -> Iterator[None]:
        if self.progress is None:
            yield
        else:
            with self.progress(self, state):
                yield

    # ------------------------------------------------------------------ commands

    def cmd_text(self, parsed: Parsed) -> None:
        if not self.session.goal:
            self.cmd_goal(parsed)
            return
        if not self._proposals():
            self._reply("(no proposals yet: /run first; answering from the index meanwhile)", style="dim", record=False)
        self._answer(parsed.arg, about_proposals=True)

    def cmd_goal(self, parsed: Parsed) -> None:
        from hypoforge.agents.run import validate_goal

        if not parsed.arg:
            self._reply(f"goal: {self.session.goal}" if self.session.goal else "no goal yet: /goal TEXT")
            return
        goal = validate_goal(parsed.arg)
        if self.session.run_id and goal != self.session.goal:
            self._reply(f"previous run {self.session.run_id} is kept on disk (hypoforge runs); /run starts a new one", style="dim")
            self.session.run_id, self.session.report, self.session.critiques = None, None, []
        self.session.goal = goal
        self._reply(f"Goal set: {goal}\nType /run to generate, review and rank hypotheses.")

    def cmd_run(self, parsed: Parsed) -> None:
        from hypoforge.chat.driving import drive
        from hypoforge.agents.run import read_state

        words = self._args(parsed, 0, 1)
        try:
            rounds = int(words[0]) if words else None
        except ValueError:
            raise UserError(f"/run {words[0]}: ROUNDS must be a whole number") from None
        if not self.session.goal:
            raise UserError("no research goal yet: type one, or use /goal TEXT, then /run")
        deps = self.deps
        before = read_state(self.settings, self.session.run_id) if self.session.run_id else None
        try:
            with self._live(before):
                how, result = drive(self.session, self.settings, deps, rounds)
        except KeyboardInterrupt:
            self._refresh_report()
            self._reply(
                f"stopped (Ctrl-C): run {self.session.run_id} is checkpointed after its last completed step; "
                "/run resumes it, /ranking shows where it stands",
                style="yellow",
            )
            return
        self.session.report = result.report.model_dump(mode="json")
        stats = result.report.stats
        self._reply(f"Run {self.session.run_id} {how}: {stats.get('stop_reason')}; {stats.get('llm_calls')} LLM calls; report: {result.report_md}")
        if how == "resumed" and rounds:
            self._reply(f"(the interrupted run was finished with its own settings; /run {rounds} now adds {rounds} more round(s))", style="dim")
        self.console.print(render.ranking_table(self.session.report))
        if result.report.overview:
            self.console.print(Markdown(f"**Overview.** {result.report.overview}"))

    def cmd_ranking(self, parsed: Parsed) -> None:
        self._args(parsed, 0, 0)
        if not self._proposals():
            self._reply("no proposals yet: set a goal and /run")
            return
        self.console.print(render.ranking_table(self.session.report or {}))
        self.session.say("assistant", "ranking: " + "; ".join(f"{p['rank']}. {p['title']}" for p in self._proposals()))

    def cmd_show(self, parsed: Parsed) -> None:
        p = self._number(self._args(parsed, 1, 1)[0], "show")
        self.console.print(render.proposal(p))
        self.session.say("assistant", f"showed proposal {p['rank']}: {p['title']}")

    def cmd_cite(self, parsed: Parsed) -> None:
        p = self._number(self._args(parsed, 1, 1)[0], "cite")
        self.console.print(render.citations(p))
        self.session.say("assistant", f"citations of proposal {p['rank']}: {', '.join(c['key'] for c in p['citations'])}")

    def cmd_critique(self, parsed: Parsed) -> None:
        from hypoforge.chat.actions import critique

        p = self._number(self._args(parsed, 1, 1)[0], "critique")
        state = self._state("critique")
        with self._live(None):
            review = critique(state, self.deps, p["id"])
        self.session.critiques.append(Critique(proposal_id=p["id"], title=p["title"], review=review.model_dump(mode="json")))
        self.console.print(Markdown(f"### Critique of {p['rank']}. {p['title']}\n\n{render.review_line(review)}"))
        self.session.say("assistant", f"critique of {p['id']}: {review.verdict}; weakness: {review.weaknesses}")

    def cmd_evolve(self, parsed: Parsed) -> None:
        from hypoforge.chat.actions import EVOLVE_STRATEGIES, evolve
        from hypoforge.agents.run import write_state
        from hypoforge.agents.state import dump

        words = self._args(parsed, 1, 2)
        first = self._number(words[0], "evolve")
        parents, strategy = [first["id"]], "refine"
        if len(words) == 2:
            if words[1].isdigit():
                parents, strategy = [first["id"], self._number(words[1], "evolve")["id"]], "combine"
            elif words[1].lower() in EVOLVE_STRATEGIES:
                strategy = words[1].lower()
            else:
                raise UserError(f"/evolve: unknown strategy {words[1]!r}; use one of {', '.join(EVOLVE_STRATEGIES)} or a second proposal number to combine")
        if len(set(parents)) != len(parents):
            raise UserError("/evolve N M: N and M must be different proposals")
        state = self._state("evolve", writable=True)
        with self._live(None):
            h = evolve(state, self.deps, parents, strategy)
        write_state(self.settings, self.session.run_id or "", {"hypotheses": {h.id: dump(h)}})
        self._refresh_report()
        p = next((x for x in self._proposals() if x["id"] == h.id), None)
        if p is not None:
            self.console.print(render.proposal(p))
        self._reply(f"Evolved {h.id} ({strategy}) from {', '.join(parents)}; it is reviewed and ranked at the next /run.")

    def cmd_debate(self, parsed: Parsed) -> None:
        from hypoforge.chat.actions import debate
        from hypoforge.agents.run import write_state

        a_word, b_word = self._args(parsed, 2, 2)
        a, b = self._number(a_word, "debate"), self._number(b_word, "debate")
        state = self._state("debate", writable=True)
        with self._live(None):
            d = debate(state, self.deps, a["id"], b["id"])
        write_state(self.settings, self.session.run_id or "", {"matches": [d.match.model_dump(mode="json")]})
        titles = {x["id"]: x["title"] for x in self._proposals()}
        self.console.print(render.debate(d, titles))
        self._refresh_report()
        self.session.say("assistant", f"debate {a['id']} vs {b['id']}: winner {d.winner}")
        self.console.print(render.ranking_table(self.session.report or {}, title="Ranking after the debate"))

    def cmd_ask(self, parsed: Parsed) -> None:
        if not parsed.arg:
            raise UserError(f"usage: {COMMANDS['ask'].usage}")
        self._answer(parsed.arg, about_proposals=False)

    def _answer(self, question: str, *, about_proposals: bool) -> None:
        from hypoforge.chat.actions import answer
        from hypoforge.agents.run import read_state

        state = read_state(self.settings, self.session.run_id) if self.session.run_id else None
        with self._live(None):
            a = answer(self.deps, question, state=state, goal=self.session.goal, proposals=self._proposals() if about_proposals else None)
        self.console.print(render.answer(a))
        cites = f" [{', '.join(c.key for c in a.citations)}]" if a.citations else ""
        self.session.say("assistant", a.text + cites)

    # ------------------------------------------------------------------ capabilities

    def _registry(self) -> Any:
        """The tool registry: ``deps.tools`` when the deps are built and carry one, else the installed
        registry, built once. Tools need neither the LLM nor the index, so this never builds deps."""
        existing = self._deps.tools if self._deps is not None and self._deps.tools is not None else self._tools
        self._tools = cap.registry(existing)
        if self._deps is not None and self._deps.tools is None:
            self._deps.tools = self._tools
        return self._tools

    def _show_results(self, results: list[Any], *, as_json: bool = False) -> None:
        from hypoforge.chat import render_tools

        for r in results:
            if r.ok:
                render_tools.show_tool_result(self.console, r, as_json=as_json)
                self.session.say("assistant", f"{r.tool}: ok ({r.id})")
            else:
                self._reply(f"{r.tool}: {r.error}", style="red")

    def cmd_tools(self, parsed: Parsed) -> None:
        tools = cap.list_tools(self._registry())
        t = Table("tool", "description", title="Tools", title_justify="left")
        for name, desc in tools:
            t.add_row(escape(name), escape(desc))
        self.console.print(t)
        self.session.say("assistant", "tools: " + ", ".join(n for n, _ in tools))

    def cmd_molecule(self, parsed: Parsed) -> None:
        as_json, parsed = _json_flag(parsed)
        smiles = self._args(parsed, 1, 1)[0]
        self._show_results([cap.molecule(self._registry(), smiles)], as_json=as_json)

    def cmd_protein(self, parsed: Parsed) -> None:
        as_json, parsed = _json_flag(parsed)
        words = parsed.words
        if not words:
            raise UserError(f"usage: {COMMANDS['protein'].usage}")
        muts = cap.split_mutations(" ".join(words[1:]))
        self._show_results(cap.protein(self._registry(), words[0], muts), as_json=as_json)

    def cmd_patient(self, parsed: Parsed) -> None:
        from hypoforge.chat import render_tools


        as_json, parsed = _json_flag(parsed)
        path = self._args(parsed, 1, 1)[0]
        plan = cap.patient(path)
        render_tools.show_patient_plan(self.console, plan, as_json=as_json)
        self.session.say("assistant", f"treatment plan for {path}")

    # ------------------------------------------------------------------ session

    def cmd_model(self, parsed: Parsed) -> None:
        words = self._args(parsed, 0, 1)
        if words:
            s = self.settings.model_copy(update={"llm": self.settings.llm.model_copy(update={"model": words[0]})})
            new = self.deps_factory(s)  # raises (UserError) before anything changes if the model is unknown
            self.settings = s
            self.session.settings = s.model_dump(mode="json")
            self._install(new)
        deps = self.deps
        llm = self.settings.llm
        where = f"endpoint {llm.url}" if llm.url else type(deps.llm).__name__
        self._reply(f"model: {deps.llm.name} ({where}; temperature {llm.temperature}, seed {llm.seed}); switch with /model NAME")

    def cmd_export(self, parsed: Parsed) -> None:
        from hypoforge.agents.report import Report, render_markdown
        from hypoforge.files import write_atomic

        words = self._args(parsed, 1, 2)
        fmt = words[0].lower()
        if fmt not in ("md", "json"):
            raise UserError(f"/export {words[0]}: choose md or json")
        path = Path(words[1]).expanduser() if len(words) == 2 else ChatSession.directory(self.settings) / f"{self.session.id}.export.{fmt}"
        if fmt == "json":
            text = json.dumps({"session": self.session.model_dump(mode="json"), "report": self.session.report}, indent=2, ensure_ascii=False) + "\n"
        else:
            parts = [f"# Hypoforge chat {self.session.id}", "", f"Goal: {self.session.goal or '(none)'}", ""]
            if self.session.report:
                parts += [render_markdown(Report.model_validate(self.session.report)), ""]
            parts += ["## Transcript", ""] + [f"- **{t.role}**: {t.text}" for t in self.session.turns]
            text = "\n".join(parts) + "\n"
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise UserError(f"/export: cannot write {path} ({exc.strerror or exc}); give a writable PATH") from exc
        self._reply(f"exported {fmt} to {path}")

    def cmd_help(self, parsed: Parsed) -> None:
        t = Table("command", "what it does", title="Commands", title_justify="left")
        for spec in COMMANDS.values():
            t.add_row(escape(spec.usage), escape(spec.help))
        t.add_row("free text", "the research goal if none is set, else a question about the current proposals")
        self.console.print(t)

    def cmd_quit(self, parsed: Parsed) -> bool:
        self._reply(f"session {self.session.id} saved; continue with: hypoforge chat --resume {self.session.id}")
        return False
