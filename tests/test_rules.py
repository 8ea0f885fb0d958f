"""The three-valued rule interpreter."""

from catalog.profile import parse_profile
from catalog.rules import evaluate, fields_of

RULE = {
    "all": [
        {"field": "stade", "in": ["creation", "reprise"]},
        {
            "any": [
                {"field": "statut", "in": ["demandeur_emploi", "rsa"], "reason": "R statut"},
                {"field": "implante_qpv", "eq": True},
                {"field": "age", "lte": 25},
            ]
        },
    ]
}


def test_true_when_every_condition_is_met_with_the_reasons():
    outcome = evaluate(RULE, parse_profile({"stade": "creation", "statut": "rsa"}))
    assert outcome.value is True
    assert {
        "field": "statut",
        "in": ["demandeur_emploi", "rsa"],
        "reason": "R statut",
    } in outcome.passed
    assert outcome.unknown == []


def test_false_as_soon_as_one_known_condition_fails():
    outcome = evaluate(RULE, parse_profile({"stade": "idee"}))
    assert outcome.value is False


def test_unknown_lists_the_unknown_leaves():
    outcome = evaluate(RULE, parse_profile({"stade": "creation", "statut": "salarie"}))
    assert outcome.value is None
    assert {leaf["field"] for leaf in outcome.unknown} == {"implante_qpv", "age"}


def test_any_is_false_only_when_every_branch_is_false():
    outcome = evaluate(
        RULE,
        parse_profile({"stade": "creation", "statut": "salarie", "implante_qpv": False, "age": 40}),
    )
    assert outcome.value is False


def test_not_and_contains_and_numbers():
    rule = {
        "all": [
            {"not": {"field": "secteur", "in": ["commerce"]}},
            {"field": "besoins", "contains": "numerique"},
            {"field": "effectif", "lt": 10},
        ]
    }
    assert (
        evaluate(
            rule, parse_profile({"secteur": "btp", "besoins": ["numerique"], "effectif": 3})
        ).value
        is True
    )
    assert evaluate(rule, parse_profile({"secteur": "commerce"})).value is False
    assert evaluate(rule, parse_profile({"secteur": "btp"})).value is None


def test_no_rule_means_anyone_and_fields_are_listed():
    assert evaluate(None, parse_profile({})).value is True
    assert fields_of(RULE) == {"stade", "statut", "implante_qpv", "age"}
