"""`qp flows test [FICHIERS]`: play the advisors' scenarios against the real assistant.

Exit status: 0 every scenario passed (a `bug_connu` scenario may fail), 1 a scenario failed,
2 a scenario file is invalid (nothing is played) or a file is missing, 3 the assistant could
not be reached or started.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from settings import PROJECT_DIR

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_DIR = PROJECT_DIR / "tests" / "flows"
DEFAULT_HTML = PROJECT_DIR / "var" / "flows" / "rapport.html"
PERSONAS_DIR = PROJECT_DIR / "tests" / "personas"
DEFAULT_SIMULATION_HTML = PROJECT_DIR / "var" / "flows" / "simulation.html"
LOG_TAIL = 15


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the `test` sub-command to the `flows` parser (of `qp`, or of main() below)."""
    commands = parser.add_subparsers(dest="flows_command", required=True, metavar="COMMANDE")
    test = commands.add_parser(
        "test",
        help="joue les scénarios contre l'assistant et écrit un rapport",
        description="Joue les scénarios de conversation (fichiers YAML) contre le vrai "
        "assistant, affiche un rapport en français et écrit un rapport HTML. "
        "Code de sortie : 0 tout est réussi, 1 un scénario échoue, 2 un fichier "
        "est invalide, 3 l'assistant est injoignable.",
    )
    test.add_argument(
        "files",
        nargs="*",
        metavar="FICHIER",
        help="fichiers .yml ou dossiers de scénarios (par défaut : tests/flows)",
    )
    test.add_argument(
        "--url",
        help="adresse d'un assistant déjà démarré, par exemple "
        "http://localhost:5005 ; sans --url, les serveurs sont "
        "démarrés sur des ports libres puis arrêtés",
    )
    test.add_argument(
        "--html",
        type=Path,
        default=DEFAULT_HTML,
        metavar="CHEMIN",
        help="rapport HTML à écrire (par défaut : var/flows/rapport.html)",
    )
    test.set_defaults(handler=run_tests)
    simulate = commands.add_parser(
        "simulate",
        help="joue les personnes simulées contre l'assistant et mesure le dialogue",
        description="Joue les personnes simulées (fichiers YAML de tests/personas) contre le "
        "vrai assistant : chacune dit son premier message puis répond aux questions jusqu'aux "
        "aides. Affiche un rapport en français (messages jusqu'aux aides, questions reposées, "
        "aides attendues et interdites) et écrit un rapport HTML. Code de sortie : 0 chaque "
        "personne obtient ce qui est attendu, 1 sinon, 2 un fichier est invalide, 3 "
        "l'assistant est injoignable.",
    )
    simulate.add_argument(
        "files",
        nargs="*",
        metavar="FICHIER",
        help="fichiers .yml ou dossiers de personnes (par défaut : tests/personas)",
    )
    simulate.add_argument(
        "--url",
        help="adresse d'un assistant déjà démarré, par exemple http://localhost:5005 ; sans "
        "--url, les serveurs sont démarrés sur des ports libres puis arrêtés",
    )
    simulate.add_argument(
        "--html",
        type=Path,
        default=DEFAULT_SIMULATION_HTML,
        metavar="CHEMIN",
        help="rapport HTML à écrire (par défaut : var/flows/simulation.html)",
    )
    simulate.add_argument(
        "--resultats",
        type=Path,
        metavar="CHEMIN",
        help="écrit aussi les chiffres et une ligne par personne en Markdown "
        "(par exemple docs/simulation-resultats.md)",
    )
    simulate.set_defaults(handler=run_simulation)


def add_flows_parser(commands: Any) -> None:
    """Register `flows` on qp's sub-commands (the `add_subparsers()` object of bot/cli.py)."""
    flows = commands.add_parser("flows", help="scénarios de conversation (tests/flows)")
    configure(flows)


def main(argv: Sequence[str] | None = None) -> int:
    """`qp flows …` on its own: main(["test", "tests/flows/x.yml", "--url", "…"])."""
    parser = argparse.ArgumentParser(
        prog="qp flows", description="Scénarios de conversation des conseillers"
    )
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


def run_tests(args: argparse.Namespace, out: Any = None, err: Any = None) -> int:
    from bot.flows.loader import ScenarioFileError, load_scenario, scenario_files
    from bot.flows.report import ConsoleReport, Summary, write_html

    out, err = out or sys.stdout, err or sys.stderr
    started = time.monotonic()
    files, missing = scenario_files(list(args.files), DEFAULT_DIR)
    if missing:
        for line in missing:
            print(f"qp flows : {line}", file=err)
        return EXIT_INVALID
    scenarios, invalid = [], []
    for path in files:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioFileError as error:
            invalid += error.lines()
    html_path: Path = args.html
    if invalid:
        ConsoleReport(err).invalid(invalid)
        write_html(Summary(invalid=invalid, rasa_url=args.url or ""), html_path)
        return EXIT_INVALID
    if args.url:
        return _play(scenarios, args.url, html_path, out, err, started, None)
    return _on_own_stack(
        lambda url, startup: _play(scenarios, url, html_path, out, err, started, startup),
        out,
        err,
        started,
    )


