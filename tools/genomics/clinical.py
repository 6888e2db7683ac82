"""The clinical facts a plan may use, as a strict schema (documented in docs/patient.md).

Unknown keys are errors (``extra="forbid"``): a misspelt ``egfr`` must not silently drop a
contraindication. :func:`load_clinical` turns validation errors into one-line UserErrors that name
the key and suggest the nearest valid one.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hypoforge.errors import UserError

KNOWN_DMARDS = frozenset({
    "methotrexate", "leflunomide", "sulfasalazine", "hydroxychloroquine", "azathioprine",
    "adalimumab", "etanercept", "infliximab", "certolizumab", "golimumab", "abatacept", "rituximab",
    "tocilizumab", "sarilumab", "anakinra", "tofacitinib", "baricitinib", "upadacitinib", "filgotinib",
    "celecoxib", "ibuprofen", "meloxicam", "piroxicam", "flurbiprofen", "lornoxicam", "tenoxicam",
    "prednisone", "prednisolone", "ciclosporin", "cyclophosphamide", "mycophenolate",
})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DrugHistory(_Strict):
    drug: str
    response: Literal["adequate", "inadequate", "intolerance", "unknown"] = "unknown"
    notes: str | None = None

    @model_validator(mode="after")
    def _known(self) -> "DrugHistory":
        self.drug = self.drug.strip().lower()
        if self.drug not in KNOWN_DMARDS:
            near = difflib.get_close_matches(self.drug, sorted(KNOWN_DMARDS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"unknown drug name {self.drug!r}{hint}")
        return self


class DiseaseActivity(_Strict):
    das28_crp: float | None = Field(default=None, ge=0, le=10)
    cdai: float | None = Field(default=None, ge=0, le=76)


class Comorbidities(_Strict):
    liver_disease: bool = False
    egfr: float | None = Field(default=None, ge=0, le=200, description="mL/min/1.73 m2")
    interstitial_lung_disease: bool = False
    hepatitis_b: Literal["negative", "positive", "resolved", "unknown"] = "unknown"
    hepatitis_c: Literal["negative", "positive", "unknown"] = "unknown"
    latent_tb: Literal["negative", "positive", "treated", "unknown"] = "unknown"
    heart_failure_nyha: Literal[0, 1, 2, 3, 4] | None = None
    malignancy_history: bool = False
    serious_infections: bool = False


class Clinical(_Strict):
    age: int | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male", "other"] | None = None
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    rf: Literal["positive", "negative", "unknown"] = "unknown"
    acpa: Literal["positive", "negative", "unknown"] = "unknown"
    disease_activity: DiseaseActivity = Field(default_factory=DiseaseActivity)
    current_dmards: list[DrugHistory] = Field(default_factory=list)
    prior_dmards: list[DrugHistory] = Field(default_factory=list)
    comorbidities: Comorbidities = Field(default_factory=Comorbidities)
    pregnancy_plans: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> "Clinical":
        if self.pregnancy_plans and self.sex == "male":
            # Paternal exposure matters too, but the fields would contradict the schema's meaning.
            raise ValueError("pregnancy_plans is for a patient who may become pregnant; it contradicts sex: male")
        return self


def _model_for(loc: tuple[object, ...]) -> type[BaseModel]:
    model: type[BaseModel] = Clinical
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            break
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        for cand in (ann, *args):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                model = cand
                break
    return model


def parse_clinical(data: object, where: str = "clinical YAML") -> Clinical:
    if data is None:
        return Clinical()
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a mapping of keys (age, sex, comorbidities, ...), got {type(data).__name__}")
    try:
        return Clinical.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            valid = sorted(_model_for(loc).model_fields)
            near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(valid)}"
            raise UserError(f"{where}: unknown key {dotted!r}; {hint}") from None
        msg = err["msg"].removeprefix("Value error, ")
        raise UserError(f"{where}: {dotted or 'value'}: {msg}; see docs/patient.md") from None


def load_clinical(path: str | Path) -> Clinical:
    from hypoforge.files import load_yaml

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such clinical YAML file")
    data, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))  # safe loader, alias bombs refused
    return parse_clinical(data, str(path))
