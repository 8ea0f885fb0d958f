"""Finding phone numbers in free text: the one parser behind a lead's phone (catalog/leads.py),
the console's masking and the check that keeps contact details out of the NLU export
(catalog/privacy.py). Whatever is accepted as a lead's phone is therefore also masked.

Google's libphonenumber (the `phonenumbers` package) does the work: it finds numbers however
people space or punctuate them (« (06) 12 34 56 78 », « 0 6 1 2 3 4 5 6 7 8 »,
« 06 - 12 - 34 - 56 - 78 », « +33 (0)6… »), and leaves amounts, postal codes and dates alone.
A national number is read as French, or, when it is not a French one, as a number of the
overseas departments (0692… is a Réunion mobile).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumber, PhoneNumberFormat, PhoneNumberMatcher

HOME = "FR"
# Overseas regions with their own numbering plan (La Réunion, Mayotte, Guadeloupe, Martinique,
# Guyane, Saint-Pierre-et-Miquelon…), tried when a national number is not French.
OVERSEAS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "WF")


@dataclass(frozen=True)
class Phone:
    start: int  # offsets of the number in the text searched
    end: int
    number: PhoneNumber
    valid: bool  # an assigned range (not only the right length)

    @property
    def shown(self) -> str:
        """« 06 12 34 56 78 » for a French number, « +262 692 12 34 56 » otherwise."""
        if phonenumbers.region_code_for_number(self.number) == HOME:
            return phonenumbers.format_number(self.number, PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(self.number, PhoneNumberFormat.INTERNATIONAL)


def _best_reading(raw: str, number: PhoneNumber) -> tuple[PhoneNumber, bool]:
    if phonenumbers.is_valid_number(number):
        return number, True
    if not raw.lstrip().startswith(("+", "00")):
        for region in OVERSEAS:
            try:
                other = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(other):
                return other, True
    return number, False


def find_phones(text: str) -> list[Phone]:
    """Every phone number written in the text, valid or merely of a possible length."""
    if not text:
        return []
    found = []
    for match in PhoneNumberMatcher(text, HOME, leniency=Leniency.POSSIBLE):
        number, valid = _best_reading(match.raw_string, match.number)
        found.append(Phone(match.start, match.end, number, valid))
    return found


def first_valid_phone(text: str) -> Phone | None:
    """The first number of an assigned range in the text (what a lead may be given)."""
    return next((phone for phone in find_phones(text) if phone.valid), None)
