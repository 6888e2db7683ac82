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

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, create_model

from hypoforge.agents.llm.grammar import CITATION_KEY_MARK

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

    focus: Annotated[list[Annotated[str, _short(60)]], Field(min_length=1, max_length=3)]


class EvidenceNote(_Draft):
    key: CitationKey
    bearing: Annotated[str, _short(120)]


class EvidenceNotes(_Draft):
    """Free-form notes, kept for chat and old checkpoints; the generator uses :func:`readings_schema`."""

    notes: Annotated[list[EvidenceNote], Field(min_length=1, max_length=8)]


# ---------------------------------------------------------------- budgets per model class


class Profile(BaseModel):
    """Word budgets that the model is told, per model class; character caps follow from them.

    A cap is about eight characters per word, above what a sentence within its word budget needs
    (scientific English averages under seven with the space), so a model that keeps to the budget never meets the cap; one that reaches it ran on and
    was cut off, which the ``complete`` check catches, and the generator asks again, shorter.
    """

    name: str
    title_words: int
    statement_words: int
    step_words: int
    steps: tuple[str, ...]  # the named chain steps, in order (see STEP_ROLES)
    readout_words: int
    comparison_words: int
    reading_words: int
    experiment_words: int = 0  # 0: predictions carry no experiment (small models)
    overview_words: int = 25  # the meta-review's "why" and "next step"
    # Small models copy a passage until the cap instead of summarising it, so on the compact
    # profile a reading is extractive (the passage's sentence that bears most on the goal) and the
    # model only labels each passage relevant or background; capable models write the reading.
    abstractive_readings: bool = False

    def cap(self, words: int) -> int:
        return words * 8 + 8


PROFILES: dict[str, Profile] = {
    # Embedded models of a few billion parameters or less: short slots, fixed structure.
    "compact": Profile(name="compact", title_words=12, statement_words=30, step_words=22,
                       steps=("cause", "intermediate", "effect"), readout_words=10,
                       comparison_words=12, reading_words=24),
    # Capable endpoint models: longer steps, four of them, an experiment per prediction.
    "rich": Profile(name="rich", title_words=16, statement_words=45, step_words=40,
                    steps=("cause", "intermediate", "consequence", "effect"), readout_words=16,
                    comparison_words=20, reading_words=40, experiment_words=35, overview_words=45, abstractive_readings=True),
}


def _words(profile: Profile, n: int, min_chars: int = 3) -> Any:
    return Annotated[str, Field(min_length=min_chars, max_length=profile.cap(n), description=f"at most {n} words")]


STEP_ROLES = {
    "cause": "what the cause you propose (a gene variant, an exposure, a cell or tissue state) changes first, and which way",
    "intermediate": "what that changes in the body (drug level, pathway, cell population)",
    "consequence": "what that change leads to next (signalling, tissue response)",
    "effect": "how that changes the outcome the goal asks about",
}


@lru_cache(maxsize=None)
def hypothesis_draft(profile_name: str = "compact") -> type[BaseModel]:
    """The hypothesis schema of a profile: named causal steps, each cited, and one prediction per link.

    The steps are named slots (``cause``, ``intermediate``, [``consequence``,] ``effect``) rather
    than a list: a small model fills distinct roles far better than it writes distinct list items
    (given a list, it wrote one claim three times). The grammar fixes their number and order.
    """
    p = PROFILES[profile_name]
    step = create_model("ChainStepDraft", __base__=_Draft, claim=(_words(p, p.step_words, 12), ...), key=(CitationKey, ...))
    pred_fields: dict[str, Any] = {
        "readout": (_words(p, p.readout_words), ...),
        "direction": (Literal["higher", "lower"], ...),
        "comparison": (_words(p, p.comparison_words), ...),
    }
    if p.experiment_words:
        pred_fields["experiment"] = (_words(p, p.experiment_words, 10), ...)
    pred = create_model("PredictionDraft", __base__=_Draft, **pred_fields)
    fields: dict[str, Any] = {"title": (_words(p, p.title_words, 8), ...), "statement": (_words(p, p.statement_words, 20), ...)}
    fields.update({role: (step, ...) for role in p.steps})
    # one prediction per link of the chain: n steps have n - 1 links
    fields.update({f"prediction{i}": (pred, ...) for i in range(1, len(p.steps))})
    return create_model("HypothesisDraft", __base__=_Draft, **fields)


