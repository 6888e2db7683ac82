"""ESM C protein suite: sequence validation, embeddings, pseudo-log-likelihoods, variant effects.

Built on EvolutionaryScale's ``esm`` package (ESM C). Design choices:

* **Never download.** Weights come from ``HYPOFORGE_ESM_WEIGHTS`` (a ``.pth`` file or a folder holding
  one, e.g. a copied ``esmc-300m-2024-12`` snapshot) or from the local Hugging Face cache, looked up
  with ``try_to_load_from_cache`` (no network call exists on this path). ``HF_HUB_OFFLINE=1`` is set
  while ``esm`` is first imported and the weights load, as a second guard. We build the ``ESMC``
  module ourselves and ``torch.load`` the state dict, instead of ``ESMC.from_pretrained`` which calls
  ``snapshot_download``. Missing weights raise :class:`UserError` saying how to get them.
* **Heavy imports are lazy.** ``torch``/``esm`` are imported inside functions, so importing this
  module (tool discovery, ``hypoforge --help``) stays cheap; models load in ``Tool.setup()``.
* **One scorer object, injected.** :class:`EsmScorer` wraps a model plus its device and dtype. Tests
  and benchmarks inject a tiny random ESM C (:func:`build_random_esmc`); tools build theirs lazily
  through a shared :class:`EsmRuntime` (``esm_tools()`` gives all ESM tools one runtime, so the
  weights load once).
* **Batching is exact.** Sequences are grouped by length into batches bounded by a token budget and
  padded on the right; ESM C's attention mask keeps real tokens from attending to padding and the
  rotary positions start at 0 for each row, so batched results equal single-sequence results up to
  floating-point noise (tested).
* **Device.** CUDA when present (bf16 where supported, else fp16), CPU otherwise (fp32). Logits are
  cast to fp32 before ``log_softmax``.
* **Scores.** Masked-marginal variant score (Meier et al. 2021): mask the mutated position in the
  wild type, score ``log p(mutant) - log p(wild type)``; a multi-mutant sums its positions, each
  masked on its own. Pseudo-log-likelihood: mask each residue in turn and sum ``log p(true residue)``
  (one forward pass per residue, batched across residues and sequences).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from hypoforge.errors import UserError
from hypoforge.tools.base import Tool

if TYPE_CHECKING:  # pragma: no cover
    import torch

STANDARD_AA = "ACDEFGHIKLMNPQRSTVWY"
# Letters ESM C's vocabulary also knows: X unknown, B (D/N), Z (E/Q), U selenocysteine, O pyrrolysine.
EXTRA_AA = "XBZUO"
ALLOWED_AA = frozenset(STANDARD_AA + EXTRA_AA)
# ESM C was trained with a 2048-token context; two tokens go to <cls> and <eos>.
MAX_RESIDUES = 2046
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


# ---------------------------------------------------------------------------------------------
# Sequences and variants (no torch needed)


def clean_sequence(sequence: str, *, max_length: int = MAX_RESIDUES, label: str = "sequence") -> str:
    """Return the upper-cased sequence with whitespace removed, or raise :class:`UserError`.

    Accepts the 20 standard amino acids plus X, B, Z, U, O. The error lists every bad letter with
    its 1-based position (first ten shown) so the user can fix the input in one go.
    """
    seq = "".join(sequence.split()).upper()
    if not seq:
        raise UserError(f"{label} is empty; give a protein sequence of one-letter amino-acid codes")
    bad = [(i + 1, c) for i, c in enumerate(seq) if c not in ALLOWED_AA]
    if bad:
        shown = ", ".join(f"{c!r} at {p}" for p, c in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise UserError(
            f"{label} has {len(bad)} invalid letter(s): {shown}{more}; allowed are the 20 standard "
            f"amino acids {STANDARD_AA} plus {EXTRA_AA} (no stop '*', gaps or digits)"
        )
    if len(seq) > max_length:
        raise UserError(
            f"{label} has {len(seq)} residues, over the model's limit of {max_length}; "
            "split it into domains or score a window"
        )
    return seq


class Mutation(BaseModel):
    """One substitution, 1-based position as written in ``A123G``."""

    wt: str
    pos: int
    mt: str


class Variant(BaseModel):
    """A single or multi-mutant such as ``A123G`` or ``A123G:L45P``."""

    label: str
    mutations: list[Mutation]


_MUTATION_RE = re.compile(r"^([A-Z])([1-9][0-9]*)([A-Z])$")


def parse_variant(label: str, sequence: str) -> Variant:
    """Parse ``A123G`` / ``A123G:L45P`` against ``sequence`` (already cleaned), or raise UserError.

    Checks the format, that each position lies in the sequence, that the wild-type letter matches
    the sequence there, that the mutant is a standard amino acid and that no position repeats.
    """
    text = label.strip().upper()
    parts = [p.strip() for p in text.split(":")] if text else []
    if not parts or any(not p for p in parts):
        raise UserError(f"variant {label!r} is empty or has an empty part; write e.g. A123G or A123G:L45P")
    muts: list[Mutation] = []
    seen: set[int] = set()
    for part in parts:
        m = _MUTATION_RE.match(part)
        if not m:
            raise UserError(
                f"variant {label!r}: {part!r} is not of the form <wild-type><1-based position><mutant>, e.g. A123G"
            )
        wt, pos, mt = m.group(1), int(m.group(2)), m.group(3)
        if pos > len(sequence):
            raise UserError(
                f"variant {label!r}: position {pos} is out of range (the sequence has {len(sequence)} residues)"
            )
        if sequence[pos - 1] != wt:
            raise UserError(
                f"variant {label!r}: wild-type letter mismatch at position {pos}: the sequence has "
                f"{sequence[pos - 1]!r}, the variant says {wt!r}; check numbering (1-based) and isoform"
            )
        if mt not in STANDARD_AA:
            raise UserError(f"variant {label!r}: mutant {mt!r} is not one of the 20 standard amino acids")
        if pos in seen:
            raise UserError(f"variant {label!r}: position {pos} appears twice")
        seen.add(pos)
        muts.append(Mutation(wt=wt, pos=pos, mt=mt))
    return Variant(label=":".join(parts), mutations=muts)


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

    Inputs to the methods must already be cleaned with :func:`clean_sequence`; the tools do that
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


# ---------------------------------------------------------------------------------------------
# Tools


@functools.lru_cache(maxsize=None)
def default_runtime(model_name: str | None, weights: str | None) -> EsmRuntime:
    """One lazily loaded runtime per (model, weights) in a process, so the registry's four ESM
    tools share one copy of the weights. Tests and callers that want isolation pass a runtime."""
    return EsmRuntime(model_name, weights)


class _Seqs(BaseModel):
    sequences: list[str] = Field(min_length=1, max_length=1000,
                                 description="protein sequences, one-letter codes")


class ValidateOutput(BaseModel):
    class Item(BaseModel):
        index: int
        length: int | None = None
        sequence: str | None = Field(None, description="cleaned (upper case, no whitespace)")
        nonstandard: int = Field(0, description="count of X/B/Z/U/O letters")
        error: str | None = None

    max_length: int
    items: list[Item]


class EmbedInput(_Seqs):
    per_residue: bool = Field(False, description="also return the [length x dim] per-residue matrix")


class EmbedOutput(BaseModel):
    class Item(BaseModel):
        index: int
        length: int | None = None
        mean: list[float] | None = None
        per_residue: list[list[float]] | None = None
        error: str | None = None

    model: str
    dim: int
    items: list[Item]


class ScoreOutput(BaseModel):
    class Item(BaseModel):
        index: int
        length: int | None = None
        pll: float | None = Field(None, description="pseudo-log-likelihood (natural log), summed")
        pll_per_residue: float | None = Field(None, description="pll / length: compare across lengths")
        rank: int | None = Field(None, description="1 = highest pll_per_residue among valid items")
        error: str | None = None

    model: str
    items: list[Item]


class VariantsInput(BaseModel):
    sequence: str = Field(description="wild-type protein sequence")
    variants: list[str] = Field(min_length=1, max_length=20000,
                                description="e.g. A123G, multi-mutants A123G:L45P (1-based positions)")


class VariantsOutput(BaseModel):
    class Item(BaseModel):
        variant: str
        score: float | None = Field(None, description="masked-marginal log-odds; < 0 predicts damaging")
        error: str | None = None

    model: str
    length: int
    items: list[Item]


class _EsmTool(Tool):
    needs: ClassVar[frozenset[str]] = frozenset()  # uses a GPU when present, does not need one
    timeout_s: ClassVar[float] = 600.0
    needs_model: ClassVar[bool] = True

    def __init__(self, runtime: EsmRuntime | None = None) -> None:
        self.runtime = runtime or default_runtime(os.environ.get(ENV_MODEL), os.environ.get(ENV_WEIGHTS))

    def available(self) -> bool:
        """Offered to the agents only when weights are on disk (nothing is ever downloaded)."""
        if not self.needs_model:
            return True
        try:
            resolve_weights(self.runtime.model_name, self.runtime.weights)
        except (UserError, ImportError):
            return False
        return True

    def setup(self) -> None:
        if self.needs_model:
            self.runtime.scorer()  # loads the model once; the runtime keeps it for every ESM tool

    @property
    def scorer(self) -> EsmScorer:
        return self.runtime.scorer()

    def _clean_all(self, seqs: list[str]) -> list[tuple[str | None, str | None]]:
        out: list[tuple[str | None, str | None]] = []
        for i, s in enumerate(seqs):
            try:
                out.append((clean_sequence(s, label=f"sequence {i}"), None))
            except UserError as e:
                out.append((None, str(e)))
        return out


class ValidateSequencesTool(_EsmTool):
    name: ClassVar[str] = "esm.validate"
    description: ClassVar[str] = (
        "Check protein sequences for ESM C: allowed letters (20 standard amino acids plus X/B/Z/U/O) "
        "and length limit; reports each bad letter with its position. No model needed."
    )
    Input: ClassVar[type[BaseModel]] = _Seqs
    Output: ClassVar[type[BaseModel]] = ValidateOutput
    needs_model: ClassVar[bool] = False

    def run(self, inp: BaseModel) -> ValidateOutput:
        assert isinstance(inp, _Seqs)
        items = []
        for i, (seq, err) in enumerate(self._clean_all(inp.sequences)):
            items.append(ValidateOutput.Item(
                index=i, error=err, length=len(seq) if seq else None, sequence=seq,
                nonstandard=sum(c in EXTRA_AA for c in seq) if seq else 0))
        return ValidateOutput(max_length=MAX_RESIDUES, items=items)


class EmbedTool(_EsmTool):
    name: ClassVar[str] = "esm.embed"
    description: ClassVar[str] = (
        "ESM C embeddings of protein sequences: mean-pooled final-layer vector per sequence, optionally "
        "per residue. For similarity, clustering or as features."
    )
    Input: ClassVar[type[BaseModel]] = EmbedInput
    Output: ClassVar[type[BaseModel]] = EmbedOutput

    def run(self, inp: BaseModel) -> EmbedOutput:
        assert isinstance(inp, EmbedInput)
        cleaned = self._clean_all(inp.sequences)
        ok = [i for i, (s, _) in enumerate(cleaned) if s]
        res = self.scorer.embed([cleaned[i][0] or "" for i in ok], per_residue=inp.per_residue)
        by_index = dict(zip(ok, res))
        items = []
        for i, (seq, err) in enumerate(cleaned):
            r = by_index.get(i)
            items.append(EmbedOutput.Item(
                index=i, error=err, length=len(seq) if seq else None,
                mean=[float(x) for x in r["mean"]] if r else None,
                per_residue=r["per_residue"].tolist() if r and inp.per_residue else None))
        return EmbedOutput(model=self.scorer.name, dim=self.scorer.dim, items=items)


class ScoreSequencesTool(_EsmTool):
    name: ClassVar[str] = "esm.score"
    description: ClassVar[str] = (
        "Score and rank candidate protein sequences by ESM C pseudo-log-likelihood (higher = more "
        "natural-like). Cost grows with length squared; invalid items get an error, others are scored."
    )
    Input: ClassVar[type[BaseModel]] = _Seqs
    Output: ClassVar[type[BaseModel]] = ScoreOutput
    # Cost is about sum(length^2) tokens; 4e7 is ~20 sequences of 1,400 residues, minutes on a GPU.
    max_work: ClassVar[int] = 40_000_000

    def run(self, inp: BaseModel) -> ScoreOutput:
        assert isinstance(inp, _Seqs)
        cleaned = self._clean_all(inp.sequences)
        ok = [i for i, (s, _) in enumerate(cleaned) if s]
        work = sum(len(cleaned[i][0] or "") ** 2 for i in ok)
        if work > self.max_work:
            raise UserError(
                f"too much work for esm.score: sum of squared lengths is {work:,} (limit {self.max_work:,}; "
                "pseudo-log-likelihood needs one forward pass per residue); send fewer or shorter sequences"
            )
        plls = dict(zip(ok, self.scorer.pseudo_log_likelihoods([cleaned[i][0] or "" for i in ok])))
        per_res = {i: plls[i] / len(cleaned[i][0] or "x") for i in ok}
        ranks = {i: r + 1 for r, i in enumerate(sorted(ok, key=lambda i: -per_res[i]))}
        items = [
            ScoreOutput.Item(index=i, error=err, length=len(seq) if seq else None, pll=plls.get(i),
                             pll_per_residue=per_res.get(i), rank=ranks.get(i))
            for i, (seq, err) in enumerate(cleaned)
        ]
        return ScoreOutput(model=self.scorer.name, items=items)


class VariantEffectTool(_EsmTool):
    name: ClassVar[str] = "esm.variants"
    description: ClassVar[str] = (
        "Predict effects of amino-acid substitutions (A123G, multi-mutants A123G:L45P, 1-based) on a "
        "protein with ESM C masked-marginal scores; negative = likely damaging. Per-variant errors for "
        "a wrong wild-type letter or position."
    )
    Input: ClassVar[type[BaseModel]] = VariantsInput
    Output: ClassVar[type[BaseModel]] = VariantsOutput

    def run(self, inp: BaseModel) -> VariantsOutput:
        assert isinstance(inp, VariantsInput)
        seq = clean_sequence(inp.sequence)
        parsed: list[Variant | str] = []
        for label in inp.variants:
            try:
                parsed.append(parse_variant(label, seq))
            except UserError as e:
                parsed.append(str(e))
        good = [v for v in parsed if isinstance(v, Variant)]
        scores = iter(self.scorer.masked_marginals(seq, good)) if good else iter(())
        items = [
            VariantsOutput.Item(variant=v.label, score=next(scores)) if isinstance(v, Variant)
            else VariantsOutput.Item(variant=label, error=v)
            for label, v in zip(inp.variants, parsed)
        ]
        return VariantsOutput(model=self.scorer.name, length=len(seq), items=items)


ESM_TOOL_CLASSES: tuple[type[_EsmTool], ...] = (
    ValidateSequencesTool, EmbedTool, ScoreSequencesTool, VariantEffectTool,
)


def esm_tools(runtime: EsmRuntime | None = None) -> list[_EsmTool]:
    """All ESM tools sharing one runtime, so the weights load at most once."""
    rt = runtime or EsmRuntime()
    return [cls(rt) for cls in ESM_TOOL_CLASSES]


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation with average ranks for ties (no scipy needed)."""
    import numpy as np

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
