"""CLI: ``hypoforge patient genotype`` and ``hypoforge patient plan`` (heavy imports in handlers)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("patient", help="pharmacogenomic calls and RA treatment plans from a genotype file (research use)")
    psub = p.add_subparsers(dest="patient_command", metavar="SUBCOMMAND")
    g = psub.add_parser("genotype", help="call TPMT, NUDT15, CYP2C9, CYP2C19 and G6PD diplotypes and phenotypes")
    g.add_argument("vcf", metavar="VCF", help="VCF/VCF.gz/BCF (GRCh38) or 23andMe/AncestryDNA text file")
    g.add_argument("--sample", help="sample name in a multi-sample VCF")
    g.add_argument("--sex", choices=("female", "male"),
                   help="the patient's sex, for X-linked G6PD (male: one X); without it, only haploid or "
                        "heterozygous X genotypes decide, and homozygous ones are reported both ways")
    g.add_argument("--json", action="store_true", help="print JSON")
    g.set_defaults(func=_genotype)
    pl = psub.add_parser("plan", help="evidence-graded RA treatment plan (plan.md, plan.json)")
    pl.add_argument("vcf", metavar="VCF")
    pl.add_argument("--sample")
    pl.add_argument("--outside-calls", metavar="TSV", help="gene<TAB>diplotype rows, e.g. HLA-DRB1 typing")
    pl.add_argument("--clinical", metavar="YAML", help="clinical facts (schema: docs/patient.md); its sex decides G6PD calls")
    pl.add_argument("--out", metavar="DIR", help="write plan.md and plan.json here")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    pl.set_defaults(func=_plan)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _genotype(args: argparse.Namespace) -> int:
    from hypoforge.tools.genomics.service import genotype_json, genotype_report

    g, calls = genotype_report(args.vcf, args.sample, sex=args.sex)
    if args.json:
        print(json.dumps(genotype_json(g, calls), indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{g.sample} ({g.file_format}, {g.build})")
    for col in ("gene", "diplotype", "phenotype", "activity score", "confidence", "missing"):
        t.add_column(col)
    for c in calls:
        t.add_row(c.gene, (c.diplotype or "no call") + (" *" if c.ambiguous else ""), c.phenotype,
                  "" if c.activity_score is None else f"{c.activity_score:g}", c.confidence, str(len(c.missing_positions)))
    con = Console()
    con.print(t)
    con.print("* ambiguous: other diplotypes fit (see --json). Research use only, not medical advice.")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from hypoforge.tools.genomics.service import make_plan, write_plan

    plan = make_plan(args.vcf, args.sample, args.outside_calls, args.clinical)
    paths = write_plan(plan, args.out) if args.out else None
    if args.json:
        print(json.dumps(plan.model_dump(mode="json"), indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]RA treatment plan: {plan.sample}[/bold]  [dim]{plan.disclaimer}[/dim]")
    t = Table("drug", "action", "recommendation", "source")
    for r in plan.drugs:
        t.add_row(r.drug, r.action, r.text[:160], r.evidence.source + (f" PMID {','.join(r.evidence.pmids)}" if r.evidence.pmids else ""))
    con.print(t)
    if paths:
        con.print(f"wrote {paths[0]} and {paths[1]}")
    return 0
