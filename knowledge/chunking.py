"""Split a record's text into passages for indexing.

Design: abstracts are short, so most records become one passage. Longer texts are cut into passages
of roughly 120-200 words. Structured abstracts (``BACKGROUND: ... METHODS: ...``) are cut at their
section labels first, and small sections are merged with their neighbours so no passage is a lone
heading. Inside a section that is still too long the cut falls on sentence ends; text without
punctuation (pre-tokenised corpora) is cut into equal word windows. Equal-sized pieces (rather than
greedy 200-word pieces plus a stub) keep every passage informative.

Each passage is indexed as ``title + ". " + passage``: the title is the densest statement of what a
record is about and helps both BM25 and the embedding of later passages that never repeat it.
"""

from __future__ import annotations

import math
import re

MAX_WORDS = 200
MIN_WORDS = 120

_SECTION_RE = re.compile(r"(?:(?<=\s)|^)([A-Z][A-Z0-9 ,/&()-]{2,48}):\s+")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def _sections(text: str) -> list[str]:
    """Cut at labelled headings (``METHODS:``); the label stays with its section's text."""
    starts = [m.start() for m in _SECTION_RE.finditer(text) if not m.group(1).strip().isdigit()]
    if len(starts) < 2:
        return [text]
    bounds = ([0] if starts[0] > 0 else []) + starts + [len(text)]
    return [text[a:b].strip() for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def _split_long(text: str, max_words: int) -> list[str]:
    """Cut one over-long section into near-equal pieces on sentence ends (or word windows)."""
    words = text.split()
    n = math.ceil(len(words) / max_words)
    if n <= 1:
        return [text]
    target = len(words) / n
    sentences = _SENT_RE.split(text)
    if len(sentences) < n:  # no usable punctuation: equal word windows
        size = math.ceil(len(words) / n)
        return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    pieces: list[str] = []
    cur: list[str] = []
    cur_words = 0
    for sent in sentences:
        w = len(sent.split())
        if cur and cur_words + w > max_words or (cur and cur_words >= target and len(pieces) < n - 1):
            pieces.append(" ".join(cur))
            cur, cur_words = [], 0
        cur.append(sent)
        cur_words += w
    if cur:
        pieces.append(" ".join(cur))
    return [q for p in pieces for q in (_split_long(p, max_words) if len(p.split()) > max_words * 1.5 else [p])]


def chunk_text(text: str, *, max_words: int = MAX_WORDS, min_words: int = MIN_WORDS) -> list[str]:
    """The passages of ``text`` (one passage when it is short; never an empty list for non-empty text)."""
    text = " ".join(text.split())
    if not text:
        return []
    if len(text.split()) <= max_words:
        return [text]
    units: list[str] = []
    for sec in _sections(text):
        units.extend(_split_long(sec, max_words))
    # Merge neighbours while the merged passage stays within max_words and the current one is small.
    merged: list[str] = []
    for unit in units:
        if merged and (len(merged[-1].split()) < min_words or len(unit.split()) < min_words // 2) and (
            len(merged[-1].split()) + len(unit.split()) <= max_words
        ):
            merged[-1] = merged[-1] + " " + unit
        else:
            merged.append(unit)
    return merged


def index_text(title: str, passage: str) -> str:
    """The text that is embedded and BM25-indexed for one passage."""
    if passage.lower().startswith(title.lower()):
        return passage
    return f"{title}. {passage}"
