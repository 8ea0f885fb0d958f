"""The flow scenarios' HTML report (bot/flows/report.py) without the assistant: every text that
comes from a scenario file or from the assistant is escaped, so a « <script> » in a scenario or
in an answer is shown, never run."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from bot.flows.assistant import Answer
from bot.flows.checks import CheckResult
from bot.flows.execute import ScenarioResult, StepResult, Turn
from bot.flows.model import Scenario, Step
from bot.flows.report import Summary, html_report, write_html

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def turn(said: str, text: str, button: str, field: str | None = None) -> Turn:
    answer = Answer(({"text": text, "buttons": [{"title": button, "payload": "/x"}]},))
    return Turn(said=said, sent=said, answer=answer, seconds=0.5, field=field)


def summary() -> Summary:
    failing = StepResult(
        Step(1, 4, "say", f"je vends {SCRIPT}"),
        [turn(f"je vends {SCRIPT}", f"Vous avez dit {SCRIPT}", f"Bouton {SCRIPT}")],
        [CheckResult(True, f"dit « {SCRIPT} »"), CheckResult(False, "demande", f"raison {SCRIPT}")],
        error=f"erreur {SCRIPT}",
    )
    helper = StepResult(
        Step(2, 6, "answer_until_recommendation"),
        [turn(f"réponse {SCRIPT}", "Merci", "Oui", field=f"champ {SCRIPT}")],
    )
    scenario = Scenario(
        path=Path("tests/flows/script.yml"),
        name=f"Scénario {SCRIPT}",
        steps=(failing.step, helper.step),
        territory=f"territoire {SCRIPT}",
        description=f"Description {SCRIPT}",
        known_bug=f"bug {SCRIPT}",
    )
    result = ScenarioResult(scenario, "flow-script-0000", [failing, helper], 2.0)
    return Summary(
        results=[result], invalid=[f"fichier.yml, ligne 3 : {SCRIPT}"], rasa_url="http://r"
    )


def test_user_text_with_a_script_tag_is_escaped_in_the_flow_report(tmp_path):
    path = tmp_path / "rapport.html"
    write_html(summary(), path)
    page = path.read_text("utf-8")
    assert "<script" not in page
    parser = Scripts()
    parser.feed(page)
    assert parser.scripts == 0
    # every place user text appears: name, territory, description, known bug, invalid lines,
    # what the persona said, the answer, a button, a helper step's field, checks and error
    for shown in (
        f"Scénario {ESCAPED}",
        f"territoire {ESCAPED}",
        f"Description {ESCAPED}",
        f"bug {ESCAPED}",
        f"fichier.yml, ligne 3 : {ESCAPED}",
        f"Vous avez dit {ESCAPED}",
        f"Bouton {ESCAPED}",
        f"champ {ESCAPED} → réponse {ESCAPED}",
        f"dit « {ESCAPED} »",
        f"raison {ESCAPED}",
        f"erreur {ESCAPED}",
    ):
        assert shown in page, shown
    # and the reader sees the text as it was written
    assert f"Vous avez dit {SCRIPT}" in "".join(parser.text)


def test_the_report_counts_and_marks_a_known_bug():
    page = html_report(summary())
    assert "Scénarios de conversation — 0 / 1 réussi(s)" in page
    assert "0 en échec, 1 bug(s) connu(s)." in page
    assert 'class="known_bug" open' in page
    assert "à l&#x27;étape 1" in page
