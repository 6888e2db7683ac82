"""Boundary models of the genomics tools: genotypes in, gene calls out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class GeneObservations(BaseModel):
    """What a file says at one gene's defining variants."""

    gene: str
    alt_counts: dict[str, int | None] = Field(
        description="defining variant key -> copies of its ALT allele (0-2); None = no call / not in file"
    )
    unexpected: list[str] = Field(default_factory=list, description="non-reference alleles at defining positions that no definition has, "
                                  "and variants of CPIC alleles newer than the tables")
    haplotypes: dict[str, tuple[int, int]] | None = Field(
        default=None,
        description="ALT copies on each haplotype per called variant key, when every heterozygous GT of the gene "
        "is phased in one phase set; None when unphased (or nothing to phase)",
    )
    ploidy: Literal[1, 2] | None = Field(
        default=None, description="GT ploidy seen at the gene's called positions: 1 = haploid (one X), 2 = diploid"
    )


class ContextObservation(BaseModel):
    rsid: str
    genotype: str | None = Field(description="bases as observed, e.g. 'GA'; None when not in the file")


class SampleGenotypes(BaseModel):
    sample: str
    source: str
    file_format: Literal["vcf", "23andme", "ancestrydna"]
    build: Literal["GRCh38", "GRCh37 (rsID-matched)"] = "GRCh38"
    genes: dict[str, GeneObservations]
    context: dict[str, ContextObservation] = Field(default_factory=dict, description="RA context variants by rsID")


class Candidate(BaseModel):
    diplotype: str
    phenotype: str
    activity_score: float | None = None
    score: int | None = Field(
        default=None,
        description="match score (defined positions called, summed over both alleles, PharmCAT's rule); "
        "None when an allele has no called defining position and is only listed because it cannot be excluded",
    )


class GeneCall(BaseModel):
    gene: str
    diplotype: str | None = Field(description="best call, e.g. '*1/*3A'; None when no definition pair fits")
    phenotype: str
    activity_score: float | None = None
    score: int | None = Field(default=None, description="match score of the best call (see Candidate.score)")
    ambiguous: bool = Field(description="more than one diplotype fits the observed genotypes")
    alternatives: list[Candidate] = Field(default_factory=list, description="other diplotypes that fit the genotypes, best score first; "
        "those with the best call's score are equally supported")
    missing_positions: list[str] = Field(default_factory=list)
    unexpected: list[str] = Field(default_factory=list)
    confidence: Literal["high", "medium", "low", "none"]
    notes: list[str] = Field(default_factory=list)
    source: str = Field(default="pypgx 0.27.0 allele/diplotype tables (CPIC definitions)")
