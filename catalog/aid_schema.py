"""The one typed schema of an aid (pydantic v2), used everywhere an aid is read or written:

- `AidRecord` is a record of the files `catalog/data/aids/*.yml` (see data/README.md): the
  validator checks each record against it (`problems_of`, French messages with the record's
  field), and editors check the files with its JSON Schema (`qp catalog schema`, committed as
  `catalog/schema/aid.schema.json`);
- `StoredAid` adds where the aid comes from (`origin`): the shape of an aid loaded into the
  database (catalog/store.py), read back, exported (`qp catalog export`) and edited in the
  console (catalog/aid_form.py names its fields by their path here).

Checks that need the rest of the catalogue (known regions and territories, the eligibility
rule's profile fields) stay in catalog/validate.py.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from catalog.problems import Problem
from catalog.profile import ENUMS

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")

Family = Literal["qpv", "creation", "transition", "regional"]
AidType = Literal[
    "subvention",
    "pret",
    "pret_honneur",
    "microcredit",
    "garantie",
    "exoneration_fiscale",
    "exoneration_sociale",
    "allocation",
    "accompagnement",
    "formation",
    "local",
    "prix",
    "fonds_propres",
]
Status = Literal["open", "closed", "uncertain"]
Confidence = Literal["confirmed", "secondary", "unconfirmed"]
Need = Literal[
    "financement",
    "accompagnement",
    "local",
    "formation",
    "numerique",
    "transition_ecologique",
    "recrutement",
]
Origin = Literal["catalogue", "aides-territoires"]
assert set(get_args(Need)) == set(ENUMS["besoins"]), "Need must list the profile's besoins"


def _id(value: str) -> str:
    if not ID.match(value):
        raise PydanticCustomError(
            "identifiant", "identifiant invalide (minuscules, chiffres, tirets)", {}
        )
    return value


def _url(value: str) -> str:
    if not URL.match(value):
        raise PydanticCustomError("url", "n'est pas une URL http(s) valide", {})
    return value


def _euros(value: Any) -> int | float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise PydanticCustomError("euros", "doit être un nombre positif, ou rester vide", {})
    return value


AidId = Annotated[
    str,
    AfterValidator(_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ID.pattern,
            "description": "Minuscules, chiffres et tirets (« pret-honneur »).",
        }
    ),
]
Url = Annotated[
    str, AfterValidator(_url), WithJsonSchema({"type": "string", "pattern": URL.pattern})
]
Euros = Annotated[
    int | float, PlainValidator(_euros), WithJsonSchema({"type": "number", "minimum": 0})
]
Text = Annotated[str, Field(min_length=1)]

_STRICT = ConfigDict(extra="forbid", strict=True)


class Reference(BaseModel):
    """The text that set a dated value (a decree, an official page)."""

    model_config = _STRICT

    title: Text = Field(description="Titre du texte ou de la page source.")
    url: Url | None = None


class AmountValue(BaseModel):
    """An amount in force from a date, with its reference (the way OpenFisca parameters carry
    a date and a reference per value; catalog/amounts.py reads which one is in force)."""

    model_config = _STRICT

    since: date = Field(description="Date d'entrée en vigueur.")
    min: Euros | None = None
    max: Euros | None = None
    text: str | None = Field(None, description="Le montant tel que l'assistant l'affiche.")
    reference: Reference

    @field_validator("text")
    @classmethod
    def _something_said(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and info.data.get("min") is None and info.data.get("max") is None:
            raise PydanticCustomError("montant", "il faut un montant (min ou max) ou un texte", {})
        return value

    @field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: Any, info: ValidationInfo) -> Any:
        return _bounds(value, info)


def _bounds(value: Any, info: ValidationInfo) -> Any:
    low = info.data.get("min")
    if value is not None and low is not None and low > value:
        raise PydanticCustomError(
            "montants", "le montant maximum est inférieur au montant minimum", {}
        )
    return value


class Amount(BaseModel):
    """What the aid is worth: the text users read, and bounds in euros used for ranking; dated
    values, when the amount changed at known dates, say which one is in force on a day."""

    model_config = _STRICT

    text: str | None = Field(None, description="Le montant tel que l'assistant l'affiche.")
    min: Euros | None = Field(None, description="Montant minimum en euros.")
    max: Euros | None = Field(None, description="Montant maximum en euros.")
    values: list[AmountValue] | None = Field(
        None, min_length=1, description="Valeurs datées, chacune avec sa référence."
    )

    @field_validator("values")
    @classmethod
    def _one_value_per_date(cls, value: list[AmountValue] | None) -> list[AmountValue] | None:
        starts = [v.since for v in value or []]
        if len(set(starts)) != len(starts):
            raise PydanticCustomError("dates", "deux valeurs entrent en vigueur le même jour", {})
        return value

    @field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: Any, info: ValidationInfo) -> Any:
        return _bounds(value, info)


class Scope(BaseModel):
    """Where the aid applies; absent for a national aid."""

    model_config = _STRICT

    regions: list[str] = Field(default_factory=list, description="Identifiants de regions.yml.")
    territories: list[str] = Field(
        default_factory=list, description="Identifiants de territories.yml."
    )


class Withdrawal(BaseModel):
    """An aid withdrawn from the recommendations until its facts are verified again: no
    official source confirming them could be found. The engine leaves it out while its
    `last_checked` is not later than `since` (catalog/freshness.py, `is_withdrawn`)."""

    model_config = _STRICT

    since: date = Field(description="Date du retrait.")
    reason: Text = Field(
        description="Ce qui n'a pas pu être vérifié, et où l'on a cherché (lu par les conseillers)."
    )


class AidRecord(BaseModel):
    """One aid as written in catalog/data/aids/*.yml (fields in the files' order)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        title="Aide",
        json_schema_extra={
            "description": "Une fiche d'aide du catalogue (catalog/data/README.md)."
        },
    )

    id: AidId
    name: Text = Field(description="Nom de l'aide.")
    family: Family
    provider: Text = Field(description="Qui finance ou décide.")
    operator: str | None = Field(None, description="À qui la personne s'adresse.")
    type: AidType
    summary: Text = Field(description="Une à trois phrases simples, en vouvoyant la personne.")
    amount: Amount = Field(default_factory=Amount)
    qpv_specific: bool = Field(False, description="Réservée aux QPV ou pensée pour eux.")
    needs: list[Need] = Field(default_factory=list, description="Besoins du profil servis.")
    scope: Scope = Field(default_factory=Scope)
    eligibility: dict[str, Any] | None = Field(
        None, description="Règle d'éligibilité (arbre all/any/not de conditions, data/README.md)."
    )
    checks: list[str] = Field(
        default_factory=list, description="Conditions que la personne doit vérifier elle-même."
    )
    status: Status
    valid_from: date | None = None
    valid_until: date | None = Field(
        None, validate_default=True, description="Obligatoire pour une aide fermée."
    )
    url: Url = Field(description="Page officielle.")
    sources: list[Url] = Field(min_length=1, description="Pages publiques consultées.")
    confidence: Confidence
    last_checked: date = Field(description="Date de la dernière vérification des sources.")
    withdrawn: Withdrawal | None = Field(
        None,
        description=(
            "Retirée des recommandations jusqu'à une vérification postérieure à son retrait "
            "(faute de source officielle)."
        ),
    )
    research_ref: str | None = None

    @field_validator("valid_until")
    @classmethod
    def _end_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None and info.data.get("status") == "closed":
            raise PydanticCustomError("fin", "une aide fermée doit avoir une date de fin", {})
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("fin", "la date de fin est antérieure à la date de début", {})
        return value


class StoredAid(AidRecord):
    """An aid in the database: a record of the files, or one imported from Aides-territoires."""

    model_config = ConfigDict(title="Aide enregistrée")

    origin: Origin = "catalogue"

    def record(self) -> dict[str, Any]:
        """The files' shape as plain Python values (dates as dates), with `origin`."""
        return self.model_dump()


FAMILIES: tuple[str, ...] = get_args(Family)
AID_TYPES: tuple[str, ...] = get_args(AidType)
STATUSES: tuple[str, ...] = get_args(Status)
CONFIDENCES: tuple[str, ...] = get_args(Confidence)
# Key order of a record in the files (to place a key a record lacks).
RECORD_KEYS: tuple[str, ...] = tuple(AidRecord.model_fields)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an aid file (a list of records), for editors."""
    schema = TypeAdapter(list[AidRecord]).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Aides du catalogue (catalog/data/aids/*.yml)",
        **schema,
    }


def schema_text() -> str:
    """The JSON Schema as `qp catalog schema` prints it and catalog/schema/aid.schema.json
    keeps it."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def problems_of(record: Any, where: str, model: type[AidRecord] = AidRecord) -> list[Problem]:
    """The record's errors against the schema, one Problem per field, in French."""
    try:
        model.model_validate(record)
    except ValidationError as error:
        return [_problem(detail, where) for detail in error.errors(include_url=False)]
    return []


# French wording of pydantic's error types (its own messages are English).
_FRENCH = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "clé inconnue (faute de frappe ?)",
    "string_type": "doit être un texte",
    "bool_type": "doit valoir true ou false",
    "date_type": "doit être une date AAAA-MM-JJ",
    "list_type": "doit être une liste",
    "dict_type": "doit être un objet",
    "model_type": "doit être un objet",
    "model_attributes_type": "doit être un objet",
    "string_too_short": "champ obligatoire manquant",
    "too_short": "champ obligatoire manquant",
}


def _problem(detail: Any, where: str) -> Problem:
    field = ""
    for part in detail["loc"]:
        field += f"[{part}]" if isinstance(part, int) else f"{'.' if field else ''}{part}"
    kind, value = detail["type"], detail.get("input")
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "").replace(" or ", ", ")
        message = f"vaut {value!r}, attendu l'un de : {expected.replace(chr(39), '')}"
    elif kind.endswith("_type") and value is None:
        message = _FRENCH["missing"]
    elif kind in _FRENCH:
        message = _FRENCH[kind]
        if kind not in ("missing", "string_too_short", "too_short", "extra_forbidden"):
            message += f" : {value!r}"
    elif kind in ("url", "identifiant"):
        message = f"{detail['msg']} : {value!r}"
    else:  # our own checks (PydanticCustomError) say it in French already
        message = detail["msg"]
    return Problem(where, field, message)
