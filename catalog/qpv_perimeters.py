"""The official QPV perimeters: read ANCT's GeoJSON, store it in the catalogue database, and
answer « which QPV contains this point, and is a border too close to tell? » with a shapely
STRtree built once per process.

The file is ANCT's « Quartiers prioritaires de la politique de la ville (QPV) » on data.gouv.fr
in its WGS84 version, or the extract of it for the 14 territories that `make setup` imports
(catalog/data/qpv_perimeters.geojson). Each feature has `code_qp`, `lib_qp` and `insee_com`
(one INSEE code, or several separated by commas). A file in Lambert-93 is refused with a clear
message rather than read wrong.

The shipped perimeters are simplified (vertices about 70 m apart, coordinates rounded to
5 decimals): a point closer than BORDER_TOLERANCE_M to a border is « à vérifier », never
declared in or out.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalog.models import QpvPerimeter

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
from catalog.qpv_map import valid_code

SHIPPED_FILE = Path(__file__).parent / "data" / "qpv_perimeters.geojson"
# Closer than this to a perimeter's border, a point is « à vérifier »: the shipped geometry is
# simplified, and a geocoded point is itself only accurate to a few metres.
BORDER_TOLERANCE_M = 40.0
RELOAD_CHECK_SECONDS = 30.0
METRES_PER_DEGREE = 111_320.0


class PerimeterFileError(ValueError):
    """The file is not a usable QPV perimeters file; the message is in French."""


@dataclass(frozen=True)
class Perimeter:
    code: str
    name: str
    communes: tuple[str, ...]
    geometry: BaseGeometry = field(compare=False, repr=False)


@dataclass(frozen=True)
class PointLookup:
    """Where a point stands: the perimeters that contain it, and whether a border is within
    the tolerance (then neither « in » nor « out » can be said)."""

    inside: tuple[Perimeter, ...]
    near_border: tuple[Perimeter, ...]


def read_perimeters(path: Path) -> list[Perimeter]:
    """The perimeters of a GeoJSON file; raises PerimeterFileError with the first problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PerimeterFileError(f"fichier introuvable : {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PerimeterFileError(f"impossible de lire {path} : {error}") from None
    except json.JSONDecodeError as error:
        raise PerimeterFileError(
            f"ce n'est pas du GeoJSON valide ({error.msg}, ligne {error.lineno})"
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise PerimeterFileError("le fichier doit être une FeatureCollection GeoJSON")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise PerimeterFileError("le fichier ne contient aucun périmètre")
    perimeters: dict[str, Perimeter] = {}
    for number, feature in enumerate(features, start=1):
        perimeter = _perimeter(feature, number)
        if perimeter.code in perimeters:
            raise PerimeterFileError(f"périmètre {number} : code {perimeter.code} en double")
        perimeters[perimeter.code] = perimeter
    return list(perimeters.values())


def _perimeter(feature: object, number: int) -> Perimeter:
    where = f"périmètre {number}"
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise PerimeterFileError(f"{where} : pas de propriétés")
    properties = feature["properties"]
    code = str(properties.get("code_qp") or "").strip()
    if not valid_code(code):
        raise PerimeterFileError(
            f"{where} : code_qp « {code} » absent ou de mauvaise forme (attendu QN + "
            "département + numéro + M, N ou I, comme QN05301M) ; est-ce bien le fichier QPV "
            "2024 de l'ANCT ?"
        )
    name = str(properties.get("lib_qp") or "").strip()
    if not name:
        raise PerimeterFileError(f"{where} ({code}) : lib_qp (nom du quartier) manquant")
    communes = tuple(c for c in re.split(r"[;,\s]+", str(properties.get("insee_com") or "")) if c)
    if not communes:
        raise PerimeterFileError(f"{where} ({code}) : insee_com (communes) manquant")
    raw_geometry = feature.get("geometry")
    if not isinstance(raw_geometry, dict):
        raise PerimeterFileError(f"{where} ({code}) : géométrie illisible")
    try:
        geometry = shape(raw_geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.ShapelyError):
        raise PerimeterFileError(f"{where} ({code}) : géométrie illisible") from None
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise PerimeterFileError(f"{where} ({code}) : géométrie absente ou non surfacique")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise PerimeterFileError(
            f"{where} ({code}) : coordonnées hors longitude/latitude ; le fichier semble en "
            "Lambert-93 : importez la version WGS84"
        )
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return Perimeter(code, name, communes, geometry)


def store_perimeters(engine: Engine, perimeters: list[Perimeter], source: str) -> int:
    """Replace the stored perimeters by these, in one transaction; returns their number."""
    from catalog.store import migrate  # store imports the models; keep this module light

    migrate(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.execute(delete(QpvPerimeter))
        session.add_all(
            QpvPerimeter(
                code=p.code,
                name=p.name,
                communes=list(p.communes),
                geometry=shapely.to_wkb(p.geometry),
                source=source,
                imported_at=now,
            )
            for p in perimeters
        )
    return len(perimeters)


def read_stored(engine: Engine) -> list[Perimeter]:
    if not inspect(engine).has_table("qpv_perimeters"):
        return []
    with Session(engine) as session:
        rows = session.scalars(select(QpvPerimeter).order_by(QpvPerimeter.code)).all()
        return [
            Perimeter(r.code, r.name, tuple(r.communes or ()), shapely.from_wkb(r.geometry))
            for r in rows
        ]


class PerimeterIndex:
    """Point lookups over a set of perimeters (a shapely STRtree)."""

    def __init__(self, perimeters: list[Perimeter]) -> None:
        self.perimeters = list(perimeters)
        self.codes = frozenset(p.code for p in self.perimeters)
        self._tree = STRtree([p.geometry for p in self.perimeters])

    def __len__(self) -> int:
        return len(self.perimeters)

    def lookup(
        self, lon: float, lat: float, tolerance_m: float = BORDER_TOLERANCE_M
    ) -> PointLookup:
        point = shapely.Point(lon, lat)
        inside = [self.perimeters[i] for i in sorted(self._tree.query(point, "intersects"))]
        # A square of ± tolerance around the point; its candidates are then measured in metres.
        dy = tolerance_m / METRES_PER_DEGREE
        dx = tolerance_m / (METRES_PER_DEGREE * max(0.1, math.cos(math.radians(lat))))
        square = box(lon - dx, lat - dy, lon + dx, lat + dy)
        near = [
            self.perimeters[i]
            for i in sorted(self._tree.query(square, "intersects"))
            if border_distance_m(self.perimeters[i].geometry, lon, lat) < tolerance_m
        ]
        return PointLookup(tuple(inside), tuple(near))


def border_distance_m(geometry: BaseGeometry, lon: float, lat: float) -> float:
    """Distance in metres from the point to the geometry's border (a local equirectangular
    projection: exact enough at the scale of a neighbourhood)."""
    scale_x = METRES_PER_DEGREE * math.cos(math.radians(lat))

    def to_metres(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return (coords - (lon, lat)) * (scale_x, METRES_PER_DEGREE)

    local = shapely.transform(geometry.boundary, to_metres)
    return float(local.distance(shapely.Point(0, 0)))


def _stamp(engine: Engine) -> tuple[int, object]:
    if not inspect(engine).has_table("qpv_perimeters"):
        return (0, None)
    with engine.connect() as connection:
        count, latest = connection.execute(
            select(func.count(QpvPerimeter.code), func.max(QpvPerimeter.imported_at))
        ).one()
    return (count, latest)


@dataclass
class _Cached:
    index: PerimeterIndex
    stamp: tuple[int, object]
    checked: float


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def perimeter_index(engine: Engine) -> PerimeterIndex:
    """The index of the stored perimeters, built once per process and rebuilt when a new
    import is noticed (checked at most every RELOAD_CHECK_SECONDS)."""
    key = str(engine.url)
    with _lock:
        cached = _cache.get(key)
        now = time.monotonic()
        if cached and now - cached.checked < RELOAD_CHECK_SECONDS:
            return cached.index
        stamp = _stamp(engine)
        if cached is None or cached.stamp != stamp:
            cached = _Cached(PerimeterIndex(read_stored(engine)), stamp, now)
            _cache[key] = cached
        cached.checked = now
        return cached.index
