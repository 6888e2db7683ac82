"""Campaign outputs, all written atomically by the driver.

Per goal, in ``DIR/goals/<id>/``: ``report.md`` and ``report.json`` (the run's own report),
``elo.json`` (online Elo after each round, from :func:`hypoforge.agents.tournament.elo_history`)
and ``elo.png``. For the campaign, in ``DIR/``: ``summary.md``, ``summary.html`` (static, one page,
images referenced relatively so the folder can be zipped and mailed), ``proposals.jsonl`` (every
proposal of every complete goal, one JSON object per line, tagged with campaign and goal ids) and
``top.csv`` (the top proposals of each goal).

The summary is rebuilt from the per-goal files every time, so a resumed campaign's summary covers
goals finished before and after the kill alike.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from hypoforge.agents.report import RESEARCH_USE
from hypoforge.files import atomic_writer, write_atomic


def write_goal_outputs(d: Path, result: dict[str, Any]) -> None:
    write_atomic(d / "report.json", json.dumps(result["report"], indent=2))
    write_atomic(d / "report.md", result["report_md"])
    write_atomic(d / "elo.json", json.dumps(result["elo"], indent=2))
    (d / "error.txt").unlink(missing_ok=True)


def plot_elo(elo: dict[str, Any], titles: dict[str, str], path: Path, top: int) -> bool:
    """PNG of Elo over rounds for the top proposals; False when there were no matches to plot."""
    rounds = elo.get("rounds") or []
    series = list((elo.get("ratings") or {}).items())[:top]
    if not rounds or not series:
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only; never a display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    try:
        xs = [0, *[r + 1 for r in rounds]]
        for hid, ys in series:
            label = titles.get(hid, hid)
            ax.plot(xs, [1200.0, *ys], marker="o", label=(label[:40] + "...") if len(label) > 43 else label)
        ax.set_xlabel("after round")
        ax.set_ylabel("Elo (online)")
        ax.set_xticks(xs)
        ax.set_xticklabels(["start", *[str(r + 1) for r in rounds]])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        with atomic_writer(path, "wb") as fh:
            fig.savefig(fh, format="png")
    finally:
        plt.close(fig)
    return True


def _goal_rows(out: Path, state: Any) -> list[dict[str, Any]]:
    spec = state.spec_model()
    rows = []
    for g in spec.goals:
        st = state.goals[g.id]
        d = out / "goals" / g.id
        report = None
        elo: dict[str, Any] = {}
        if st.status == "complete" and (d / "report.json").is_file():
            report = json.loads((d / "report.json").read_text("utf-8"))
            if (d / "elo.json").is_file():
                elo = json.loads((d / "elo.json").read_text("utf-8"))
        rows.append({"spec": g, "status": st, "report": report, "elo": elo, "dir": d})
    return rows


def write_summary(out: Path, state: Any) -> None:
    spec = state.spec_model()
    top = spec.top
    rows = _goal_rows(out, state)
    lines_jsonl = []
    csv_buf = io.StringIO()
    w = csv.writer(csv_buf, lineterminator="\n")
    w.writerow(["goal_id", "rank", "elo", "proposal_id", "title", "statement", "wins", "losses", "citations"])
    for row in rows:
        rep = row["report"]
        if rep is None:
            continue
        titles = {p["id"]: p["title"] for p in rep["proposals"]}
        row["plot"] = plot_elo(row["elo"], titles, row["dir"] / "elo.png", top)
        for p in rep["proposals"]:
            lines_jsonl.append(json.dumps({"campaign": state.id, "goal_id": row["spec"].id, "run_id": rep["run_id"], **p}, sort_keys=True))
        for p in rep["proposals"][:top]:
            w.writerow([row["spec"].id, p["rank"], p["elo"], p["id"], p["title"], p["statement"], p["wins"], p["losses"],
                        " ".join(c["key"] for c in p["citations"])])
    write_atomic(out / "proposals.jsonl", "".join(x + "\n" for x in lines_jsonl))
    write_atomic(out / "top.csv", csv_buf.getvalue())
    write_atomic(out / "summary.md", render_markdown(state, rows, top))
    write_atomic(out / "summary.html", render_html(state, rows, top))


def render_markdown(state: Any, rows: list[dict[str, Any]], top: int) -> str:
    spec = state.spec_model()
    done = sum(1 for r in rows if r["status"].status == "complete")
    failed = [r for r in rows if r["status"].status == "failed"]
    lines = [f"# Campaign {state.id}", "", f"> {RESEARCH_USE}", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"{done} of {len(rows)} goals complete, {len(failed)} failed.", "",
              "| goal | status | proposals | top proposal | Elo | seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        st = r["status"]
        lines.append(f"| {r['spec'].id} | {st.status} | {st.proposals} | {_cell(st.top_title or '')} | "
                     f"{'' if st.top_elo is None else f'{st.top_elo:.0f}'} | {'' if st.seconds is None else f'{st.seconds:.1f}'} |")
    if failed:
        lines += ["", "## Failed goals", ""]
        lines += [f"- **{r['spec'].id}**: {r['status'].error} (details: goals/{r['spec'].id}/error.txt)" for r in failed]
    for r in rows:
        rep = r["report"]
        if rep is None:
            continue
        lines += ["", f"## {r['spec'].id}: {r['spec'].goal}", ""]
        if r.get("plot"):
            lines += [f"![Elo over rounds](goals/{r['spec'].id}/elo.png)", ""]
        for p in rep["proposals"][:top]:
            cites = ", ".join(c["key"] for c in p["citations"])
            lines += [f"{p['rank']}. **{p['title']}** (Elo {p['elo']:.0f}, {p['wins']}-{p['losses']}). {p['statement']}"
                      + (f" [{cites}]" if cites else "")]
        lines += ["", f"Full report: [goals/{r['spec'].id}/report.md](goals/{r['spec'].id}/report.md)"]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Campaign {{ state.id }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.failed{color:#a00}.notice{background:#fff6d5;padding:.5rem}.goal{margin-top:2rem}img{max-width:100%}
</style></head><body>
<h1>Campaign {{ state.id }}</h1>
<p class="notice">{{ notice }}</p>
{% if spec.description %}<p>{{ spec.description }}</p>{% endif %}
<table><tr><th>goal</th><th>status</th><th>proposals</th><th>top proposal</th><th>Elo</th><th>seconds</th></tr>
{% for r in rows %}<tr class="{{ r.status.status }}"><td><a href="#{{ r.spec.id }}">{{ r.spec.id }}</a></td><td>{{ r.status.status }}</td>
<td>{{ r.status.proposals }}</td><td>{{ r.status.top_title or '' }}</td><td>{{ '' if r.status.top_elo is none else '%.0f' % r.status.top_elo }}</td>
<td>{{ '' if r.status.seconds is none else '%.1f' % r.status.seconds }}</td></tr>
{% endfor %}</table>
{% for r in rows %}<section class="goal" id="{{ r.spec.id }}"><h2>{{ r.spec.id }}</h2><p><em>{{ r.spec.goal }}</em></p>
{% if r.status.status == 'failed' %}<p class="failed">Failed: {{ r.status.error }}</p>
{% elif r.report %}{% if r.plot %}<img src="goals/{{ r.spec.id }}/elo.png" alt="Elo over rounds for {{ r.spec.id }}">{% endif %}
<ol>{% for p in r.report.proposals[:top] %}<li><strong>{{ p.title }}</strong> (Elo {{ '%.0f' % p.elo }}, {{ p.wins }}-{{ p.losses }})
<br>{{ p.statement }}{% if p.citations %}<br><small>{% for c in p.citations %}{{ c.key }}{{ ', ' if not loop.last }}{% endfor %}</small>{% endif %}</li>{% endfor %}</ol>
<p><a href="goals/{{ r.spec.id }}/report.md">full report</a></p>
{% else %}<p>{{ r.status.status }}</p>{% endif %}</section>
{% endfor %}</body></html>
"""


def render_html(state: Any, rows: list[dict[str, Any]], top: int) -> str:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(state=state, spec=state.spec_model(), rows=rows, top=top, notice=RESEARCH_USE)
