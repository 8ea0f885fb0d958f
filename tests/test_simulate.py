"""Simulated people (`qp flows simulate`, tests/personas/*.yml): the person files' French
errors; the simulator on a fake assistant (tests/fake_rasa.py: which question is asked, which
answer is chosen, when the person stops, the figures, the exit codes); and every shipped person
played against the real assistant (the session's `assistant`), whose figures are written to
docs/simulation-resultats.md — today's baseline, described in docs/simulation.md."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_rasa import FakeRasa

from bot.flows import cli
from bot.flows.assistant import Answer
from bot.flows.checks import default_wording
from bot.flows.loader import ScenarioFileError
from bot.flows.personas import load_persona
from bot.flows.simulate import PersonaResult, SimTurn, Simulator, figures
from bot.flows.simulate_report import (
    GOAL_MEDIAN,
    GOAL_SHARE,
    SimulationSummary,
    markdown_figures,
    write_html,
)
from catalog.dialogue import joint_question, message, question
from catalog.profile import TERRITORY_IDS

PERSONAS_DIR = Path(__file__).parent / "personas"
SHIPPED = sorted(PERSONAS_DIR.glob("*.yml"))


def write(tmp_path: Path, text: str, name: str = "personne.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


PERSON = """
nom: "Épicière de Roubaix"
territoire: roubaix
style: [sms]
premier_message: "je veux ouvrir une épicerie à Roubaix"
deja_dit: [stade, commune]
reponses:
  stade: "Je crée mon entreprise"
  commune: "Roubaix"
  secteur: "commerce"
  statut: "/informer{\\"statut\\":\\"demandeur_emploi\\"}"
