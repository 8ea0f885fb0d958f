"""Changing the catalogue's YAML files the way a careful person would by hand: ruamel.yaml
round trip (comments, key order and quoting kept), the files' own layout (records at column 0,
nested lists indented under their key, long texts folded under 90 characters), a missing key
placed where the record's key order wants it, and a file replaced atomically.

It knows nothing of aids: callers give the path of a value and the key order of a record."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

FOLD_WIDTH = 90
QUOTED = DoubleQuotedScalarString  # the style of a new text value
FOLDED = FoldedScalarString  # the style of a new long text (« >- »)
PLAIN = None  # a new value written as is (choices, numbers, dates)


class _CatalogEmitter(RoundTripEmitter):
    """The files' layout: top-level records at column 0 (« - id: … », keys at 2), nested lists
    indented under their key (« sources: » then « ····- … »)."""

    def _top_sequence(self) -> bool:
        return (
            self.indent == 0 and len(self.indents.values) == 1 and bool(self.indents.values[0][1])
        )

    def increase_indent(
        self, flow: bool = False, sequence: bool | None = None, indentless: bool = False
    ) -> None:
        if not flow and not indentless and self._top_sequence():
            self.indents.append(self.indent, sequence)
            self.indent = 2
            return
        super().increase_indent(flow, sequence, indentless)

    def expect_block_sequence_item(self, first: bool = False) -> None:
        if not self._top_sequence():
            return super().expect_block_sequence_item(first)
        saved, self.sequence_dash_offset = self.sequence_dash_offset, 0
        try:
            return super().expect_block_sequence_item(first)
        finally:
            self.sequence_dash_offset = saved


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.Emitter = _CatalogEmitter
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def load_yaml(text: str) -> Any:
    """A data file as ruamel.yaml's round-trip objects (comments and quoting kept)."""
    return _yaml().load(text)


def dump_yaml(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def folded(text: str) -> FoldedScalarString:
    """A `>-` block whose lines stay under FOLD_WIDTH characters, like the hand-written ones."""
    text = re.sub(r"[ \t\n]+", " ", text).strip(" \t\n")
    scalar = FoldedScalarString(text)
    positions, start = [], 0
    while len(text) - start > FOLD_WIDTH:
        cut = text.rfind(" ", start, start + FOLD_WIDTH + 1)
        if cut <= start:
            cut = text.find(" ", start + FOLD_WIDTH)
            if cut < 0:
                break
        positions.append(cut)
        start = cut + 1
    scalar.fold_pos = positions
    return cast(FoldedScalarString, scalar)


def styled(value: Any, like: Any, default: type | None = QUOTED) -> Any:
    """A string in the style of the value it replaces (quotes, folded block); a new one in
    the `default` style."""
    if not isinstance(value, str):
        return value
    for style in (
        FoldedScalarString,
        LiteralScalarString,
        DoubleQuotedScalarString,
        SingleQuotedScalarString,
    ):
        if isinstance(like, style):
            return folded(value) if style is FoldedScalarString else style(value)
    if isinstance(like, str) or default is None:
        return value
    return folded(value) if default is FoldedScalarString else default(value)


def insert_key(record: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set a key the record lacks, after the keys that come before it in `order`."""
    rank = order.index(key) if key in order else len(order)
    position = len(record)
    for index, existing in enumerate(record):
        if existing in order and order.index(existing) > rank:
            position = index
            break
    record.insert(position, key, value)


def set_list(record: CommentedMap, key: str, values: list[str], order: Sequence[str]) -> None:
    """Replace a list's items in place. Comments that followed the list (the blank line and
    comment lines before the next key) stay after it: ruamel keeps them on the last item of a
    block list, and on the key of an empty flow list (« checks: [] »)."""
    old = record.get(key)
    if not isinstance(old, CommentedSeq):
        old = CommentedSeq()
        if key in record:
            record[key] = old
        else:
            insert_key(record, key, old, order)
    like = old[0] if len(old) else None
    tail = old.ca.items.pop(len(old) - 1, None) if len(old) else None
    after_key = record.ca.items.get(key)
    if (
        tail is None
        and after_key
        and len(after_key) > 2
        and after_key[2] is not None
        and not len(old)
    ):
        tail = [after_key[2], None, None, None]
        after_key[2] = None
    while len(old):
        old.pop()
    for value in values:
        old.append(styled(value, like))
    if values:
        if not old.fa.flow_style() or like is None:
            old.fa.set_block_style()
        if tail is not None:
            old.ca.items[len(old) - 1] = tail
    else:
        old.fa.set_flow_style()
        if tail is not None and tail[0] is not None:
            entry = record.ca.items.setdefault(key, [None, None, None, None])
            if entry[2] is None:
                entry[2] = tail[0]


def set_value(
    record: CommentedMap,
    path: Sequence[str],
    value: Any,
    order: Sequence[str],
    default: type | None = QUOTED,
) -> None:
    """Set the scalar at `path` (« amount », « min »), creating the mappings on the way; a new
    top-level key goes where `order` places it."""
    target = record
    for part in path[:-1]:
        if not isinstance(target.get(part), CommentedMap):
            nested = CommentedMap()
            if part in target:
                target[part] = nested
            else:
                insert_key(target, part, nested, order)
        target = target[part]
    last = path[-1]
    value = styled(value, target.get(last), default)
    if last in target:
        target[last] = value
    elif len(path) == 1:
        insert_key(target, last, value, order)
    else:
        target[last] = value


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step (a reader never sees half a file); its mode is kept."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(temporary).chmod(path.stat().st_mode & 0o777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