def run_simulation(args: argparse.Namespace, out: Any = None, err: Any = None) -> int:
    from bot.flows.loader import ScenarioFileError, scenario_files
    from bot.flows.personas import load_persona

    out, err = out or sys.stdout, err or sys.stderr
    started = time.monotonic()
    files, missing = scenario_files(list(args.files), PERSONAS_DIR)
    if missing:
        for line in missing:
            print(f"qp flows : {line}", file=err)
        return EXIT_INVALID
    personas, invalid = [], []
    for path in files:
        try:
            personas.append(load_persona(path))
        except ScenarioFileError as error:
            invalid += error.lines()
    if invalid:
        print("Fichiers de personnes invalides (aucune personne n'a été jouée) :", file=err)
        for line in invalid:
            print(f"  ✗ {line}", file=err)
        print("Corrigez ces fichiers (voir tests/personas/README.md), puis relancez.", file=err)
        return EXIT_INVALID

    def play(url: str, startup: float | None) -> int:
        return _simulate(personas, url, args.html, args.resultats, out, err, started, startup)

    if args.url:
        return play(args.url, None)
    return _on_own_stack(play, out, err, started)


def _simulate(
    personas: list,
    rasa_url: str,
    html_path: Path,
    markdown_path: Path | None,
    out: Any,
    err: Any,
    started: float,
    startup: float | None,
) -> int:
    import httpx

    from bot.flows.assistant import AssistantError, check_reachable
    from bot.flows.checks import default_wording
    from bot.flows.simulate import Simulator
    from bot.flows.simulate_report import (
        SimulationConsole,
        SimulationSummary,
        markdown_figures,
        write_html,
    )

    try:
        check_reachable(rasa_url)
    except AssistantError as error:
        print(f"qp flows : {error}", file=err)
        return EXIT_UNREACHABLE
    wording = default_wording()
    console = SimulationConsole(out, wording)
    console.write(f"{len(personas)} personne(s) simulée(s) contre {rasa_url}")
    console.write()
    summary = SimulationSummary(rasa_url=rasa_url, startup_seconds=startup)
    with httpx.Client() as client:
        simulator = Simulator(rasa_url, wording, client)
        for persona in personas:
            result = simulator.play(persona)
            summary.results.append(result)
            console.person(result)
    summary.seconds = time.monotonic() - started
    write_html(summary, wording, html_path)
    if markdown_path:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(markdown_figures(summary, wording), encoding="utf-8")
    console.summary(summary, html_path)
    if any(r.error for r in summary.results):
        return EXIT_UNREACHABLE
    return EXIT_FAILED if summary.failed else EXIT_OK


def _on_own_stack(
    play: Callable[[str, float | None], int], out: Any, err: Any, started: float
) -> int:
    from bot.runner import Stack, StartError, free_port
    from settings import settings_with

    print(
        "Démarrage de l'assistant sur des ports libres (environ une minute)…", file=out, flush=True
    )
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop our servers
    try:
        with tempfile.TemporaryDirectory(prefix="qp-flows-") as tmp:
            settings = settings_with(
                RASA_PORT=str(free_port()),
                ACTION_PORT=str(free_port()),
                TRACKER_DB=str(Path(tmp) / "tracker.sqlite"),
                QP_TRACKER_URL="",
                QP_LOG_DIR=str(Path(tmp) / "log"),
            )
            try:
                with Stack(settings):
                    startup = time.monotonic() - started
                    return play(settings.servers.rasa_url, startup)
            except StartError as error:
                print(f"qp flows : l'assistant n'a pas démarré : {error}", file=err)
                _print_log_tails(settings.servers.log_dir, err)
                return EXIT_UNREACHABLE
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_log_tails(log_dir: Path, err: Any) -> None:
    for log in sorted(log_dir.glob("*.log")):
        lines = log.read_text("utf-8", errors="replace").splitlines()[-LOG_TAIL:]
        print(f"--- fin de {log.name} ---", file=err)
        for line in lines:
            print(line, file=err)


def _advisor_console(startup: float | None) -> str | None:
    """Where the advisors' console of the assistant played against can be read: only for an
    assistant already running (started here, its conversations are discarded at the end)."""
    if startup is not None:
        return None
    from settings import get_settings

    return get_settings().console.url


def _play(
    scenarios: list,
    rasa_url: str,
    html_path: Path,
    out: Any,
    err: Any,
    started: float,
    startup: float | None,
) -> int:
    import httpx

    from bot.flows.assistant import AssistantError, check_reachable
    from bot.flows.checks import default_wording
    from bot.flows.execute import Player
    from bot.flows.report import ConsoleReport, Summary, write_html

    try:
        check_reachable(rasa_url)
    except AssistantError as error:
        print(f"qp flows : {error}", file=err)
        return EXIT_UNREACHABLE
    console = ConsoleReport(out, console_url=_advisor_console(startup))
    console.write(f"{len(scenarios)} scénario(s) joué(s) contre {rasa_url}")
    console.write()
    summary = Summary(rasa_url=rasa_url, startup_seconds=startup)
    with httpx.Client() as client:
        player = Player(rasa_url, default_wording(), client)
        for scenario in scenarios:
            result = player.play(scenario)
            summary.results.append(result)
            console.scenario(result)
    summary.seconds = time.monotonic() - started
    write_html(summary, html_path)
    console.summary(summary, html_path)
    return EXIT_FAILED if summary.failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
