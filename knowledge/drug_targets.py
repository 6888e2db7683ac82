"""What the antirheumatic drugs act on: a small curated table, and where a text says otherwise.

The embedded 1.5B model writes drug biology from memory and gets it wrong in ways a rheumatologist
sees at once: "rituximab targets the B-cell receptor and reduces the production of TNF" (bench goal
5, 2026-11-30; issue 10 reported the same error). The retrieved records rarely state a drug's
target, so the term-level ``grounded`` check cannot see it. This table holds each drug's molecular
target as the Mechanism of Action section of the label named in ``source`` states it (the US
prescribing information; the EU SmPC for filgotinib). Methotrexate, hydroxychloroquine and
sulfasalazine, whose mechanisms in rheumatoid arthritis are debated, the glucocorticoids and the
NSAIDs are judged only on the class a text puts them in ("sulfasalazine is an NSAID"), never on
what they are said to do. It is a small hand-kept table, not a database: a drug not in it is not judged.

:func:`misattributed_targets` finds a drug said to act on something else's target. It judges only a
drug that is the subject of an action verb ("rituximab ... blocks / targets / reduces ... TNF") or of
a class claim ("rituximab is a TNF inhibitor"), so "patients who failed TNF inhibitors respond to
rituximab" is never read as a claim about rituximab.
"""

from __future__ import annotations

import re

from pydantic import BaseModel


class DrugTarget(BaseModel):
    """One drug class: its members, what they act on (as regular expressions), and the source."""

    drugs: tuple[str, ...]
    target: str  # as a reader should see it
    acts_on: str  # regex: what a correct claim may name as the drug's object (target, its ligand, its cells)
    source: str
    depletes: str | None = None  # regex: cells the drug removes, which no claim may say it raises
    actions: bool = True  # whether its action claims are judged, or only the classes it is put in
    label: str | None = None  # the class as a reader names it ("TNF inhibitors"), where texts name it as a class
    named_as: str | None = None  # regex: how a text names the class as a whole ("anti-TNF", "JAK inhibitors")


