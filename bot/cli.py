"""`qp`: the project's command-line tool."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qp", description="Assistant Quartiers productifs")
    commands = parser.add_subparsers(dest="command", required=True)

    recommend = commands.add_parser("recommend", help="aides pour un profil JSON")
    recommend.add_argument("profile", help="fichier JSON du profil, ou - pour l'entrée standard")
    recommend.set_defaults(handler=_recommend)

    catalog = commands.add_parser("catalog", help="gestion du catalogue")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    data_dir_help = "dossier des fichiers du catalogue (sinon QP_CATALOG_DIR, catalog/data)"
    validate = catalog_commands.add_parser("validate", help="vérifie les fichiers du catalogue")
    validate.add_argument("--data-dir", type=Path, help=data_dir_help)
    validate.set_defaults(handler=_validate)
    load = catalog_commands.add_parser(
        "load",
        help="charge les fichiers dans la base (en gardant les modifications de la "
        "console pas encore écrites)",
    )
    load.add_argument("--data-dir", type=Path, help=data_dir_help)
    load.set_defaults(handler=_load)
    apply_edits = catalog_commands.add_parser(
        "apply-edits", help="écrit dans les fichiers les modifications faites dans la console"
    )
    apply_edits.add_argument("--data-dir", type=Path, help=data_dir_help)
    apply_edits.set_defaults(handler=_apply_edits)
    stale = catalog_commands.add_parser(
        "stale", help="liste les aides et contacts vérifiés il y a plus de six mois"
    )
    stale.add_argument("--date", help="date de référence AAAA-MM-JJ (par défaut : aujourd'hui)")
    stale.set_defaults(handler=_stale)
    schema = catalog_commands.add_parser(
        "schema",
        help="affiche le schéma JSON d'un fichier d'aides, pour les éditeurs "
        "(copie tenue à jour : catalog/schema/aid.schema.json)",
    )
    schema.set_defaults(handler=_schema)
    export = catalog_commands.add_parser("export", help="exporte les aides")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.set_defaults(handler=_export)
    importer = catalog_commands.add_parser("import", help="importe des aides d'Aides-territoires")
    importer.add_argument("source", choices=("aides-territoires",))
    importer.add_argument("file", nargs="?", help="export JSON (liste d'aides ou page de l'API)")
    importer.add_argument(
        "--download",
        action="store_true",
        help="télécharge depuis l'API (clé : AIDES_TERRITOIRES_API_KEY)",
    )
    importer.set_defaults(handler=_import)

    import_qpv = catalog_commands.add_parser(
        "import-qpv",
        help="importe les périmètres officiels des QPV (GeoJSON WGS84 de l'ANCT) dans la base",
    )
    import_qpv.add_argument("file", type=Path, help="fichier GeoJSON des périmètres")
    import_qpv.set_defaults(handler=_import_qpv)

    qpv = commands.add_parser("qpv", help="quartiers prioritaires (QPV)")
    qpv_commands = qpv.add_subparsers(dest="qpv_command", required=True)
    qpv_check = qpv_commands.add_parser(
        "check",
        help="dit si une adresse est en QPV, hors QPV ou à vérifier (code 0, 0, 1)",
    )
    qpv_check.add_argument("address", help="l'adresse, par exemple « 12 rue X, 59100 Roubaix »")
    qpv_check.set_defaults(handler=_qpv_check)

    purge = commands.add_parser(
        "purge",
        help="supprime les données personnelles dont la durée de conservation est passée et "
        "termine les effacements demandés (docs/donnees-personnelles.md)",
    )
    purge.set_defaults(handler=_purge)

    observatory = commands.add_parser(
        "observatory", help="l'observatoire : les événements publiés par Rasa, dans nos tables"
    )
    observatory_commands = observatory.add_subparsers(dest="observatory_command", required=True)
    consume = observatory_commands.add_parser(
        "consume", help="lit le courtier d'événements en continu (ce que fait make run)"
    )
    consume.set_defaults(handler=_observatory_consume)
    rebuild = observatory_commands.add_parser(
        "rebuild", help="vide les tables de l'observatoire et relit tout le courtier SQL"
    )
    rebuild.set_defaults(handler=_observatory_rebuild)

    run = commands.add_parser("run", help="démarre le serveur d'actions et Rasa")
    run.add_argument("--no-train", action="store_true", help="ne pas réentraîner le modèle")
    run.add_argument(
        "--cluster",
        action="store_true",
        help="QP_CLUSTER_REPLICAS processus Rasa derrière HAProxy, conversations dans "
        "PostgreSQL (QP_TRACKER_URL), verrou dans Redis (QP_LOCK_STORE_URL)",
    )
    run.add_argument(
        "--print-env",
        action="store_true",
        help="n'affiche que les variables que Rasa lit (endpoints.yml, credentials.yml), en "
        "lignes « export NOM='valeur' » pour un shell : compose.yaml les donne ainsi à Rasa",
    )
    run.set_defaults(handler=_run)

    from bot.flows.cli import add_flows_parser

    add_flows_parser(commands)  # qp flows test [FICHIERS] [--url URL] [--html CHEMIN]
    from bot.console.cli import add_console_parser

    add_console_parser(commands)  # qp console add-account EMAIL … | accounts
    from bot.notify import add_notify_parser

    add_notify_parser(commands)  # qp notify send | digest

    settings = commands.add_parser("settings", help="la configuration (variables d'environnement)")
    settings_commands = settings.add_subparsers(dest="settings_command", required=True)
    check = settings_commands.add_parser(
        "check", help="vérifie les variables d'environnement et affiche la configuration"
    )
    check.set_defaults(handler=_settings_check)
    readme = settings_commands.add_parser(
        "readme", help="récrit le tableau de configuration du README depuis les réglages"
    )
    readme.add_argument(
        "--check", action="store_true", help="vérifie seulement (code 1 si le README diffère)"
    )
    readme.set_defaults(handler=_settings_readme)

    args = parser.parse_args(argv)
    from settings import SettingsError

    try:
        return args.handler(args)
    except SettingsError as error:  # a wrong environment variable, read by the command
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    print(f"qp: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _recommend(args: argparse.Namespace) -> int:
    from catalog.engine import open_catalog, recommend
    from catalog.profile import ProfileError, parse_profile

    try:
        text = sys.stdin.read() if args.profile == "-" else Path(args.profile).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"impossible de lire le profil : {error}")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return _fail(
            f"profil JSON invalide : {error.msg} (ligne {error.lineno}, colonne {error.colno})"
        )
    try:
        profile = parse_profile(raw)
    except ProfileError as error:
        return _fail(f"profil invalide : {error}")
    result = recommend(open_catalog(), profile)
    json.dump(result.as_json(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from catalog.files import read_files
    from catalog.validate import validate

    files = read_files(args.data_dir)
    errors = validate(files)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} erreur(s) dans le catalogue.", file=sys.stderr)
        return 1
    print(
        f"Catalogue valide : {len(files.aids)} aides, {len(files.territories)} territoires, "
        f"{len(files.contacts)} contacts."
    )
    return 0


def _load(args: argparse.Namespace) -> int:
    from catalog import store
    from catalog.files import read_files
    from catalog.validate import validate

    files = read_files(args.data_dir)
    errors = validate(files)
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(
            "Chargement annulé : corrigez d'abord le catalogue (qp catalog validate).",
            file=sys.stderr,
        )
        return 1
    counts = store.load(files, store.make_engine())
    print("Catalogue chargé : " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def _apply_edits(args: argparse.Namespace) -> int:
    from catalog import store, write_back
    from catalog.files import data_dir

    directory = args.data_dir or data_dir()
    if not (directory / "aids").is_dir():
        return _fail(f"dossier du catalogue introuvable : {directory / 'aids'}")
    try:
        report = write_back.apply_pending_edits(store.make_engine(), directory)
    except write_back.WriteBackError as error:
        return _fail(str(error))
    for warning in report.conflicts:
        print(f"attention : {warning}", file=sys.stderr)
    for edit_id, aid_id in report.missing:
        print(
            f"qp: modification n° {edit_id} non écrite : l'aide {aid_id} n'est dans aucun "
            f"fichier de {directory / 'aids'} (elle reste en attente)",
            file=sys.stderr,
        )
    if not report.written:
        print(
            "Aucune modification en attente à écrire."
            if not report.missing
            else "Aucune modification écrite."
        )
        return 1 if report.missing else 0
    print(
        f"{len(report.written)} modification(s) écrite(s) dans : "
        + ", ".join(str(path) for path in report.files)
    )
    print(
        "Relisez-les (git diff), validez-les (commit), puis rechargez la base : make setup "
        "(ou qp catalog load)."
    )
    return 1 if report.missing else 0


def _stale(args: argparse.Namespace) -> int:
    from catalog.engine import open_catalog
    from catalog.freshness import date_text, stale_before, stale_facts, withdrawn_aids

    try:
        today = date.fromisoformat(args.date) if args.date else date.today()
    except ValueError:
        return _fail(f"date invalide : {args.date!r} (attendu AAAA-MM-JJ)")
    files = open_catalog().files
    facts = stale_facts(files, today)
    since = date_text(stale_before(today))
    if not facts:
        print(f"Rien à revérifier le {date_text(today)} : tout a été vérifié depuis le {since}.")
    else:
        aids = sum(1 for f in facts if f.kind == "aide")
        print(
            f"À revérifier le {date_text(today)} (dernière vérification avant le {since}) : "
            f"{aids} aide(s), {len(facts) - aids} contact(s)."
        )
        rows = [("type", "identifiant", "dernière vérification", "ancienneté")] + [
            (f.kind, f.id, date_text(f.last_checked), f.age(today)) for f in facts
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            print(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[3]
            )
    withdrawn = withdrawn_aids(files.aids)
    if withdrawn:
        # Not stale facts: nothing of them is shown as current until a check confirms them.
        print(
            f"Hors de cette liste, {len(withdrawn)} aide(s) retirée(s) des recommandations "
            "(aucune source officielle ne confirme leurs informations ; elles reviennent après "
            "une vérification qui les confirme) : "
            + ", ".join(
                f"{a['id']} (depuis le {date_text(a['withdrawn']['since'])})" for a in withdrawn
            )
            + "."
        )
    return 0


def _schema(args: argparse.Namespace) -> int:
    from catalog.aid_schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def _export(args: argparse.Namespace) -> int:
    from catalog import store

    aids = store.read_aids(store.make_engine())
    if args.format == "json":
        json.dump(
            [aid.model_dump(mode="json") for aid in aids], sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
        return 0
    columns = [
        "id",
        "name",
        "family",
        "provider",
        "type",
        "status",
        "amount",
        "valid_from",
        "valid_until",
        "url",
        "confidence",
        "last_checked",
        "sources",
    ]
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for aid in aids:
        row = aid.model_dump(mode="json")
        row.update(amount=aid.amount.text, sources=" ".join(aid.sources))
        writer.writerow(row)
    return 0


def _import(args: argparse.Namespace) -> int:
    from catalog import store
    from catalog.importers import aides_territoires

    if args.download == bool(args.file):
        return _fail("indiquez soit un fichier JSON, soit --download")
    if args.download:
        from bot.aides_territoires import ENV_KEY, DownloadError, download
        from settings import get_settings

        key = get_settings().aides_territoires.api_key
        if not key:
            return _fail(f"clé d'API manquante : définissez la variable {ENV_KEY}")
        try:
            records = download(key)
        except DownloadError as error:
            return _fail(str(error))
    else:
        try:
            records = aides_territoires.read_export(Path(args.file))
        except aides_territoires.ExportError as error:
            return _fail(str(error))
    report = aides_territoires.import_records(records, store.make_engine())
    print(report.summary())
    for _, errors in report.invalid:
        print(f"  refusée : {'; '.join(errors)}")
    return 0


def _import_qpv(args: argparse.Namespace) -> int:
    from catalog import store
    from catalog.files import read_files
    from catalog.qpv_perimeters import PerimeterFileError, read_perimeters, store_perimeters

    try:
        perimeters = read_perimeters(args.file)
    except PerimeterFileError as error:
        return _fail(f"{args.file} : {error}")
    count = store_perimeters(store.make_engine(), perimeters, source=args.file.name)
    print(f"{count} périmètres de QPV importés depuis {args.file.name}.")
    imported = {p.code for p in perimeters}
    listed = {
        q["code"] for t in read_files().territories for q in t.get("qpv") or [] if q.get("code")
    }
    missing = sorted(listed - imported)
    if missing:
        print(
            f"attention : {len(missing)} QPV des 14 territoires sans périmètre (leurs communes "
            f"répondront « à vérifier ») : {', '.join(missing[:10])}"
            + (" …" if len(missing) > 10 else ""),
            file=sys.stderr,
        )
    return 0


def _qpv_check(args: argparse.Namespace) -> int:
    from adapters.ban import BanGeocoder
    from catalog import store
    from catalog.address import A_VERIFIER, EN_QPV, HORS_QPV, answer_text, check_address
    from catalog.engine import open_catalog
    from catalog.qpv_perimeters import perimeter_index

    address = " ".join(args.address.split())
    if not any(c.isalpha() for c in address):
        return _fail('donnez une adresse, par exemple : qp qpv check "12 rue X, 59100 Roubaix"')
    check = check_address(
        address,
        BanGeocoder.from_settings(),
        open_catalog().places,
        perimeter_index(store.make_engine()),
    )
    heading = {
        EN_QPV: f"En QPV : {check.qpv_name} ({check.qpv_code})",
        HORS_QPV: "Hors QPV",
        A_VERIFIER: "À vérifier",
    }[check.status]
    print(heading)
    print(answer_text(check))
    return 1 if check.status == A_VERIFIER else 0


def _observatory_consume(args: argparse.Namespace) -> int:
    from bot.observatory.consumer import main as consume

    return consume()


def _observatory_rebuild(args: argparse.Namespace) -> int:
    from bot.observatory.consumer import RebuildImpossibleError, rebuild
    from catalog import store
    from settings import get_settings

    settings = get_settings()
    engine = store.make_engine(settings.catalog.database_url)
    try:
        store.migrate(engine)
        count = rebuild(engine, settings.event_broker)
    except RebuildImpossibleError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Observatoire reconstruit : {count} événement(s) relu(s).")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from bot.purge import run_purge

    return run_purge()


def _run(args: argparse.Namespace) -> int:
    from bot.runner import run

    if args.print_env:
        import shlex

        from bot.runner import Stack
        from settings import SettingsError, get_settings

        try:
            values = Stack(get_settings()).shared_values()
        except SettingsError as error:
            print(f"Erreur : {error}", file=sys.stderr)
            return 2
        for name, value in sorted(values.items()):
            print(f"export {name}={shlex.quote(value)}")
        return 0
    if args.cluster:
        import subprocess

        from settings import PROJECT_DIR

        if not args.no_train and (code := subprocess.call(["make", "train"], cwd=PROJECT_DIR)):
            return code
        from bot.cluster import run as run_cluster

        return run_cluster()
    return run(train=not args.no_train)


def _settings_check(args: argparse.Namespace) -> int:
    from settings import get_settings
    from settings.table import effective_values

    for name, value in effective_values(get_settings()):
        print(f"{name}={value}")
    print("Configuration valide.")
    return 0


def _settings_readme(args: argparse.Namespace) -> int:
    from settings.table import README, ReadmeError, with_table, write_readme

    try:
        if args.check:
            text = README.read_text(encoding="utf-8")
            if with_table(text) != text:
                return _fail(
                    "le tableau de configuration du README diffère des réglages : "
                    "lancez « qp settings readme »"
                )
            print("Le tableau de configuration du README est à jour.")
            return 0
        changed = write_readme()
    except ReadmeError as error:
        return _fail(str(error))
    print("README.md récrit." if changed else "README.md déjà à jour.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
