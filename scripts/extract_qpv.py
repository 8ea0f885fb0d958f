#!/usr/bin/env python3
"""Build `catalog/data/qpv_map.yml`, the QPV map of the 14 pilot territories, from the ANCT file.

Source: ANCT, « Quartiers prioritaires de la politique de la ville (QPV) » on data.gouv.fr
(Licence Ouverte 2.0), layer `QP2024_France_Hexagonale_Outre_Mer_WGS84` (GeoJSON): the 1 362
metropolitan QPV of décret n° 2023-1314 du 28 décembre 2023 (in force since 1 January 2024) and
the overseas QPV of décret n° 2024-1212 (in force since 1 January 2025). Get the official zip:

    curl -sL -o qpv.zip https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119
    unzip -o qpv.zip -d qpv

then run, from the repository root,

    name=QP2024_France_Hexagonale_Outre_Mer_WGS84
    python scripts/extract_qpv.py qpv/GEOJSON/$name.geojson \
        --file-label "data.gouv.fr zip 942d4ee8…, GEOJSON/$name" \
        --out catalog/data/qpv_map.yml

A QPV belongs to a territory when at least one of its communes (`insee_com`, comma-separated
for intercommunal QPV) is one of the territory's communes (read from territories.yml). Every
QPV keeps its official code (`code_qp`), name (`lib_qp`) and all its communes, including any
outside the territory.

OFFICIAL_COUNTS below records, per territory, the number of QPV with where that number was
checked. The script refuses to write a map whose count differs from it: a new version of the
file that adds or removes a QPV must be looked at by a person, who then updates the table.

Python 3.11, standard library + PyYAML.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DATASET = (
    "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
)
# Same form as catalog/qpv_map.py: QN + department on 3 characters (001–095, 02A, 02B, 971–976,
# 978 Saint-Martin, 987 Polynésie) + 2-digit order number + letter M, N or I.
CODE = re.compile(r"^QN(?:0(?:0[1-9]|[1-8]\d|9[0-5])|02[AB]|97[1-68]|987)\d{2}[MNI]$")

# territory id -> (count, where it was checked, note). Every count equals the ANCT file's; the
# URL is a second, independent page giving the same number where one was found (checked on
# 2026-12-02), else the ANCT dataset itself and the note says « à vérifier ».
OFFICIAL_COUNTS: dict[str, tuple[int, str, str]] = {
    "aix-marseille": (
        66,
        (
            "https://cite-ressources.org/index.php/Ressources/"
            "nouveaux-quartiers-prioritaires-quelle-geographie-en-2024-2030-4"
        ),
        (
            "65 of the 71 QPV of the Bouches-du-Rhône (71 per Cité Ressources, CRPV PACA)"
            " + Pertuis (Vaucluse); per-metropolis total not published there: ANCT file"
        ),
    ),
    "arras": (
        6,
        "https://irev.fr/region-hauts-de-france/nord-pas-de-calais/departement-du-pas-de-calais/arrageois/communaute-urbaine",
        "IREV: 6 QPV in Achicourt, Arras, Saint-Laurent-Blangy, Saint-Nicolas; same as ANCT file",
    ),
    "est-ensemble": (
        22,
        DATASET,
        "ANCT file only (5 QPV straddle a commune outside the EPT); second source à vérifier",
    ),
    "grand-narbonne": (
        3,
        "https://legrandnarbonne.com/actualites/actualite/contrat-de-ville-2024-2030",
        "Grand Narbonne, contrat de ville 2024-2030: quartiers Ouest, Centre, Est",
    ),
    "grand-nancy": (8, DATASET, "ANCT file only; second source à vérifier"),
    "grand-paris-sud": (18, DATASET, "ANCT file only; second source à vérifier"),
    "laval": (
        3,
        "https://resovilles.com/territoires/laval",
        "Résovilles: Les Fourches, Kellermann, Pavement-Charité-Mortier-Murat; same as ANCT file",
    ),
    "maubeuge-val-de-sambre": (
        11,
        DATASET,
        (
            "ANCT file only (incl. Louvroil centre and Aulnoye-Aymeries multisites, new in 2024); "
            "second source à vérifier"
        ),
    ),
    "montbeliard": (9, DATASET, "ANCT file only; second source à vérifier"),
    "montpellier": (10, DATASET, "ANCT file only; all in Montpellier; second source à vérifier"),
    "orly-choisy": (3, DATASET, "ANCT file only; second source à vérifier"),
    "roubaix": (
        3,
        DATASET,
        "ANCT file only; 2 intercommunal QPV cover most of the town; second source à vérifier",
    ),
    "saint-louis-reunion": (
        6,
        DATASET,
        (
            "ANCT file, overseas list in force since 1 January 2025 (décret n° 2024-1212, JO of "
            "27 December 2024 per batisseurs-outremer.com: date à vérifier on Légifrance)"
        ),
    ),
    "toulouse": (
        16,
        "https://www.aua-toulouse.org/nouveau-contrat-de-ville-les-quartiers-prioritaires-evoluent-en-haute-garonne/",
        "AUAT: Toulouse Métropole has 16 QPV (12 Toulouse, 2 Colomiers, 1 Blagnac, 1 Cugnaux)",
    ),
}


def q(value: Any) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def load_features(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise SystemExit(f"{path}: aucun objet « features » — est-ce bien le GeoJSON de l'ANCT ?")
    return features


def qpv_records(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        code = str(props.get("code_qp") or "").strip()
        name = str(props.get("lib_qp") or "").strip()
        communes = [c.strip() for c in str(props.get("insee_com") or "").split(",") if c.strip()]
        if not CODE.match(code) or not name or not communes:
            raise SystemExit(f"objet {index} : code_qp/lib_qp/insee_com inattendus : {props!r}")
        records.append({"code": code, "name": name, "communes": communes})
    return records


def build_map(territories: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[dict]:
    out = []
    for territory in territories:
        communes = {c["insee"] for c in territory.get("communes") or []}
        qpvs = sorted(
            (r for r in records if communes & set(r["communes"])), key=lambda r: r["code"]
        )
        count, source, note = OFFICIAL_COUNTS[territory["id"]]
        if len(qpvs) != count:
            raise SystemExit(
                f"{territory['id']} : {len(qpvs)} QPV dans le fichier, {count} attendus "
                "(OFFICIAL_COUNTS) — vérifiez la nouvelle liste puis mettez la table à jour."
            )
        out.append(
            {
                "territory": territory["id"],
                "official_count": count,
                "count_source": source,
                "count_note": note,
                "qpv": qpvs,
            }
        )
    return out


def render(qpv_map: list[dict], file_label: str, digest: str, today: str) -> str:
    out = [
        (
            "# QPV map of the 14 pilot territories. GENERATED by scripts/extract_qpv.py:"
            " do not edit by"
        ),
        "# hand, re-run the script (see its docstring).",
        "#",
        f"# Source: ANCT, « Quartiers prioritaires de la politique de la ville (QPV) », {DATASET}",
        "# (Licence Ouverte 2.0). Lists: décret n° 2023-1314 du 28 décembre 2023 (metropolitan",
        "# France, since 1 January 2024); décret n° 2024-1212 (overseas, since 1 January 2025).",
        f"# File read: {file_label}",
        f"# sha256 of the file read: {digest}; generated on {today}.",
        "#",
        (
            "# A QPV is listed under a territory when at least one of its communes is in it;"
            " `communes`"
        ),
        "# holds all its communes (INSEE codes), including any outside the territory.",
        "# official_count: the number of QPV of the territory, checked at count_source; the",
        "# validator rejects a list whose length differs from it.",
        "",
    ]
    for entry in qpv_map:
        out.append(f"- territory: {entry['territory']}")
        out.append(f"  official_count: {entry['official_count']}")
        out.append(f"  count_source: {q(entry['count_source'])}")
        out.append(f"  count_note: {q(entry['count_note'])}")
        out.append(f"  source: {q(DATASET)}")
        out.append(f"  checked: {q(today)}")
        out.append("  qpv:")
        for r in entry["qpv"]:
            communes = ", ".join(q(c) for c in r["communes"])
            out.append(
                f"    - {{code: {q(r['code'])}, name: {q(r['name'])}, communes: [{communes}]}}"
            )
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("geojson", type=Path, help="QP2024_France_Hexagonale_Outre_Mer_WGS84")
    parser.add_argument("--territories", type=Path, default=Path("catalog/data/territories.yml"))
    parser.add_argument(
        "--file-label", required=True, help="where the file was taken from (written in the YAML)"
    )
    parser.add_argument("--date", default=date.today().isoformat(), help="generation date")
    parser.add_argument("--out", type=Path, help="write the map here (default: stdout)")
    args = parser.parse_args(argv)

    raw = args.geojson.read_bytes()
    records = qpv_records(load_features(args.geojson))
    territories = yaml.safe_load(args.territories.read_text(encoding="utf-8")) or []
    missing = {t["id"] for t in territories} ^ set(OFFICIAL_COUNTS)
    if missing:
        raise SystemExit(f"territoires sans nombre officiel ou inconnus : {sorted(missing)}")
    qpv_map = build_map(territories, records)
    text = render(qpv_map, args.file_label, hashlib.sha256(raw).hexdigest(), args.date)
    yaml.safe_load(text)  # the output must parse
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for entry in qpv_map:
        print(f"{entry['territory']}: {len(entry['qpv'])} QPV", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