TABLE: tuple[DrugTarget, ...] = (
    DrugTarget(drugs=("rituximab",), target="the CD20 antigen on B cells",
               acts_on=r"\bCD20\b|\bMS4A1\b|\bB[- ]?(?:cells?|lymphocytes?)\b(?![- ]?(?:cell )?receptors?)",
               source="Rituxan (rituximab) US prescribing information, Mechanism of Action",
               depletes=r"\b(?:CD20[- ]?(?:positive|\+)\s+)?B[- ]?(?:cells?|lymphocytes?)\b(?![- ]?(?:cell )?receptors?)"),
    DrugTarget(drugs=("infliximab", "adalimumab", "golimumab", "certolizumab", "etanercept"), target="TNF (tumour necrosis factor)",
               acts_on=r"\bTNF\b|TNF-?(?:alpha|α)|\btumou?r necrosis factor\b|\blymphotoxin",
               source="Remicade, Humira, Simponi, Cimzia and Enbrel US prescribing information, Mechanism of Action",
               label="TNF inhibitors",
               named_as=r"\banti-?TNF\b|\b(?:TNF(?:[- ]?(?:alpha|α))?|tumou?r necrosis factor)[- ](?:inhibitors?|blockers?|antagonists?|blockade"
                        r"|inhibition|blocking (?:agents?|drugs?|therap(?:y|ies)))"),
    DrugTarget(drugs=("tocilizumab", "sarilumab"), target="the IL-6 receptor",
               acts_on=r"\bIL-?6\b|\binterleukin[- ]6\b|\bIL-?6R\b",
               source="Actemra and Kevzara US prescribing information, Mechanism of Action",
               label="IL-6 inhibitors",
               named_as=r"\banti-?IL-?6R?\b|\b(?:IL-?6R?|interleukin[- ]6)(?: receptor)?[- ](?:inhibitors?|blockers?|antagonists?|blockade|inhibition)"),
    DrugTarget(drugs=("abatacept",), target="CD80/CD86 (T-cell co-stimulation through CD28)",
               acts_on=r"\bCD80\b|\bCD86\b|\bCD28\b|co-?stimulat|\bT[- ]?(?:cells?|lymphocytes?)\b",
               source="Orencia (abatacept) US prescribing information, Mechanism of Action"),
    DrugTarget(drugs=("anakinra",), target="the IL-1 type I receptor",
               acts_on=r"\bIL-?1\b|\binterleukin[- ]1\b|\bIL-?1R1?\b|\bIL-?1(?:alpha|beta|α|β)\b",
               source="Kineret (anakinra) US prescribing information, Mechanism of Action"),
    DrugTarget(drugs=("tofacitinib", "baricitinib", "upadacitinib", "filgotinib"), target="Janus kinases (JAK)",
               acts_on=r"\bJAKs?\d?\b|\bJanus kinases?\b|\bTYK2\b|\bSTATs?\d?\b",
               source="Xeljanz, Olumiant and Rinvoq US prescribing information, Mechanism of Action; Jyseleca EU SmPC",
               label="JAK inhibitors",
               named_as=r"\bJAK\d?(?:/JAK\d)?[- ](?:kinase )?(?:inhibitors?|blockers?|blockade|inhibition)|\bJanus kinase (?:inhibitors?|blockers?)|\bjakinibs?\b"),
    DrugTarget(drugs=("leflunomide", "teriflunomide"), target="DHODH (dihydroorotate dehydrogenase)",
               acts_on=r"\bDHODH\b|\bdihydroorotate dehydrogenase\b|\bpyrimidine",
               source="Arava (leflunomide) US prescribing information, Mechanism of Action"),
    # Approved for immune thrombocytopenia, trialled in RA; bench goal 9 (2026-11-30) called it "a
    # selective p38 MAP kinase inhibitor".
    DrugTarget(drugs=("fostamatinib",), target="SYK (spleen tyrosine kinase), through its active metabolite R406",
               # SYK signals from Fc and B-cell receptors; only SYK itself counts, so "rituximab targets the
               # B-cell receptor" stays wrong and "tofacitinib inhibits tyrosine kinases" is not another class's.
               acts_on=r"\bSYK\b|\bspleen tyrosine kinase\b|\bR406\b",
               source="Tavalisse (fostamatinib) US prescribing information, Mechanism of Action"),
    # Glucocorticoids lower many cytokines through their receptor ("prednisolone lowers IL-6" is
    # true), so only the classes they are put in are judged: bench goal 9 (2026-11-30) wrote
    # "Methylprednisolone, an oral small-molecule Janus kinase (JAK) inhibitor".
    DrugTarget(drugs=("prednisone", "prednisolone", "methylprednisolone"), target="the glucocorticoid receptor (they are glucocorticoids)",
               acts_on=r"glucocorticoid|corticosteroid|\bsteroids?\b(?!-)|\bNR3C1\b",
               source="Medrol (methylprednisolone) US prescribing information, Description: a glucocorticoid, an adrenocortical steroid",
               actions=False),
    # The conventional DMARDs whose mechanisms in RA are not settled, and the NSAIDs: only the classes
    # they are put in are judged. A real leflunomide goal (2026-11-30) wrote "Sulfasalazine is a
    # non-steroidal anti-inflammatory drug used to treat rheumatoid arthritis", and bench goal 1
    # "Methotrexate is a p38 MAP kinase inhibitor". "DMARD", "anti-rheumatic" and "immunosuppressive"
    # are shared by several of them and name no class's target.
    DrugTarget(drugs=("methotrexate",), target="dihydrofolate reductase (a folate analogue; its mechanism in rheumatoid arthritis is unknown)",
               acts_on=r"\bfol(?:ate|ic)|antifolate|anti-?metabolite|\bDHFR\b|dihydrofol|\bAICAR\b|\bATIC\b|\badenosine|\bthymidylate",
               source="Trexall (methotrexate) US prescribing information, Clinical Pharmacology: it inhibits dihydrofolic acid reductase",
               actions=False),
    DrugTarget(drugs=("sulfasalazine",), target="no settled target (it is split into sulfapyridine and 5-aminosalicylic acid, whose mode of action is under investigation)",
               acts_on=r"salicyl|\b5-?ASA\b|sulfapyridine|sulfonamide|\bsulfa\b",
               source="Azulfidine EN-tabs (sulfasalazine) US prescribing information, Clinical Pharmacology",
               actions=False),
    DrugTarget(drugs=("hydroxychloroquine", "chloroquine"), target="no settled target (an antimalarial; its mechanism in rheumatoid arthritis is unknown)",
               acts_on=r"anti-?malarial|quinolin|lysosom|\btoll-like|\bTLR\d*\b",
               source="Plaquenil (hydroxychloroquine) US prescribing information, Clinical Pharmacology",
               actions=False),
    # A prodrug: judged only on its class, and named in a chain by its thiopurine metabolites
    # (:func:`names_drug`): "Reduced TPMT activity leads to increased thiopurine levels" (bench goal 3).
    DrugTarget(drugs=("azathioprine",), target="no settled target (a thiopurine prodrug: a purine antimetabolite through 6-mercaptopurine and the thioguanine nucleotides)",
               acts_on=r"thiopurine|mercaptopurine|\b6-?MP\b|thioguanin|\b6-?TGNs?\b|\bTGNs?\b|\bpurine",
               source="Imuran (azathioprine) US prescribing information, Clinical Pharmacology: an imidazolyl derivative of 6-mercaptopurine",
               actions=False),
    DrugTarget(drugs=("ibuprofen", "naproxen", "diclofenac", "celecoxib", "indomethacin", "meloxicam"),
               target="cyclooxygenase (COX-1 and COX-2; they are NSAIDs)",
               acts_on=r"non-?steroidal anti-?inflammatory|\bNSAIDs?\b|cyclo-?oxygenase|\bCOX-?[12]?\b",
               source="Motrin, Naprosyn, Voltaren and Celebrex US prescribing information, Mechanism of Action: inhibition of cyclooxygenase",
               actions=False, label="NSAIDs", named_as=r"\bNSAIDs?\b|\bnon-?steroidal anti-?inflammatory drugs?\b|\bCOX-?2 (?:inhibitors?|selective)"),
)

