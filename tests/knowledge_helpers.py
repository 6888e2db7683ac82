"""A tiny deterministic embedder for knowledge tests: hashed bag of words, counts its calls."""

from __future__ import annotations

import hashlib
import re

import numpy as np


class HashEmbedder:
    """Each word adds a fixed pseudo-random vector; texts sharing words get similar vectors."""

    name = "test-hash-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def _word(self, w: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(w.encode()).digest()[:4], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def embed(self, texts):
        texts = list(texts)
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                out[i] += self._word(w)
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(n, 1e-9)).astype(np.float32)
