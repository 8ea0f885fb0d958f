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


def test_a_check_is_always_unknown_and_reads_no_field():
    check = {"check": "Vous devez être boursier(ère)."}
    rule = {"all": [{"field": "statut", "eq": "etudiant"}, check]}
    outcome = evaluate(rule, parse_profile({"statut": "etudiant"}))
    assert outcome.value is None
    assert outcome.unknown == [check]
    assert outcome.passed == [{"field": "statut", "eq": "etudiant"}]
    # A known « no » elsewhere still decides.
    assert evaluate(rule, parse_profile({"statut": "salarie"})).value is False
    # Another branch that holds decides too.
    either = {"any": [check, {"field": "age", "lte": 25}]}
    assert evaluate(either, parse_profile({"age": 22})).value is True
    assert evaluate(either, parse_profile({"age": 40})).value is None
    assert fields_of(rule) == {"statut"}


def test_a_likely_check_counts_as_met_only_when_asked():
    rule = {
        "all": [
            {"field": "statut", "eq": "rsa"},
            {"check": "RSA ou ASS, pas l'AAH seule", "likely": True},
        ]
    }
    rsa = parse_profile({"statut": "rsa"})
    assert evaluate(rule, rsa).value is None
    assert evaluate(rule, rsa, assume_likely=True).value is True
    unlikely = {"all": [{"field": "statut", "eq": "rsa"}, {"check": "autre cas"}]}
    assert evaluate(unlikely, rsa, assume_likely=True).value is None


def test_the_validator_accepts_checks_and_audiences_and_names_bad_ones():
    import copy

    from catalog.files import read_files
    from catalog.validate import validate

    files = read_files()
    assert validate(files) == []
    broken = copy.deepcopy(files)
    aid = next(a for a in broken.aids if a["id"] == "acre")
    aid["eligibility"] = {"any": [{"check": ""}, {"check": "ok", "likely": "oui"}]}
    contact = next(c for c in broken.contacts if c["kind"] == "citeslab")
    contact["audience"] = {"field": "habite_qpv", "eq": "oui"}
    errors = [str(problem) for problem in validate(broken)]
    assert any("(acre)" in e and "condition check est une phrase" in e for e in errors)
    assert any("(acre)" in e and "likely : attend true ou false" in e for e in errors)
    assert any(f"({contact['id']}): audience" in e and "habite_qpv" in e for e in errors), errors