@lru_cache(maxsize=None)
def hypothesis_fix(profile_name: str, fields: tuple[str, ...]) -> type[BaseModel]:
    """Only ``fields`` of the profile's hypothesis schema, with the same bounds: a targeted revision
    rewrites what failed a check and keeps the rest of the draft (fewer tokens, one task at a time)."""
    full = hypothesis_draft(profile_name).model_fields
    return create_model("HypothesisFix", __base__=_Draft, **{f: (full[f].annotation, full[f]) for f in fields})


@lru_cache(maxsize=None)
def prediction_readout(profile_name: str = "compact") -> type[BaseModel]:
    """One prediction's readout and direction (and experiment, where the profile has one), for the
    per-link call of :func:`hypoforge.agents.drafting.derive_predictions`: the comparison is written
    by the code from the hypothesis's own cause, so the model's only task is what to measure."""
    pred = hypothesis_draft(profile_name).model_fields["prediction1"].annotation
    fields = {k: (f.annotation, f) for k, f in pred.model_fields.items() if k != "comparison"}  # type: ignore[union-attr]
    return create_model("PredictionReadout", __base__=_Draft, **fields)


def draft_steps(draft: BaseModel) -> list[Any]:
    """The chain steps of a hypothesis draft, in order."""
    return [getattr(draft, r) for r in STEP_ROLES if r in type(draft).model_fields]


def draft_predictions(draft: BaseModel) -> list[Any]:
    return [getattr(draft, f) for f in type(draft).model_fields if f.startswith("prediction")]


HypothesisDraft = hypothesis_draft("compact")
"""The compact profile's hypothesis schema (what the embedded models write)."""


@lru_cache(maxsize=None)
def readings_schema(n: int, profile_name: str = "compact") -> type[BaseModel]:
    """Exactly one reading per retrieved passage, in order: fields ``p1``..``pN``, fixed by the grammar.

    Each field is a written reading plus a relevance label (``abstractive_readings``), or the label alone.
    """
    p = PROFILES[profile_name]
    if not p.abstractive_readings:
        label = Literal["relevant", "background"]
        return create_model("EvidenceReadings", __base__=_Draft, **{f"p{i}": (label, ...) for i in range(1, n + 1)})
    reading = create_model(
        "Reading", __base__=_Draft,
        reading=(_words(p, p.reading_words, 10), ...),
        relevance=(Literal["relevant", "background"], ...),
    )
    return create_model("EvidenceReadings", __base__=_Draft, **{f"p{i}": (reading, ...) for i in range(1, n + 1)})


#: Words a comparison may open with as written; any other opening gets "in" (a group of people or samples).
COMPARISON_OPENERS = frozenset(
    """in among than after before at with without when while during compared versus vs for on under within across
    between from of relative following once if where by over per upon""".split()
)


def _plural(readout: str) -> bool:
    """Whether a readout's head noun is plural ("transaminase levels", not "DAS28 score" or "fibrosis")."""
    head = readout.split(" of ", 1)[0].split(" in ", 1)[0].split()
    last = head[-1].lower() if head else ""
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "sis", "ics"))


#: Readout abbreviations written in capitals whatever case the model used ("esr" -> "ESR", not "Esr").
LAB_ABBREVIATIONS = frozenset("esr crp das28 haq cdai sdai alt ast ggt alp acpa rf hla ifn il-6 tnf mtx dna rna mrna".split())


