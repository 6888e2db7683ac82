"""``hypoforge index ...``: build, inspect and query the on-disk literature index.

Only argparse is imported at module level; Chroma, onnxruntime and bm25s load inside the handlers so
``hypoforge --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("index", help="build, search and inspect the literature index",
                       description="Build, search and inspect the on-disk literature index (Chroma + BM25).")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")

    def common(q: argparse.ArgumentParser, *, index: bool = True) -> argparse.ArgumentParser:
        if index:  # `index pubmed` declares its own --index (its module also serves other sinks)
            q.add_argument("--index", type=Path, default=None, metavar="DIR",
                           help="index folder (default: the user data dir's hypoforge/index)")
        q.add_argument("--chroma-url", default=None, metavar="URL",
                       help="use a shared `chroma run` server instead of an on-disk index")
        q.add_argument("--collection", default="literature", help="named collection (default: literature)")
        q.add_argument("--embedder", default=None, metavar="SPEC",
                       help="embedding model: 'minilm' (default, offline), a local ONNX model folder, or URL#MODEL")
        return q

    a = common(isub.add_parser("add", help="index files (MEDLINE/PubMed XML, MEDLINE text, JSONL, BibTeX, RIS, notes, PDF)"))
    a.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    a.set_defaults(func=cmd_add)

    s = common(isub.add_parser("starter", help="index the bundled starter evidence cards"))
    s.add_argument("--cards", type=Path, default=None, metavar="FILE",
                   help="index this cards JSONL instead of the bundled knowledge/starter/cards.jsonl")
    s.set_defaults(func=cmd_starter)

    # `index pubmed "QUERY" --max N`: the PubMed client registers its own parser (light imports).
    from hypoforge.knowledge.ingest.commands import register_pubmed

    common(register_pubmed(isub, _pubmed_sink), index=False)

    q = common(isub.add_parser("search", help="hybrid search (BM25 + dense) over the index"))
    q.add_argument("query")
    q.add_argument("-k", type=int, default=8, help="number of passages (default 8)")
    q.add_argument("--year-min", type=int, default=None)
    q.add_argument("--year-max", type=int, default=None)
    q.add_argument("--mesh", action="append", default=[], help="keep records with this MeSH term (repeatable)")
    q.add_argument("--source", default=None, help="keep records from this source (e.g. starter, pubmed)")
    q.add_argument("--json", action="store_true", help="print a JSON list of {key, pmid, title, year, score, passage}")
    q.set_defaults(func=cmd_search)

    g = common(isub.add_parser("get", help="show one record by citation key (exit 1 when absent)"))
    g.add_argument("key")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_get)

    st = common(isub.add_parser("stats", help="records, chunks, embedder and sources of the index"))
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_stats)

    r = common(isub.add_parser("rm", help="remove records by citation key"))
    r.add_argument("keys", nargs="+", metavar="KEY")
    r.set_defaults(func=cmd_rm)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def open_index(args: argparse.Namespace, *, existing: bool = False) -> Any:
    """The KnowledgeIndex named by the common options (embedder built here, injected).

    ``existing``: for commands that only read or remove, a missing index folder is a one-line
    error (nothing is created)."""
    from hypoforge.knowledge.embeddings import load_embedder
    from hypoforge.knowledge.store import KnowledgeIndex, default_index_dir

    if existing and args.chroma_url is None:
        where = Path(args.index) if args.index is not None else default_index_dir()
        if not where.is_dir():
            from hypoforge.errors import UserError

            raise UserError(f"no literature index at {where}; check --index, or build one with: hypoforge index starter --index {where}")

    return KnowledgeIndex(args.index, embedder=load_embedder(args.embedder),
                          collection=args.collection, chroma_url=args.chroma_url)


def _ingest(run: Any, label: str) -> int:
    """Run ``index.add`` under a Rich progress bar and print the counts (and rejections) at the end."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=err,
                  transient=False, disable=not err.is_terminal) as prog:
        task = prog.add_task(label, total=None, counts="")

        def progress(rep: Any) -> None:
            prog.update(task, counts=f"added {rep.added}  unchanged {rep.unchanged}  updated {rep.updated}  "
                        f"rejected {rep.rejected}")

        report = run(progress)
    for rej in report.rejections[:20]:
        err.print(f"[yellow]rejected[/] {rej.where or '?'}: {rej.reason}", markup=True, highlight=False, soft_wrap=True)
    if len(report.rejections) > 20:
        err.print(f"... and {len(report.rejections) - 20} more rejections")
    print(f"added {report.added}, unchanged {report.unchanged}, updated {report.updated}, "
          f"rejected {report.rejected} ({report.chunks_embedded} passages embedded)")
    return 0


