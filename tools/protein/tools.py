"""The four ESM C tools: validate, embed, score (pseudo-log-likelihood) and variant effects.

Every tool cleans each sequence on its own, so one bad item gets an error and the rest are scored.
The model lives in a shared :class:`~hypoforge.tools.protein.esmc.EsmRuntime`; ``esm.validate``
needs none.
"""

from __future__ import annotations

import os
from typing import ClassVar

from pydantic import BaseModel, Field

from hypoforge.errors import UserError
from hypoforge.tools.base import Tool, ToolInputError
from hypoforge.tools.mentions import protein_in
from hypoforge.tools.protein.esmc import ENV_MODEL, ENV_WEIGHTS, EsmRuntime, EsmScorer, default_runtime, resolve_weights
from hypoforge.tools.protein.variants import EXTRA_AA, MAX_RESIDUES, Variant, clean_esm_sequence, parse_variant


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

    def applies_to(self, text: str) -> bool:
        return protein_in(text)

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
                out.append((clean_esm_sequence(s, label=f"sequence {i}"), None))
            except ToolInputError as e:
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

    def run(self, inp: _Seqs) -> ValidateOutput:
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

    def run(self, inp: EmbedInput) -> EmbedOutput:
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

    def run(self, inp: _Seqs) -> ScoreOutput:
        cleaned = self._clean_all(inp.sequences)
        ok = [i for i, (s, _) in enumerate(cleaned) if s]
        work = sum(len(cleaned[i][0] or "") ** 2 for i in ok)
        if work > self.max_work:
            raise ToolInputError(
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

    def run(self, inp: VariantsInput) -> VariantsOutput:
        seq = clean_esm_sequence(inp.sequence)
        parsed: list[Variant | str] = []
        for label in inp.variants:
            try:
                parsed.append(parse_variant(label, seq))
            except ToolInputError as e:
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