aides_attendues: [acre]
aides_interdites: [hdf-start-up]
"""


# --- the files -------------------------------------------------------------------------------


def test_the_shipped_people_are_valid_and_cover_the_14_territories_and_the_styles():
    people = [load_persona(path) for path in SHIPPED]
    assert len(people) >= 30
    assert set(TERRITORY_IDS) <= {p.territory for p in people}
    styles = {s for p in people for s in p.styles}
    assert {"sms", "soutenu", "sans_accents", "long", "un_fait_par_message"} <= styles
    assert all(p.expected for p in people), "chaque personne attend au moins une aide"
    first = {p.path.stem: p.first_message for p in people}
    # the four transcripts of issue 16
    assert (
        "depuis 4 ans et je souhaiterais la développer sur internet"
        in first["grand-nancy-boutique-internet"]
    )
    assert "depuis 4 ans avec 6 salariés" in first["aix-marseille-nettoyage-6-salaries"]
    assert "J'ai 24 ans, j'habite à la Mosson" in first["montpellier-mosson-startup-24-ans"]
    assert "saint louis la reunion" in first["saint-louis-reunion-snack-rsa"]


def test_the_example_of_the_guide_is_valid(tmp_path):
    guide = (PERSONAS_DIR / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", guide, re.DOTALL).group(1)
    assert load_persona(write(tmp_path, example)).territory


INVALID = {
    "champ inconnu": (
        PERSON.replace("  secteur:", "  secteurr:"),
        "ligne 9 : champ inconnu « secteurr » dans « reponses ». Vouliez-vous dire « secteur » ?",
    ),
    "déjà dit sans réponse": (
        PERSON.replace("deja_dit: [stade, commune]", "deja_dit: [stade, age]"),
        "le champ « age » est dans « deja_dit » mais pas dans « reponses »",
    ),
    "aide inconnue": (
        PERSON.replace("aides_attendues: [acre]", "aides_attendues: [acrre]"),
        "aide inconnue « acrre » dans « aides_attendues ». Vouliez-vous dire « acre » ?",
    ),
    "style inconnu": (
        PERSON.replace("style: [sms]", "style: [texto]"),
        "ligne 3 : style inconnu « texto ».",
    ),
    "premier message manquant": (
        PERSON.replace('premier_message: "je veux ouvrir une épicerie à Roubaix"\n', ""),
        "la clé « premier_message » est obligatoire.",
    ),
    "attendue et interdite": (
        PERSON.replace("aides_interdites: [hdf-start-up]", "aides_interdites: [acre]"),
        "« acre » est à la fois dans « aides_attendues » et dans « aides_interdites »",
    ),
    "tours": (PERSON + "tours_max: beaucoup\n", "« tours_max » est un nombre de messages"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_person_file_gets_a_precise_french_error(tmp_path, case):
    text, expected = INVALID[case]
    with pytest.raises(ScenarioFileError) as raised:
        load_persona(write(tmp_path, text))
    errors = "\n".join(raised.value.lines())
    assert expected in errors, errors


# --- the simulator on a fake assistant -------------------------------------------------------


def ask(field: str) -> list[dict[str, Any]]:
    if field == BOTH_QPV:
        return [{"text": JOINT.text, "buttons": JOINT.buttons()}]
    text, buttons = question(field)
    return [{"text": text, "buttons": buttons}]


JOINT = joint_question(("implante_qpv", "habite_qpv"))
BOTH_QPV = "implante_qpv+habite_qpv"  # the joint question (dialogue.yml `questions_jointes`)


RESULTS = [
    {"text": message("aides_intro")},
    {"text": "1. ACRE — Aide aux créateurs et repreneurs d'entreprise\nMontant : …"},
    {"text": f"2. {default_wording().aid_names['hdf-start-up']}\nMontant : …"},
]


class Dialogue:
    """A fake assistant: asks the questions of `plan` in order whatever the person says, then
    presents RESULTS; `repeat` re-asks a question once; `silent` answers nothing once."""

    def __init__(self, plan: list[str], repeat: str | None = None, results: bool = True):
        self.plan = plan
        self.repeat = repeat
        self.results = results
        self.turn = 0

    def __call__(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self.turn += 1
        index = self.turn - 1
        if index < len(self.plan):
            return ask(self.plan[index])
        if self.repeat:
            return ask(self.repeat)
        return RESULTS if self.results else [{"text": "Je n'ai pas compris."}]


@pytest.fixture
def fake():
    rasa = FakeRasa().up()
    yield rasa
    rasa.down()


def play(fake: FakeRasa, text: str, tmp_path: Path) -> PersonaResult:
    persona = load_persona(write(tmp_path, text))
    with httpx.Client() as client:
        return Simulator(fake.url, default_wording(), client).play(persona)


def test_each_question_gets_the_planned_answer_as_a_click_or_typed(fake, tmp_path):
    fake.reply = Dialogue(["stade", "secteur", "statut", "age"])
    result = play(fake, PERSON, tmp_path)
    sent = fake.texts()
    assert sent[0] == "je veux ouvrir une épicerie à Roubaix"
    assert sent[1] == '/informer{"stade":"creation"}'  # the button of that title: clicked
    assert sent[2] == '/informer{"secteur":"commerce"}'  # title compared without case
    assert sent[3] == '/informer{"statut":"demandeur_emploi"}'  # a button by its payload
    assert sent[4] == "je ne sais pas"  # no planned answer: the « Je ne sais pas » button
    assert [t.field for t in result.turns] == [None, "stade", "secteur", "statut", "age"]
    assert result.asked == ["stade", "secteur", "statut", "age"]
    assert result.repeated == ["stade"]  # said in the first message, asked again
    assert result.unplanned == ["age"]
    assert result.results_turn == 5
    assert result.shown == ("acre", "hdf-start-up")  # in the order of the answer
    assert result.found == ("acre",)
    assert not result.missing
    assert result.forbidden_shown == ("hdf-start-up",)
    assert not result.meets_expectations
    assert fake.received[0]["metadata"]["territory"] == "roubaix"


def test_the_joint_qpv_question_gets_the_option_matching_both_answers(fake, tmp_path):
    fake.reply = Dialogue([BOTH_QPV])
    person = PERSON.replace(
        '  secteur: "commerce"\n',
        '  secteur: "commerce"\n  habite_qpv: "oui"\n  implante_qpv: "je sais pas"\n',
    )
    result = play(fake, person, tmp_path)
    # At home in a QPV, the business unknown: « Mon domicile », one question counted.
    assert fake.texts()[1] == '/informer{"implante_qpv":false,"habite_qpv":true}'
    assert result.asked == [BOTH_QPV]
    assert not result.unplanned
    assert result.results_turn == 2


def test_a_free_text_answer_is_typed(fake, tmp_path):
    fake.reply = Dialogue(["commune"])
    play(fake, PERSON, tmp_path)
    assert fake.texts()[1] == "Roubaix"


def test_the_person_picks_its_commune_among_homonyms_by_its_postal_code(fake, tmp_path):
    homonyms = {
        "text": "Plusieurs communes s'appellent « Roubaix » : … Laquelle est la vôtre ?",
        "buttons": [
            {"title": "Roubaix (11200)", "payload": "Roubaix (11200)"},
            {"title": "Roubaix (59100)", "payload": "Roubaix (59100)"},
        ],
    }
    answers = iter([[homonyms, *ask("stade")], ask("stade"), RESULTS])
    fake.reply = lambda body: next(answers)
    text = PERSON.replace(
        '  commune: "Roubaix"\n', '  commune: "Roubaix"\n  code_postal: "59100"\n'
    )
    result = play(fake, text, tmp_path)
    assert fake.texts()[1:] == ["Roubaix (59100)", '/informer{"stade":"creation"}']
    assert result.asked == ["commune", "stade"]
    assert result.results_turn == 3


def test_the_person_stops_at_a_question_asked_again(fake, tmp_path):
    fake.reply = Dialogue(["stade"], repeat="stade")
    result = play(fake, PERSON, tmp_path)
    assert len(fake.texts()) == 2
    assert not result.reached_results
    assert "la réponse à la question « stade » n'a pas été comprise" in result.stop_reason


def test_the_person_stops_after_tours_max_messages(fake, tmp_path):
    fake.reply = Dialogue(["stade", "secteur", "statut", "age", "commune", "femme"])
    result = play(fake, PERSON + "tours_max: 3\n", tmp_path)
    assert len(fake.texts()) == 3
    assert result.stop_reason == "pas d'aides présentées après 3 messages de la personne"


def test_the_person_stops_when_nothing_is_asked(fake, tmp_path):
    fake.reply = Dialogue([], results=False)
    result = play(fake, PERSON, tmp_path)
    assert len(fake.texts()) == 1
    assert result.stop_reason.startswith("l'assistant n'a ni posé de question du profil")


def test_results_in_answer_to_the_first_message(fake, tmp_path):
    fake.reply = Dialogue([])
    result = play(fake, PERSON.replace("[hdf-start-up]", "[cape]"), tmp_path)
    assert result.results_turn == 1
    assert result.asked == []
    assert result.meets_expectations
    assert result.within_goal


def result_of(turn: int | None, forbidden: tuple[str, ...] = (), repeated: int = 0):
    persona = load_persona(Path(__file__).parent / "personas" / SHIPPED[0].name)
    turns = [SimTurn("x", "x", Answer(({"text": "t"},)), 0.1)]
    turns += [
        SimTurn("x", "x", Answer(({"text": "t"},)), 0.1, field="age", repeated=i < repeated)
        for i in range(max((turn or 10) - 1, 0))
    ]
    result = PersonaResult(persona, "s", turns, results_turn=turn)
    result.shown = persona.expected if turn else ()
    result.forbidden_shown = forbidden
    return result


def test_the_figures():
    results = [
        result_of(3),
        result_of(5, repeated=2),
        result_of(6),
        result_of(8),
        result_of(None),
        result_of(4, forbidden=("acre",)),
    ]
    f = figures(results)
    assert (f.people, f.reached, f.meeting, f.within_goal) == (6, 5, 4, 3)
    assert f.median_turns == 5.5  # the person who never got aids counts as « never »
    assert (f.forbidden_people, f.forbidden_shown) == (1, 1)
    assert (f.repeated_questions, f.people_repeated) == (2, 1)
    assert figures([result_of(None), result_of(None), result_of(3)]).median_turns is None


def test_the_cli_exit_codes_and_reports(fake, tmp_path, capsys, monkeypatch):
    # the fake has no GET health route: the check is the only thing skipped here
    monkeypatch.setattr("bot.flows.assistant.check_reachable", lambda url: None)
    fake.reply = Dialogue(["secteur"])
    good = write(tmp_path, PERSON.replace("[hdf-start-up]", "[cape]"), "bonne.yml")
    bad = write(tmp_path, PERSON, "interdite.yml")
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    args = ["simulate", "--url", fake.url, "--html", str(html), "--resultats", str(markdown)]
    assert cli.main([*args, str(good)]) == 0
    out = capsys.readouterr().out
    assert "▶ Épicière de Roubaix" in out
    assert "2. secteur → [bouton] Commerce" in out
    assert "✓ aide attendue « ACRE — Aide aux créateurs et repreneurs d'entreprise » (acre)" in out
    assert "→ ✅ RÉUSSI · 2 message(s) · 1 question(s)" in out
    assert "aides attendues en 6 messages au plus : 1 / 1 (100 %" in out
    fake.reply = Dialogue(["stade"])
    assert cli.main([*args, str(bad)]) == 1
    out = capsys.readouterr().out
    assert "2. stade (déjà dit) → [bouton] Je crée mon entreprise" in out
    assert "✗ aide interdite présentée : « Start'Up — aide à la création" in out
    assert "question(s) reposée(s) alors que le premier message y répondait : stade" in out
    assert "aides interdites présentées : 1 (chez 1 personne(s)" in out
    assert "ÉCHEC" in html.read_text("utf-8")
    assert "| 2 | 1 | stade |" in markdown.read_text("utf-8")
    invalid = write(tmp_path, PERSON.replace("[acre]", "[acrre]"), "fausse.yml")
    assert cli.main([*args, str(invalid)]) == 2
    assert "fausse.yml, ligne" in capsys.readouterr().err
    fake.down()
    assert cli.main([*args, str(good)]) == 3


def test_person_text_with_a_script_tag_is_escaped_in_the_html(fake, tmp_path):
    fake.reply = lambda body: [{"text": "<script>alert(1)</script>"}]
    text = PERSON.replace("Épicière de Roubaix", "<script>alert(2)</script>")
    result = play(fake, text, tmp_path)
    path = tmp_path / "r.html"
    write_html(SimulationSummary([result]), default_wording(), path)
    assert "<script>" not in path.read_text("utf-8")


# --- every shipped person against the real assistant -----------------------------------------


@pytest.mark.rasa
def test_every_shipped_person_against_the_assistant_and_the_figures_written(assistant, tmp_path):
    """The harness on the real assistant, and the goal of issue 16 over every shipped person:
    ≥ 90 % get their expected aids within 6 messages, median ≤ 5 messages, no forbidden aid
    (met on 2026-12-02 with items 1 and 2 of the issue, see docs/simulation.md). `make
    simulate` writes the figures to docs/simulation-resultats.md (a test run never writes
    into the repository)."""
    wording = default_wording()
    people = [load_persona(path) for path in SHIPPED]
    summary = SimulationSummary(rasa_url=assistant.settings.servers.rasa_url)
    with httpx.Client() as client:
        simulator = Simulator(summary.rasa_url, wording, client)
        summary.results = [simulator.play(person) for person in people]
    write_html(summary, wording, tmp_path / "simulation.html")
    (tmp_path / "simulation-resultats.md").write_text(
        markdown_figures(summary, wording), encoding="utf-8"
    )
    f = summary.figures
    assert f.people == len(SHIPPED) >= 30
    assert all(r.error is None for r in summary.results), [r.error for r in summary.results]
    # every message of every person got an answer
    assert f.silent_turns == 0
    # no person is shown an aid it has no right to (true on 2026-12-02: keep it so)
    assert f.forbidden_shown == 0, [(r.persona.name, r.forbidden_shown) for r in summary.results]
    assert all(r.turns for r in summary.results)
    # the figures are coherent with the per-person results
    assert f.within_goal <= f.meeting <= f.reached <= f.people
    assert json.dumps(f.__dict__)
    # the goal of issue 16: results first, what was said once is kept
    late = [
        (r.persona.path.name, r.results_turn, r.missing, r.stop_reason)
        for r in summary.results
        if not r.within_goal
    ]
    assert f.within_goal_share >= GOAL_SHARE, late
    assert f.median_turns is not None
    assert f.median_turns <= GOAL_MEDIAN
