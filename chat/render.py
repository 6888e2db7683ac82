"""Rich renderables for the chat: ranking table, proposals with numbered citations, answers.

Proposals are rendered as Markdown (the same shape as ``report.md``) with citations numbered per
proposal, ``[1]``, ``[2]``, ..., and the numbered references underneath; ``/cite N`` shows the full
passages behind those numbers. Everything takes plain report dicts (``Report.model_dump``) because
that is what the session stores.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hypoforge.chat.actions import Answer, Debate
from hypoforge.agents.report import ReportProposal, proposal_lines, review_line


def ranking_table(report: dict[str, Any], *, title: str = "Ranking") -> Table:
    t = Table(title=title, title_justify="left")
    for col, kw in (("#", {"justify": "right"}), ("Elo", {"justify": "right"}), ("W-L", {"justify": "center"}),
                    ("title", {"overflow": "fold"}), ("origin", {}), ("id", {"style": "dim"})):
        t.add_column(col, **kw)
    for p in report.get("proposals") or []:
        t.add_row(str(p["rank"]), f"{p['elo']:.0f}", f"{p['wins']}-{p['losses']}", p["title"], p["origin"], p["id"])
    return t


def proposal_markdown(p: dict[str, Any]) -> str:
    """The report's proposal block with citations numbered per proposal, and its references."""
    prop = ReportProposal.model_validate(p)
    numbering = {c.key: i for i, c in enumerate(prop.citations, 1)}
    lines = proposal_lines(prop, numbering, heading="##")
    if prop.citations:
        lines += ["", "**References.**", ""]
        lines += [f"{i}. {c.title}{_year(c.year)}. {c.key}" for i, c in enumerate(prop.citations, 1)]
    return "\n".join(lines)


def _year(year: int | None) -> str:
    return f" ({year})" if year else ""


def proposal(p: dict[str, Any]) -> Markdown:
    return Markdown(proposal_markdown(p))


def citations(p: dict[str, Any]) -> RenderableType:
    if not p["citations"]:
        return Text(f"Proposal {p['rank']} cites nothing that resolves in the index.")
    panels = []
    for i, c in enumerate(p["citations"], 1):
        panels.append(Panel(Text(c["passage"]), title=f"[{i}] {c['key']}", subtitle=f"{c['title']}{_year(c.get('year'))}", title_align="left"))
    return Group(Text(f"Passages cited by proposal {p['rank']}: {p['title']}", style="bold"), *panels)


def answer(a: Answer) -> RenderableType:
    if not a.grounded:
        return Text(f"{a.text[0].upper()}{a.text[1:]}." if a.text else "", style="yellow")
    refs = " ".join(f"[{i}]" for i in range(1, len(a.citations) + 1))
    lines = [f"{a.text} {refs}", "", "**Sources.**", ""]
    lines += [f"{i}. {c.title}{_year(c.year)}. {c.key}" for i, c in enumerate(a.citations, 1)]
    return Markdown("\n".join(lines))


def debate(d: Debate, titles: dict[str, str]) -> RenderableType:
    lines = [f"## Debate: {titles.get(d.a, d.a)} vs {titles.get(d.b, d.b)}", ""]
    lines += [f"- {x}" for x in d.arguments]
    lines += ["", f"**Judge.** {d.reason}", "", f"**Winner:** {titles.get(d.winner, d.winner)} (`{d.winner}`); the match is recorded in the run's tournament."]
    return Markdown("\n".join(lines))
