"""Shared bench plumbing: checkout bootstrap, data loaders, an embedding cache, Spearman's rho, the
closing JSON line.

The embedding cache lives under /tmp (never in the repo): benchmarks on a 2-core machine would
otherwise spend most of their time re-embedding the same corpus. It wraps the real embedder and keys
vectors by sha256 of the exact text, so a cache hit is the vector the model would produce.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import platform
import time
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def bootstrap() -> None:
    spec = importlib.util.spec_from_file_location("_hypoforge_bootstrap", ROOT / "_bootstrap.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ensure_checkout_package()


def shared_data() -> Path:
    env = os.environ.get("HYPOFORGE_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    if not path.is_dir():
        path = Path("/work/shared/data")
    if not path.is_dir():
        raise SystemExit("shared data folder absent: set HYPOFORGE_SHARED_DATA")
    return path


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation with average ranks for ties (no scipy needed)."""

    def ranks(a: Sequence[float]) -> Any:
        arr = np.asarray(a, dtype=float)
        order = arr.argsort(kind="mergesort")
        r = np.empty(len(arr))
        sorted_a = arr[order]
        i = 0
        while i < len(arr):
            j = i
            while j + 1 < len(arr) and sorted_a[j + 1] == sorted_a[i]:
                j += 1
            r[order[i:j + 1]] = (i + j) / 2.0 + 1
            i = j + 1
        return r

    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / denom) if denom else float("nan")


class CachedEmbedder:
    """Wraps an Embedder; remembers vectors by text hash in an .npz file under /tmp."""

    def __init__(self, inner, cache_dir: Path = Path("/tmp/hypoforge-bench-emb")) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / (hashlib.sha256(inner.name.encode()).hexdigest()[:12] + ".npz")
        self.cache: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as z:
                self.cache = dict(zip(z["keys"].tolist(), z["vecs"]))
        self.misses = 0

    @staticmethod
    def _h(t: str) -> str:
        return hashlib.sha256(t.encode()).hexdigest()

    def embed(self, texts):
        texts = list(texts)
        hs = [self._h(t) for t in texts]
        todo = sorted({h: t for h, t in zip(hs, texts) if h not in self.cache}.items())
        if todo:
            self.misses += len(todo)
            try:
                for start in range(0, len(todo), 256):
                    part = todo[start : start + 256]
                    vecs = self.inner.embed([t for _, t in part])
                    self.cache.update({h: v for (h, _), v in zip(part, vecs)})
            finally:  # once per call (an interrupted call still keeps what it embedded)
                self.save()
        return np.stack([self.cache[h] for h in hs]).astype(np.float32) if hs else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if not self.cache:
            return
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(self.cache)), vecs=np.stack(list(self.cache.values())))
        os.replace(tmp, self.path)


def nfcorpus(data: Path):
    """(docs {doc_id: text}, queries {qid: text}, qrels {qid: {doc_id: grade}})."""
    d = data / "nfcorpus_test"
    docs = {}
    for line in (d / "test.docs").read_text().splitlines():
        if "\t" in line:
            i, t = line.split("\t", 1)
            docs[i] = t
    queries = dict(l.split("\t", 1) for l in (d / "test.titles.queries").read_text().splitlines() if "\t" in l)
    qrels: dict[str, dict[str, int]] = {}
    for line in (d / "test.3-2-1.qrel").read_text().splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return docs, queries, qrels


def pubmedqa(data: Path) -> list[dict]:
    return [json.loads(l) for l in (data / "pubmedqa" / "derived_pubmedqa_labeled.jsonl").read_text().splitlines() if l.strip()]


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"


def result(name: str, value: float, baseline: float, unit: str, target: str, met: bool, **extra: Any) -> None:
    """Print the one JSON line every benchmark ends with (name, value, baseline, ratio, unit, target, met)."""
    ratio = round(value / baseline, 4) if baseline else None
    line = {"name": name, "value": round(value, 4), "baseline": round(baseline, 4), "ratio": ratio, "unit": unit,
            "target": target, "met": bool(met), "machine": machine(), "date": time.strftime("%Y-%m-%d"), **extra}
    print(json.dumps(line))
