"""Batch screening: molecule files (SMILES, CSV/TSV, SDF) read as items, profiled in a process pool,
written as JSONL and summarised.

Workers get plain strings (a SMILES, or one SDF record's mol block) and send
:class:`~hypoforge.tools.chemistry.core.MoleculeReport` models back, so nothing RDKit-specific crosses
process boundaries. Workers are forked where the platform allows, which also works from a source
checkout that is not installed.
"""

from __future__ import annotations

import csv
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from hypoforge.tools.base import ToolInputError
from hypoforge.tools.chemistry.core import Format, MoleculeReport, profile

class BatchItem(BaseModel):
    index: int
    id: str
    text: str
    fmt: Format


def read_molecule_file(path: str | Path) -> Iterator[BatchItem]:
    """Items of a SMILES/CSV/SDF file, in file order; unreadable records still yield an item.

    ``.sdf``/``.sd``/``.mol``: records split on ``$$$$`` (id = title line). ``.csv``/``.tsv``: a header
    with a ``smiles`` column (any case) and optional ``id``/``name``. Anything else: one SMILES per
    line, optionally followed by whitespace and an id; blank and ``#`` lines are skipped.
    """
    p = Path(path)
    if not p.is_file():
        raise ToolInputError(f"molecule file {str(p)!r} not found; give a path to a .smi, .csv or .sdf file")
    suffix = p.suffix.lower()
    if suffix in {".sdf", ".sd", ".mol"}:
        block: list[str] = []
        n = 0
        with p.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip() == "$$$$":
                    text = "".join(block)
                    yield BatchItem(index=n, id=(block[0].strip() if block else "") or f"mol{n}", text=text, fmt="molblock")
                    n += 1
                    block = []
                else:
                    block.append(line)
        if "".join(block).strip():
            yield BatchItem(index=n, id=block[0].strip() or f"mol{n}", text="".join(block), fmt="molblock")
        return
    if suffix in {".csv", ".tsv"}:
        with p.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            fields = {f.lower(): f for f in reader.fieldnames or []}
            if "smiles" not in fields:
                raise ToolInputError(f"{str(p)!r}: no 'smiles' column in the header (found: {', '.join(fields) or 'none'})")
            id_col = fields.get("id") or fields.get("name")
            for n, row in enumerate(reader):
                smi = (row.get(fields["smiles"]) or "").strip()
                yield BatchItem(index=n, id=(row.get(id_col) or "").strip() if id_col else f"row{n + 1}", text=smi, fmt="smiles")
        return
    n = 0
    with p.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            smi, _, ident = s.partition(" ") if " " in s else s.partition("\t")
            yield BatchItem(index=n, id=ident.strip() or f"mol{n}", text=smi.strip(), fmt="smiles")
            n += 1


def profile_item(item: BatchItem) -> MoleculeReport:
    """Profile one batch item, catching its error so the batch goes on (runs in workers)."""
    try:
        return profile(item.text, item.fmt, index=item.index, id=item.id)
    except ToolInputError as exc:
        return MoleculeReport(index=item.index, id=item.id, input=item.text[:200], error=str(exc))
    except Exception as exc:  # noqa: BLE001 - an RDKit crash on one molecule must not stop a batch
        return MoleculeReport(index=item.index, id=item.id, input=item.text[:200], error=f"{type(exc).__name__}: {exc}")


def _pool_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def screen(items: Iterable[BatchItem], *, workers: int = 1, progress: bool = False, chunksize: int = 32) -> list[MoleculeReport]:
    """Profile every item, in input order, with ``workers`` processes (1 = in this process).

    A Rich progress bar on stderr shows molecules done when ``progress`` is true.
    """
    batch = list(items)
    results: list[MoleculeReport] = []
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("screen", total=len(batch))
    try:
        if workers <= 1:
            mapped: Iterator[MoleculeReport] = map(profile_item, batch)
            pool = None
        else:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
            mapped = pool.map(profile_item, batch, chunksize=max(1, chunksize))
        try:
            for rep in mapped:
                results.append(rep)
                if bar is not None:
                    bar.advance(task)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    finally:
        if bar is not None:
            bar.stop()
    return results


def write_jsonl_atomic(path: Path, rows: Iterable[BaseModel]) -> None:
    from hypoforge.files import atomic_writer

    with atomic_writer(path) as fh:
        for row in rows:
            fh.write(row.model_dump_json(by_alias=True) + "\n")


class ScreenOutput(BaseModel):
    total: int
    ok: int
    errors: int
    lipinski_pass: int
    veber_pass: int
    ghose_pass: int
    with_pains: int
    with_brenk: int
    mean_qed: float | None
    error_items: list[MoleculeReport] = Field(description="Up to 50 failed items with their messages.")
    rows: list[MoleculeReport]
    output: str | None = None


def summarise(reports: list[MoleculeReport], *, max_rows: int = 20, output: str | None = None) -> ScreenOutput:
    ok = [r for r in reports if r.error is None]

    def passed(rule: str) -> int:
        return sum(any(c.rule == rule and c.passed for c in r.rules) for r in ok)

    qeds = [r.descriptors.qed for r in ok if r.descriptors]
    return ScreenOutput(
        total=len(reports),
        ok=len(ok),
        errors=len(reports) - len(ok),
        lipinski_pass=passed("lipinski"),
        veber_pass=passed("veber"),
        ghose_pass=passed("ghose"),
        with_pains=sum(any(a.catalog == "PAINS" for a in r.alerts) for r in ok),
        with_brenk=sum(any(a.catalog == "BRENK" for a in r.alerts) for r in ok),
        mean_qed=round(sum(qeds) / len(qeds), 4) if qeds else None,
        error_items=[r for r in reports if r.error is not None][:50],
        rows=reports[:max_rows],
        output=output,
    )
