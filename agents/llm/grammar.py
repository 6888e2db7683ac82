"""JSON-schema -> GBNF grammars for constrained decoding on llama.cpp.

We reuse llama-cpp-python's schema converter and correct it in exactly one place, here:

* **Control characters.** In llama-cpp-python 0.3.36 the converter's ``char`` primitive is
  ``[^"\\\\]``, which lets raw control characters (newline, tab, NUL...) into JSON strings; the
  result is invalid JSON that ``json.loads`` rejects. We replace that rule with one that excludes
  U+0000-U+001F and U+007F, the same set the JSON spec forbids unescaped. The replacement is an
  allow-list: printable ASCII, Latin-1 and Latin Extended letters, Greek (alpha, beta...), and the
  punctuation, arrows and mathematical symbols blocks (dashes, quotes, plus-minus, >=). Output is
  English scientific text; without the list a small multilingual model under a length limit drifts
  into another script mid-sentence (seen with Qwen), and a tiny one spells odd characters byte by
  byte, spending its token budget on them (seen with SmolLM2).
* **Whitespace.** The converter's ``space`` rule allows a newline plus up to 20 indentation
  characters between tokens, which small models happily spend tokens on. We allow at most one
  space: the output is compact and generation is shorter.

Citation keys are constrained separately, before conversion, by :func:`constrain_keys`, which
turns every field marked ``x-citation-key`` into an ``enum`` of the keys retrieved for that call.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

CITATION_KEY_MARK = "x-citation-key"

# JSON forbids unescaped U+0000..U+001F inside strings; DEL (U+007F) is excluded as well.
SAFE_CHAR_RULE = (
    r'char ::= [\x20-\x21\x23-\x5B\x5D-\x7E\u00A0-\u024F\u0370-\u03FF\u2010-\u205E\u2100-\u22FF]'
    r' | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
)
COMPACT_SPACE_RULE = 'space ::= | " "'

_CHAR_LINE = re.compile(r"^char ::= .*$", re.MULTILINE)
_SPACE_LINE = re.compile(r"^space ::= .*$", re.MULTILINE)


def constrain_keys(schema: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Return a copy of ``schema`` where citation-key strings may only take values in ``keys``.

    A field is a citation key when its JSON schema carries ``"x-citation-key": true`` (see
    :data:`hypoforge.agents.models.CitationKey`). With no keys at all, arrays of citation keys are
    forced empty, so nothing can be cited that was not retrieved.
    """
    out = copy.deepcopy(schema)
    allowed = sorted(dict.fromkeys(keys))

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            items = node.get("items")
            if isinstance(items, dict) and items.get(CITATION_KEY_MARK) and not allowed:
                node["maxItems"] = 0
                node.pop("minItems", None)
            if node.get(CITATION_KEY_MARK):
                for k in ("maxLength", "minLength", "pattern"):
                    node.pop(k, None)
                node["enum"] = allowed or [""]
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(out)
    return out


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """Convert a JSON schema to a GBNF grammar with the fixes described in the module docstring."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    grammar = json_schema_to_gbnf(json.dumps(schema))
    return fix_grammar(grammar)


def fix_grammar(grammar: str) -> str:
    """Apply the control-character and whitespace fixes to a converter-produced grammar."""
    grammar = _CHAR_LINE.sub(lambda _m: SAFE_CHAR_RULE, grammar)
    grammar = _SPACE_LINE.sub(lambda _m: COMPACT_SPACE_RULE, grammar)
    return grammar


def max_chars(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> int:
    """An upper bound on the characters of compact JSON the schema admits (bounded schemas only).

    Used to size ``max_tokens`` so that grammar-constrained output is never cut off mid-string:
    every string in our drafts has ``maxLength`` and every list ``maxItems``. Unbounded parts count
    as 200 characters.
    """
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return max_chars(defs[schema["$ref"].split("/")[-1]], defs)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return max(max_chars(s, defs) for s in schema[union])
    if "enum" in schema:
        return max((len(json.dumps(v)) for v in schema["enum"]), default=4)
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    kind = schema.get("type")
    if kind == "string":
        # escapes can double a character; small models rarely use them, so allow a quarter.
        return int(schema.get("maxLength", 200) * 1.25) + 2
    if kind in ("integer", "number"):
        return 16
    if kind == "boolean":
        return 5
    if kind == "array":
        item = max_chars(schema.get("items", {}), defs)
        return 2 + schema.get("maxItems", 8) * (item + 2)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return 2 + sum(len(k) + 4 + max_chars(v, defs) for k, v in props.items())
    return 200
