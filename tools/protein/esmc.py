"""ESM C loading and scoring: the torch half of the protein suite (design notes in the package
docstring, :mod:`hypoforge.tools.protein`). Weights are found locally and never downloaded;
torch and esm are imported inside functions only."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from hypoforge.errors import UserError
from hypoforge.tools.protein.variants import Variant

if TYPE_CHECKING:  # pragma: no cover
    import torch

ModelName = Literal["esmc_300m", "esmc_600m"]
ENV_WEIGHTS = "HYPOFORGE_ESM_WEIGHTS"
ENV_MODEL = "HYPOFORGE_ESM_MODEL"


class EsmModelSpec(BaseModel):
    """Architecture and weight location of one published ESM C model."""

    name: str
    d_model: int
    n_heads: int
    n_layers: int
    hf_repo: str
    weight_file: str  # path inside the Hugging Face snapshot


MODEL_SPECS: dict[str, EsmModelSpec] = {
    "esmc_300m": EsmModelSpec(
        name="esmc_300m", d_model=960, n_heads=15, n_layers=30,
        hf_repo="EvolutionaryScale/esmc-300m-2024-12",
        weight_file="data/weights/esmc_300m_2024_12_v0.pth",
    ),
    "esmc_600m": EsmModelSpec(
        name="esmc_600m", d_model=1152, n_heads=18, n_layers=36,
        hf_repo="EvolutionaryScale/esmc-600m-2024-12",
        weight_file="data/weights/esmc_600m_2024_12_v0.pth",
    ),
}





def length_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Group indices into batches, longest first, so that ``rows * longest <= max_tokens``.

    Sorting by length keeps padding small; a sequence longer than the budget gets a batch alone.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[current[0]] if current else lengths[i]
        if current and (len(current) + 1) * width > max_tokens:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


# ---------------------------------------------------------------------------------------------
# Model loading


def choose_device(prefer: str | None = None) -> tuple[str, str]:
    """Return ``(device, dtype)``: CUDA with bf16 (fp16 without bf16 support) when present, else CPU fp32."""
    import torch

    device = prefer or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        return device, "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return device, "float32"


@contextlib.contextmanager
def _hf_offline() -> Iterator[None]:
    """Set HF_HUB_OFFLINE=1 (and TRANSFORMERS_OFFLINE) for the block, restoring the old values."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _new_esmc(d_model: int, n_heads: int, n_layers: int, device: str = "cpu") -> Any:
    import torch

    with _hf_offline():
        from esm.models.esmc import ESMC
        from esm.tokenization import get_esmc_model_tokenizers

        with torch.device(device):
            return ESMC(
                d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                tokenizer=get_esmc_model_tokenizers(), use_flash_attn=False,
            ).eval()


