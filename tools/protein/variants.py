"""Protein sequences and variants as ESM C takes them (no torch): the letters it knows, its length
limit, and ``A123G`` / ``A123G:L45P`` variant parsing.

The letters themselves are checked by :func:`hypoforge.tools.sequences.clean_protein`, the one
protein-sequence validator; :func:`clean_esm_sequence` only passes it ESM C's alphabet and limit.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from hypoforge.tools.base import ToolInputError
from hypoforge.tools.sequences import PROTEIN_LETTERS, clean_protein

STANDARD_AA = "".join(sorted(PROTEIN_LETTERS))  # the 20 standard amino acids, ACDEFGHIKLMNPQRSTVWY
# Letters ESM C's vocabulary also knows: X unknown, B (D/N), Z (E/Q), U selenocysteine, O pyrrolysine.
EXTRA_AA = "XBZUO"
ALLOWED_AA = frozenset(STANDARD_AA + EXTRA_AA)
# ESM C was trained with a 2048-token context; two tokens go to <cls> and <eos>.
MAX_RESIDUES = 2046


def clean_esm_sequence(sequence: str, *, max_length: int = MAX_RESIDUES, label: str = "sequence") -> str:
    """The upper-cased, whitespace-free sequence, or :class:`~hypoforge.tools.sequences.SequenceError`.

    Accepts the 20 standard amino acids plus X, B, Z, U, O; a stop ``*`` is an error here (ESM C has
    no token for it), and so is a sequence over ``max_length`` residues.
    """
    return clean_protein(sequence, label, letters=ALLOWED_AA, trailing_stop=False, max_length=max_length)


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
    """Parse ``A123G`` / ``A123G:L45P`` against ``sequence`` (already cleaned), or raise ToolInputError.

    Checks the format, that each position lies in the sequence, that the wild-type letter matches
    the sequence there, that the mutant is a standard amino acid and that no position repeats.
    """
    text = label.strip().upper()
    parts = [p.strip() for p in text.split(":")] if text else []
    if not parts or any(not p for p in parts):
        raise ToolInputError(f"variant {label!r} is empty or has an empty part; write e.g. A123G or A123G:L45P")
    muts: list[Mutation] = []
    seen: set[int] = set()
    for part in parts:
        m = _MUTATION_RE.match(part)
        if not m:
            raise ToolInputError(
                f"variant {label!r}: {part!r} is not of the form <wild-type><1-based position><mutant>, e.g. A123G"
            )
        wt, pos, mt = m.group(1), int(m.group(2)), m.group(3)
        if pos > len(sequence):
            raise ToolInputError(
                f"variant {label!r}: position {pos} is out of range (the sequence has {len(sequence)} residues)"
            )
        if sequence[pos - 1] != wt:
            raise ToolInputError(
                f"variant {label!r}: wild-type letter mismatch at position {pos}: the sequence has "
                f"{sequence[pos - 1]!r}, the variant says {wt!r}; check numbering (1-based) and isoform"
            )
        if mt not in STANDARD_AA:
            raise ToolInputError(f"variant {label!r}: mutant {mt!r} is not one of the 20 standard amino acids")
        if pos in seen:
            raise ToolInputError(f"variant {label!r}: position {pos} appears twice")
        seen.add(pos)
        muts.append(Mutation(wt=wt, pos=pos, mt=mt))
    return Variant(label=":".join(parts), mutations=muts)