# An action the drug is said to take on something: binding its target directly, or lowering something.
_DIRECT = (r"targets?|targeting|binds?|binding|blocks?|blocking|inhibits?|inhibiting|neutrali[sz]es?|neutrali[sz]ing"
           r"|antagoni[sz]es?|antagoni[sz]ing")
_ACTION = re.compile(
    rf"\b(?:(?P<direct>{_DIRECT})|reduces?|reducing|decreases?|decreasing|lowers?|lowering|suppress(?:es)?|suppressing"
    r"|depletes?|depleting|cuts?|cutting)\b", re.IGNORECASE)
# Where the drug's clause ends: another subject takes over ("... to rituximab, while TNF inhibitors block TNF").
_CLAUSE_BREAK = re.compile(r"[.;:]|\b(?:which|who|that|while|whereas|but|because|although|when|if|respond\w*|patients|failed|failing)\b",
                           re.IGNORECASE)
# Where the object of one verb ends, besides the next action verb ("targets X and reduces Y").
_OBJECT_END = re.compile(r"\b(?:leading|resulting|thereby|so|through|via|by)\b|,\s*(?:and\s+)?\w+ing\b", re.IGNORECASE)
# Words saying a quantity goes up ("leads to an increase in the number of CD20-positive B cells").
_RAISES = re.compile(r"\b(?:increas\w*|rais(?:e|es|ed|ing)|expand\w*|more|higher|greater|elevat\w*|boost\w*|accumulat\w*)\b", re.IGNORECASE)
_SUBJECT_GAP = 8  # words allowed between the drug and its first verb ("rituximab, an anti-CD20 antibody, blocks")
# A drug named after a preposition or a conjunction is not the clause's subject ("rituximab after adalimumab blocks ...").
_NOT_SUBJECT = re.compile(r"\b(?:after|before|with|to|than|of|versus|vs|from|on|against|plus|and|or|like|unlike)\W*$", re.IGNORECASE)


