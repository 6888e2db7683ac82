"""Biopython sequence utilities: FASTA/GenBank parsing, translation and ProtParam properties.

Validation is strict and explicit: a sequence with letters outside its alphabet is rejected with
the offending letters and their first positions (1-based), never silently dropped or replaced,
because a wrong residue would change every downstream score. The protein tools of the ESM suite
reuse :func:`clean_protein` so all tools agree on what a valid protein is.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from hypoforge.tools.base import Tool, ToolInputError
from hypoforge.tools.mentions import nucleotides_in, protein_in

PROTEIN_LETTERS = frozenset("ACDEFGHIKLMNPQRSTVWY")
NUCLEOTIDE_LETTERS = frozenset("ACGTUN") | frozenset("RYKMSWBDHV")  # IUPAC ambiguity codes allowed


class SequenceError(ToolInputError):
    """A sequence or sequence file that cannot be used; the message says where and why."""


def _clean(seq: str, alphabet: frozenset[str], kind: str, label: str, max_length: int | None = None) -> str:
    s = "".join(str(seq).split()).upper()
    if not s:
        raise SequenceError(f"{label} is empty; give a {kind} sequence of one-letter codes")
    bad = [(i, ch) for i, ch in enumerate(s, start=1) if ch not in alphabet]
    if bad:
        shown = ", ".join(f"{ch!r} at position {pos}" for pos, ch in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        allowed = "".join(sorted(alphabet))
        raise SequenceError(
            f"{label} has {len(bad)} invalid {kind} letter(s): {shown}{more}; allowed letters are {allowed}"
        )
    if max_length is not None and len(s) > max_length:
        raise SequenceError(
            f"{label} has {len(s)} residues, over the limit of {max_length}; split it into domains or score a window"
        )
    return s


def clean_protein(
    seq: str,
    label: str = "sequence",
    *,
    letters: frozenset[str] = PROTEIN_LETTERS,
    trailing_stop: bool = True,
    max_length: int | None = None,
) -> str:
    """Upper-case, whitespace-free protein sequence over ``letters`` (the 20 standard amino acids).

    With ``trailing_stop`` one trailing stop ``*`` (as produced by translation) is removed; any other
    letter outside ``letters`` (digits, gaps, X/B/Z/U/O unless allowed) is an error listing each bad
    letter with its 1-based position (first ten shown), so the input can be fixed in one go. The ESM
    tools pass their wider alphabet and length limit
    (:func:`hypoforge.tools.protein.variants.clean_esm_sequence`): this is the one protein validator.
    """
    s = "".join(str(seq).split()).upper()
    if trailing_stop and s.endswith("*"):
        s = s[:-1]
    return _clean(s, letters, "amino-acid", label, max_length)


def clean_nucleotide(seq: str, label: str = "sequence") -> str:
    return _clean(seq, NUCLEOTIDE_LETTERS, "nucleotide", label)


class SequenceRecord(BaseModel):
    id: str
    description: str = ""
    sequence: str
    features: list[dict[str, str]] = Field(default_factory=list, description="GenBank CDS features: location, gene, product, translation.")


def read_sequences(path: str | Path, fmt: Literal["auto", "fasta", "genbank"] = "auto") -> list[SequenceRecord]:
    """All records of a FASTA or GenBank file (format from the suffix when ``auto``)."""
    from Bio import SeqIO

    p = Path(path)
    if not p.is_file():
        raise SequenceError(f"sequence file {str(p)!r} not found")
    if fmt == "auto":
        fmt = "genbank" if p.suffix.lower() in {".gb", ".gbk", ".genbank", ".gbff"} else "fasta"
    try:
        records = list(SeqIO.parse(str(p), fmt))
    except Exception as exc:  # noqa: BLE001 - Biopython raises ValueError and friends
        first = str(exc).split(". ")[0].rstrip(".")  # Biopython's messages run to paragraphs
        raise SequenceError(f"{str(p)!r}: not valid {fmt}: {first}") from None
    if not records:
        raise SequenceError(f"{str(p)!r}: no {fmt} records found (is the format right?)")
    out = []
    for rec in records:
        feats = []
        for f in getattr(rec, "features", []):
            if f.type == "CDS":
                q = f.qualifiers
                feats.append({
                    "location": str(f.location),
                    "gene": ";".join(q.get("gene", [])),
                    "product": ";".join(q.get("product", [])),
                    "translation": "".join(q.get("translation", [])),
                })
        out.append(SequenceRecord(id=rec.id, description=rec.description, sequence=str(rec.seq), features=feats))
    return out


def translate(seq: str, *, table: int = 1, frame: int = 0, to_stop: bool = False) -> tuple[str, int]:
    """Protein translation of a DNA/RNA sequence; returns (protein, trailing bases ignored)."""
    from Bio.Data.CodonTable import unambiguous_dna_by_id
    from Bio.Seq import Seq

    if table not in unambiguous_dna_by_id:
        raise SequenceError(f"unknown NCBI genetic code table {table}; valid tables: {', '.join(map(str, sorted(unambiguous_dna_by_id)))}")
    s = clean_nucleotide(seq)[frame:]
    trailing = len(s) % 3
    coding = s[: len(s) - trailing]
    if not coding:
        raise SequenceError(f"sequence too short to translate in frame {frame} (needs at least 3 bases)")
    return str(Seq(coding).translate(table=table, to_stop=to_stop)), trailing


class ProteinProperties(BaseModel):
    length: int
    molecular_weight: float = Field(description="Average mass in Da.")
    isoelectric_point: float
    instability_index: float = Field(description="Guruprasad instability index; < 40 predicts a stable protein.")
    stable: bool
    gravy: float = Field(description="Grand average of hydropathy (Kyte-Doolittle).")
    aromaticity: float
    extinction_coefficient_reduced: int = Field(description="M^-1 cm^-1 at 280 nm, cysteines reduced.")
    extinction_coefficient_cystines: int = Field(description="M^-1 cm^-1 at 280 nm, all cysteines as cystines.")


def protparam(seq: str) -> ProteinProperties:
    """ProtParam-style properties from Biopython's ``ProteinAnalysis``."""
    from Bio.SeqUtils.ProtParam import ProteinAnalysis

    s = clean_protein(seq)
    pa = ProteinAnalysis(s)
    instability = pa.instability_index() if len(s) > 1 else 0.0
    reduced, cystines = pa.molar_extinction_coefficient()
    return ProteinProperties(
        length=len(s),
        molecular_weight=round(pa.molecular_weight(), 2),
        isoelectric_point=round(pa.isoelectric_point(), 3),
        instability_index=round(instability, 2),
        stable=instability < 40,
        gravy=round(pa.gravy(), 4),
        aromaticity=round(pa.aromaticity(), 4),
        extinction_coefficient_reduced=int(reduced),
        extinction_coefficient_cystines=int(cystines),
    )


