"""CLI hook for ``hypoforge index pubmed "QUERY" --max N [--index DIR]``.

This module does not register a top-level command and never imports the store: the ``index``
command group (owned by the store module) calls

    register_pubmed(index_subparsers, sink)

where ``index_subparsers`` is the ``add_subparsers()`` object of ``hypoforge index`` and ``sink`` is
a callable ``sink(args, records) -> Mapping[str, int]``: it receives the parsed arguments (for
``args.index``, the index directory, ``None`` meaning the default) and a lazy iterable of
:class:`~hypoforge.knowledge.records.Record`, stores them, and returns counts such as
``{"added": 12, "unchanged": 3}``, which are printed in the final summary. Rejected records never
reach the sink: they are printed to stderr as counted warnings and reported as ``rejected``.
:func:`cmd_pubmed` is the handler (``args.func``); it can also be called directly with a sink.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypoforge.knowledge.records import Record

Sink = Callable[[argparse.Namespace, Iterable["Record"]], Mapping[str, int]]


def register_pubmed(index_subparsers: Any, sink: Sink) -> argparse.ArgumentParser:
    """Add the ``pubmed`` sub-command to the ``index`` group; records go to ``sink``."""
    p = index_subparsers.add_parser(
        "pubmed",
        help="fetch PubMed records for a query and add them to the index",
        description=(
            "Search PubMed (NCBI E-utilities) and index the matching records. Needs a contact e-mail "
            "(NCBI_EMAIL or --email); NCBI_API_KEY raises the rate limit from 3 to 10 requests/s. "
            "Responses are cached on disk, so repeating a query uses no network."
        ),
    )
    p.add_argument("query", help="PubMed query, e.g. 'rheumatoid arthritis AND JAK inhibitor'")
    p.add_argument("--max", type=int, default=100, dest="max_results", metavar="N", help="at most N records (default 100)")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the user's data dir)")
    p.add_argument("--email", default=None, help="contact e-mail sent to NCBI (default: $NCBI_EMAIL)")
    p.add_argument("--api-key", default=None, help="NCBI API key (default: $NCBI_API_KEY)")
    p.add_argument("--batch-size", type=int, default=200, metavar="N", help="records per efetch request (default 200)")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR", help="response cache (default: user cache dir)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=partial(cmd_pubmed, sink=sink))
    return p


def cmd_pubmed(args: argparse.Namespace, *, sink: Sink, client: Any = None) -> int:
    """Fetch ``args.query`` from PubMed and hand the records to ``sink``; print a summary.

    ``client`` (a :class:`~hypoforge.knowledge.ingest.pubmed.PubMedClient`) may be injected; by
    default one is built from the arguments and the environment.
    """
    from hypoforge.knowledge.ingest.models import Rejection
    from hypoforge.knowledge.ingest.pubmed import PubMedClient

    if client is None:
        cache_dir = args.cache_dir
        if cache_dir is None:
            import platformdirs

            cache_dir = Path(platformdirs.user_cache_dir("hypoforge")) / "pubmed"
        client = PubMedClient(email=args.email, api_key=args.api_key, cache_dir=cache_dir, batch_size=args.batch_size)
    rejected: list[Rejection] = []
    fetched = 0

    def records() -> Iterator[Record]:
        nonlocal fetched
        for item in client.fetch(args.query, args.max_results):
            if isinstance(item, Rejection):
                rejected.append(item)
                print(f"hypoforge: warning: rejected {item}", file=sys.stderr)
            else:
                fetched += 1
                yield item

    counts = dict(sink(args, records()))
    summary = {"query": args.query, "fetched": fetched, **counts, "rejected": len(rejected)}
    if getattr(args, "json", False):
        print(json.dumps(summary))
    else:
        extra = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"pubmed {args.query!r}: {fetched} records" + (f" ({extra})" if extra else "") + f", {len(rejected)} rejected")
    return 0
