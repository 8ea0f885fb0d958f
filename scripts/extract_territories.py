#!/usr/bin/env python3
"""Build the commune lists of `catalog/data/territories.yml` (and `regions.yml`).

Source: the npm package `@etalab/decoupage-administratif` (INSEE Code officiel géographique,
DGCL EPCI composition, INSEE EPT list, La Poste postal codes). Get it with

    cd /tmp && mkdir -p dec && cd dec && npm pack @etalab/decoupage-administratif && tar xzf *.tgz

then run, from the repository root,

    python scripts/extract_territories.py /tmp/dec/package/data \
        --territories catalog/data/territories.yml --out catalog/data/territories.yml \
        --regions-out catalog/data/regions.yml

What is extracted: for each of the 14 pilot territories, the intercommunality (SIREN and
name) and every current commune (type "commune-actuelle") with its INSEE code, official name
and postal codes. The hand-curated part of each territory (`economic_service`) is read back
from the file given with --territories and kept as it is, so the script can be re-run on a new
version of the package without losing it. The QPV map is not here: it is `qpv_map.yml`, generated
by scripts/extract_qpv.py from the ANCT file (re-run it after a change of communes).
`--regions-out` also writes the
18 regions with their departments.

Python 3.11, standard library + PyYAML.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

# The 14 pilots. `source` says where the member communes come from:
#   ("epci", SIREN)            all members of an EPCI à fiscalité propre (epci.json)
#   ("ept", SIREN)             all members of a Grand Paris EPT (ept.json)
#   ("epci", SIREN, [INSEE])   only these communes; the EPCI/EPT is still recorded
#   ("ept", SIREN, [INSEE])    idem
TERRITORIES: list[dict[str, Any]] = [
    {
        "id": "aix-marseille",
        "name": "Métropole d'Aix-Marseille-Provence",
        "region": "provence-alpes-cote-d-azur",
        "source": ("epci", "200054807"),
    },
    {
        "id": "arras",
        "name": "Communauté urbaine d'Arras",
        "region": "hauts-de-france",
        "source": ("epci", "200033579"),
    },
    {
        "id": "laval",
        "name": "Laval Agglomération",
        "region": "pays-de-la-loire",
        "source": ("epci", "200083392"),
    },
    {
        "id": "maubeuge-val-de-sambre",
        "name": "Communauté d'agglomération Maubeuge Val de Sambre",
        "region": "hauts-de-france",
        "source": ("epci", "200043396"),
    },
    {
        "id": "montbeliard",
        "name": "Pays de Montbéliard Agglomération",
        "region": "bourgogne-franche-comte",
        "source": ("epci", "200065647"),
    },
    {
        "id": "montpellier",
        "name": "Montpellier Méditerranée Métropole",
        "region": "occitanie",
        "source": ("epci", "243400017"),
    },
    {
        "id": "est-ensemble",
        "name": "Est Ensemble (établissement public territorial)",
        "region": "ile-de-france",
        "source": ("ept", "200057875"),
    },
    {
        "id": "grand-paris-sud",
        "name": "Grand Paris Sud Seine-Essonne-Sénart",
        "region": "ile-de-france",
        "source": ("epci", "200059228"),
    },
    {
        "id": "grand-narbonne",
        "name": "Le Grand Narbonne",
        "region": "occitanie",
        "source": ("epci", "241100593"),
    },
    {
        "id": "grand-nancy",
        "name": "Métropole du Grand Nancy",
        "region": "grand-est",
        "source": ("epci", "245400676"),
    },
    {
        "id": "orly-choisy",
        "name": "Orly et Choisy-le-Roi",
        "region": "ile-de-france",
        "source": ("ept", "200058014", ["94054", "94022"]),
    },
    {
        "id": "roubaix",
        "name": "Roubaix",
        "region": "hauts-de-france",
        "source": ("epci", "200093201", ["59512"]),
    },
    {
        "id": "toulouse",
        "name": "Toulouse Métropole",
        "region": "occitanie",
        "source": ("epci", "243100518"),
    },
    {
        "id": "saint-louis-reunion",
        "name": "Saint-Louis (La Réunion)",
        "region": "la-reunion",
        "source": ("epci", "249740077", ["97414"]),
    },
]

# How the intercommunality is named in our files (the package uses "CA ...", bare EPT names).
EPCI_NAMES = {
    "200054807": "Métropole d'Aix-Marseille-Provence",
    "200033579": "Communauté urbaine d'Arras",
    "200083392": "Laval Agglomération",
    "200043396": "Communauté d'agglomération Maubeuge Val de Sambre",
    "200065647": "Pays de Montbéliard Agglomération",
    "243400017": "Montpellier Méditerranée Métropole",
    "200057875": "EPT Est Ensemble",
    "200059228": "Communauté d'agglomération Grand Paris Sud Seine-Essonne-Sénart",
    "241100593": "Communauté d'agglomération Le Grand Narbonne",
    "245400676": "Métropole du Grand Nancy",
    "200058014": "EPT Grand-Orly Seine Bièvre",
    "200093201": "Métropole Européenne de Lille",
    "243100518": "Toulouse Métropole",
    "249740077": "CIVIS (Communauté intercommunale des villes solidaires)",
}

CURATED_KEYS = ("economic_service",)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def q(value: Any) -> str:
    """A YAML scalar: JSON strings are valid double-quoted YAML scalars."""
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


def load(data_dir: Path) -> dict[str, Any]:
    def read(name: str) -> Any:
        return json.loads((data_dir / name).read_text(encoding="utf-8"))

    package = data_dir.parent / "package.json"
    version = json.loads(package.read_text())["version"] if package.exists() else "unknown"
    return {
        "version": version,
        "communes": {
            c["code"]: c for c in read("communes.json") if c.get("type") == "commune-actuelle"
        },
        "epci": {e["code"]: e for e in read("epci.json")},
        "ept": {e["code"]: e for e in read("ept.json")},
        "regions": read("regions.json"),
        "departements": read("departements.json"),
    }


def region_ids(data: dict[str, Any]) -> dict[str, str]:
    """INSEE region code -> our region id, for the 18 regions (metro + DROM)."""
    return {r["code"]: slug(r["nom"]) for r in data["regions"] if r["zone"] in ("metro", "drom")}


def build_regions(data: dict[str, Any]) -> list[dict[str, Any]]:
    ids = region_ids(data)
    regions = []
    for region in data["regions"]:
        if region["code"] not in ids:
            continue
        departments = sorted(
            d["code"] for d in data["departements"] if d["region"] == region["code"]
        )
        regions.append(
            {
                "id": ids[region["code"]],
                "name": region["nom"],
                "insee_code": region["code"],
                "departments": departments,
            }
        )
    return sorted(regions, key=lambda r: r["id"])


def build_territory(spec: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    kind, siren, *only = spec["source"]
    group = data[kind].get(siren)
    if group is None:
        raise SystemExit(f"{spec['id']}: {kind} {siren} absent des données")
    members = [m["code"] for m in group["membres"]]
    if only:
        missing = set(only[0]) - set(members)
        if missing:
            raise SystemExit(f"{spec['id']}: {sorted(missing)} ne sont pas membres de {siren}")
        members = only[0]
    communes = []
    regions = region_ids(data)
    for code in sorted(members):
        commune = data["communes"].get(code)
        if commune is None:
            raise SystemExit(f"{spec['id']}: commune {code} absente (pas commune-actuelle ?)")
        if regions.get(commune["region"]) != spec["region"]:
            raise SystemExit(
                f"{spec['id']}: {code} est en région {commune['region']}, pas {spec['region']}"
            )
        postal = sorted(set(commune.get("codesPostaux") or []))
        if not postal or not all(re.fullmatch(r"\d{5}", p) for p in postal):
            raise SystemExit(f"{spec['id']}: codes postaux invalides pour {code}: {postal}")
        communes.append({"insee": code, "name": commune["nom"], "postal_codes": postal})
    return {
        "id": spec["id"],
        "name": spec["name"],
        "region": spec["region"],
        "epci": {"siren": siren, "name": EPCI_NAMES.get(siren, group["nom"])},
        "communes": communes,
    }


def render_territories(territories: list[dict[str, Any]], version: str) -> str:
    out = [
        '# The 14 "Quartiers productifs" pilot territories.',
        "#",
        "# communes, epci: generated by scripts/extract_territories.py from the npm package",
        f"# @etalab/decoupage-administratif {version} (INSEE COG, DGCL EPCI, INSEE EPT, La Poste",
        '# postal codes; Licence Ouverte). Current communes only ("commune-actuelle"); Marseille',
        "# is one commune (13055) listing the postal codes of its arrondissements. Do not edit the",
        "# communes by hand: re-run the script. economic_service is hand-curated and kept by the",
        "# script.",
        "#",
        (
            "# The QPV of each territory are in qpv_map.yml (generated by scripts/extract_qpv.py"
            " from the"
        ),
        "# official ANCT file).",
        "",
    ]
    for t in territories:
        out.append(f"- id: {t['id']}")
        out.append(f"  name: {q(t['name'])}")
        out.append(f"  region: {t['region']}")
        out.append(f"  epci: {{siren: {q(t['epci']['siren'])}, name: {q(t['epci']['name'])}}}")
        service = t.get("economic_service")
        if service:
            out.append("  economic_service:")
            for key, value in service.items():
                out.append(f"    {key}: {q(value)}")
        out.append(f"  communes:  # {len(t['communes'])}")
        for c in t["communes"]:
            codes = ", ".join(q(p) for p in c["postal_codes"])
            out.append(
                f"    - {{insee: {q(c['insee'])}, name: {q(c['name'])}, postal_codes: [{codes}]}}"
            )
        out.append("")
    return "\n".join(out)


def render_regions(regions: list[dict[str, Any]], version: str) -> str:
    out = [
        "# The 18 French regions (13 in metropolitan France, 5 overseas) and their departments.",
        (
            "# Generated by scripts/extract_territories.py from @etalab/decoupage-administratif"
            f" {version}."
        ),
        "# id: lowercase-dashed ASCII form of the name; insee_code: INSEE region code.",
        "",
    ]
    for r in regions:
        departments = ", ".join(q(d) for d in r["departments"])
        out.append(f"- id: {r['id']}")
        out.append(f"  name: {q(r['name'])}")
        out.append(f"  insee_code: {q(r['insee_code'])}")
        out.append(f"  departments: [{departments}]")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the package's data directory (…/package/data)")
    parser.add_argument(
        "--territories",
        type=Path,
        help="existing territories.yml whose economic_service is kept",
    )
    parser.add_argument("--out", type=Path, help="write territories here (default: stdout)")
    parser.add_argument("--regions-out", type=Path, help="also write regions.yml here")
    args = parser.parse_args(argv)

    data = load(args.data_dir)
    curated: dict[str, dict[str, Any]] = {}
    if args.territories and args.territories.exists():
        for record in yaml.safe_load(args.territories.read_text(encoding="utf-8")) or []:
            curated[record["id"]] = {k: record[k] for k in CURATED_KEYS if k in record}

    territories = []
    seen: dict[str, str] = {}
    for spec in TERRITORIES:
        territory = build_territory(spec, data)
        for commune in territory["communes"]:
            if commune["insee"] in seen:
                raise SystemExit(
                    f"commune {commune['insee']} dans {seen[commune['insee']]} et {spec['id']}"
                )
            seen[commune["insee"]] = spec["id"]
        territory.update(curated.get(spec["id"], {}))
        territories.append(territory)

    text = render_territories(territories, data["version"])
    yaml.safe_load(text)  # the output must parse
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.regions_out:
        regions_text = render_regions(build_regions(data), data["version"])
        yaml.safe_load(regions_text)
        args.regions_out.write_text(regions_text, encoding="utf-8")
    for t in territories:
        print(f"{t['id']}: {len(t['communes'])} communes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
