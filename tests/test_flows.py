"""Flow scenarios (tests/flows/*.yml): the validator's French errors, the runner on passing and
failing scenarios against the real assistant (the session's `assistant`), the reports and the
exit codes — and every shipped scenario, which is how `make test` plays them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.flows import cli
from bot.flows.assistant import Answer
from bot.flows.checks import default_wording, evaluate
from bot.flows.loader import ScenarioFileError, load_scenario
from bot.flows.model import Expectations
from bot.runner import StartError, free_port
from catalog.profile import TERRITORY_IDS
from settings import Settings

pytestmark = pytest.mark.rasa

FLOWS_DIR = Path(__file__).parent / "flows"
SHIPPED = sorted(FLOWS_DIR.glob("*.yml"))


def write(tmp_path: Path, text: str, name: str = "scenario.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioFileError) as raised:
        load_scenario(path)
    return raised.value.lines()


# --- the files -------------------------------------------------------------------------------


def test_the_shipped_scenarios_are_valid_and_cover_the_14_territories():
    scenarios = [load_scenario(path) for path in SHIPPED]
    working = [s for s in scenarios if not s.known_bug]
    assert len(working) >= 25
    assert set(TERRITORY_IDS) <= {s.territory for s in working}
    assert all(len(s.steps) <= 10 for s in scenarios), "un scénario court : 10 étapes au plus"


def test_the_example_of_the_advisors_guide_is_valid(tmp_path):
    guide = (FLOWS_DIR / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", guide, re.DOTALL).group(1)
    assert load_scenario(write(tmp_path, example)).territory == "roubaix"


VALID_START = """
nom: "Essai"
territoire: roubaix
etapes:
  - dit: "Bonjour"