class ProtParamInput(BaseModel):
    sequence: str = Field(min_length=1, description="Protein sequence, one-letter codes (20 standard amino acids).")


class ProtParamTool(Tool):
    name: ClassVar[str] = "seq.protparam"
    description: ClassVar[str] = (
        "Physico-chemical properties of a protein sequence (Biopython ProtParam): length, molecular weight, "
        "isoelectric point, instability index, GRAVY, aromaticity, extinction coefficients."
    )
    version: ClassVar[str] = "1.0"
    timeout_s: ClassVar[float] = 30.0
    Input: ClassVar[type[BaseModel]] = ProtParamInput
    Output: ClassVar[type[BaseModel]] = ProteinProperties

    def applies_to(self, text: str) -> bool:
        return protein_in(text)

    def run(self, inp: ProtParamInput) -> ProteinProperties:
        return protparam(inp.sequence)


class TranslateInput(BaseModel):
    sequence: str = Field(min_length=1, description="DNA or RNA sequence (IUPAC letters).")
    table: int = Field(1, description="NCBI genetic code table id (1 = standard).")
    frame: Literal[0, 1, 2] = 0
    to_stop: bool = Field(False, description="Stop at the first stop codon.")


class TranslateOutput(BaseModel):
    protein: str
    length: int
    trailing_bases_ignored: int
    stops: int = Field(description="Stop codons ('*') in the translation.")


class TranslateTool(Tool):
    name: ClassVar[str] = "seq.translate"
    description: ClassVar[str] = "Translate a DNA/RNA sequence to protein with an NCBI genetic code table (Biopython)."
    version: ClassVar[str] = "1.0"
    timeout_s: ClassVar[float] = 30.0
    Input: ClassVar[type[BaseModel]] = TranslateInput
    Output: ClassVar[type[BaseModel]] = TranslateOutput

    def applies_to(self, text: str) -> bool:
        return nucleotides_in(text)

    def run(self, inp: TranslateInput) -> TranslateOutput:
        protein, trailing = translate(inp.sequence, table=inp.table, frame=inp.frame, to_stop=inp.to_stop)
        return TranslateOutput(protein=protein, length=len(protein), trailing_bases_ignored=trailing, stops=protein.count("*"))
