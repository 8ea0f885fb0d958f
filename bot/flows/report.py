"""The reports: readable French text on the console, and a self-contained HTML page.

Every text that comes from a scenario file or from the assistant is escaped in the HTML (Jinja2
template bot/flows/templates/report.html, autoescaped): a scenario or an answer may contain
« <script> ».
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.flows.execute import ScenarioResult, StepResult, Turn
from bot.flows.loader import display_path
from bot.templating import environment

MARK = {"passed": "✅", "failed": "❌", "known_bug": "⚠️", "bug_fixed": "✅"}
# In the HTML page, signs that every font has (no emoji font needed), coloured by CSS.
HTML_MARK = {"passed": "✓", "failed": "✗", "known_bug": "⚠", "bug_fixed": "✓"}
VERDICT = {
    "passed": "RÉUSSI",
    "failed": "ÉCHEC",
    "known_bug": "ÉCHEC ATTENDU (bug connu)",
    "bug_fixed": "RÉUSSI — le bug connu semble corrigé : retirez la ligne « bug_connu »",
}
SHORT = 160  # answer excerpt of a passing step
LONG = 600  # answer excerpt of a failing step: enough to see why


def seconds_fr(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    return f"{seconds:.1f} s".replace(".", ",")


def step_title(step: StepResult) -> str:
    s = step.step
    if s.kind == "say":
        return f"La personne dit : « {s.text} »"
    if s.kind == "click":
        return f"La personne clique sur le bouton « {s.text} »"
    return "La personne répond aux questions jusqu'à la recommandation"


def turn_line(turn: Turn) -> str:
    said = turn.said if turn.said.startswith("[bouton]") else f"« {turn.said} »"
    return f"{turn.field} → {said}" if turn.field else said


@dataclass
class Summary:
    results: list[ScenarioResult] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # error lines of invalid files
    seconds: float = 0.0
    startup_seconds: float | None = None
    rasa_url: str = ""

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")


# --- console ---------------------------------------------------------------------------------


class ConsoleReport:
    """Prints each scenario as soon as it has been played."""

    def __init__(self, out: TextIO, console_url: str | None = None) -> None:
        self.out = out
        self.console_url = console_url  # the advisors' console, to read a conversation again

    def write(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def scenario(self, result: ScenarioResult) -> None:
        s = result.scenario
        self.write(f"▶ {s.name}")
        details = [display_path(s.path)]
        if s.territory:
            details.append(f"territoire : {s.territory}")
        details.append(f"conversation : {result.sender}")
        self.write("  " + " · ".join(details))
        if self.console_url:
            self.write(
                f"  à relire dans la console des conseillers : "
                f"{self.console_url}/console/conversations/{result.sender}"
            )
        if s.known_bug:
            self.write(f"  ⚠️  bug connu : {s.known_bug}")
        for step in result.steps:
            self.step(step)
        failed = result.failed_step
        where = f" à l'étape {failed.step.number} (ligne {failed.step.line})" if failed else ""
        self.write(
            f"  → {MARK[result.status]} {VERDICT[result.status]}"
            f"{where if result.status in ('failed', 'known_bug') else ''}"
            f" · {seconds_fr(result.seconds)}"
        )
        self.write()

    def step(self, step: StepResult) -> None:
        number = step.step.number
        if not step.played:
            self.write(f"  ⏭  {number}. non jouée (une étape précédente a échoué)")
            return
        mark = "✅" if step.passed else "❌"
        line = "" if step.passed else f"  (ligne {step.step.line})"
        self.write(f"  {mark} {number}. {step_title(step)}{line}")
        if step.step.kind == "answer_until_recommendation":
            if step.turns:
                self.write("        " + " · ".join(turn_line(t) for t in step.turns))
            else:
                self.write("        (la recommandation était déjà présentée)")
        elif step.step.kind == "click" and step.turns:
            self.write(f"        (envoie {step.turns[-1].sent})")
        if step.turns:
            limit = SHORT if step.passed else LONG
            self.write(f"        L'assistant : {step.turns[-1].answer.excerpt(limit)}")
        for check in step.checks:
            if check.ok:
                self.write(f"        ✓ {check.label}")
            else:
                self.write(f"        ✗ {check.label} — {check.reason}")
        if step.error:
            self.write(f"        ✗ {step.error}")

    def invalid(self, lines: list[str]) -> None:
        self.write("Fichiers de scénario invalides (aucun scénario n'a été joué) :")
        for line in lines:
            self.write(f"  ✗ {line}")
        self.write()
        self.write("Corrigez ces fichiers (voir tests/flows/README.md), puis relancez.")

    def summary(self, summary: Summary, html_path: Path | None) -> None:
        total = len(summary.results)
        parts = [
            f"{summary.count('passed') + summary.count('bug_fixed')} réussi(s)",
            f"{summary.failed} en échec",
        ]
        if summary.count("known_bug"):
            parts.append(f"{summary.count('known_bug')} bug(s) connu(s)")
        self.write(
            f"Bilan : {total} scénario(s) — {', '.join(parts)} · "
            f"{seconds_fr(summary.seconds)}"
            + (
                f" (dont démarrage de l'assistant : {seconds_fr(summary.startup_seconds)})"
                if summary.startup_seconds
                else ""
            )
        )
        for result in summary.results:
            if result.counts_as_failure and result.failed_step:
                step = result.failed_step
                self.write(
                    f"  ❌ {result.scenario.name} — étape {step.step.number} "
                    f"(ligne {step.step.line}, {display_path(result.scenario.path)}) : "
                    f"{step.reasons[0] if step.reasons else ''}"
                )
        if html_path:
            self.write(f"Rapport HTML : {display_path(html_path)}")


# --- HTML ------------------------------------------------------------------------------------

TEMPLATES = environment(Path(__file__).resolve().parent / "templates")


def _reason(result: ScenarioResult) -> str:
    failed = result.failed_step
    return failed.reasons[0] if failed and failed.reasons and not result.passed else ""


def _where(result: ScenarioResult) -> str:
    failed = result.failed_step
    return f" à l'étape {failed.step.number}" if failed and not result.passed else ""


def _meta(result: ScenarioResult) -> str:
    s = result.scenario
    meta = [display_path(s.path)]
    if s.territory:
        meta.append(f"territoire : {s.territory}")
    meta += [f"conversation : {result.sender}", seconds_fr(result.seconds)]
    return " · ".join(meta)


def html_report(summary: Summary) -> str:
    """The self-contained HTML page (template bot/flows/templates/report.html)."""
    return TEMPLATES.get_template("report.html").render(
        summary=summary,
        passed=summary.count("passed") + summary.count("bug_fixed"),
        known=summary.count("known_bug"),
        now=datetime.now().strftime("%d/%m/%Y à %H:%M"),
        marks=HTML_MARK,
        verdicts=VERDICT,
        step_title=step_title,
        seconds_fr=seconds_fr,
        reason=_reason,
        where=_where,
        meta=_meta,
    )


def write_html(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(summary), encoding="utf-8")
