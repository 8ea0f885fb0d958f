#!/usr/bin/env python3
"""Build `catalog/data/qpv_perimeters.geojson`: the perimeters of the QPV of the 14 pilot
territories (the codes of `catalog/data/qpv_map.yml`), taken from ANCT's national GeoJSON.

`make setup` imports the result into the catalogue database (`qp catalog import-qpv`), so that
`qp qpv check` and the dialogue can test an address offline. The file read is the one that
produced qpv_map.yml (see scripts/extract_qpv.py for how to get the official zip); the copy
used on 2026-12-02 is simplified (coordinates rounded to 5 decimals, fewer vertices), which is
why the address check answers « à vérifier » near a border (catalog/qpv_perimeters.py).

    python scripts/extract_qpv_perimeters.py QP2024.geojson \
        --file-label "where the file comes from" --out catalog/data/qpv_perimeters.geojson

Every QPV of qpv_map.yml must be in the file, with the same code; the script stops otherwise.
Python 3.11, standard library + PyYAML.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import yaml

DATASET = (
    "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
)
KEPT_PROPERTIES = ("code_qp", "lib_qp", "insee_com", "lib_com")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("geojson", type=Path, help="ANCT's QP2024 GeoJSON (WGS84)")
    parser.add_argument("--qpv-map", type=Path, default=Path("catalog/data/qpv_map.yml"))
    parser.add_argument("--file-label", required=True, help="where the file was taken from")
    parser.add_argument("--simplified", action="store_true", help="the file read is simplified")
    parser.add_argument("--date", default=date.today().isoformat(), help="extraction date")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    raw = args.geojson.read_bytes()
    data = json.loads(raw)
    wanted = {
        qpv["code"]
        for territory in yaml.safe_load(args.qpv_map.read_text(encoding="utf-8"))
        for qpv in territory.get("qpv") or []
    }
    features = [
        {
            "type": "Feature",
            "properties": {k: f["properties"].get(k) for k in KEPT_PROPERTIES},
            "geometry": f["geometry"],
        }
        for f in data["features"]
        if f.get("properties", {}).get("code_qp") in wanted
    ]
    features.sort(key=lambda f: f["properties"]["code_qp"])
    missing = wanted - {f["properties"]["code_qp"] for f in features}
    if missing:
        raise SystemExit(f"QPV de qpv_map.yml absents du fichier : {sorted(missing)}")
    out = {
        "type": "FeatureCollection",
        "name": "qpv_perimeters_14_territoires",
        # Foreign members (RFC 7946 § 6.1): where these perimeters come from.
        "source": {
            "producer": "ANCT, « Quartiers prioritaires de la politique de la ville (QPV) »",
            "dataset": DATASET,
            "licence": "Licence Ouverte 2.0",
            "lists": "décret n° 2023-1314 (2024, Hexagone) ; décret n° 2024-1212 (2025, outre-mer)",
            "file_read": args.file_label,
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "simplified": args.simplified,
            "extracted": args.date,
            "extracted_by": "scripts/extract_qpv_perimeters.py",
            "qpv": len(features),
        },
        "features": features,
    }
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    # One feature per line: readable diffs, small file.
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"{len(features)} périmètres écrits dans {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