def render_prediction(pred: Any) -> str:
    """A structured prediction as one sentence: what is measured, which way, against what."""
    readout = str(pred.readout).strip().rstrip(".")
    comparison = str(pred.comparison).strip().rstrip(".")
    # Small models often write the group alone ("patients with ATIC 347GG than those without"):
    # it reads as a sentence once the missing "in" is added.
    # A comparison written as "to those not receiving it" (a real leflunomide goal, 2026-12-01) had
    # read "is higher in to those not receiving it": it is what "compared" introduces.
    opener = comparison.split(" ", 1)[0].lower()
    if opener == "to":
        comparison = f"compared {comparison}"
    elif opener not in COMPARISON_OPENERS:
        comparison = f"in {comparison}"
    first, _, rest = readout.partition(" ")
    opening = first.upper() if first.lower() in LAB_ABBREVIATIONS else first[:1].upper() + first[1:]
    readout = f"{opening} {rest}" if rest else opening
    text = f"{readout} {'are' if _plural(readout) else 'is'} {pred.direction} {comparison}."
    experiment = str(getattr(pred, "experiment", "") or "").strip()
    return f"{text} Test: {experiment.rstrip('.')}." if experiment else text


Score = Literal[1, 2, 3, 4, 5]
"""A 1-5 criterion score, as an enum so the grammar (not only validation) enforces the range."""


REVIEW_TEXT_CHARS = 220


class ReviewDraft(_Draft):
    alignment: Score
    plausibility: Score
    novelty: Score
    testability: Score
    safety: Score
    # told "one sentence of at most 25 words"; the cap sits above that (a cut sentence is trimmed
    # back to a clause boundary when stored)
    strengths: Annotated[str, _short(REVIEW_TEXT_CHARS)]
    weaknesses: Annotated[str, _short(REVIEW_TEXT_CHARS)]
    # required, so the grammar makes the model decide (an empty list is a decision)
    unsupported: Annotated[list[CitationKey], Field(max_length=3, description="Cited keys whose passage does not support the claim.")]
    verdict: Literal["accept", "revise", "reject"]


class ArgumentDraft(_Draft):
    argument: Annotated[str, _short(240)]


class JudgementDraft(_Draft):
    reason: Annotated[str, _short(200)]
    winner: Literal["A", "B"]


#: Weaknesses the meta-reviewer may find recurring in the reviews: name -> (what the reviews show,
#: the lesson later prompts get). A fixed menu, because a small model's free-text lessons were
#: noise ("avoid relying on pharmacogenetic models") that steered later drafts off their evidence.
WEAKNESSES: dict[str, tuple[str, str]] = {
    "vague": ("mechanisms name general processes, not molecules, cells or pathways",
              "Name the molecule, cell or pathway at each step of the chain, not a general process."),
    "unsupported": ("steps rest on records that do not say them",
                    "Rest each step on a record that says it; reviewers found steps their records do not back."),
    "restated": ("hypotheses restate one study's finding instead of explaining it",
                 "Explain how a finding comes about, or link it to a second record; never restate one study."),
    "untestable": ("predictions are not measurements someone could take next",
                   "Make each prediction a measurement someone could take next: the sample, the readout, the direction."),
    "off_goal": ("hypotheses answer a neighbouring question, not the goal's",
                 "Answer the goal's own question, not a neighbouring one."),
    "implausible": ("the biology is wrong (receptors, pathways or drug actions that do not exist)",
                    "Check the biology: no receptors, pathways or drug actions that do not exist."),
}