#: Abbreviations the records use for table drugs ("RTX and ETN are biologics that target TNF
#: receptors", bench goal 5, 2026-11-30). ADA is left out: it also names adenosine deaminase and
#: antidrug antibodies.
ABBREVIATIONS = {"rtx": "rituximab", "ifx": "infliximab", "etn": "etanercept", "tcz": "tocilizumab", "mtx": "methotrexate",
                 "ssz": "sulfasalazine", "hcq": "hydroxychloroquine"}
_DRUGS = "|".join([*(x for d in TABLE for x in d.drugs), *ABBREVIATIONS])  # every name a drug mention may take
_ANY_DRUG = re.compile(rf"\b(?:{_DRUGS})\b", re.IGNORECASE)
_OWNER = {drug: d for d in TABLE for drug in d.drugs}
# Drugs joined as one subject: what comes before a later one, and what follows an earlier one.
_COORDINATED_AFTER = re.compile(rf"\b(?:{_DRUGS})\s*(?:,\s*(?:and|or)?|and|or)\s*$", re.IGNORECASE)
_COORDINATED_BEFORE = re.compile(rf"^(?:\s*(?:,\s*(?:and|or)?|and|or)\s*(?:{_DRUGS})\b)+(?:\s+(?:both|all|each))?", re.IGNORECASE)


def _is_subject(before: str) -> bool:
    """A drug mention preceded by ``before`` is a subject: not named after a preposition, or joined to
    another drug that is ("Rituximab and tocilizumab both target B cells", bench goal 6, 2026-11-30,
    where the verb after the last of them is each one's)."""
    if not _NOT_SUBJECT.search(before):
        return True
    joined = _COORDINATED_AFTER.search(before)
    return bool(joined) and not _NOT_SUBJECT.search(before[:joined.start()])


def _drug(written: str) -> str:
    """A drug mention as the table names it ("RTX" -> "rituximab")."""
    return ABBREVIATIONS.get(written.lower(), written.lower())


# Drugs said to belong to a class ("rituximab and etanercept are both anti-TNF agents"): the subject
# drugs, a copula, and the class up to where its clause ends ("a biologic that targets CD20" keeps "a biologic";
# a comparison is no class: "tocilizumab is more effective than anti-TNF therapy" keeps "more effective",
# which bench goal 5 of 2026-11-30 had flagged as giving tocilizumab a TNF target).
_CLASS_CLAIM = re.compile(
    rf"\b(?P<subject>(?:{_DRUGS})(?:\s*(?:,|and|or)\s*(?:{_DRUGS}))*)(?:\s+(?:is|are)\s+(?:both\s+|all\s+|each\s+)?|\s*,\s*(?=(?:an?|the)\s))"
    r"(?P<cls>[^,.;:()]{1,60}?)(?=\s+(?:that|which|who|used|approved|given|and|for|in|with|than|compared|versus|vs)\b|[,.;:()]|$)",
    re.IGNORECASE)
# A class named by what it inhibits, with a symbol ("a selective p38 MAP kinase inhibitor", "a JAK1/JAK3 inhibitor").
_INHIBITOR_OF = re.compile(r"(?P<what>(?:[\w/-]+\s+){1,3}?)(?:kinase\s+)?(?:inhibitors?|blockers?|antagonists?)\b", re.IGNORECASE)
_SYMBOL = re.compile(r"\b(?:[A-Z][A-Z0-9]*\d[A-Z0-9]*|[A-Z]{3,}|[a-z]\d{2,})\b")
_BRACKETED = re.compile(r"\s*\([^()]{1,15}\)")
# What makes a phrase a drug class rather than a description ("is effective", "is given weekly").
_CLASS_WORDS = re.compile(r"\banti-|inhibitors?\b|blockers?\b|antagonists?\b|agents?\b|antibod(?:y|ies)\b|modulators?\b|biologics?\b|\bNSAIDs?\b"
                          r"|\bdrugs?\b", re.IGNORECASE)


