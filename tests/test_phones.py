"""Issue 18, finding 6: one phone parser (catalog/phones.py) for a lead's phone, the console's
masking and the NLU-export check, so that every number a lead may hold is also masked."""

from __future__ import annotations

import pytest

from catalog.corrections import CorrectionError, validate_correction
from catalog.leads import parse_contact
from catalog.phones import find_phones
from catalog.privacy import PHONE_MASK, has_contact_details, mask_text

WRITTEN = [
    # the three ways of the finding
    ("(06) 12 34 56 78", "06 12 34 56 78"),
    ("0 6 1 2 3 4 5 6 7 8", "06 12 34 56 78"),
    ("06 - 12 - 34 - 56 - 78", "06 12 34 56 78"),
    # and the usual ones
    ("06 12 34 56 78", "06 12 34 56 78"),
    ("06.12.34.56.78", "06 12 34 56 78"),
    ("0612345678", "06 12 34 56 78"),
    ("06 1234 5678", "06 12 34 56 78"),
    ("+33 (0)6 12 34 56 78", "06 12 34 56 78"),
    ("0033 6 12 34 56 78", "06 12 34 56 78"),
    ("03\u00a020\u00a012\u00a034\u00a056", "03 20 12 34 56"),
    # overseas: written nationally (0692…: Réunion) or internationally
    ("0692 12 34 56", "+262 692 12 34 56"),
    ("+262 692 12 34 56", "+262 692 12 34 56"),
    ("+590 690 12 34 56", "+590 690 12 34 56"),
]


@pytest.mark.parametrize(("text", "shown"), WRITTEN)
def test_finding_6_a_phone_accepted_for_a_lead_is_masked_and_kept_out_of_the_export(text, shown):
    sentence = f"vous pouvez m'appeler au {text} après 18 h"
    assert parse_contact(sentence).phone == shown
    masked = mask_text(sentence)
    assert masked == f"vous pouvez m'appeler au {PHONE_MASK} après 18 h"
    assert has_contact_details(sentence)
    with pytest.raises(CorrectionError) as refused:
        validate_correction(sentence, "demander_contact", sentence)
    assert any("téléphone" in error for error in refused.value.errors)


@pytest.mark.parametrize(
    "text",
    [
        "Prêt d'honneur de 15 000 € à 0 %",
        "59100 Roubaix",
        "j'ai 34 ans, 2 salariés et 15000 € d'apport",
        "le 12/03/2026 à 18 h",
        "SIRET 123 456 789 00012",
        "06 12",
    ],
)
def test_finding_6_amounts_postal_codes_dates_and_short_numbers_are_not_phones(text):
    assert find_phones(text) == []
    assert parse_contact(text) is None
    assert mask_text(text) == text


def test_finding_6_every_number_in_a_message_is_masked_not_only_the_first():
    text = "06 12 34 56 78 ou (07) 98 76 54 32, sinon 0 3 2 0 1 2 3 4 5 6"
    assert mask_text(text) == f"{PHONE_MASK} ou {PHONE_MASK}, sinon {PHONE_MASK}"
