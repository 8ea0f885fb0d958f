"""Reading the human-readable catalogue files of `catalog/data/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from catalog.problems import Problem
from settings import get_settings

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_dir() -> Path:
    """QP_CATALOG_DIR, else the shipped catalog/data."""
    return get_settings().catalog.data_dir


def files_signature(directory: Path | None = None) -> tuple[Any, ...]:
    """The directory and the name, modification time and size of each of its YAML files: a
    key for what was read from them, which changes when any of them is edited (a stat per
    file, where reading them all costs about a second)."""
    directory = directory or data_dir()
    return (
        str(directory),
        *(
            (str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size)
            for path in sorted(directory.rglob("*.yml"))
            for stat in (path.stat(),)
        ),
    )


def territory_names() -> dict[str, str]:
    """The territories' names by id, read again from the catalogue files only when one of them
    changes (the console asks on every page, the web server on every link opened; reading
    the files takes about a second)."""
    return dict(_names(files_signature())[0])


def aid_names() -> dict[str, str]:
    """The aids' names by id, read as `territory_names`."""
    return dict(_names(files_signature())[1])


@lru_cache(maxsize=2)
def _names(signature: tuple[Any, ...]) -> tuple[dict[str, str], dict[str, str]]:
    files = read_files(Path(signature[0]))
    return (
        {t["id"]: t["name"] for t in files.territories},
        {a["id"]: a["name"] for a in files.aids},
    )


@dataclass
class CatalogFiles:
    """The raw records of the data files, in the shape described by data/README.md."""

    aids: list[dict[str, Any]] = field(default_factory=list)
    territories: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    homonyms: list[dict[str, Any]] = field(default_factory=list)  # communes elsewhere
    # where each record came from, for error messages: (kind, id) -> "file:index"
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)


def read_files(directory: Path | None = None) -> CatalogFiles:
    directory = directory or data_dir()
    files = CatalogFiles()
    for path in sorted((directory / "aids").glob("*.yml")):
        _extend(files, "aids", path)
    if (directory / "homonyms.yml").exists():
        _extend(files, "homonyms", directory / "homonyms.yml")
    for kind in ("territories", "regions", "contacts"):
        path = directory / f"{kind}.yml"
        if path.exists():
            _extend(files, kind, path)
        else:
            files.errors.append(Problem(str(path), "", "fichier manquant"))
    if (directory / "qpv_map.yml").exists():
        _attach_qpv(files, directory / "qpv_map.yml")
    return files


def _attach_qpv(files: CatalogFiles, path: Path) -> None:
    """Give each territory its QPV map from qpv_map.yml: `qpv` (the list) and `qpv_official`."""
    try:
        records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as error:
        files.errors.append(Problem(str(path), "", f"YAML invalide ({error})".replace("\n", " ")))
        return
    if not isinstance(records, list):
        files.errors.append(
            Problem(str(path), "", "le fichier doit contenir une liste d'enregistrements")
        )
        return
    territories = {t.get("id"): t for t in files.territories}
    for index, record in enumerate(records):
        territory = territories.get(record.get("territory")) if isinstance(record, dict) else None
        if territory is None:
            files.errors.append(Problem(f"{path.name}[{index}]", "territory", "territoire inconnu"))
            continue
        territory["qpv"] = record.get("qpv") or []
        territory["qpv_official"] = {k: v for k, v in record.items() if k != "qpv"}


def _extend(files: CatalogFiles, kind: str, path: Path) -> None:
    try:
        records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as error:
        files.errors.append(Problem(str(path), "", f"YAML invalide ({error})".replace("\n", " ")))
        return
    if not isinstance(records, list):
        files.errors.append(
            Problem(str(path), "", "le fichier doit contenir une liste d'enregistrements")
        )
        return
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            files.errors.append(
                Problem(f"{path.name}[{index}]", "", "un enregistrement doit être un objet")
            )
            continue
        files.origins[(kind, str(record.get("id")))] = f"{path.name}[{index}]"
        getattr(files, kind).append(record)
