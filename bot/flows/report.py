"""The reports: readable French text on the console, and a self-contained HTML page.

Every text that comes from a scenario file or from the assistant is escaped in the HTML
(html.escape): a scenario or an answer may contain « <script> ».
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.flows.execute import ScenarioResult, StepResult, Turn
from bot.flows.loader import display_path

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

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1e1e1e;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin:0}
table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
details{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
details.failed{border-color:#c0392b;background:#fff7f6}
details.known_bug{border-color:#d68910;background:#fffaf0}
summary{cursor:pointer}
.meta{color:#555;font-size:.9rem;margin:.3rem 0}
.step{border-top:1px solid #e5e5e5;padding:.5rem 0}
.persona{font-weight:600}
.bot{white-space:pre-wrap;background:#f6f6f6;border-radius:6px;padding:.4rem .6rem;margin:.3rem 0;
     font-size:.9rem}
.button{display:inline-block;border:1px solid #888;border-radius:1rem;padding:0 .5rem;margin:.1rem;
        font-size:.8rem}
.ok{color:#1e7e34}.ko{color:#c0392b;font-weight:600}.skip{color:#777}.mark{font-weight:700}
.passed .smark,.bug_fixed .smark{color:#1e7e34}.failed .smark{color:#c0392b}
.known_bug .smark{color:#b9770e}.smark{font-weight:700}
ul{margin:.2rem 0}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _turn_html(turn: Turn, show_said: bool) -> str:
    who = f"{_e(turn.field)} → " if turn.field else ""
    parts = [f'<div class="persona">{who}{_e(turn.said)}</div>'] if show_said else []
    for message in turn.answer.messages:
        text = message.get("text")
        buttons = "".join(
            f'<span class="button">{_e(b.get("title", ""))}</span>'
            for b in message.get("buttons") or []
        )
        if text or buttons:
            parts.append(
                f'<div class="bot">{_e(text or "")}{"<br>" + buttons if buttons else ""}</div>'
            )
    if not turn.answer.messages:
        parts.append('<div class="bot"><em>(aucune réponse)</em></div>')
    return "\n".join(parts)


def _step_html(step: StepResult) -> str:
    number = step.step.number
    if not step.played:
        return (
            f'<div class="step skip">– {number}. {_e(step_title(step))} — non jouée '
            f"(une étape précédente a échoué)</div>"
        )
    mark = '<span class="ok mark">✓</span>' if step.passed else '<span class="ko mark">✗</span>'
    parts = [
        f'<div class="step"><div>{mark} <strong>{number}.</strong> '
        f'{_e(step_title(step))} <span class="meta">(ligne {step.step.line})</span></div>'
    ]
    show_said = step.step.kind != "say"
    parts += [_turn_html(turn, show_said) for turn in step.turns]
    if step.step.kind == "answer_until_recommendation" and not step.turns:
        parts.append('<div class="meta">(la recommandation était déjà présentée)</div>')
    items = [
        f'<li class="ok">✓ {_e(c.label)}</li>'
        if c.ok
        else f'<li class="ko">✗ {_e(c.label)} — {_e(c.reason)}</li>'
        for c in step.checks
    ]
    if step.error:
        items.append(f'<li class="ko">✗ {_e(step.error)}</li>')
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("</div>")
    return "\n".join(parts)


def _scenario_html(index: int, result: ScenarioResult) -> str:
    s = result.scenario
    failed = result.failed_step
    where = f" à l'étape {failed.step.number}" if failed and not result.passed else ""
    meta = [display_path(s.path)]
    if s.territory:
        meta.append(f"territoire : {s.territory}")
    meta += [f"conversation : {result.sender}", seconds_fr(result.seconds)]
    parts = [
        f'<details id="s{index}" class="{result.status}"'
        f"{' open' if result.status != 'passed' else ''}>",
        f'<summary><h2 style="display:inline"><span class="smark">'
        f"{HTML_MARK[result.status]}</span> {_e(s.name)}</h2> — "
        f"{_e(VERDICT[result.status])}{_e(where)}</summary>",
        f'<div class="meta">{_e(" · ".join(meta))}</div>',
    ]
    if s.description:
        parts.append(f"<p>{_e(s.description)}</p>")
    if s.known_bug:
        parts.append(f"<p>⚠️ Bug connu : {_e(s.known_bug)}</p>")
    parts += [_step_html(step) for step in result.steps]
    parts.append("</details>")
    return "\n".join(parts)


def html_report(summary: Summary) -> str:
    rows = []
    for index, result in enumerate(summary.results):
        failed = result.failed_step
        reason = failed.reasons[0] if failed and failed.reasons and not result.passed else ""
        rows.append(
            f'<tr><td><a href="#s{index}">{_e(result.scenario.name)}</a></td>'
            f"<td>{_e(result.scenario.territory or '—')}</td>"
            f'<td class="{result.status}"><span class="smark">{HTML_MARK[result.status]}</span> '
            f"{_e(VERDICT[result.status])}</td>"
            f"<td>{_e(reason)}</td><td>{_e(seconds_fr(result.seconds))}</td></tr>"
        )
    invalid = ""
    if summary.invalid:
        invalid = (
            "<h2>Fichiers invalides</h2><ul>"
            + "".join(f'<li class="ko">{_e(line)}</li>' for line in summary.invalid)
            + "</ul>"
        )
    total = len(summary.results)
    ok = summary.count("passed") + summary.count("bug_fixed")
    now = datetime.now().strftime("%d/%m/%Y à %H:%M")
    known = summary.count("known_bug")
    counts = f"{summary.failed} en échec" + (f", {known} bug(s) connu(s)" if known else "")
    header = (
        "<tr><th>Scénario</th><th>Territoire</th><th>Résultat</th><th>Raison</th>"
        "<th>Durée</th></tr>"
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Scénarios de conversation — rapport</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{STYLE}</style></head>
<body>
<h1>Scénarios de conversation — {ok} / {total} réussi(s)</h1>
<p class="meta">Joués le {_e(now)} contre {_e(summary.rasa_url)}
en {_e(seconds_fr(summary.seconds))}. {counts}.</p>
{invalid}
<table><thead>{header}</thead>
<tbody>{"".join(rows)}</tbody></table>
{"".join(_scenario_html(i, r) for i, r in enumerate(summary.results))}
</body></html>
"""


def write_html(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(summary), encoding="utf-8")
