"""ESM C protein suite: sequence validation, embeddings, pseudo-log-likelihoods, variant effects.

Three modules: :mod:`.variants` (ESM C's letters and limit, variant parsing; no torch),
:mod:`.esmc` (weights, loading, the batched scorer; torch imported lazily) and :mod:`.tools` (the
four tools). The names below are re-exported here so ``hypoforge.tools.protein`` stays the one
import for callers; importing it never imports torch.

Built on EvolutionaryScale's ``esm`` package (ESM C). Design choices:

* **Never download.** Weights come from ``HYPOFORGE_ESM_WEIGHTS`` (a ``.pth`` file or a folder holding
  one, e.g. a copied ``esmc-300m-2024-12`` snapshot) or from the local Hugging Face cache, looked up
  with ``try_to_load_from_cache`` (no network call exists on this path). ``HF_HUB_OFFLINE=1`` is set
  while ``esm`` is first imported and the weights load, as a second guard. We build the ``ESMC``
  module ourselves and ``torch.load`` the state dict, instead of ``ESMC.from_pretrained`` which calls
  ``snapshot_download``. Missing weights raise :class:`~hypoforge.errors.UserError` saying how to
  get them (a setup problem, not bad tool input); bad sequences and variants raise
  :class:`~hypoforge.tools.base.ToolInputError`.
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

from hypoforge.tools.protein.esmc import (
    ENV_MODEL,
    ENV_WEIGHTS,
    MODEL_SPECS,
    EsmModelSpec,
    EsmRuntime,
    EsmScorer,
    build_random_esmc,
    choose_device,
    default_runtime,
    length_batches,
    load_esmc,
    resolve_weights,
)
from hypoforge.tools.protein.tools import (
    ESM_TOOL_CLASSES,
    EmbedTool,
    ScoreSequencesTool,
    ValidateSequencesTool,
    VariantEffectTool,
    esm_tools,
)
from hypoforge.tools.protein.variants import (
    ALLOWED_AA,
    EXTRA_AA,
    MAX_RESIDUES,
    STANDARD_AA,
    Mutation,
    Variant,
    clean_esm_sequence,
    parse_variant,
)

__all__ = [
    "ALLOWED_AA", "ENV_MODEL", "ENV_WEIGHTS", "ESM_TOOL_CLASSES", "EXTRA_AA", "MAX_RESIDUES", "MODEL_SPECS",
    "STANDARD_AA", "EmbedTool", "EsmModelSpec", "EsmRuntime", "EsmScorer", "Mutation", "ScoreSequencesTool",
    "ValidateSequencesTool", "Variant", "VariantEffectTool", "build_random_esmc", "choose_device",
    "clean_esm_sequence", "default_runtime", "esm_tools", "length_batches", "load_esmc", "parse_variant",
    "resolve_weights",
]