def _parse_paths(paths: list[Path]) -> Iterator[Any]:
    from hypoforge.errors import UserError

    for path in paths:
        if not path.exists():
            raise UserError(f"{path} does not exist; pass files or folders to index")
    from hypoforge.knowledge.ingest import parse_path

    for path in paths:
        yield from parse_path(path)


def _pubmed_sink(args: argparse.Namespace, records: Any) -> dict[str, int]:
    """Store records fetched by ``index pubmed``; the counts go into its summary."""
    report = open_index(args).add(records)
    return {"added": report.added, "unchanged": report.unchanged, "updated": report.updated}


def cmd_add(args: argparse.Namespace) -> int:
    index = open_index(args)
    items = _parse_paths(args.paths)
    return _ingest(lambda progress: index.add(items, progress=progress), "indexing")


def cmd_starter(args: argparse.Namespace) -> int:
    index = open_index(args)
    return _ingest(lambda progress: index.add_starter(args.cards, progress=progress), "starter pack")


def cmd_search(args: argparse.Namespace) -> int:
    from hypoforge.errors import UserError
    from hypoforge.knowledge.records import SearchFilter
    from hypoforge.knowledge.retrieval import HybridRetriever

    if args.k < 1:
        raise UserError(f"-k must be at least 1 (got {args.k})")
    where = None
    if args.year_min is not None or args.year_max is not None or args.mesh or args.source:
        where = SearchFilter(year_min=args.year_min, year_max=args.year_max, mesh=args.mesh, source=args.source)
    index = open_index(args, existing=True)
    hits = HybridRetriever(index).search(args.query, args.k, where=where)
    if args.json:
        print(json.dumps([{"key": h.key, "pmid": h.pmid, "title": h.title, "year": h.year, "score": h.score,
                           "passage": h.text} for h in hits], indent=1))
        return 0
    if not hits:
        print("no matching passages", file=sys.stderr)
    for i, h in enumerate(hits, 1):
        year = f" ({h.year})" if h.year else ""
        print(f"{i}. [{h.key}] {h.title}{year}  score {h.score:.3f}")
        print(f"   {h.text[:300]}{'...' if len(h.text) > 300 else ''}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from hypoforge.errors import NotFound

    rec = open_index(args, existing=True).get(args.key)
    if rec is None:
        raise NotFound(f"no record {args.key!r} in the index; check the key with `hypoforge index search`")
    if args.json:
        print(rec.model_dump_json(indent=1))
        return 0
    print(f"{rec.key}  {rec.title}")
    for label, value in (("year", rec.year), ("journal", rec.journal), ("doi", rec.doi),
                         ("authors", ", ".join(rec.authors)), ("mesh", "; ".join(rec.mesh)), ("source", rec.source)):
        if value:
            print(f"  {label}: {value}")
    if rec.abstract:
        print()
        print(rec.abstract)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = open_index(args, existing=True).stats()
    if args.json:
        print(stats.model_dump_json(indent=1))
        return 0
    print(f"index {stats.path} / collection {stats.collection}")
    print(f"  records {stats.records}, passages {stats.chunks}, embedder {stats.embedder}")
    for src, n in sorted(stats.sources.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {src}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    from hypoforge.errors import NotFound

    removed = open_index(args, existing=True).delete(args.keys)
    missing = [k for k in args.keys if k not in removed]
    if removed:
        print(f"removed {len(removed)} record(s): {' '.join(removed)}")
    if missing:
        raise NotFound(f"not in the index: {' '.join(missing)}")
    return 0