def build_random_esmc(d_model: int = 64, n_heads: int = 4, n_layers: int = 2, seed: int = 0) -> Any:
    """A randomly initialised ESM C of the given size (tests and benchmarks; no weights needed).

    The global torch RNG is left untouched (``fork_rng``), so the same seed always gives the same model.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _new_esmc(d_model, n_heads, n_layers)


def _weights_missing(spec: EsmModelSpec, looked: list[str]) -> UserError:
    return UserError(
        f"ESM C weights for {spec.name} not found (looked in: {'; '.join(looked)}). Hypoforge never "
        f"downloads weights: on a connected machine run `huggingface-cli download {spec.hf_repo}` (or "
        f"download {spec.weight_file} from the {spec.hf_repo} Hugging Face repository), copy the folder or "
        f"the .pth file here and set {ENV_WEIGHTS}=/path/to/it"
    )


def resolve_weights(model_name: str, weights: str | os.PathLike[str] | None = None) -> Path:
    """Find the ``.pth`` weight file for ``model_name`` without any network access.

    ``weights`` (else ``$HYPOFORGE_ESM_WEIGHTS``) may be the file itself or a folder holding it
    directly or under ``data/weights/``. Without it, the Hugging Face cache is searched.
    """
    if model_name not in MODEL_SPECS:
        raise UserError(f"unknown ESM model {model_name!r}; choose one of {', '.join(MODEL_SPECS)}")
    spec = MODEL_SPECS[model_name]
    fname = Path(spec.weight_file).name
    given = weights if weights is not None else os.environ.get(ENV_WEIGHTS) or None
    looked: list[str] = []
    if given is not None:
        base = Path(given).expanduser()
        for cand in (base, base / fname, base / spec.weight_file):
            if cand.is_file():
                return cand
        looked.append(f"{ENV_WEIGHTS}={base} (no {fname} there)")
    with _hf_offline():
        from huggingface_hub import constants, try_to_load_from_cache

        hit = try_to_load_from_cache(repo_id=spec.hf_repo, filename=spec.weight_file)
        looked.append(f"Hugging Face cache {constants.HF_HUB_CACHE}")
    if isinstance(hit, str) and Path(hit).is_file():
        return Path(hit)
    raise _weights_missing(spec, looked)


def load_esmc(model_name: str, weights: str | os.PathLike[str] | None = None) -> Any:
    """Build the named ESM C and load its local weights (CPU, fp32; :class:`EsmScorer` moves it)."""
    import torch

    path = resolve_weights(model_name, weights)
    spec = MODEL_SPECS[model_name]
    with _hf_offline():
        state = torch.load(path, map_location="cpu", weights_only=True)
    model = _new_esmc(spec.d_model, spec.n_heads, spec.n_layers)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(getattr(v, "shape", ())) for k, v in state.items()} if isinstance(state, dict) else {}
    if got != expected:
        bad = sorted(set(expected) ^ set(got)) or [k for k in expected if expected[k] != got[k]]
        raise UserError(
            f"weights at {path} do not fit {model_name} ({len(bad)} mismatched tensors, e.g. {bad[0]}); "
            f"point {ENV_WEIGHTS} at the {spec.hf_repo} weights or choose the matching model name"
        )
    model.load_state_dict(state)
    return model


# ---------------------------------------------------------------------------------------------
# Scoring


class EsmScorer:
    """An ESM C model on a device, with batched embedding and scoring methods.

    Inputs to the methods must already be cleaned with :func:`~hypoforge.tools.protein.variants.clean_esm_sequence`; the tools do that
    per item so one bad sequence does not stop a batch.
    """

    def __init__(self, model: Any, *, name: str = "esmc", device: str | None = None,
                 max_tokens: int | None = None) -> None:
        import torch

        self.device, dtype_name = choose_device(device)
        self.dtype = getattr(torch, dtype_name)
        self.name = name
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        # Token budget per forward pass: small on CPU (cache friendly), larger on GPU.
        self.max_tokens = max_tokens or (16384 if self.device.startswith("cuda") else 4096)
        tok = model.tokenizer
        self._vocab: dict[str, int] = dict(tok.get_vocab())
        self.cls_id, self.eos_id = int(tok.cls_token_id), int(tok.eos_token_id)
        self.pad_id, self.mask_id = int(tok.pad_token_id), int(tok.mask_token_id)
        self.dim = int(model.embed.embedding_dim)

    # -- tensors ----------------------------------------------------------------------------

    def token_ids(self, seq: str) -> list[int]:
        """``<cls> residues <eos>`` as token ids."""
        return [self.cls_id, *(self._vocab[c] for c in seq), self.eos_id]

    def _forward(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad ``rows`` and run the model; returns fp32 (log-probs, embeddings) ``[B, L, *]``."""
        import torch

        width = max(len(r) for r in rows)
        tokens = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        for i, r in enumerate(rows):
            tokens[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        tokens = tokens.to(self.device)
        with torch.inference_mode():
            out = self.model(sequence_tokens=tokens, sequence_id=tokens != self.pad_id)
            logp = torch.log_softmax(out.sequence_logits.float(), dim=-1)
            return logp.cpu(), out.embeddings.float().cpu()

    def _run_jobs(self, rows: list[list[int]]) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        """Yield ``(row index, log-probs [L, V], embeddings [L, D])`` for every row, batched by length."""
        for batch in length_batches([len(r) for r in rows], self.max_tokens):
            logp, emb = self._forward([rows[i] for i in batch])
            for j, i in enumerate(batch):
                n = len(rows[i])
                yield i, logp[j, :n], emb[j, :n]

    # -- public API ---------------------------------------------------------------------------

    def embed(self, seqs: Sequence[str], per_residue: bool = False) -> list[dict[str, Any]]:
        """Mean-pooled final-layer embedding per sequence (residues only, not <cls>/<eos>).

        With ``per_residue`` also the ``[L, D]`` matrix. Returns dicts with numpy arrays.
        """
        out: list[dict[str, Any]] = [{} for _ in seqs]
        for i, _logp, emb in self._run_jobs([self.token_ids(s) for s in seqs]):
            res = emb[1:-1]
            out[i]["mean"] = res.mean(dim=0).numpy()
            if per_residue:
                out[i]["per_residue"] = res.numpy()
        return out

    def logprobs(self, seqs: Sequence[str]) -> list[Any]:
        """Unmasked log-probabilities ``[L, V]`` over the vocabulary at each residue (one pass each)."""
        out: list[Any] = [None] * len(seqs)
        for i, logp, _emb in self._run_jobs([self.token_ids(s) for s in seqs]):
            out[i] = logp[1:-1].numpy()
        return out

    def masked_logprobs(self, seq: str, positions: Sequence[int]) -> dict[int, Any]:
        """For each 1-based position, log-probs ``[V]`` at that position with it masked."""
        base = self.token_ids(seq)
        rows = []
        for pos in positions:
            r = list(base)
            r[pos] = self.mask_id  # token index == 1-based residue position (after <cls>)
            rows.append(r)
        out: dict[int, Any] = {}
        for i, logp, _emb in self._run_jobs(rows):
            out[positions[i]] = logp[positions[i]].numpy()
        return out

    def pseudo_log_likelihoods(self, seqs: Sequence[str]) -> list[float]:
        """Sum over residues of ``log p(residue | sequence with that residue masked)``.

        All (sequence, position) masked copies of all sequences go through one length-batched queue,
        so short candidates share forward passes.
        """
        rows: list[list[int]] = []
        owner: list[tuple[int, int, int]] = []  # (sequence index, token position, true token id)
        for si, s in enumerate(seqs):
            base = self.token_ids(s)
            for pos in range(1, len(s) + 1):
                r = list(base)
                r[pos] = self.mask_id
                rows.append(r)
                owner.append((si, pos, base[pos]))
        totals = [0.0] * len(seqs)
        for i, logp, _emb in self._run_jobs(rows):
            si, pos, tok = owner[i]
            totals[si] += float(logp[pos, tok])
        return totals

    def masked_marginals(self, seq: str, variants: Sequence[Variant]) -> list[float]:
        """Masked-marginal score per variant: sum of ``log p(mt) - log p(wt)``, each position masked alone."""
        positions = sorted({m.pos for v in variants for m in v.mutations})
        lp = self.masked_logprobs(seq, positions)
        return [
            float(sum(lp[m.pos][self._vocab[m.mt]] - lp[m.pos][self._vocab[m.wt]] for m in v.mutations))
            for v in variants
        ]


class EsmRuntime:
    """Lazily creates one :class:`EsmScorer` for the configured model, shared by the ESM tools.

    ``model_name`` defaults to ``$HYPOFORGE_ESM_MODEL`` or ``esmc_300m``; ``weights`` to
    ``$HYPOFORGE_ESM_WEIGHTS``. Pass ``scorer`` to inject a ready one (tests).
    """

    def __init__(self, model_name: str | None = None, weights: str | None = None,
                 device: str | None = None, scorer: EsmScorer | None = None) -> None:
        self.model_name = model_name or os.environ.get(ENV_MODEL) or "esmc_300m"
        self.weights = weights
        self.device = device
        self._scorer = scorer

    def scorer(self) -> EsmScorer:
        if self._scorer is None:
            model = load_esmc(self.model_name, self.weights)
            self._scorer = EsmScorer(model, name=self.model_name, device=self.device)
        return self._scorer


@functools.lru_cache(maxsize=None)
def default_runtime(model_name: str | None, weights: str | None) -> EsmRuntime:
    """One lazily loaded runtime per (model, weights) in a process, so the registry's four ESM
    tools share one copy of the weights. Tests and callers that want isolation pass a runtime."""
    return EsmRuntime(model_name, weights)