class Misattribution(BaseModel):
    drug: str
    said: str  # what the text says the drug acts on (or, with ``raises``, raises), as written
    target: str
    source: str
    raises: bool = False  # the text says the drug raises cells it depletes
    member: bool = False  # the text puts the drug in a class named by ``said``


def _names(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text, re.IGNORECASE)
    return m.group(0) if m else None


def _other_target(d: DrugTarget, text: str) -> str | None:
    """What ``text`` names that another table class acts on (as written), if anything."""
    return next((x for o in TABLE if o is not d and (x := _names(o.acts_on, text))), None)


def _foreign_inhibitor(cls: str) -> str | None:
    """What a class phrase says the drug inhibits when it names that with a symbol ("p38 MAP kinase"
    of "a selective p38 MAP kinase inhibitor"); called only when the phrase names none of the drug's
    own targets. "An oral small-molecule inhibitor" and "a fully human IgG1 antibody" name nothing."""
    m = _INHIBITOR_OF.search(cls)
    if m is None or not _SYMBOL.search(m.group("what")):
        return None
    return " ".join(re.sub(r"^(?:an?|the)\s+", "", m.group(0), flags=re.IGNORECASE).split()[:-1]) or None


def misattributed_targets(text: str) -> list[Misattribution]:
    """Each table drug that ``text`` makes the subject of an action on something it does not act on.

    The drug's clause runs up to another subject ("while", "which", "patients", another table drug);
    a drug named after a preposition is no subject. Two errors are caught:

    * the object names another class's target and not the drug's own ("rituximab works by cutting
      TNF production"). A lowering verb (reduces, lowers, depletes...) in a clause that also names
      the drug's own target is a downstream effect and is not judged ("tofacitinib inhibits JAK1,
      reducing IL-6 signalling", "adalimumab neutralises TNF and lowers IL-6", "rituximab lowers
      IL-6 by depleting B cells");
    * the verb says what the drug binds (targets, binds) and the object names none of what it acts
      on ("rituximab targets the B-cell receptor": it binds CD20);
    * a drug that depletes cells is said to raise them ("rituximab treatment leads to an increase in
      the number of CD20-positive B cells");
    * a drug is said to be of a class named by another class's target and not its own ("Rituximab
      and etanercept are both anti-TNF agents", bench goal 5, 2026-11-30; "Methylprednisolone, an
      oral small-molecule Janus kinase (JAK) inhibitor, ...", bench goal 9). For drugs whose entry
      says ``actions=False`` (the glucocorticoids) only this is judged.
    """
    out: list[Misattribution] = []
    # A class is read without its abbreviations in brackets ("an oral Janus kinase (JAK) inhibitor").
    plain = _BRACKETED.sub("", text)
    for m in _CLASS_CLAIM.finditer(plain):
        cls = m.group("cls")
        if _NOT_SUBJECT.search(plain[:m.start()]) or not _CLASS_WORDS.search(cls):
            continue
        for drug in (_drug(x.group(0)) for x in _ANY_DRUG.finditer(m.group("subject"))):
            d = _OWNER[drug]
            if not _names(d.acts_on, cls) and (said := _other_target(d, cls) or _foreign_inhibitor(cls)):
                out.append(Misattribution(drug=drug, said=said, target=d.target, source=d.source, member=True))
    for m in _ANY_DRUG.finditer(text):
        drug = _drug(m.group(0))
        d = _OWNER[drug]
        if not d.actions or not _is_subject(text[:m.start()]):
            continue
        rest = _COORDINATED_BEFORE.sub("", text[m.end():], count=1)
        stop = min((x.start() for x in (_CLAUSE_BREAK.search(rest), _ANY_DRUG.search(rest)) if x), default=len(rest))
        clause = rest[:stop]
        # A drug that depletes cells said to raise them: "Rituximab treatment leads to an increase
        # in the number of CD20-positive B cells in the blood" (bench goal 5, 2026-11-30).
        up = _RAISES.search(clause)
        if d.depletes and up and len(clause[:up.start()].split()) <= _SUBJECT_GAP:
            raised = " ".join(_OBJECT_END.split(clause[up.end():], maxsplit=1)[0].split()[:8])
            if cells := _names(d.depletes, raised):
                out.append(Misattribution(drug=drug, said=cells, target=d.target, source=d.source, raises=True))
        acts = list(_ACTION.finditer(clause))
        if not acts or len(clause[:acts[0].start()].split()) > _SUBJECT_GAP:
            continue
        own_named = _names(d.acts_on, clause) is not None
        for n, act in enumerate(acts):
            obj = clause[act.end():acts[n + 1].start() if n + 1 < len(acts) else len(clause)]
            obj = _OBJECT_END.split(obj, maxsplit=1)[0]
            if _names(d.acts_on, obj) or (not act.group("direct") and own_named):
                continue
            said = _other_target(d, obj)
            if said is None and act.group(0).lower().startswith(("target", "bind")):
                said = " ".join(re.sub(r"\s+(?:and|or)\s*$", "", obj.strip()).split()[:5]) or None
            if said is not None:
                out.append(Misattribution(drug=drug, said=said, target=d.target, source=d.source))
    return out