@lru_cache(maxsize=None)
def metareview_schema(candidates: int, profile_name: str = "compact") -> type[BaseModel]:
    """The meta-review: recurring weaknesses from :data:`WEAKNESSES`, and the overview as the number
    of the most promising of ``candidates`` hypotheses, why, and the next experiment (the overview
    names a hypothesis of the run, so it cannot praise an off-goal study)."""
    p = PROFILES[profile_name]
    text = Annotated[str, Field(min_length=3, max_length=p.cap(p.overview_words), description=f"at most {p.overview_words} words")]
    return create_model(
        "MetaReviewDraft", __base__=_Draft,
        recurring=(Annotated[list[Literal[tuple(WEAKNESSES)]], Field(max_length=3)], ...),
        lead=(Literal[tuple(str(i) for i in range(1, candidates + 1))], ...),
        why=(text, ...),
        next_step=(text, ...),
    )


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
    relevant: bool | None = None  # the reading says it bears on the goal (None: not read, e.g. tool output)


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


class ChainStep(BaseModel):
    """One link of a mechanism: a short claim and the record it rests on."""

    claim: str
    key: str


class Hypothesis(BaseModel):
    id: str
    title: str
    statement: str
    mechanism: str
    predictions: list[str]
    citations: list[str]
    chain: list[ChainStep] = Field(default_factory=list, description="The mechanism as cited causal steps.")
    bridge: str | None = Field(None, description="Which step links two records that do not cite each other (literature-based discovery).")
    flags: list[str] = Field(default_factory=list, description="Quality checks still failing after one revision.")
    revised: list[str] = Field(default_factory=list, description="Checks that failed on the first draft and caused one revision.")
    origin: str = "generated"
    parents: list[str] = Field(default_factory=list)
    round: int = 0
    reviews: list[Review] = Field(default_factory=list)
    merged_into: str | None = None

    @classmethod
    def from_draft(cls, draft: BaseModel, *, id: str, origin: str, round: int, parents: list[str] | None = None) -> Hypothesis:
        """A record from a :func:`hypothesis_draft` instance: mechanism and citations come from the chain."""
        chain = [ChainStep(claim=_clean(s.claim), key=s.key) for s in draft_steps(draft)]
        return cls(
            id=id,
            title=_clean(draft.title),  # type: ignore[attr-defined]
            statement=_clean(draft.statement),  # type: ignore[attr-defined]
            mechanism=mechanism_text(chain),
            predictions=[render_prediction(p) for p in draft_predictions(draft)],
            citations=list(dict.fromkeys(s.key for s in chain)),
            chain=chain,
            origin=origin,
            round=round,
            parents=parents or [],
        )

    @property
    def active(self) -> bool:
        return self.merged_into is None

    def chain_text(self) -> str:
        """The chain with each step's citation, one step a line (what the critic and the judge read)."""
        if not self.chain:
            return f"Mechanism: {self.mechanism}"
        return "Mechanism:\n" + "\n".join(f"{i}. {s.claim} [{s.key}]" for i, s in enumerate(self.chain, start=1))

    def short(self) -> str:
        """Title, statement and the cited chain: what a judge compares."""
        flags = f"\nFailed checks: {'; '.join(self.flags)}" if self.flags else ""
        return f"Title: {self.title}\nStatement: {self.statement}\n{self.chain_text()}{flags}"

    def brief(self) -> str:
        """Compact text used in prompts (review, evolution, meta-review)."""
        preds = "; ".join(self.predictions)
        return f"Title: {self.title}\nStatement: {self.statement}\n{self.chain_text()}\nPredictions: {preds}"


_BRACKETED_KEY = re.compile(r"\s*[\[(]\s*(?:PMID:\s?\d+|DOI:10\.[^\])\s]+|H:[0-9a-f]{16}|TOOL:[\w.]+:[0-9a-f]+)\s*[\])]", re.IGNORECASE)


def _clean(text: str) -> str:
    """Collapse whitespace and drop bracketed citation keys: a draft cites through its steps' ``key`` fields."""
    return " ".join(_BRACKETED_KEY.sub("", text).split())


def mechanism_text(chain: list[ChainStep]) -> str:
    """The chain as one line of prose: step -> step -> step."""
    return " -> ".join(s.claim.rstrip(".") for s in chain) + "." if chain else ""
