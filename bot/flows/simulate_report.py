"""The simulation's reports, in French like `qp flows test`'s: on the console as each person is
played, a self-contained HTML page (template bot/flows/templates/simulate.html, autoescaped),
and a Markdown table of the figures (no timings: it changes only when the dialogue does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.flows.checks import Wording
from bot.flows.loader import display_path
from bot.flows.report import TEMPLATES, seconds_fr
from bot.flows.simulate import GOAL_TURNS, Figures, PersonaResult, SimTurn, figures

GOAL_SHARE, GOAL_MEDIAN = 0.9, 5  # issue 16: ≥ 90 % within 6 messages, median ≤ 5
SHORT, LONG = 160, 400


def percent(share: float) -> str:
    return f"{round(100 * share)} %"


def number_fr(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def median_text(value: float | None, people: int) -> str:
    if people == 0:
        return "—"
    return number_fr(value) if value is not None else "jamais (plus de la moitié sans aides)"


def turn_said(turn: SimTurn) -> str:
    said = turn.said if turn.said.startswith("[bouton]") else f"« {turn.said} »"
    if not turn.field:
        return said
    marks = (" (déjà dit)" if turn.repeated else "") + (
        " (pas de réponse prévue)" if turn.unplanned else ""
    )
    return f"{turn.field}{marks} → {said}"


def verdict(result: PersonaResult) -> str:
    if result.meets_expectations:
        return (
            "RÉUSSI" if result.within_goal else f"RÉUSSI, mais après plus de {GOAL_TURNS} messages"
        )
    return "ÉCHEC"


def reasons(result: PersonaResult, wording: Wording) -> list[str]:
    """Why the person does not meet its expectations, most telling first."""
    found: list[str] = []
    if result.error:
        found.append(result.error)
    elif not result.reached_results:
        found.append(f"aucune aide présentée : {result.stop_reason}")
    if result.reached_results:
        found += [
            f"aide attendue absente : « {wording.aid_names[a]} » ({a})" for a in result.missing
        ]
    found += [
        f"aide interdite présentée : « {wording.aid_names[a]} » ({a})"
        for a in result.forbidden_shown
    ]
    if result.silent_turns:
        found.append(f"{result.silent_turns} message(s) sans aucune réponse de l'assistant")
    return found


@dataclass
class SimulationSummary:
    results: list[PersonaResult] = field(default_factory=list)
    seconds: float = 0.0
    startup_seconds: float | None = None
    rasa_url: str = ""

    @property
    def figures(self) -> Figures:
        return figures(self.results)

    @property
    def failed(self) -> int:
        return sum(not r.meets_expectations for r in self.results)


def figure_lines(f: Figures) -> list[str]:
    return [
        (
            f"aides attendues en {GOAL_TURNS} messages au plus : {f.within_goal} / {f.people} "
            f"({percent(f.within_goal_share)} ; objectif : {percent(GOAL_SHARE)} au moins)"
        ),
        (
            f"nombre médian de messages jusqu'aux premières aides : "
            f"{median_text(f.median_turns, f.people)} (objectif : {GOAL_MEDIAN} au plus)"
        ),
        f"aides présentées : {f.reached} / {f.people} personne(s)",
        (
            f"aides interdites présentées : {f.forbidden_shown} (chez {f.forbidden_people} "
            "personne(s) ; objectif : 0)"
        ),
        (
            f"questions déjà répondues dans le premier message et reposées : "
            f"{f.repeated_questions} (chez {f.people_repeated} personne(s))"
        ),
        f"questions posées par personne, en moyenne : {number_fr(f.questions_mean)}",
        f"messages restés sans réponse : {f.silent_turns}",
    ]


class SimulationConsole:
    """Prints each person as soon as it has been played, then the figures."""

    def __init__(self, out: TextIO, wording: Wording) -> None:
        self.out = out
        self.wording = wording

    def write(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def person(self, result: PersonaResult) -> None:
        p = result.persona
        self.write(f"▶ {p.name}")
        details = [display_path(p.path)]
        if p.territory:
            details.append(f"territoire : {p.territory}")
        if p.styles:
            details.append(f"style : {', '.join(p.styles)}")
        details.append(f"conversation : {result.sender}")
        self.write("  " + " · ".join(details))
        for number, turn in enumerate(result.turns, 1):
            self.write(f"  {number}. {turn_said(turn)}")
            last = number == len(result.turns)
            limit = LONG if last and not result.meets_expectations else SHORT
            self.write(f"     L'assistant : {turn.answer.excerpt(limit)}")
        name = self.wording.aid_names
        if result.reached_results:
            shown = ", ".join(name[a] for a in result.shown) or "aucune"
            self.write(f"  Aides présentées après {result.results_turn} message(s) : {shown}")
        for aid in result.found:
            self.write(f"    ✓ aide attendue « {name[aid]} » ({aid})")
        for line in reasons(result, self.wording):
            self.write(f"    ✗ {line}")
        if result.repeated:
            self.write(
                "    ⚠ question(s) reposée(s) alors que le premier message y répondait : "
                + ", ".join(result.repeated)
            )
        if result.unplanned:
            self.write(
                "    ⚠ question(s) sans réponse prévue dans le fichier (« je ne sais pas ») : "
                + ", ".join(result.unplanned)
            )
        mark = "✅" if result.meets_expectations else "❌"
        self.write(
            f"  → {mark} {verdict(result)} · {len(result.turns)} message(s) · "
            f"{len(result.asked)} question(s) · {seconds_fr(result.seconds)}"
        )
        self.write()

    def summary(self, summary: SimulationSummary, html_path: Path | None) -> None:
        f = summary.figures
        self.write(
            f"Bilan : {f.people} personne(s) — {f.meeting} obtiennent ce qui est attendu, "
            f"{summary.failed} en échec · {seconds_fr(summary.seconds)}"
            + (
                f" (dont démarrage de l'assistant : {seconds_fr(summary.startup_seconds)})"
                if summary.startup_seconds
                else ""
            )
        )
        for line in figure_lines(f):
            self.write(f"  {line}")
        for result in summary.results:
            if not result.meets_expectations:
                why = reasons(result, self.wording)
                self.write(
                    f"  ❌ {result.persona.name} ({display_path(result.persona.path)}) : "
                    f"{why[0] if why else ''}"
                )
        if html_path:
            self.write(f"Rapport HTML : {display_path(html_path)}")


def html_report(summary: SimulationSummary, wording: Wording) -> str:
    return TEMPLATES.get_template("simulate.html").render(
        summary=summary,
        figures=summary.figures,
        figure_lines=figure_lines(summary.figures),
        now=datetime.now().strftime("%d/%m/%Y à %H:%M"),
        names=wording.aid_names,
        reasons=lambda r: reasons(r, wording),
        verdict=verdict,
        turn_said=turn_said,
        seconds_fr=seconds_fr,
        display_path=display_path,
    )


def write_html(summary: SimulationSummary, wording: Wording, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(summary, wording), encoding="utf-8")


def markdown_figures(summary: SimulationSummary, wording: Wording) -> str:
    """The figures and one row per person, in Markdown (written by `--resultats`)."""
    f = summary.figures
    lines = [
        "<!-- écrit par `qp flows simulate --resultats` : ne pas modifier à la main -->",
        "",
        f"{f.people} personnes simulées (`tests/personas/`).",
        "",
        *[f"- {line}" for line in figure_lines(f)],
        "",
        (
            "| personne | territoire | style | messages jusqu'aux aides | questions | "
            "déjà dit, reposé | aides attendues manquantes | aides interdites | résultat |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.results:
        p = r.persona
        cells = [
            f"{p.name} (`{p.path.name}`)",
            p.territory or "—",
            ", ".join(p.styles) or "—",
            str(r.results_turn) if r.reached_results else "jamais",
            str(len(r.asked)),
            ", ".join(r.repeated) or "—",
            (", ".join(r.missing) or "—") if r.reached_results else "—",
            ", ".join(r.forbidden_shown) or "—",
            verdict(r) if r.meets_expectations else "ÉCHEC : " + reasons(r, wording)[0],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