"""

INVALID = {
    "clé inconnue en tête": (
        'nomm: "Essai"\netapes:\n  - dit: "Bonjour"\n',
        [
            "ligne 1 : clé inconnue « nomm » en tête du scénario. Vouliez-vous dire « nom » ?",
            "la clé « nom » est obligatoire.",
        ],
    ),
    "clé inconnue dans une étape": (
        VALID_START + '  - dit: "je veux créer"\n    atend:\n      demande: stade\n',
        ["ligne 6 : clé inconnue « atend » dans l'étape 2. Vouliez-vous dire « attend » ?"],
    ),
    "attente inconnue": (
        VALID_START + "    attend:\n      recommend: [acre]\n",
        [
            (
                "ligne 6 : clé inconnue « recommend » dans « attend » de l'étape 1. "
                "Vouliez-vous dire « recommande » ?"
            )
        ],
    ),
    "aide inconnue": (
        VALID_START + "    attend:\n      recommande: [acre, acrre]\n",
        ["ligne 6 : aide inconnue « acrre » dans « recommande ». Vouliez-vous dire « acre » ?"],
    ),
    "champ inconnu": (
        VALID_START + "    attend:\n      demande: implante\n",
        [
            (
                "ligne 6 : champ inconnu « implante » dans « demande ». "
                "Vouliez-vous dire « implante_qpv » ?"
            )
        ],
    ),
    "champ jamais demandé": (
        VALID_START + "    attend:\n      ne_demande_pas: [territoire]\n",
        ["ligne 6 : le champ « territoire » n'est jamais demandé par l'assistant"],
    ),
    "champ inconnu dans les réponses": (
        VALID_START + '  - repond_jusqu_a_recommandation:\n      habite_qvp: "oui"\n',
        [
            (
                "ligne 6 : champ inconnu « habite_qvp » dans « repond_jusqu_a_recommandation ». "
                "Vouliez-vous dire « habite_qpv » ?"
            )
        ],
    ),
    "champ déduit dans les réponses": (
        VALID_START + '  - repond_jusqu_a_recommandation:\n      territoire: "roubaix"\n',
        ["ligne 6 : le champ « territoire » n'est jamais demandé par l'assistant"],
    ),
    "réponses en tout premier": (
        'nom: "Essai"\netapes:\n  - repond_jusqu_a_recommandation:\n      age: "34"\n',
        ["ligne 3 : la première étape ne peut pas être « repond_jusqu_a_recommandation »"],
    ),
    "territoire inconnu": (
        'nom: "Essai"\nterritoire: roubais\netapes:\n  - dit: "Bonjour"\n',
        ["ligne 2 : territoire inconnu « roubais ». Vouliez-vous dire « roubaix » ?"],
    ),
    "étape sans action": (
        VALID_START + "  - attend:\n      dit_contient: bonjour\n",
        ["ligne 5 : l'étape 2 ne dit pas ce que fait la personne"],
    ),
    "deux actions": (
        VALID_START + '  - dit: "oui"\n    clique: "Oui"\n',
        ["ligne 5 : l'étape 2 contient à la fois « dit » et « clique » : une seule action"],
    ),
    "clic en premier": (
        'nom: "Essai"\netapes:\n  - clique: "Oui"\n',
        ["ligne 3 : la première étape ne peut pas être « clique »"],
    ),
    "texte vide": (
        'nom: "Essai"\netapes:\n  - dit:\n',
        ["ligne 3 : « dit » doit être un texte non vide."],
    ),
    "oui ou non attendu": (
        VALID_START + "    attend:\n      transmet: peut-être\n",
        ["ligne 6 : « transmet » vaut « oui » ou « non »"],
    ),
    "clé en double": (
        VALID_START + "    attend:\n      dit_contient: a\n      dit_contient: b\n",
        ["ligne 7 : la clé « dit_contient » apparaît deux fois dans « attend » de l'étape 1."],
    ),
    "YAML invalide": (
        'nom: "Essai"\netapes:\n  - dit: je suis au RSA: aidez-moi\n',
        [
            (
                "ligne 3 : ce n'est pas du YAML valide (un « : » inattendu — un texte qui contient "
                "« : » doit être entre guillemets)"
            )
        ],
    ),
    "fichier vide": ("", ["le fichier est vide"]),
    "pas d'étapes": ('nom: "Essai"\netapes: []\n', ["ligne 2 : « etapes » doit être une liste"]),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_file_gets_precise_french_errors(tmp_path, case):
    text, expected = INVALID[case]
    errors = "\n".join(errors_of(write(tmp_path, text)))
    for part in expected:
        assert part in errors, errors
    assert "scenario.yml" in errors


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        """
        nom: "Plusieurs erreurs"
        territoire: lille
        etapes:
          - dit: "Bonjour"
            attend:
              recommande: [acre, pret-honneur-quartir]
              demande: [stade, secteurr]
        """,
    )
    errors = errors_of(path)
    assert len(errors) == 3, errors
    assert [int(re.search(r"ligne (\d+)", e).group(1)) for e in errors] == [2, 6, 7]


def test_texts_are_taken_as_written(tmp_path):
    scenario = load_scenario(
        write(
            tmp_path,
            """
        nom: "Nombres et oui/non"
        etapes:
          - dit: 59100
          - dit: non
          - repond_jusqu_a_recommandation:
              age: 34
              franchise: no
        """,
        )
    )
    assert [s.text for s in scenario.steps[:2]] == ["59100", "non"]
    assert scenario.steps[2].answers == {"age": "34", "franchise": "no"}


def test_the_cli_refuses_invalid_files_with_exit_2_and_plays_nothing(tmp_path, capsys):
    good = write(tmp_path, VALID_START, "bon.yml")
    bad = write(
        tmp_path, VALID_START + "    attend:\n      recommande: [<script>]\n", "mauvais.yml"
    )
    html = tmp_path / "rapport.html"
    code = cli.main(
        ["test", str(good), str(bad), "--url", "http://127.0.0.1:9", "--html", str(html)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "mauvais.yml, ligne 6 : aide inconnue « <script> »" in err
    assert "aucun scénario n'a été joué" in err
    assert "&lt;script&gt;" in html.read_text("utf-8")
    assert cli.main(["test", str(tmp_path / "absent.yml")]) == 2
    assert "absent.yml : fichier introuvable" in capsys.readouterr().err


def test_checks_ignore_case_and_typographic_apostrophes():
    wording = default_wording()
    answer = Answer(
        (
            {
                "text": "Percevez-vous l'allocation chômage (ARE, versée par France Travail) ?",
                "buttons": [{"title": "Oui", "payload": "/affirmer"}],
            },
        )
    )
    results = evaluate(
        Expectations(
            contains=("percevez-vous l’allocation",),
            asks=("indemnise_are",),
            buttons=("oui",),
            not_recommends=("acre",),
        ),
        answer,
        wording,
    )
    assert all(r.ok for r in results), results
    failed = evaluate(Expectations(asks=("habite_qpv",), recommends=("acre",)), answer, wording)
    assert [r.reason for r in failed] == [
        "aides présentées : aucune aide n'est présentée dans cette réponse",
        "l'assistant a demandé : indemnise_are",
    ]
    assert (
        evaluate(Expectations(), Answer(), wording)[0].reason
        == "l'assistant n'a rien répondu à ce message"
    )


def test_an_unreachable_assistant_exits_3(tmp_path, capsys):
    path = write(tmp_path, VALID_START)
    code = cli.main(
        [
            "test",
            str(path),
            "--url",
            f"http://127.0.0.1:{free_port()}",
            "--html",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 3
    assert "impossible de joindre l'assistant" in capsys.readouterr().err


# --- against the real assistant ---------------------------------------------------------------


@pytest.fixture
def url(assistant):
    return assistant.settings.servers.rasa_url


PASSING = """
nom: "Épicerie à Roubaix"
territoire: roubaix
etapes:
  - dit: "Bonjour"
    attend:
      dit_contient: "assistant Quartiers productifs"
  - dit: "je veux ouvrir une épicerie à Roubaix, je suis au chômage"
    attend:
      dit_contient: "J'ai bien noté"
      demande: besoins
  - clique: "Financement"
    attend:
      demande: [implante_qpv, habite_qpv]
      propose_boutons: ["Mon entreprise (local)", "Les deux"]
  - clique: "Les deux"
    attend:
      ne_demande_pas: [implante_qpv, habite_qpv]
