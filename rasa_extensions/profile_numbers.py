"""NLU component: the numbers of a profile said in words, as numbers — the person's age
(« j'ai 24 ans », « vingt-quatre ans »), the age of the business (« depuis 4 ans », « créée en
2021 », « l'an dernier »), the staff (« 6 salariés », « seul », « avec deux employés ») and the
amount needed (« 10k », « dix mille euros »). Each becomes an entity (`age`,
`anciennete_annees`, `effectif`, `montant`) whose value is an int or a float, which the slot
of the same name takes as it is, so a number given in the first message is never asked again.

Runs after the extractors: an entity it finds replaces what DIET or the regexes found for the
same words (the « 4 » of « depuis 4 ans » is not an age, « salariés » in « 6 salariés » is not
the person's status); an `age` or `montant` DIET found elsewhere keeps its place, with its value
read as a number (or dropped when it is not one). French number words are read by `text2num`
(french_numbers.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.french_numbers import Digitized, digitize
from rasa_extensions.stateless import StatelessComponent

NAME = "ProfileNumbers"
OWNED = ("age", "anciennete_annees", "effectif", "montant")
# Entities of other extractors dropped where they overlap one of ours.
OVERRIDDEN = {*OWNED, "code_postal", "statut"}
LIMITS = {
    "age": (14, 100),
    "anciennete_annees": (0, 200),
    "effectif": (0, 100_000),
    "montant": (1, 100_000_000),
}

N = r"(\d+(?:[ \u00a0\u202f.]\d{3})*(?:,\d+)?)"
YEAR = r"((?:19|20)\d\d)"
ABOUT = r"(?:plus de |moins de |pres de |presque |environ |bientot |deja |a peu pres |seulement )?"
CREATED = (
    r"(?:cree|creee|crees|creees|creer|creation|fonde|fondee|ouvert|ouverte|ouverts|lance|"
    r"lancee|monte|montee|demarre|demarree|immatricule|immatriculee|installe|installee|"
    r"repris|reprise|existe|existait|activite|commence|commencee|debut)"
)
BUSINESS_WORDS = (
    r"entreprise|societe|boite|boutique|commerce|activite|affaire|restaurant|magasin|garage|"
    r"atelier|salon|snack|cabinet|agence|structure|epicerie|boulangerie"
)
BUSINESS = rf"(?:{BUSINESS_WORDS}|elle|il)"
# « depuis 4 ans » is the business's age only after words about the business…
BUSINESS_BEFORE = re.compile(
    rf"\b(?:{BUSINESS_WORDS}|bar|pizzeria|kebab|menuiserie|food ?truck|creche|micro-creche|sarl|"
    r"sas|eurl|auto-?\s?entrepreneur\w*|micro-?\s?entrepreneur\w*|independante?|freelance|"
    r"installee?s?|en activite|a mon compte|tourne|existe|ouverte?s?|gere|je gere|on gere|"
    r"societe|cabinet|pharmacie|ma boite|mon entreprise)\b"
)
# … and never after these: the person's own situation.
# What « depuis 4 ans » is not about when it follows these words: the person's own situation.
NOT_THE_BUSINESS = re.compile(
    r"(chomage|rsa|pole emploi|france travail|sans emploi|inscrit|inscrite|salarie|salariee|"
    r"etudiant|etudiante|habite|j'y vis|je vis|licencie|licenciee|arret|malade|benevole|"
    r"en france|ici|marie|mariee|retraite|cdi|cdd|interim|travaille|metier|experience|"
    r"cherche|idee|reflechis|pense|projet)\W*(?:\w+\W+){0,3}$"
)
HIRING = re.compile(
    r"(recrut\w*|embauch\w*|engager|cherche|besoin d[e']|prendre|trouver|former)\W*"
    r"(?:\w+\W+){0,2}$"
)
I_AM = re.compile(r"(je suis|suis|etant|en tant que|comme|devenir)\W*$")
STAFF = (
    r"(?:salaries?|salariees?|employes?|employees?|collaborat(?:eur|rice)s?|ouvri(?:er|ere)s?|"
    r"compagnons?|apprentis?|agents?|equipiers?|vendeu(?:r|se)s?|cuisiniers?|serveu(?:r|se)s?|"
    r"techniciens?|personnes? (?:en cdi|salariees?|employees?))"
)

AGE = [
    re.compile(rf"\b(?:j'?\s?ai|j ai|jai|age de|agee de|age :|g) {N} ?ans?\b(?! ?d)"),
    re.compile(rf"^\W*{N} ?ans\b(?! ?d)"),
    re.compile(rf"\b(?:moi|je) (?:\w+ ){{0,2}}{N} ?ans\b(?! ?d)"),
]
SINCE = re.compile(
    rf"\b(?:depuis|ca fait|cela fait|il y a|ya|y a) {ABOUT}{N} (ans?|annees?|mois)\b"
)
SINCE_YEAR = re.compile(rf"\b(?:depuis|en|since|debut|fin|courant) {YEAR}\b")
# « mon restaurant à Choisy-le-Roi a 6 ans »: a few words may come between (not a new clause).
BUSINESS_IS = re.compile(
    rf"\b{BUSINESS}(?: (?!et |mais |mon |ma |mes )[^\s.,;!?]+){{0,4}} (?:a|aura|va avoir) "
    rf"{ABOUT}{N} (ans?|mois)\b"
)
LAST_YEAR = re.compile(
    r"\b(l'?\s?an dernier|l'?\s?annee derniere|l an passe|l'an passe|l'?\s?annee passee|"
    r"cette annee|il y a peu|recemment|ce mois(?:-ci)?)\b"
)
STAFF_COUNT = re.compile(rf"\b{N} {STAFF}\b")
ALONE = re.compile(
    r"\b(?:(?:je suis|je travaille|je bosse|je serai|je serais|je me lance|travaille|suis|"
    r"je vais travailler|je compte travailler)(?: \w+)? (?:tout |toute )?seule?|tout seule?|"
    r"toute seule|en solo|seule? dans (?:ma|mon)|"
    r"sans (?:aucun |aucune )?(?:salaries?|salariees?|employes?|personnel)|"
    r"(?:aucun|aucune|pas de|0) (?:salaries?|salariees?|employes?))\b"
)
MONEY = re.compile(
    rf"{N} ?(k ?€|k ?eur\w*|k\b|m ?€|millions? d'?\s?euros|millions?|mille ?(?:€|euros?)?|€|"
    r"euros?\b|eur\b|balles\b)"
)
NOT_NEEDED = re.compile(
    r"(touche|percoi\w*|gagne|loyer|chiffre d'affaires?|chiffre|ca de|salaire|rsa|allocation|"
    r"are de|paye|facture|capital de)\W*(?:\w+\W+){0,2}$"
)
PER_PERIOD = re.compile(
    r"^\s*(?:par mois|/ ?mois|mensuel|par an|/ ?an|de loyer|de ca\b|de chiffre)"
)


def _number(text: str) -> float | None:
    digits = re.sub(r"[ \u00a0\u202f.](?=\d{3}\b)", "", text).replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def _plain(number: float) -> int | float:
    return int(number) if number == int(number) else round(number, 1)


class _Found:
    def __init__(self, digits: Digitized):
        self.digits = digits
        self.entities: list[dict[str, Any]] = []

    def add(self, entity: str, value: float, match: re.Match[str], group: int = 0) -> None:
        """One value for `entity`: the words of `group` (the number) are the entity, those of
        the whole match are what it covers (no other entity may claim them)."""
        low, high = LIMITS[entity]
        if not low <= value <= high:
            return
        start, end = match.span()
        if any(
            e["entity"] == entity or (start < e["_end"] and e["_start"] < end)
            for e in self.entities
        ):
            return  # one value per field: the first said; one meaning per words
        begin, finish = self.digits.original_span(*match.span(group))
        cover_start, cover_end = self.digits.original_span(start, end)
        self.entities.append(
            {"entity": entity, "value": _plain(value), "start": begin, "end": finish,
             "cover": (cover_start, cover_end), "_start": start, "_end": end}
        )  # fmt: skip


def find(text: str, today: date | None = None) -> list[dict[str, Any]]:
    """The profile numbers said in `text`: [{entity, value, start, end}], in the original's
    character positions."""
    year = (today or date.today()).year
    digits = digitize(text)
    found = _Found(digits)
    folded = digits.text
    _business_age(folded, found, year)
    _staff(folded, found)
    _age(folded, found)
    _money(folded, found)
    return [
        {k: v for k, v in e.items() if not k.startswith("_")}
        for e in sorted(found.entities, key=lambda e: e["start"])
    ]


def _business_age(folded: str, found: _Found, year: int) -> None:
    for match in BUSINESS_IS.finditer(folded):
        number = _number(match.group(1))
        if number is not None:
            months = match.group(2).startswith("mois")
            found.add("anciennete_annees", number / 12 if months else number, match, 1)
    for match in SINCE.finditer(folded):
        before = folded[: match.start()]
        if NOT_THE_BUSINESS.search(before):
            continue
        if match.group().startswith(("il y a", "ya", "y a")):
            if not re.search(CREATED, before[-60:]):
                continue  # « il y a 3 ans » says when something happened: a creation only
        elif not (
            BUSINESS_BEFORE.search(before[-70:])
            or re.search(CREATED, before[-70:])
            or (match.group().startswith(("ca fait", "cela fait"))
                and BUSINESS_BEFORE.search(folded[match.end() : match.end() + 40]))
        ):  # fmt: skip
            continue  # « je suis coiffeuse depuis 12 ans »: the person's trade, not the business
        number = _number(match.group(1))
        if number is None:
            continue
        months = match.group(2).startswith("mois")
        if not months and re.match(r"\s+et demi", folded[match.end() :]):
            number += 0.5
        found.add("anciennete_annees", number / 12 if months else number, match, 1)
    for match in SINCE_YEAR.finditer(folded):
        before = folded[: match.start()]
        since = match.group().startswith("depuis")
        if not since and not re.search(CREATED + r"\W*(?:\w+\W+){0,3}$", before):
            continue  # « en 2021 » after « créée », « ouverte »…
        if since and (
            NOT_THE_BUSINESS.search(before)
            or not (BUSINESS_BEFORE.search(before[-70:]) or re.search(CREATED, before[-70:]))
        ):
            continue
        started = int(match.group(1))
        if started <= year:
            found.add("anciennete_annees", year - started, match, 1)
    for match in LAST_YEAR.finditer(folded):
        before = folded[: match.start()]
        if not re.search(CREATED, before[-80:]):
            continue
        words = match.group(1)
        value = 0 if words.startswith(("cette", "ce mois", "il y a peu", "recem")) else 1
        found.add("anciennete_annees", value, match)


def _staff(folded: str, found: _Found) -> None:
    for match in STAFF_COUNT.finditer(folded):
        before = folded[: match.start()]
        if HIRING.search(before) or I_AM.search(before):
            continue  # « recruter 2 salariés », « je suis un salarié »
        number = _number(match.group(1))
        if number is not None and number == int(number):
            found.add("effectif", number, match, 1)
    for match in ALONE.finditer(folded):
        found.add("effectif", 0, match)


def _age(folded: str, found: _Found) -> None:
    for pattern in AGE:
        for match in pattern.finditer(folded):
            number = _number(match.group(1))
            if number is not None and number == int(number):
                found.add("age", number, match, 1)


def _money(folded: str, found: _Found) -> None:
    for match in MONEY.finditer(folded):
        if NOT_NEEDED.search(folded[: match.start()]) or PER_PERIOD.match(folded[match.end() :]):
            continue
        number = _number(match.group(1))
        if number is None:
            continue
        unit = match.group(2).replace(" ", "")
        if unit.startswith(("k", "mille")):
            number *= 1000
        elif unit.startswith("m"):
            number *= 1_000_000
        found.add("montant", number, match)


def read_number(value: Any) -> int | float | None:
    """The number in an entity value another extractor found: « 24 », « vingt », « 10k »."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value or "")
    entities = find(text)
    if entities:
        return entities[0]["value"]  # type: ignore[no-any-return]
    folded = digitize(text).text
    match = re.search(N + r"\s*(k|m)?", folded)
    if not match:
        return None
    number = _number(match.group(1))
    if number is None:
        return None
    unit = match.group(2) or ""
    return _plain(number * (1000 if unit == "k" else 1_000_000 if unit == "m" else 1))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ProfileNumbers(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text:
                entities = with_stage(merge(message.get(ENTITIES) or [], find(text)))
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data


def merge(existing: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The other extractors' entities with our numbers: where one of them found the same field
    on the same words (DIET's « 24 » of « j'ai 24 ans »), it keeps its place and takes our value;
    where it found another field there (the « 4 » of « depuis 4 ans » as an age, « salariés »
    as a status), it gives way to ours."""
    kept: list[dict[str, Any]] = []
    claimed: set[int] = set()
    for entity in existing:
        kind = entity.get(ENTITY_ATTRIBUTE_TYPE)
        start, end = entity.get(ENTITY_ATTRIBUTE_START, 0), entity.get(ENTITY_ATTRIBUTE_END, 0)
        overlapping = [
            i for i, o in enumerate(ours) if start < o["cover"][1] and o["cover"][0] < end
        ]
        same = [i for i in overlapping if ours[i]["entity"] == kind]
        if same:
            claimed.update(same)
            processors = [*entity.get("processors", []), NAME]
            kept.append(
                {**entity, ENTITY_ATTRIBUTE_VALUE: ours[same[0]]["value"], "processors": processors}
            )
            continue
        if kind in OVERRIDDEN and overlapping:
            continue
        if kind in OWNED:
            if any(o["entity"] == kind for o in ours):
                continue  # one value per field: ours, read from the words around the number
            value = read_number(entity.get(ENTITY_ATTRIBUTE_VALUE))
            low, high = LIMITS[kind]
            if value is None or not low <= value <= high:
                continue  # « 4 » is no one's age: better unknown (and asked) than wrong
            processors = [*entity.get("processors", []), NAME]
            kept.append({**entity, ENTITY_ATTRIBUTE_VALUE: value, "processors": processors})
            continue
        kept.append(entity)
    for index, entity in enumerate(ours):
        if index in claimed:
            continue
        kept.append(
            {
                ENTITY_ATTRIBUTE_TYPE: entity["entity"],
                ENTITY_ATTRIBUTE_VALUE: entity["value"],
                ENTITY_ATTRIBUTE_START: entity["start"],
                ENTITY_ATTRIBUTE_END: entity["end"],
                EXTRACTOR: NAME,
            }
        )
    return sorted(kept, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0))


def with_stage(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A business said to be some years old (« j'ai un garage depuis 8 ans ») exists: its
    stage is `developpement`, unless the message says another (« je reprends une boulangerie
    qui existe depuis 20 ans »)."""
    if any(e.get(ENTITY_ATTRIBUTE_TYPE) == "stade" for e in entities):
        return entities
    age = next((e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == "anciennete_annees"), None)
    if age is None:
        return entities
    stage = {
        ENTITY_ATTRIBUTE_TYPE: "stade",
        ENTITY_ATTRIBUTE_VALUE: "developpement",
        ENTITY_ATTRIBUTE_START: age.get(ENTITY_ATTRIBUTE_START, 0),
        ENTITY_ATTRIBUTE_END: age.get(ENTITY_ATTRIBUTE_END, 0),
        EXTRACTOR: NAME,
    }
    return sorted([*entities, stage], key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0))
