"""The answer to the joint QPV question, « Votre entreprise ou votre domicile se trouve-t-il
dans un quartier prioritaire ? », typed in words rather than clicked.

Its buttons set both facts at once (catalog/data/dialogue.yml, `questions_jointes`). A typed
answer is read here: « les deux », « aucun des deux », « non » (neither), « juste mon domicile »
(the home, not the business), « mon entreprise oui, pas mon domicile ». Naming one place alone
means that one only, as its button does. A bare « oui » does not say which: the person is asked
to say it (`UNCLEAR`). Something else is not an answer to this question (None).
"""

from __future__ import annotations

import re

from actions.address import says_neither, usage_in
from catalog.profile import normalize, parse_yes_no

LIVES, WORKS = "habite_qpv", "implante_qpv"
FIELDS_OF_USAGE = {"domicile": (LIVES,), "entreprise": (WORKS,), "les_deux": (LIVES, WORKS)}
UNCLEAR = "preciser"  # « oui »: in a QPV, but which one?
# Parts of an answer that may say different things (« mon local oui, mais pas chez moi »).
CLAUSES = re.compile(r"[,;.!?]|\bmais\b|\bpar contre\b|\balors que\b|\bet pas\b")
NEGATION = re.compile(r"\b(pas|non|ni|aucun|aucune|hors|nan|jamais)\b")


def read_answer(text: str) -> dict[str, bool] | str | None:
    """The facts a typed answer gives ({field: in a QPV?}, one or both), UNCLEAR for a bare
    « oui », or None when the text does not answer the question."""
    words = normalize(text)
    if says_neither(words):
        return {WORKS: False, LIVES: False}
    facts: dict[str, bool] = {}
    named_alone: list[str] = []
    for clause in CLAUSES.split(text.lower()):  # before normalizing, which drops the commas
        usage = usage_in(clause)
        if usage is None:
            continue
        negative = bool(NEGATION.search(normalize(clause)))
        for field in FIELDS_OF_USAGE[usage]:
            facts[field] = not negative
        if not negative and usage != "les_deux":
            named_alone.append(FIELDS_OF_USAGE[usage][0])
    if facts:
        if len(facts) == 1 and named_alone:
            # « juste mon domicile »: the place named is in a QPV, the other is not.
            other = WORKS if named_alone[0] == LIVES else LIVES
            facts[other] = False
        return facts
    yes_no = parse_yes_no(words)
    if yes_no is False:
        return {WORKS: False, LIVES: False}
    if yes_no is True:
        return UNCLEAR
    return None
