"""Pydantic models of the co-scientist loop.

Two families, kept apart on purpose:

* **Drafts** are what the LLM generates. They are deliberately small and bounded (few fields,
  ``max_length`` on every string, ``max_length`` on every list) because grammar-constrained decoding
  is the cost centre on a CPU: every generated token is paid for. Citation fields use
  :data:`CitationKey`, which the LLM layer restricts to the records retrieved for that call.
* **Records of the run** (:class:`Hypothesis`, :class:`Review`, ...) are what the graph state and the
  reports hold. The state stores them as plain dicts (``model_dump``) so checkpoints stay JSON-clean.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from hypoforge.agents.grammar import CITATION_KEY_MARK

CRITERIA = ("alignment", "plausibility", "novelty", "testability", "safety")


def _check_citation_key(value: str, info: ValidationInfo) -> str:
    allowed = (info.context or {}).get("citation_keys")
    if allowed is not None and value not in allowed:
        raise ValueError(f"citation key {value!r} was not among the records retrieved for this call")
    return value


CitationKey = Annotated[
    str,
    Field(json_schema_extra={CITATION_KEY_MARK: True}, max_length=80),
    AfterValidator(_check_citation_key),
]
"""A citation key produced by the LLM; only keys retrieved for the call validate."""


def _short(n: int) -> object:
    return Field(min_length=1, max_length=n)


# ---------------------------------------------------------------- drafts (LLM output schemas)


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanDraft(_Draft):
    """The supervisor's research plan: what to focus on."""

    focus: Annotated[list[Annotated[str, _short(100)]], Field(min_length=1, max_length=3)]


class EvidenceNote(_Draft):
    key: CitationKey
    bearing: Annotated[str, _short(120)]


class EvidenceNotes(_Draft):
    """One line per retrieved passage: how it bears on the goal (read before hypothesising)."""

    notes: Annotated[list[EvidenceNote], Field(min_length=1, max_length=8)]


class HypothesisDraft(_Draft):
    title: Annotated[str, _short(100)]
    statement: Annotated[str, _short(240)]
    mechanism: Annotated[str, _short(320)]
    predictions: Annotated[list[Annotated[str, _short(140)]], Field(min_length=1, max_length=3)]
    citations: Annotated[list[CitationKey], Field(min_length=1, max_length=3)]


Score = Literal[1, 2, 3, 4, 5]
"""A 1-5 criterion score, as an enum so the grammar (not only validation) enforces the range."""


class ReviewDraft(_Draft):
    alignment: Score
    plausibility: Score
    novelty: Score
    testability: Score
    safety: Score
    strengths: Annotated[str, _short(160)]
    weaknesses: Annotated[str, _short(160)]
    unsupported: Annotated[list[CitationKey], Field(max_length=3)] = Field(
        default_factory=list, description="Cited keys whose passage does not support the claim."
    )
    verdict: Literal["accept", "revise", "reject"]


class ArgumentDraft(_Draft):
    argument: Annotated[str, _short(240)]


class JudgementDraft(_Draft):
    reason: Annotated[str, _short(200)]
    winner: Literal["A", "B"]


class MetaReviewDraft(_Draft):
    recurring: Annotated[list[Annotated[str, _short(120)]], Field(max_length=3)]
    overview: Annotated[str, _short(500)]


# ---------------------------------------------------------------- records of the run


class ResearchPlan(BaseModel):
    goal: str
    criteria: list[str] = Field(default_factory=lambda: list(CRITERIA))
    constraints: list[str] = Field(default_factory=list)
    focus: list[str] = Field(default_factory=list)


class Evidence(BaseModel):
    """A retrieved passage and the generator's one-line reading of it."""

    key: str
    pmid: str | None = None
    title: str
    year: int | None = None
    passage: str
    bearing: str = ""


class Review(BaseModel):
    round: int
    scores: dict[str, int]
    strengths: str
    weaknesses: str
    unsupported: list[str] = Field(default_factory=list)
    verdict: str

    @property
    def score(self) -> float:
        """Mean criterion score, minus one point per unsupported citation."""
        mean = sum(self.scores.values()) / max(len(self.scores), 1)
        return mean - len(self.unsupported)


class Hypothesis(BaseModel):
    id: str
    title: str
    statement: str
    mechanism: str
    predictions: list[str]
    citations: list[str]
    origin: str = "generated"
    parents: list[str] = Field(default_factory=list)
    round: int = 0
    reviews: list[Review] = Field(default_factory=list)
    merged_into: str | None = None

    @classmethod
    def from_draft(cls, draft: HypothesisDraft, *, id: str, origin: str, round: int, parents: list[str] | None = None) -> Hypothesis:
        return cls(
            id=id,
            title=draft.title.strip(),
            statement=draft.statement.strip(),
            mechanism=draft.mechanism.strip(),
            predictions=[p.strip() for p in draft.predictions],
            citations=list(dict.fromkeys(draft.citations)),
            origin=origin,
            round=round,
            parents=parents or [],
        )

    @property
    def active(self) -> bool:
        return self.merged_into is None

    def short(self) -> str:
        """Title, statement and mechanism: what a judge compares (shorter prompts, faster judging)."""
        return f"Title: {self.title}\nStatement: {self.statement}\nMechanism: {self.mechanism}"

    def brief(self) -> str:
        """Compact text used in prompts (ranking, evolution, meta-review)."""
        preds = "; ".join(self.predictions)
        return (
            f"Title: {self.title}\nStatement: {self.statement}\nMechanism: {self.mechanism}\n"
            f"Predictions: {preds}\nCites: {', '.join(self.citations)}"
        )
