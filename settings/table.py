"""The README's configuration table, written from the settings' fields (`qp settings readme`).

The table sits between two HTML comments in README.md; `tests/test_settings.py` fails when it
differs from what the settings declare, so a new variable cannot go undocumented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from settings.root import Settings, env_name, sections
from settings.sections import PROJECT_DIR

README = PROJECT_DIR / "README.md"
BEGIN = "<!-- début du tableau écrit par `qp settings readme` : ne pas modifier à la main -->"
END = "<!-- fin du tableau -->"


class ReadmeError(ValueError):
    """The README has no place for the table (markers missing)."""


def _shown_default(field: FieldInfo) -> str:
    """A literal default in code style; a phrase ("aucune", "tiré au hasard…") as it is."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    shown: Any = extra.get("shown_default", field.default)
    if isinstance(shown, float) and shown.is_integer():
        shown = int(shown)
    text = str(shown)
    return text if text in {"aucun", "aucune", "vide"} or " " in text else f"`{text}`"


def configuration_table() -> str:
    """The Markdown table of every environment variable, grouped by component."""
    lines = ["| variable | rôle | par défaut |", "|---|---|---|"]
    for section in sections(Settings).values():
        title = (section.__doc__ or "").strip().splitlines()[0]
        lines.append(f"| **{title}** | | |")
        for field in section.model_fields.values():
            name = env_name(field)
            if name:
                lines.append(f"| `{name}` | {field.description} | {_shown_default(field)} |")
    return "\n".join(lines) + "\n"


def effective_values(settings: Settings) -> list[tuple[str, str]]:
    """Each environment variable with the value in force; secrets shown as set or not."""
    values = []
    for section_name, section in sections(Settings).items():
        current = getattr(settings, section_name)
        for field_name, field in section.model_fields.items():
            name = env_name(field)
            if name is None:
                continue
            value = getattr(current, field_name)
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if extra.get("secret"):
                text = "(défini)" if value else "(non défini)"
            elif isinstance(value, tuple):
                text = ",".join(value)
            elif isinstance(value, bool):
                text = "1" if value else "0"
            else:
                text = "" if value is None else str(value)
            values.append((name, text))
    return values


def with_table(readme: str) -> str:
    """`readme` with the text between the two markers replaced by the current table."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ReadmeError(f"README.md : marqueurs introuvables ({BEGIN} … {END})")
    return readme[: start + len(BEGIN)] + "\n" + configuration_table() + readme[end:]


def write_readme(path: Path = README) -> bool:
    """Rewrite the table in `path`; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = with_table(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