"""

FAILING = """
nom: "Un scénario <script>alert('nom')</script> qui échoue"
territoire: arras
etapes:
  - dit: "Bonjour"
  - dit: "je veux ouvrir une boulangerie à Arras, je suis salarié"
    attend:
      dit_contient: ["J'ai bien noté", "<script>alert(1)</script>"]
      demande: secteur
  - dit: "merci"
"""

MISSING_BUTTON = """
nom: "Un bouton qui n'existe pas"
etapes:
  - dit: "Bonjour"
  - clique: "Envoyer un fax"
"""

KNOWN_BUG = """
nom: "Un bug connu"
bug_connu: "démonstration : l'assistant ne parle pas anglais"
etapes:
  - dit: "Bonjour"
    attend:
      dit_contient: "Hello"
"""


def test_a_passing_scenario_exits_0_with_a_readable_report(tmp_path, url, capsys):
    html = tmp_path / "rapport.html"
    code = cli.main(["test", str(write(tmp_path, PASSING)), "--url", url, "--html", str(html)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "▶ Épicerie à Roubaix" in out
    assert "territoire : roubaix" in out
    assert "✅ 1. La personne dit : « Bonjour »" in out
    assert "L'assistant : Bonjour ! Je suis l'assistant Quartiers productifs" in out
    assert "✓ demande « implante_qpv »" in out
    assert "✓ demande « habite_qpv »" in out  # both, in one question
    assert "✅ 4. La personne clique sur le bouton « Les deux »" in out
    assert '(envoie /informer{"implante_qpv":true,"habite_qpv":true})' in out
    assert "→ ✅ RÉUSSI" in out
    assert "Bilan : 1 scénario(s) — 1 réussi(s), 0 en échec" in out
    assert re.search(r"conversation : flow-scenario-[0-9a-f]{8}", out)
    page = html.read_text("utf-8")
    assert "1 / 1 réussi(s)" in page
    assert "Épicerie à Roubaix" in page


def test_a_failing_scenario_says_which_step_failed_and_why(tmp_path, url, capsys):
    html = tmp_path / "rapport.html"
    files = [
        write(tmp_path, FAILING, "echec.yml"),
        write(tmp_path, MISSING_BUTTON, "bouton.yml"),
        write(tmp_path, KNOWN_BUG, "bug.yml"),
    ]
    code = cli.main(["test", *map(str, files), "--url", url, "--html", str(html)])
    out = capsys.readouterr().out
    assert code == 1, out
    # the failing step, its line, its reasons; what passed in it; the steps not played
    assert (
        "❌ 2. La personne dit : « je veux ouvrir une boulangerie à Arras, je suis salarié »"
        "  (ligne 5)" in out
    )
    assert "✓ dit « J'ai bien noté »" in out
    assert "✗ dit « <script>alert(1)</script> » — ce texte n'apparaît pas dans la réponse" in out
    assert "✗ demande « secteur »" in out
    assert "l'assistant a demandé" in out
    assert "⏭  3. non jouée" in out
    assert "→ ❌ ÉCHEC à l'étape 2 (ligne 5)" in out
    # a button that is not offered: the buttons that are
    assert (
        "✗ aucun bouton « Envoyer un fax » dans la réponse précédente ; boutons proposés :" in out
    )
    # a known bug is reported, not counted
    assert "→ ⚠️ ÉCHEC ATTENDU (bug connu)" in out
    assert "Bilan : 3 scénario(s) — 0 réussi(s), 2 en échec, 1 bug(s) connu(s)" in out
    assert "echec.yml) : dit « <script>alert(1)</script> » : ce texte n'apparaît pas" in out
    page = html.read_text("utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;nom&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'class="failed" open' in page


def test_a_known_bug_alone_does_not_fail_the_run(tmp_path, url, capsys):
    code = cli.main(
        ["test", str(write(tmp_path, KNOWN_BUG)), "--url", url, "--html", str(tmp_path / "r.html")]
    )
    assert code == 0, capsys.readouterr().out


def test_without_url_the_servers_are_started_and_stopped(tmp_path, url, monkeypatch, capsys):
    """The own-stack path, with the module's running assistant standing in for a new one."""
    import bot.runner

    used: list[Settings] = []

    class BorrowedStack:
        def __init__(self, settings: Settings) -> None:
            used.append(settings)
            settings.servers.rasa_port = int(url.rsplit(":", 1)[1])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(bot.runner, "Stack", BorrowedStack)
    code = cli.main(["test", str(write(tmp_path, PASSING)), "--html", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Démarrage de l'assistant" in out
    assert "dont démarrage" in out
    assert used[0].tracker.db.name == "tracker.sqlite"
    assert not used[0].tracker.db.exists()

    class BrokenStack(BorrowedStack):
        def __enter__(self):
            log = used[-1].servers.log_dir
            log.mkdir(parents=True)
            (log / "rasa.log").write_text("ligne 1\nModel not found\n", encoding="utf-8")
            raise StartError("Le processus rasa s'est arrêté (code 1)")

    monkeypatch.setattr(bot.runner, "Stack", BrokenStack)
    code = cli.main(["test", str(write(tmp_path, PASSING)), "--html", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 3
    assert "l'assistant n'a pas démarré : Le processus rasa s'est arrêté" in err
    assert "--- fin de rasa.log ---" in err
    assert "Model not found" in err


def test_every_shipped_scenario_passes(tmp_path, url, capsys):
    html = tmp_path / "rapport.html"
    code = cli.main(["test", "--url", url, "--html", str(html)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Bilan : {len(SHIPPED)} scénario(s) — " in out
    assert ", 0 en échec" in out
    assert html.exists()
