"""``hypoforge index ...``: build, inspect and query the on-disk literature index.

Only argparse is imported at module level; Chroma, onnxruntime and bm25s load inside the handlers so
``hypoforge --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
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
        q.add_argument("--collection", default=None, help="named collection (default: the settings' index.collection, literature)")
        q.add_argument("--embedder", default=None, metavar="SPEC",
                       help="embedding model: 'minilm' (default, offline), a local ONNX model folder, or URL#MODEL")
        return q

    a = common(isub.add_parser("add", help="index files (MEDLINE/PubMed XML, MEDLINE text, JSONL, BibTeX, RIS, notes, PDF)"))
    a.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    a.add_argument("--field", action="append", default=[], metavar="TARGET=NAME",
                   help="JSONL: read TARGET (title, abstract, pmid, doi, year, authors, journal, mesh, ...) from the "
                        "row's field NAME, e.g. --field title=question (repeatable)")
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

    index, chroma_url, collection = args.index, args.chroma_url, args.collection
    if index is None and chroma_url is None:  # the index `hypoforge run` reads (settings files, env)
        from hypoforge.agents.settings import Settings

        s = Settings.layered()
        index, chroma_url = (None, s.index.chroma_url) if s.index.chroma_url else (s.index_dir(), None)
        collection = collection or s.index.collection
    return KnowledgeIndex(index, embedder=load_embedder(args.embedder),
                          collection=collection or "literature", chroma_url=chroma_url)


PROGRESS_LINE_S = 30.0
"""Without a terminal (logs, pipes), a plain progress line goes to stderr at most this often."""


def _ingest(run: Any, label: str, notes: Counter[str] | None = None, hint: Any = None) -> int:
    """Run ``index.add`` under a Rich progress bar (a plain line every PROGRESS_LINE_S seconds when
    stderr is no terminal) and print the notes, rejections and counts at the end. Nothing indexed
    while something was rejected is a UserError (exit 2) ending with ``hint(report)``."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from hypoforge.errors import UserError

    err = Console(stderr=True)
    started = last = time.monotonic()
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=err,
                  transient=False, disable=not err.is_terminal) as prog:
        task = prog.add_task(label, total=None, counts="")

        def progress(rep: Any) -> None:
            nonlocal last
            counts = (f"added {rep.added}  unchanged {rep.unchanged}  updated {rep.updated}  "
                      f"rejected {rep.rejected}")
            prog.update(task, counts=counts)
            now = time.monotonic()
            if not err.is_terminal and now - last >= PROGRESS_LINE_S:
                last = now
                print(f"{label}: {counts} ({now - started:.0f} s)", file=sys.stderr, flush=True)

        report = run(progress)
    for message, n in (notes or Counter()).items():
        err.print(f"[cyan]note[/] {message} ({n} record{'s' if n != 1 else ''})", markup=True, highlight=False,
                  soft_wrap=True)
    for rej in report.rejections[:20]:
        err.print(f"[yellow]rejected[/] {rej.where or '?'}: {rej.reason}", markup=True, highlight=False, soft_wrap=True)
    if len(report.rejections) > 20:
        err.print(f"... and {len(report.rejections) - 20} more rejections")
    if report.rejected and not (report.added or report.unchanged or report.updated):
        first = report.rejections[0]
        what = "the only entry was" if report.rejected == 1 else f"all {report.rejected} entries were"
        raise UserError(f"nothing indexed: {what} rejected (first: {first.where or '?'}: "
                        f"{first.reason}){hint(report) if hint else '; fix the entries listed above'}")
    print(f"added {report.added}, unchanged {report.unchanged}, updated {report.updated}, "
          f"rejected {report.rejected} ({report.chunks_embedded} passages embedded)")
    return 0


def parse_fields(specs: list[str]) -> dict[str, str]:
    """``--field TARGET=NAME`` options as {target: name}; UserError names a malformed one."""
    import difflib

    from hypoforge.errors import UserError
    from hypoforge.knowledge.ingest.formats import JSONL_FIELDS

    out: dict[str, str] = {}
    for spec in specs:
        target, eq, name = spec.partition("=")
        target, name = target.strip(), name.strip()
        if not eq or not target or not name:
            raise UserError(f"--field {spec!r}: write TARGET=NAME, e.g. --field title=question")
        if target not in JSONL_FIELDS:
            near = difflib.get_close_matches(target, JSONL_FIELDS, n=1)
            raise UserError(f"--field {spec!r}: unknown target {target!r}"
                            + (f"; did you mean {near[0]}?" if near else f"; choose from {', '.join(JSONL_FIELDS)}"))
        if target in out:
            raise UserError(f"--field {target}= given twice; give each target once")
        out[target] = name
    return out


def _check_paths(paths: list[Path]) -> None:
    from hypoforge.errors import UserError

    for path in paths:
        if not path.exists():
            raise UserError(f"{path} does not exist; pass files or folders to index")


def _parse_paths(paths: list[Path], fields: dict[str, str], notes: Counter[str]) -> Iterator[Any]:
    from hypoforge.knowledge.ingest import parse_path

    for path in paths:
        yield from parse_path(path, fields=fields, note=lambda message: notes.update([message]))


def _pubmed_sink(args: argparse.Namespace, records: Any) -> dict[str, int]:
    """Store records fetched by ``index pubmed``; the counts go into its summary."""
    report = open_index(args).add(records)
    return {"added": report.added, "unchanged": report.unchanged, "updated": report.updated}


def cmd_add(args: argparse.Namespace) -> int:
    """Parse up to the first good record before opening the index, so input that yields nothing
    but rejections leaves no index folder behind (it exits 2, see :func:`_ingest`)."""
    import itertools

    from hypoforge.knowledge.store import IngestReport, as_rejected

    fields = parse_fields(args.field)
    _check_paths(args.paths)
    notes: Counter[str] = Counter()
    items = _parse_paths(args.paths, fields, notes)
    head: list[Any] = []
    for item in items:
        head.append(item)
        if as_rejected(item) is None:
            break
    rejections = [r for r in map(as_rejected, head) if r is not None]

    def run(progress: Any) -> Any:
        if len(rejections) == len(head):  # nothing to index: the index is not even opened
            return IngestReport(rejected=len(rejections), rejections=rejections)
        return open_index(args).add(itertools.chain(head, items), progress=progress)


    def hint(report: Any) -> str:
        if fields:
            return f"; check the --field mapping ({', '.join(f'{k}={v}' for k, v in fields.items())})"
        if any(r.reason.startswith("missing title (fields present") for r in report.rejections):
            return "; map the JSONL fields with --field, e.g. --field title=name --field abstract=body"
        return "; fix the entries listed above"

    return _ingest(run, "indexing", notes, hint)


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
