"""`qp catalog apply-edits`: the advisors' pending edits (catalog/aid_edits.py) written into
the aid files of catalog/data/ with catalog/yaml_writer.py (comments, key order and quoting
kept), the files validated with the change (nothing written on error), then the edits marked
written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from catalog import store
from catalog.aid_edits import WRITTEN, pending_edits, to_json
from catalog.aid_form import FIELDS_BY_KEY, facts_of
from catalog.aid_schema import RECORD_KEYS
from catalog.files import read_files
from catalog.validate import validate
from catalog.yaml_writer import (
    FOLDED,
    PLAIN,
    QUOTED,
    dump_yaml,
    load_yaml,
    set_list,
    set_value,
    write_atomically,
)


class WriteBackError(Exception):
    """The pending edits cannot be written into the files (French message)."""


def _set_fact(record: CommentedMap, key: str, value: Any) -> None:
    spec = FIELDS_BY_KEY[key]
    if spec.kind in ("lines", "url_lines"):
        set_list(record, spec.path[0], list(value or []), RECORD_KEYS)
        return
    if spec.kind == "date" and value is not None:
        value = date.fromisoformat(value) if isinstance(value, str) else value
    style = FOLDED if spec.kind == "long_text" else PLAIN if spec.kind == "choice" else QUOTED
    set_value(record, spec.path, value, RECORD_KEYS, style)


def _file_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: to_json(key, value) for key, value in facts_of(record).items()}


@dataclass
class WriteReport:
    written: list[int] = field(default_factory=list)  # edit ids written
    files: list[Path] = field(default_factory=list)  # files changed
    missing: list[tuple[int, str]] = field(default_factory=list)  # (edit id, aid id)
    conflicts: list[str] = field(default_factory=list)  # warnings, in French


def write_edits(
    directory: Path, edits: Iterable[tuple[int, str, Mapping[str, Any], Mapping[str, Any]]]
) -> WriteReport:
    """Write edits — (edit id, aid id, before, after), oldest first — into the aid files of
    `directory`. The files are validated with the change (`catalog/validate.py`); on error
    nothing is written and WriteBackError says why."""
    report = WriteReport()
    paths = sorted((directory / "aids").glob("*.yml"))
    documents = {path: load_yaml(path.read_text(encoding="utf-8")) for path in paths}
    located = {}
    for path, records in documents.items():
        for record in records or []:
            if isinstance(record, CommentedMap) and record.get("id"):
                located[str(record["id"])] = (path, record)
    changed: set[Path] = set()
    for edit_id, aid_id, before, after in edits:
        if aid_id not in located:
            report.missing.append((edit_id, aid_id))
            continue
        path, record = located[aid_id]
        in_file = _file_facts(record)
        for key, value in after.items():
            if key in FIELDS_BY_KEY:
                if key in before and in_file.get(key) != before[key]:
                    report.conflicts.append(
                        f"{path.name} ({aid_id}) : « {FIELDS_BY_KEY[key].label} » avait changé "
                        "dans le fichier depuis la modification ; la valeur de la console "
                        "l'emporte."
                    )
                _set_fact(record, key, value)
        changed.add(path)
        report.written.append(edit_id)
    if not changed:
        return report
    texts = {path: dump_yaml(documents[path]) for path in sorted(changed)}
    original = {path: path.read_text(encoding="utf-8") for path in texts}
    errors_before = set(validate(read_files(directory)))
    for path, text in texts.items():
        write_atomically(path, text)
    new_errors = [e for e in validate(read_files(directory)) if e not in errors_before]
    if new_errors:
        for path, text in original.items():
            write_atomically(path, text)
        raise WriteBackError(
            "les modifications rendraient le catalogue invalide ; rien n'a été "
            "écrit :\n" + "\n".join(map(str, new_errors))
        )
    report.files = sorted(texts)
    return report


def apply_pending_edits(engine: Engine, directory: Path) -> WriteReport:
    """`qp catalog apply-edits`: write the pending edits into the files of `directory`, then
    mark them written (`ecrite`). Edits of an aid absent from the files stay pending."""
    store.migrate(engine)
    with Session(engine) as session, session.begin():
        pending = pending_edits(session)
        report = write_edits(directory, [(e.id, e.aid_id, e.before, e.after) for e in pending])
        now = datetime.now(UTC)
        written = set(report.written)
        for edit in pending:
            if edit.id in written:
                edit.status, edit.written_at = WRITTEN, now
    return report
