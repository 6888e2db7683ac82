"""Tool results in the chat as a scientist reads them: tables, not JSON.

``/molecule`` (chem.describe), ``/protein`` (seq.protparam and a mutation-effect tool such as
esm.variants) and ``/patient`` (the pharmacogenomic treatment plan) each get their own layout;
any other tool's output is shown as a field/value table. ``--json`` on those commands prints the
raw output instead (:func:`print_json`), for copying into scripts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

# Descriptor rows of /molecule: (field, label, format, the rule limits it is checked against).
DESCRIPTORS: list[tuple[str, str, str, str]] = [
    ("mw", "molecular weight (Da)", "{:.1f}", "Lipinski <= 500"),
    ("clogp", "cLogP", "{:.2f}", "Lipinski <= 5; Ghose -0.4..5.6"),
    ("tpsa", "TPSA (A^2)", "{:.1f}", "Veber <= 140"),
    ("hbd", "H-bond donors", "{}", "Lipinski <= 5"),
    ("hba", "H-bond acceptors", "{}", "Lipinski <= 10"),
    ("rotatable_bonds", "rotatable bonds", "{}", "Veber <= 10"),
    ("heavy_atoms", "heavy atoms", "{}", ""),
    ("atoms", "atoms (with H)", "{}", "Ghose 20..70"),
    ("molar_refractivity", "molar refractivity", "{:.1f}", "Ghose 40..130"),
    ("qed", "QED (0..1, higher is more drug-like)", "{:.2f}", ""),
    ("sa_score", "SA score (1 easy..10 hard)", "{:.2f}", ""),
]


def print_json(console: Any, output: Any) -> None:
    """Raw output, unwrapped and unstyled, so it parses as JSON when copied."""
    console.print(json.dumps(output, indent=2, ensure_ascii=False), soft_wrap=True, markup=False, highlight=False)


def _header(tool: str, result_id: str) -> Text:
    return Text.assemble((tool, "bold"), ("  evidence ", "dim"), (result_id, "dim"))


def molecule(out: dict[str, Any]) -> RenderableType:
    """chem.describe: identity, descriptors beside their limits, rule checks, alerts, scaffold."""
    ident = Table.grid(padding=(0, 2))
    for label, key in (("SMILES", "canonical_smiles"), ("formula", "formula"), ("InChIKey", "inchikey"), ("Murcko scaffold", "scaffold")):
        ident.add_row(Text(label, "dim"), Text(str(out.get(key) or "(none)")))
    d = out.get("descriptors") or {}
    desc = Table("descriptor", "value", "limit", title="Descriptors", title_justify="left")
    for key, label, fmt, limit in DESCRIPTORS:
        if key in d:
            desc.add_row(label, fmt.format(d[key]), Text(limit, "dim"))
    rules = Table("rule", "result", "violated limits", title="Drug-likeness rules", title_justify="left")
    for r in out.get("rules") or []:
        ok = bool(r.get("passed"))
        rules.add_row(str(r.get("rule", "")).capitalize(), Text("pass" if ok else "FAIL", "green" if ok else "red bold"),
                      "; ".join(r.get("violations") or []) or "-")
    alerts = out.get("alerts") or []
    if alerts:
        al: RenderableType = Table("catalog", "structural alert", title=f"Alerts ({len(alerts)})", title_justify="left")
        for a in alerts:
            al.add_row(str(a.get("catalog", "")), str(a.get("description", "")))
    else:
        al = Text("Alerts: no PAINS or Brenk substructure matched.")
    return Group(ident, desc, rules, al)


def protein(out: dict[str, Any]) -> RenderableType:
    """seq.protparam: one property per row, with what the value means where there is a convention."""
    t = Table("property", "value", "note", title="Protein properties", title_justify="left")
    stable = out.get("stable")
    rows: list[tuple[str, str, str]] = [
        ("length (residues)", f"{out.get('length')}", ""),
        ("molecular weight (Da)", f"{out.get('molecular_weight', 0):.1f}", ""),
        ("isoelectric point", f"{out.get('isoelectric_point', 0):.2f}", ""),
        ("instability index", f"{out.get('instability_index', 0):.1f}",
         "stable (< 40)" if stable else "unstable (>= 40)" if stable is not None else ""),
        ("GRAVY", f"{out.get('gravy', 0):.3f}", "hydrophobic (> 0)" if out.get("gravy", 0) > 0 else "hydrophilic (<= 0)"),
        ("aromaticity", f"{out.get('aromaticity', 0):.3f}", ""),
        ("extinction coeff. 280 nm, reduced", f"{out.get('extinction_coefficient_reduced')}", "M^-1 cm^-1"),
        ("extinction coeff. 280 nm, cystines", f"{out.get('extinction_coefficient_cystines')}", "M^-1 cm^-1"),
    ]
    for row in rows:
        t.add_row(row[0], row[1], Text(row[2], "dim"))
    return t


def variants(out: dict[str, Any]) -> RenderableType:
    """esm.variants: one row per substitution, most damaging first."""
    items = sorted(out.get("items") or [], key=lambda i: (i.get("score") is None, i.get("score") or 0.0))
    t = Table("variant", "score", "reading", title=f"Variant effects ({out.get('model', '')}; < 0 predicts damaging)",
              title_justify="left")
    for i in items:
        score = i.get("score")
        if score is None:
            t.add_row(str(i.get("variant", "")), "-", Text(str(i.get("error") or ""), "red"))
        else:
            t.add_row(str(i.get("variant", "")), f"{score:.2f}",
                      Text("likely damaging", "red") if score < 0 else Text("likely tolerated", "green"))
    return t


def generic(out: Any) -> RenderableType:
    """Any other tool: top-level fields as rows; nested values as compact JSON."""
    if not isinstance(out, dict):
        return Text(json.dumps(out, ensure_ascii=False))
    t = Table("field", "value")
    for k, v in out.items():
        t.add_row(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)[:500])
    return t


RENDERERS: dict[str, Callable[[dict[str, Any]], RenderableType]] = {
    "chem.describe": molecule,
    "seq.protparam": protein,
    "esm.variants": variants,
}


def show_tool_result(console: Any, result: Any, *, as_json: bool = False) -> None:
    """A successful ToolResult: a header with its evidence id and its table, or only the raw JSON."""
    if as_json:
        print_json(console, result.output)
        return
    console.print(Group(_header(result.tool, result.id), RENDERERS.get(result.tool, generic)(result.output)))


def show_patient_plan(console: Any, plan: Any, *, as_json: bool = False) -> None:
    if as_json:
        print_json(console, plan.model_dump(mode="json"))
    else:
        console.print(patient_plan(plan))


def patient_plan(plan: Any) -> RenderableType:
    """A TreatmentPlan: gene calls, the plan's steps, drug recommendations, what is not actionable."""
    from hypoforge.tools.genomics.plan import evidence_line

    parts: list[RenderableType] = [Text.assemble((f"RA treatment plan: {plan.sample}", "bold"), "  ", (plan.disclaimer, "dim"))]
    genes = Table("gene", "diplotype", "phenotype", "activity score", "confidence", "missing positions",
                  title="Pharmacogenes", title_justify="left")
    for c in plan.gene_calls:
        genes.add_row(c.gene, (c.diplotype or "no call") + (" (ambiguous)" if c.ambiguous else ""), c.phenotype,
                      "" if c.activity_score is None else f"{c.activity_score:g}", c.confidence, str(len(c.missing_positions)))
    for oc in plan.outside_calls:
        genes.add_row(f"{oc.gene} (outside call)", oc.diplotype, "", "", "", "")
    parts.append(genes)
    steps = Table("step", "plan", "evidence", title="Plan", title_justify="left", show_lines=True)
    for s in plan.steps:
        steps.add_row(s.step, s.text, evidence_line(s.evidence))
    parts.append(steps)
    drugs = Table("drug", "action", "recommendation", "evidence", title="Drug-specific recommendations",
                  title_justify="left", show_lines=True)
    for r in plan.drugs:
        drugs.add_row(r.drug, Text(r.action, _ACTION_STYLE.get(r.action, "")), r.text, evidence_line(r.evidence))
    parts.append(drugs)
    context = [f"{r.text} ({evidence_line(r.evidence)})" for r in plan.not_actionable]
    context += [f"{f.gene} {f.rsid}: {f.genotype or 'not in file'}; {f.trait}. {f.label} ({f.source})" for f in plan.context]
    if context:
        parts.append(Text("Not actionable (context only)", "bold"))
        parts.extend(Text(f"- {line}") for line in context)
    return Group(*parts)


_ACTION_STYLE = {"avoid": "red bold", "adjust": "yellow", "caution": "yellow", "standard": "green"}