def target_facts(text: str) -> list[str]:
    """What the table says of each drug ``text`` names, as sentences ("rituximab acts on the CD20
    antigen on B cells"): facts a claim about those drugs may rest on, as it rests on its records.
    Told by :func:`misattributed_targets` what rituximab acts on, Qwen wrote "Rituximab is a biologic
    that targets the CD20 antigen on B cells", which its records (trials of rituximab after TNF
    inhibitors) never say (bench goal 5, 2026-11-30)."""
    named = {_drug(m.group(0)) for m in _ANY_DRUG.finditer(text)}
    return [f"{drug} acts on {d.target} ({d.source})." for d in TABLE for drug in d.drugs if drug in named]


def classes_named(text: str) -> set[str]:
    """The drug classes ``text`` names as a whole, by their labels ("patients who fail anti-TNF
    therapy" -> {"TNF inhibitors"}); a class named only by its target ("TNF") is not one."""
    return {d.label for d in TABLE if d.label and d.named_as and re.search(d.named_as, text, re.IGNORECASE)}


def class_drugs(label: str) -> set[str]:
    """The drugs of the class labelled ``label`` (:func:`classes_named`), and the label itself."""
    return {label, *(x for d in TABLE if d.label == label for x in d.drugs)}


def targeted_classes(text: str) -> set[str]:
    """The labelled classes whose targets ``text`` names ("Which IL-6 pathway proteins could be
    targeted ..." -> {"IL-6 inhibitors"}); only the classes whose actions the table judges."""
    return {d.label for d in TABLE if d.label and d.actions and re.search(d.acts_on, text, re.IGNORECASE)}


def names_drug(drug: str, text: str) -> bool:
    """``text`` names ``drug``: by its name or an abbreviation the records use (:data:`ABBREVIATIONS`),
    or, for a drug in the table, by a drug of its row (teriflunomide, leflunomide's active
    metabolite) or what the row says it acts on (its target, its class, its active metabolites:
    DHODH for leflunomide, thiopurines for azathioprine, folate for methotrexate).
    A chain that names none of these does not explain what the drug does: a real leflunomide goal
    (2026-11-30) wrote a homocysteine chain from a methotrexate record that never named leflunomide."""
    written = {_drug(m.group(0)) for m in _ANY_DRUG.finditer(text)}
    if drug in written or re.search(rf"\b{re.escape(drug)}\b", text, re.IGNORECASE):
        return True
    d = _OWNER.get(drug)
    return bool(d and (written & set(d.drugs) or re.search(d.acts_on, text, re.IGNORECASE)))
